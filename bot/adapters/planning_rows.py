"""Reading and validating the provider's planning CSV export (applied by
:mod:`bot.adapters.planning_import`).

Columns (header line required, any order, extra columns ignored)::

    intervention_id, client_id, client_name, sector, caregiver, start, end, service

and two optional ones, ``client_phone`` (a French number: 10 digits or +33…, stored
« 06 12 34 56 78 ») and ``client_email``; a file without them leaves the clients' phone
and e-mail as they are, an empty cell erases them.

* separator ``;`` or ``,``, detected from the header line;
* UTF-8 with or without BOM;
* dates ISO 8601 (``2026-03-05T09:00``, ``2026-03-05 09:00``, with or without an offset such
  as ``+01:00`` or ``Z``) or ``JJ/MM/AAAA HH:MM``; without an offset they are Europe/Paris
  local times.  A local time that does not exist (spring forward, e.g. 29/03/2026 02:30) or
  that exists twice (fall back, e.g. 25/10/2026 02:30) is rejected with an explanation; the
  ambiguous case can be written with an explicit offset (``2026-10-25T02:30+02:00``).

The whole file is validated first; if any line is wrong, :class:`PlanningImportError` lists
every faulty line with the reason in French.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from tqdm import tqdm

from bot.adapters.notifications.smtp import is_valid_email
from bot.domain.clock import PARIS
from bot.domain.errors import PlanningImportError
from bot.domain.text_keys import french_phone

COLUMNS = ("intervention_id", "client_id", "client_name", "sector", "caregiver", "start",
           "end", "service")
#: optional columns: absent, the clients' phone and e-mail are left as they are
CONTACT_COLUMNS = ("client_phone", "client_email")
REQUIRED = ("intervention_id", "client_id", "client_name", "sector", "start", "end")
MAX_LENGTH = {"intervention_id": 64, "client_id": 40, "client_name": 200, "sector": 100,
              "caregiver": 200, "service": 200, "client_phone": 30, "client_email": 254}
MAX_DURATION = timedelta(hours=24)

_FR_DATE = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class PlanningRow:
    line: int
    intervention_id: str
    client_id: str
    client_name: str
    sector: str
    caregiver: Optional[str]
    start: datetime
    end: datetime
    service: str
    #: None: not in the file (left as it is); "": erased; else the checked value
    client_phone: Optional[str] = None
    client_email: Optional[str] = None


# --- dates ----------------------------------------------------------------------------------

def localize_paris(naive: datetime) -> datetime:
    """Attach Europe/Paris to a wall-clock time; ValueError (French) if it does not exist
    or is ambiguous because of a daylight-saving change."""
    first = naive.replace(tzinfo=PARIS, fold=0)
    second = naive.replace(tzinfo=PARIS, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = naive.strftime("%d/%m/%Y %H:%M")
    if first.astimezone(timezone.utc).astimezone(PARIS).replace(tzinfo=None) != naive:
        raise ValueError(f"l'heure {shown} n'existe pas à Paris (passage à l'heure d'été, "
                         "les horloges sautent de 2 h à 3 h)")
    raise ValueError(f"l'heure {shown} est ambiguë (passage à l'heure d'hiver, elle existe "
                     "deux fois) : précisez le décalage, par ex. "
                     f"{naive.strftime('%Y-%m-%dT%H:%M')}+02:00 ou +01:00")


def parse_datetime(text: str) -> datetime:
    """ISO 8601 or JJ/MM/AAAA HH:MM (local Paris time unless an offset is given)."""
    value = (text or "").strip()
    if not value:
        raise ValueError("date manquante")
    match = _FR_DATE.match(value)
    if match:
        day, month, year, hour, minute, second = match.groups()
        try:
            naive = datetime(int(year), int(month), int(day), int(hour), int(minute),
                             int(second or 0))
        except ValueError:
            raise ValueError(f"date « {value} » impossible") from None
        return localize_paris(naive)
    iso = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    if len(iso) < 16 or iso[10] not in "T ":
        raise ValueError(f"date « {value} » illisible : attendu AAAA-MM-JJTHH:MM "
                         "ou JJ/MM/AAAA HH:MM")
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"date « {value} » illisible : attendu AAAA-MM-JJTHH:MM "
                         "ou JJ/MM/AAAA HH:MM") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(PARIS)
    return localize_paris(parsed)


# --- reading and validation ---------------------------------------------------------------

def _decode(data: bytes) -> Tuple[Optional[str], List[Tuple[int, str]]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        errors = []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                errors.append((number, "caractères non UTF-8 : enregistrez le fichier en UTF-8"))
        return None, errors


def detect_separator(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_planning(source: Union[str, Path, bytes], progress: bool = False) -> List[PlanningRow]:
    """Parse and validate a whole planning file; PlanningImportError lists every bad line."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise PlanningImportError([(0, f"fichier introuvable : {path}")])
        data = path.read_bytes()
    text, errors = _decode(data)
    if text is None:
        raise PlanningImportError(errors)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PlanningImportError([(line, "caractère nul : ce n'est pas un fichier CSV texte")])
    lines = text.splitlines()
    first = next((i for i, l in enumerate(lines) if l.strip()), None)
    if first is None:
        raise PlanningImportError([(0, "fichier vide : la ligne d'en-tête est absente")])
    separator = detect_separator(lines[first])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: List[PlanningRow] = []
    errors = []
    header: Optional[List[str]] = None
    index: Dict[str, int] = {}
    seen_interventions: Dict[str, int] = {}
    seen_clients: Dict[str, Tuple[int, tuple]] = {}
    bar = tqdm(total=len(lines), desc="Vérification", unit=" lignes", disable=not progress,
               leave=False)
    previous_line = 0
    try:
        for record in reader:
            line = previous_line + 1
            bar.update(reader.line_num - previous_line)
            previous_line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lstrip("\ufeff").lower() for cell in record]
                missing = [c for c in COLUMNS if c not in header]
                duplicated = sorted({c for c in header if c and header.count(c) > 1})
                if missing:
                    errors.append((line, "colonne(s) manquante(s) dans l'en-tête : "
                                   + ", ".join(missing) + f" (séparateur détecté : « {separator} »)"))
                if duplicated:
                    errors.append((line, "colonne(s) en double : " + ", ".join(duplicated)))
                if errors:
                    raise PlanningImportError(errors)
                index = {c: header.index(c) for c in COLUMNS + CONTACT_COLUMNS if c in header}
                continue
            row, reasons = _validate(record, header, index, line, seen_interventions, seen_clients)
            if reasons:
                errors.append((line, " ; ".join(reasons)))
            elif row is not None:
                rows.append(row)
    except csv.Error as error:
        errors.append((reader.line_num, f"ligne CSV illisible ({error})"))
    finally:
        bar.close()
    if errors:
        raise PlanningImportError(errors)
    if header is None:
        raise PlanningImportError([(0, "fichier vide : la ligne d'en-tête est absente")])
    return rows


