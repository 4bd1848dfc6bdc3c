"""Planning import from the provider's CSV export.

Columns (header line required, any order, extra columns ignored)::

    intervention_id, client_id, client_name, sector, caregiver, start, end, service

* separator ``;`` or ``,``, detected from the header line;
* UTF-8 with or without BOM;
* dates ISO 8601 (``2026-03-05T09:00``, ``2026-03-05 09:00``, with or without an offset such
  as ``+01:00`` or ``Z``) or ``JJ/MM/AAAA HH:MM``; without an offset they are Europe/Paris
  local times.  A local time that does not exist (spring forward, e.g. 29/03/2026 02:30) or
  that exists twice (fall back, e.g. 25/10/2026 02:30) is rejected with an explanation; the
  ambiguous case can be written with an explicit offset (``2026-10-25T02:30+02:00``).

The whole file is validated first; if any line is wrong, :class:`PlanningImportError` lists
every faulty line with the reason in French and nothing is applied.  Applying is an
idempotent upsert keyed by ``intervention_id``, using bulk statements, in batches of
:data:`BATCH_ROWS` rows, one transaction each (the service layer commits each batch, so the
chat's requests get the database between two batches; a failure after some batches leaves
them written and re-running the same file completes the import).  Interventions absent from
the file are left as they are (a file may cover only a period).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from sqlalchemy import bindparam, select, update
from tqdm import tqdm

from bot.domain.clock import PARIS
from bot.adapters.orm import caregivers, clients, interventions, sectors
from bot.domain.model import InterventionStatus
from bot.domain.errors import PlanningImportError

COLUMNS = ("intervention_id", "client_id", "client_name", "sector", "caregiver", "start",
           "end", "service")
REQUIRED = ("intervention_id", "client_id", "client_name", "sector", "start", "end")
MAX_LENGTH = {"intervention_id": 64, "client_id": 40, "client_name": 200, "sector": 100,
              "caregiver": 200, "service": 200}
MAX_DURATION = timedelta(hours=24)
CHUNK = 500          # IN (...) lists
WRITE_CHUNK = 5000   # executemany batches
#: rows per transaction of an import: ~0.1 s of writing on SQLite (measured in
#: docs/measurements.md, « import et demandes en même temps »)
BATCH_ROWS = 2000
#: pause after each batch on SQLite, whose writer lock is no queue: a waiting writer retries
#: every 100 ms, and would miss a lock freed for an instant (PostgreSQL queues lock waits)
SQLITE_PAUSE = 0.11

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


@dataclass
class ImportReport:
    rows: int = 0
    sectors_created: int = 0
    clients_created: int = 0
    clients_updated: int = 0
    caregivers_created: int = 0
    interventions_created: int = 0
    interventions_updated: int = 0
    interventions_unchanged: int = 0
    #: seconds the caller should leave the database free before writing the next batch
    pause_after: float = field(default=0.0, compare=False, repr=False)

    def summary_fr(self) -> str:
        return (f"{self.rows} ligne(s) lue(s) : {self.interventions_created} intervention(s) "
                f"créée(s), {self.interventions_updated} mise(s) à jour, "
                f"{self.interventions_unchanged} inchangée(s) ; {self.clients_created} client(s) "
                f"créé(s), {self.clients_updated} mis à jour ; {self.sectors_created} secteur(s) "
                f"et {self.caregivers_created} intervenant(s) créé(s).")

    def add(self, other: "ImportReport") -> None:
        """Add the counts of another batch of the same import (``rows`` included)."""
        for name in self.__dataclass_fields__:
            if name != "pause_after":
                setattr(self, name, getattr(self, name) + getattr(other, name))


def progress_bar(total: int, progress: bool):
    """The bar over every batch of an import (``update(n)``, ``close()``)."""
    return tqdm(total=total, desc="Enregistrement", unit=" lignes", disable=not progress,
                leave=False)


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
    seen_clients: Dict[str, Tuple[int, str, str]] = {}
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
                index = {c: header.index(c) for c in COLUMNS}
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
        if len(cell[column]) > limit:
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
    number = cell["client_id"]
    if number and cell["client_name"] and cell["sector"]:
        known = seen_clients.get(number)
        if known is None:
            seen_clients[number] = (line, cell["client_name"], cell["sector"])
        elif (known[1], known[2]) != (cell["client_name"], cell["sector"]):
            reasons.append(f"client {number} : nom ou secteur différent de la ligne {known[0]}")
    if reasons:
        return None, reasons
    return PlanningRow(line=line, intervention_id=iid, client_id=number,
                       client_name=cell["client_name"], sector=cell["sector"],
                       caregiver=cell["caregiver"] or None, start=start, end=end,
                       service=cell["service"]), []


# --- applying -------------------------------------------------------------------------------

def _utc(value: datetime) -> datetime:
    # Same-tzinfo comparisons ignore ``fold``: compare instants in UTC.
    return value.astimezone(timezone.utc)


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _existing(session, table, key_column, keys, *columns) -> Dict[str, tuple]:
    found: Dict[str, tuple] = {}
    keys = list(keys)
    for chunk in _chunks(keys, CHUNK):
        stmt = select(key_column, *columns).where(key_column.in_(chunk))
        for row in session.execute(stmt):
            found[row[0]] = tuple(row[1:])
    return found


def _executemany(session, stmt, params: List[dict], bar=None) -> None:
    for chunk in _chunks(params, WRITE_CHUNK):
        session.execute(stmt, list(chunk))
        if bar is not None:
            bar.update(len(chunk))


def apply_rows(session, rows: Sequence[PlanningRow], progress: bool = False) -> ImportReport:
    """Upsert validated rows inside the caller's transaction (bulk statements).  The counts
    are exact per call, so the sum over the batches of one file is too: a client or sector
    created by one batch is found (unchanged) by the next."""
    report = ImportReport(rows=len(rows))

    # sectors
    names = sorted({r.sector for r in rows})
    sector_ids = {k: v[0] for k, v in _existing(session, sectors, sectors.c.name, names, sectors.c.id).items()}
    new = [{"name": n} for n in names if n not in sector_ids]
    if new:
        _executemany(session, sectors.insert(), new)
        report.sectors_created = len(new)
        sector_ids = {k: v[0] for k, v in _existing(session, sectors, sectors.c.name, names, sectors.c.id).items()}

    # clients
    wanted: Dict[str, Tuple[str, int]] = {}
    for r in rows:
        wanted[r.client_id] = (r.client_name, sector_ids[r.sector])
    known = _existing(session, clients, clients.c.number, sorted(wanted),
                      clients.c.id, clients.c.name, clients.c.sector_id)
    new = [{"number": n, "name": name, "sector_id": sid}
           for n, (name, sid) in wanted.items() if n not in known]
    changed = [{"_id": known[n][0], "name": name, "sector_id": sid}
               for n, (name, sid) in wanted.items()
               if n in known and (known[n][1], known[n][2]) != (name, sid)]
    if new:
        _executemany(session, clients.insert(), new)
    if changed:
        _executemany(session, update(clients).where(clients.c.id == bindparam("_id"))
                     .values(name=bindparam("name"), sector_id=bindparam("sector_id")), changed)
    report.clients_created, report.clients_updated = len(new), len(changed)
    client_ids = {k: v[0] for k, v in _existing(session, clients, clients.c.number, sorted(wanted),
                                                 clients.c.id).items()}

    # caregivers
    names = sorted({r.caregiver for r in rows if r.caregiver})
    caregiver_ids = {k: v[0] for k, v in _existing(session, caregivers, caregivers.c.name, names,
                                                    caregivers.c.id).items()}
    new = [{"name": n} for n in names if n not in caregiver_ids]
    if new:
        _executemany(session, caregivers.insert(), new)
        report.caregivers_created = len(new)
        caregiver_ids = {k: v[0] for k, v in _existing(session, caregivers, caregivers.c.name,
                                                        names, caregivers.c.id).items()}

    # interventions
    known = _existing(session, interventions, interventions.c.external_id,
                      [r.intervention_id for r in rows], interventions.c.id,
                      interventions.c.client_id, interventions.c.caregiver_id,
                      interventions.c.start_at, interventions.c.end_at, interventions.c.service)
    inserts, updates = [], []
    for r in rows:
        values = {"client_id": client_ids[r.client_id],
                  "caregiver_id": caregiver_ids.get(r.caregiver) if r.caregiver else None,
                  "start_at": r.start, "end_at": r.end, "service": r.service}
        current = known.get(r.intervention_id)
        if current is None:
            values.update(external_id=r.intervention_id, status=InterventionStatus.SCHEDULED.value)
            inserts.append(values)
        elif (current[1], current[2], _utc(current[3]), _utc(current[4]), current[5]) != (
                values["client_id"], values["caregiver_id"], _utc(r.start), _utc(r.end),
                values["service"]):
            values["_id"] = current[0]
            updates.append(values)
        else:
            report.interventions_unchanged += 1
    bar = tqdm(total=len(inserts) + len(updates), desc="Enregistrement", unit=" interventions",
               disable=not progress, leave=False)
    try:
        if inserts:
            _executemany(session, interventions.insert(), inserts, bar)
        if updates:
            stmt = (update(interventions).where(interventions.c.id == bindparam("_id"))
                    .values(client_id=bindparam("client_id"),
                            caregiver_id=bindparam("caregiver_id"),
                            start_at=bindparam("start_at"), end_at=bindparam("end_at"),
                            service=bindparam("service")))
            _executemany(session, stmt, updates, bar)
    finally:
        bar.close()
    report.interventions_created, report.interventions_updated = len(inserts), len(updates)
    if session.get_bind().dialect.name == "sqlite":
        report.pause_after = SQLITE_PAUSE
    return report
