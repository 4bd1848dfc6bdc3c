"""Planning import from the provider's CSV export: applying the rows read and validated by
:mod:`bot.adapters.planning_rows` (columns, dates, validation: see there).

Applying is an idempotent upsert keyed by ``intervention_id``, using bulk statements, in
batches of :data:`BATCH_ROWS` rows, one transaction each (the service layer commits each
batch, so the chat's requests get the database between two batches; a failure after some
batches leaves them written and re-running the same file completes the import).
Interventions absent from the file are left as they are (a file may cover only a period).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Sequence, Tuple

from sqlalchemy import bindparam, select, update
from tqdm import tqdm

from bot.adapters.orm import caregivers, clients, interventions, sectors
from bot.adapters.planning_rows import (  # noqa: F401 - the import's public names
    COLUMNS, CONTACT_COLUMNS, MAX_DURATION, MAX_LENGTH, REQUIRED, PlanningRow,
    detect_separator, localize_paris, parse_datetime, read_planning,
)
from bot.domain.model import InterventionStatus
from bot.domain.text_keys import search_key

CHUNK = 500          # IN (...) lists
WRITE_CHUNK = 5000   # executemany batches
#: rows per transaction of an import: ~0.1 s of writing on SQLite (measured in
#: docs/measurements.md, « import et demandes en même temps »)
BATCH_ROWS = 2000
#: pause after each batch on SQLite, whose writer lock is no queue: a waiting writer retries
#: every 100 ms, and would miss a lock freed for an instant (PostgreSQL queues lock waits)
SQLITE_PAUSE = 0.11


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


def _contact(value, current):
    """A row's phone or e-mail: None (column absent) keeps ``current``, "" erases it."""
    return current if value is None else (value or None)


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

    # clients (phone and e-mail: None in a row = not in the file, left as they are)
    wanted: Dict[str, Tuple[str, int, object, object]] = {}
    for r in rows:
        wanted[r.client_id] = (r.client_name, sector_ids[r.sector], r.client_phone,
                               r.client_email)
    known = _existing(session, clients, clients.c.number, sorted(wanted),
                      clients.c.id, clients.c.name, clients.c.sector_id, clients.c.phone,
                      clients.c.email, clients.c.search_key)
    new, changed = [], []
    for number, (name, sid, phone, email) in wanted.items():
        current = known.get(number)
        values = {"name": name, "sector_id": sid,
                  "phone": _contact(phone, current[3] if current else None),
                  "email": _contact(email, current[4] if current else None)}
        values["search_key"] = search_key(name, values["phone"])
        if current is None:
            new.append({"number": number, **values})
        elif current[1:] != tuple(values.values()):
            changed.append({"_id": current[0], **values})
    if new:
        _executemany(session, clients.insert(), new)
    if changed:
        _executemany(session, update(clients).where(clients.c.id == bindparam("_id"))
                     .values(name=bindparam("name"), sector_id=bindparam("sector_id"),
                             phone=bindparam("phone"), email=bindparam("email"),
                             search_key=bindparam("search_key")), changed)
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