def _validate(record, header, index, line, seen_interventions, seen_clients):
    reasons: List[str] = []
    if len(record) != len(header):
        return None, [f"{len(record)} colonne(s) au lieu de {len(header)} "
                      "(séparateur ou guillemets incorrects ?)"]
    cell = {c: record[i].strip() for c, i in index.items()}
    for column in REQUIRED:
        if not cell[column]:
            reasons.append(f"{column} manquant")
    for column, limit in MAX_LENGTH.items():
        if column in cell and len(cell[column]) > limit:
            reasons.append(f"{column} trop long ({len(cell[column])} caractères, {limit} au plus)")
    start = end = None
    for column in ("start", "end"):
        if cell[column]:
            try:
                value = parse_datetime(cell[column])
            except ValueError as error:
                reasons.append(f"{column} : {error}")
                continue
            if column == "start":
                start = value
            else:
                end = value
    if start is not None and end is not None:
        if end <= start:
            reasons.append("la fin doit être après le début")
        elif end.astimezone(timezone.utc) - start.astimezone(timezone.utc) > MAX_DURATION:
            reasons.append("durée supérieure à 24 heures (jour et mois inversés ?)")
    iid = cell["intervention_id"]
    if iid:
        if iid in seen_interventions:
            reasons.append(f"intervention_id {iid} déjà présent ligne {seen_interventions[iid]}")
        else:
            seen_interventions[iid] = line
    phone, email = _contact(cell, reasons)
    number = cell["client_id"]
    if number and cell["client_name"] and cell["sector"]:
        client = (cell["client_name"], cell["sector"], phone, email)
        known = seen_clients.get(number)
        if known is None:
            seen_clients[number] = (line, client)
        elif known[1][:2] != client[:2]:
            reasons.append(f"client {number} : nom ou secteur différent de la ligne {known[0]}")
        elif known[1] != client:
            reasons.append(f"client {number} : téléphone ou e-mail différent de la ligne "
                           f"{known[0]}")
    if reasons:
        return None, reasons
    return PlanningRow(line=line, intervention_id=iid, client_id=number,
                       client_name=cell["client_name"], sector=cell["sector"],
                       caregiver=cell["caregiver"] or None, start=start, end=end,
                       service=cell["service"], client_phone=phone, client_email=email), []


def _contact(cell: Dict[str, str], reasons: List[str]) -> Tuple[Optional[str], Optional[str]]:
    """The optional ``client_phone`` and ``client_email`` cells, checked: None when the
    column is absent, "" when the cell is empty."""
    phone, email = cell.get("client_phone"), cell.get("client_email")
    if phone:
        checked = french_phone(phone)
        if checked is None:
            reasons.append(f"client_phone « {phone[:30]} » : numéro français attendu "
                           "(10 chiffres, par exemple 06 12 34 56 78, ou +33 6 12 34 56 78)")
        phone = checked
    if email and not is_valid_email(email):
        reasons.append(f"client_email « {email[:60]} » : adresse e-mail invalide")
    return phone, email


