"""The sector office's CSV files (issue 22, docs/office-contract.md), built to open as is in
a French Excel: ``;`` between cells, UTF-8 with a byte order mark (without it Excel reads
Windows-1252 and breaks the accents), CRLF line ends, dates as ``JJ/MM/AAAA HH:MM`` in
Paris time, French column headers.  Pure: the rows come from the items of the office's API.

Formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be run as a formula by a spreadsheet (a client's name typed as
``=HYPERLINK(…)``).  Such a cell is written with a leading apostrophe (``'=…``): Excel and
LibreOffice show it as text; the apostrophe is visible in a text editor, which is the price
of never running what a visitor typed (the OWASP « CSV injection » advice).  Numbers (counts)
are written as numbers and never prefixed.

>>> neutral("=1+1"), neutral("Jeanne"), neutral("+33 6 00")
("'=1+1", 'Jeanne', "'+33 6 00")
>>> paris_datetime("2026-12-08T08:00:00+00:00")
'08/12/2026 09:00'
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any, Iterable, List, Mapping, Optional, Sequence

from bot.domain.clock import PARIS

DELIMITER = ";"
#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REQUEST_COLUMNS = (
    "Référence", "Type", "Statut", "Décision du bureau", "Client n°", "Client", "Secteur",
    "Intervention (début)", "Demande", "Nouveau créneau", "Règle", "Facturation", "Motif",
    "Canal", "Saisi par", "Reçue le", "Décidée par", "Décidée le", "Précision")
SUMMARY_COLUMNS = ("Type", "Décision", "Nombre")
BILLED_COLUMNS = ("Référence", "Client", "Intervention", "Décision")


def neutral(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would take for a formula gets a leading
    apostrophe; None is empty; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def paris_datetime(value: Any) -> str:
    """``JJ/MM/AAAA HH:MM`` in Paris time for an ISO date-time (a naive one is taken as UTC,
    the store's convention); anything else is given back as text, empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _document(rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, quotechar='"', lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([neutral(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def _client(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {"number": None, "name": value}


def _decision(item: Mapping[str, Any]) -> str:
    outcome = item.get("outcome_label") or ""
    refusal = item.get("refusal_label")
    if refusal and refusal not in outcome:
        return f"{outcome} (motif : {refusal})" if outcome else f"motif : {refusal}"
    return outcome


def _decided(item: Mapping[str, Any]) -> str:
    """When the office decided: the ISO ``decided_at`` when the item has it, else its label."""
    if item.get("decided_at"):
        return paris_datetime(item["decided_at"])
    return item.get("decided_label") or ""


def request_row(item: Mapping[str, Any]) -> List[Any]:
    client = _client(item.get("client") or {})
    return [item.get("reference"), item.get("kind_label"), item.get("status_label"),
            _decision(item), client.get("number"), client.get("name"), item.get("sector"),
            paris_datetime(item.get("intervention_start")), item.get("asked"),
            item.get("new_slot"), item.get("rule"), item.get("billing"),
            item.get("reason_label"), item.get("channel_label"), item.get("actor"),
            paris_datetime(item.get("received_at")), item.get("decided_by"), _decided(item),
            item.get("note")]


def requests_csv(items: Iterable[Mapping[str, Any]]) -> bytes:
    """The office's filtered list (items of ``/api/bureau/demandes``), one row each."""
    return _document([REQUEST_COLUMNS, *(request_row(item) for item in items)])


def summary_csv(summary: Mapping[str, Any]) -> bytes:
    """The month's summary (``/api/bureau/synthese``): a title line, the counts by type and
    decision with their total, then the late cancellations that were billed."""
    label: Optional[str] = summary.get("label") or summary.get("month")
    rows: List[Sequence[Any]] = [[f"Synthèse du mois : {label}"], [], SUMMARY_COLUMNS]
    for row in summary.get("rows") or ():
        rows.append([row.get("kind_label"), row.get("outcome_label"), row.get("count", 0)])
    rows.append(["Total", "", summary.get("total", 0)])
    rows += [[], ["Annulations tardives facturées"], BILLED_COLUMNS]
    for billed in summary.get("billed_late_cancellations") or ():
        client = _client(billed.get("client"))
        name = client.get("name") or ""
        if client.get("number") is not None:
            name = f"{name} (n° {client['number']})".strip()
        rows.append([billed.get("reference"), name,
                     paris_datetime(billed.get("intervention")),
                     paris_datetime(billed.get("decided"))])
    return _document(rows)
