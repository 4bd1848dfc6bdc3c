"""In-memory booking store: the repository port and a unit of work without a database, for
the unit tests of the service layer (tests/unit/test_services*.py).

``FakeRepository`` keeps the tables in dicts and answers every method of
:class:`bot.adapters.ports.AbstractRepository` with the semantics the services rely on:
references ``AMP-YYYY-NNNNNN`` counted per year, unique request references and idempotency
keys, at most one open request per intervention and kind (all three raise ``Conflict``
like the database's constraints), history, the outbox lease cycle (claim, delivered,
failed, requeue, dead after the last attempt), sectors, clients, accounts, the planning
upsert and the privacy operations (retention, forget, export).  ``FakeUnitOfWork`` runs
each ``with`` block on a deep copy of the committed store:
``commit`` swaps the copy in, leaving without it drops the copy (so a rolled-back
transaction gives its reference number back, as in the database).

What it does NOT imitate -- test those against the real store (tests/integration):

* concurrency: one transaction at a time, no locks, no ``SKIP LOCKED``, no isolation
  level; a ``Conflict`` only ever comes from the same transaction's own writes;
* the database's CHECK constraints, column lengths and foreign keys: it stores what it is
  given (an account with role ``client`` and no client is accepted, a request on an
  unknown intervention fails with a KeyError at reading, not at writing);
* ``StoreUnavailable``: there is no connection to lose;
* row ids are given back on rollback (PostgreSQL sequences are not);
* the planning import's bulk statements and progress bar (same report counts).

tests/unit/test_services_contract.py runs the behaviours it imitates on both this fake and
SQLite, so that the two cannot drift apart silently.

``FakeFeedbackRepository`` is the votes' port (``uow.feedback``), a list of (day, intent,
value, channel); it lives inside the FakeRepository copy, so it commits and rolls back with
it.  tests/integration/test_feedback_store.py runs the same votes on both.

The staff screen's ports (``uow.staff``, ``uow.unanswered``, ``uow.callbacks``) are in
tests/fakes_staff.py; their state lives in the FakeRepository too (same commit/rollback).
"""
from __future__ import annotations

import copy
import json
from dataclasses import make_dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.adapters.planning_import import ImportReport
from bot.adapters.ports import (
    OUTBOX_ROW_FIELDS, AbstractFeedbackRepository, AbstractRepository, FeedbackCount,
)
from bot.adapters.outbox_queries import INTERRUPTED_AT_LAST_ATTEMPT
from bot.domain.clock import PARIS
from bot.domain.errors import Conflict
from bot.domain.model import (
    Account, CLOSED_STATUSES, Channel, Client, Intervention, InterventionStatus, OPEN_STATUSES,
    OutboxChannel, OutboxStatus, ReasonCategory, Request, RequestHistoryEntry, RequestKind, RequestStatus,
    Role, Sector,
)
from bot.service_layer.unit_of_work import AbstractUnitOfWork
from tests.fakes_staff import (
    FakeCallbackRepository, FakeStaffRepository, FakeUnansweredRepository,
)

#: A read-only outbox row, with the attributes of the SQL one.
OutboxRow = make_dataclass("OutboxRow", OUTBOX_ROW_FIELDS, frozen=True)
OPEN = {s.value for s in OPEN_STATUSES}
#: the request's columns set by the sector office's decisions (issue 22)
DECISION_FIELDS = ("version", "outcome", "refusal_reason", "decision_note", "decided_by",
                   "decided_at", "client_told_at")
SENDING, PENDING = OutboxStatus.SENDING.value, OutboxStatus.PENDING.value


def _at(value: Optional[datetime]) -> Optional[datetime]:
    """Like the UTCDateTime column: aware datetimes only, read back in Europe/Paris."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime refused: store aware datetimes only")
    return value.astimezone(PARIS)


class FakeRepository(AbstractRepository):
    def __init__(self):
        self.sectors: Dict[str, Sector] = {}
        self.clients: Dict[str, dict] = {}          # number -> id, name, sector
        self.caregivers: Dict[str, int] = {}
        self.interventions: Dict[str, dict] = {}    # external id -> row
        self.requests: Dict[int, dict] = {}         # id -> row (column values)
        self.request_history: List[Tuple[int, RequestHistoryEntry]] = []
        self.counters: Dict[int, int] = {}          # year -> last reference number
        self.outbox: Dict[int, dict] = {}
        self.accounts: Dict[str, dict] = {}
        self._last_id: Dict[str, int] = {}
        self.feedback_votes = FakeFeedbackRepository()  # uow.feedback
        self.unanswered_rows = FakeUnansweredRepository()  # uow.unanswered
        self.callback_rows = FakeCallbackRepository(self)  # uow.callbacks

    def _new_id(self, table: str) -> int:
        self._last_id[table] = self._last_id.get(table, 0) + 1
        return self._last_id[table]

    # --- sectors, clients, accounts --------------------------------------------------------
    def get_sector(self, name: str) -> Optional[Sector]:
        return self.sectors.get(name)

    def list_sectors(self) -> List[Sector]:
        return [self.sectors[name] for name in sorted(self.sectors)]

    def upsert_sector(self, name: str, values: Dict[str, Any]) -> Sector:
        values = {k: v for k, v in values.items() if v is not None}
        current = self.sectors.get(name) or Sector(name=name, id=self._new_id("sectors"))
        self.sectors[name] = Sector(**{**current.__dict__, **values})
        return self.sectors[name]

    def sector_for_client(self, client_number: str) -> Optional[Sector]:
        client = self.clients.get(client_number)
        return self.sectors[client["sector"]] if client else None

    def client_id(self, client_number: str) -> Optional[int]:
        client = self.clients.get(client_number)
        return client["id"] if client else None

    def _client(self, client_id: int) -> Tuple[str, dict]:
        return next((n, c) for n, c in self.clients.items() if c["id"] == client_id)

    def upsert_account(self, login: str, password_hash: str, role: Role,
                       client_id: Optional[int]) -> None:
        current = self.accounts.get(login) or {"id": self._new_id("accounts")}
        self.accounts[login] = {**current, "password_hash": password_hash, "role": role.value,
                                "client_id": client_id}

    def get_account(self, login: str) -> Optional[Tuple[Account, str]]:
        row = self.accounts.get(login)
        if row is None:
            return None
        number = self._client(row["client_id"])[0] if row["client_id"] is not None else None
        return (Account(id=row["id"], login=login, role=Role(row["role"]), client_number=number),
                row["password_hash"])

    # --- interventions and the planning ------------------------------------------------------
    def _intervention(self, row: dict) -> Intervention:
        client = self.clients[row["client"]]
        return Intervention(
            id=row["id"], external_id=row["external_id"], client_number=row["client"],
            client_name=client["name"], sector=client["sector"], start=row["start"],
            end=row["end"], service=row["service"], caregiver=row["caregiver"],
            status=InterventionStatus(row["status"]))

    def _intervention_row(self, row_id: int) -> dict:
        return next(r for r in self.interventions.values() if r["id"] == row_id)

    def get_intervention(self, external_id: str) -> Optional[Intervention]:
        row = self.interventions.get(external_id)
        return self._intervention(row) if row else None

    def upcoming_interventions(self, client_number: str, after: datetime,
                               until: Optional[datetime] = None,
                               limit: Optional[int] = None) -> List[Intervention]:
        found = sorted((r for r in self.interventions.values()
                        if r["client"] == client_number and r["start"] > after
                        and r["status"] == InterventionStatus.SCHEDULED.value
                        and (until is None or r["start"] <= until)),
                       key=lambda r: (r["start"], r["id"]))
        return [self._intervention(r) for r in found[:limit or None]]

    def set_intervention_status(self, intervention_id: int, status: InterventionStatus) -> None:
        self._intervention_row(intervention_id)["status"] = status.value

    def count_interventions(self) -> int:
        return len(self.interventions)

    def apply_planning_rows(self, rows: Sequence[Any], progress: bool = False) -> ImportReport:
        report = ImportReport(rows=len(rows))
        for name in sorted({r.sector for r in rows} - set(self.sectors)):
            self.upsert_sector(name, {})
            report.sectors_created += 1
        for number, row in {r.client_id: r for r in rows}.items():
            client = self.clients.get(number)
            values = {"name": row.client_name, "sector": row.sector}
            for key, value in (("phone", row.client_phone), ("email", row.client_email)):
                values[key] = (client or {}).get(key) if value is None else (value or None)
            if client is None:
                self.clients[number] = {"id": self._new_id("clients"), **values}
                report.clients_created += 1
            elif any(client.get(k) != v for k, v in values.items()):
                client.update(values)
                report.clients_updated += 1
        for name in sorted({r.caregiver for r in rows if r.caregiver} - set(self.caregivers)):
            self.caregivers[name] = self._new_id("caregivers")
            report.caregivers_created += 1
        for r in rows:
            values = {"client": r.client_id, "caregiver": r.caregiver or None,
                      "start": _at(r.start), "end": _at(r.end), "service": r.service}
            current = self.interventions.get(r.intervention_id)
            if current is None:
                self.interventions[r.intervention_id] = {
                    "id": self._new_id("interventions"), "external_id": r.intervention_id,
                    "status": InterventionStatus.SCHEDULED.value, **values}
                report.interventions_created += 1
            elif any(current[k] != v for k, v in values.items()):
                current.update(values)
                report.interventions_updated += 1
            else:
                report.interventions_unchanged += 1
        return report

    # --- requests ---------------------------------------------------------------------------------
    def _request(self, row: dict, history=()) -> Request:
        number, client = self._client(row["client_id"])
        intervention = self._intervention_row(row["intervention_id"])
        reason = row.get("reason_category")
        return Request(
            id=row["id"], reference=row["reference"], kind=RequestKind(row["kind"]),
            client_number=number, client_name=client["name"], sector=client["sector"],
            intervention_external_id=intervention["external_id"],
            intervention_start=intervention["start"], intervention_end=intervention["end"],
            caregiver=intervention["caregiver"], service=intervention["service"],
            channel=Channel(row["channel"]), actor=row["actor"],
            decision_code=row["decision_code"], billable=row["billable"],
            exemption_pending=bool(row["exemption_pending"]),
            out_of_notice=bool(row["out_of_notice"]),
            notice=timedelta(seconds=row["notice_seconds"]),
            reason=ReasonCategory(reason) if reason else None,
            new_start=row.get("new_start_at"), new_end=row.get("new_end_at"),
            status=RequestStatus(row["status"]), created_at=row["created_at"],
            updated_at=row["updated_at"], history=tuple(history),
            **{f: row.get(f, 0 if f == "version" else None) for f in DECISION_FIELDS})

    def _find(self, **where) -> Optional[dict]:
        return next((r for r in self.requests.values()
                     if all(r.get(k) == v for k, v in where.items())), None)

    def get_request(self, reference: str, with_history: bool = True) -> Optional[Request]:
        row = self._find(reference=reference)
        if row is None:
            return None
        return self._request(row, self.history(row["id"]) if with_history else ())

    def history(self, request_id: int) -> List[RequestHistoryEntry]:
        return [entry for rid, entry in self.request_history if rid == request_id]

    def find_open_request(self, intervention_id: int, kind: RequestKind) -> Optional[Request]:
        row = next((r for r in self.requests.values() if r["intervention_id"] == intervention_id
                    and r["kind"] == kind.value and r["status"] in OPEN), None)
        return self._request(row) if row else None

    def find_request_by_key(self, key: str) -> Optional[Request]:
        row = self._find(idempotency_key=key)
        return self._request(row) if row else None

    def list_requests(self, *, sector: Optional[str] = None, status: Optional[str] = None,
                      client_number: Optional[str] = None, kind: Optional[str] = None,
                      open_only: bool = False, limit: Optional[int] = None,
                      newest_first: bool = False) -> List[Request]:
        found = [self._request(r) for r in self.requests.values()
                 if (not status or r["status"] == status) and (not kind or r["kind"] == kind)
                 and (not open_only or r["status"] in OPEN)]
        found = [r for r in found if (not sector or r.sector == sector)
                 and (not client_number or r.client_number == client_number)]
        found.sort(key=lambda r: (r.created_at, r.id), reverse=newest_first)
        return found[:limit or None]

    def next_reference(self, year: int) -> str:
        self.counters[year] = self.counters.get(year, 0) + 1
        return f"AMP-{year}-{self.counters[year]:06d}"

    def add_request(self, **values) -> int:
        key = values.get("idempotency_key")
        if (self._find(reference=values["reference"])
                or (key is not None and self._find(idempotency_key=key))
                or (values["status"] in OPEN and any(
                    r["intervention_id"] == values["intervention_id"]
                    and r["kind"] == values["kind"] and r["status"] in OPEN
                    for r in self.requests.values()))):
            raise Conflict()
        for column in ("created_at", "updated_at", "new_start_at", "new_end_at"):
            values[column] = _at(values.get(column))
        request_id = self._new_id("requests")
        self.requests[request_id] = {**values, "id": request_id}
        return request_id

    def update_request_status(self, request_id: int, status: RequestStatus,
                              now: datetime) -> None:
        self.requests[request_id].update(status=status.value, updated_at=_at(now))

    def update_request_status_if(self, request_id: int, from_status: RequestStatus,
                                 to_status: RequestStatus, now: datetime) -> bool:
        if self.requests[request_id]["status"] != from_status.value:
            return False
        self.update_request_status(request_id, to_status, now)
        return True

    def add_history(self, request_id: int, at: datetime, actor: str,
                    from_status: Optional[RequestStatus], to_status: RequestStatus,
                    note: Optional[str] = None, decision: Optional[str] = None) -> None:
        self.request_history.append((request_id, RequestHistoryEntry(
            at=_at(at), actor=actor, from_status=from_status, to_status=to_status, note=note,
            decision=decision)))

    def intervention_row_id(self, request_id: int) -> int:
        return self.requests[request_id]["intervention_id"]

    # --- outbox -------------------------------------------------------------------------------------
    def add_outbox(self, request_id: int, channel: OutboxChannel, payload: Dict[str, Any],
                   now: datetime, idempotency_key: str) -> None:
        if any(m["idempotency_key"] == idempotency_key for m in self.outbox.values()):
            raise Conflict()
        message_id = self._new_id("outbox")
        self.outbox[message_id] = dict(
            id=message_id, request_id=request_id, callback_id=None, channel=channel.value,
            payload=json.loads(json.dumps(payload)),  # a JSON column
            status=PENDING, attempts=0, next_attempt_at=_at(now), lease_owner=None,
            lease_until=None, last_error=None, delivered_at=None,
            idempotency_key=idempotency_key, created_at=_at(now))

    def _outbox_row(self, message: dict) -> Any:
        if message["callback_id"] is not None:  # a callback's message (tests/fakes_staff.py)
            callback = self.callback_rows.by_id(message["callback_id"])
            reference, status = callback.reference, callback.status.value
            client = self.clients[callback.client_number]
        else:
            request = self.requests[message["request_id"]]
            reference, status = request["reference"], request["status"]
            client = self._client(request["client_id"])[1]
        sector = self.sectors[client["sector"]]
        return OutboxRow(**message, reference=reference,
                         request_status=status, sector_name=sector.name,
                         office_email=sector.office_email, webhook_url=sector.webhook_url,
                         webhook_secret=sector.webhook_secret, client_email=client.get("email"))

    def _messages(self, where) -> List[dict]:
        return [m for _, m in sorted(self.outbox.items()) if where(m)]

    def list_outbox(self, *, status: Optional[str] = None, reference: Optional[str] = None,
                    references: Optional[Sequence[str]] = None,
                    message_id: Optional[int] = None, limit: Optional[int] = None) -> List[Any]:
        rows = [self._outbox_row(m) for m in self._messages(
            lambda m: (not status or m["status"] == status)
            and (message_id is None or m["id"] == message_id))]
        rows = [r for r in rows if (not reference or r.reference == reference)
                and (references is None or r.reference in references)]
        return rows[:limit or None]

    def claim_outbox(self, *, now: datetime, due_before: datetime, owner: str,
                     lease_until: datetime, limit: int, max_attempts: int) -> List[Any]:
        def expired(m):
            return m["status"] == SENDING and m["lease_until"] is not None \
                and m["lease_until"] < now

        for m in self._messages(lambda m: expired(m) and m["attempts"] >= max_attempts):
            m.update(status=OutboxStatus.DEAD.value, lease_owner=None, lease_until=None,
                     last_error=INTERRUPTED_AT_LAST_ATTEMPT)
        due = self._messages(lambda m: (m["status"] == PENDING
                                        and m["next_attempt_at"] <= due_before)
                             or (expired(m) and m["attempts"] < max_attempts))
        for m in sorted(due, key=lambda m: (m["next_attempt_at"], m["id"]))[:limit]:
            m.update(status=SENDING, lease_owner=owner, lease_until=_at(lease_until),
                     attempts=m["attempts"] + 1)
        return [self._outbox_row(m) for m in self._messages(
            lambda m: m["lease_owner"] == owner and m["status"] == SENDING)]

    def outbox_delivered(self, message_id: int, now: datetime) -> bool:
        message = self.outbox.get(message_id)
        if message is None or message["status"] == OutboxStatus.DELIVERED.value:
            return False
        message.update(status=OutboxStatus.DELIVERED.value, delivered_at=_at(now),
                       lease_owner=None, lease_until=None, last_error=None)
        return True

    def outbox_failed(self, message_id: int, owner: str, *, error: str,
                      next_attempt_at: datetime, dead: bool, count_attempt: bool = True) -> bool:
        message = self.outbox.get(message_id)
        if message is None or message["lease_owner"] != owner or message["status"] != SENDING:
            return False
        message.update(status=(OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
                       last_error=error[:2000], next_attempt_at=_at(next_attempt_at),
                       lease_owner=None, lease_until=None)
        if not count_attempt:
            message["attempts"] = max(message["attempts"] - 1, 0)
        return True

    def undelivered_count(self, request_id: int) -> int:
        return len(self._messages(lambda m: m["request_id"] == request_id
                                  and m["callback_id"] is None
                                  and m["channel"] != OutboxChannel.CLIENT_EMAIL.value
                                  and m["status"] != OutboxStatus.DELIVERED.value))

    def requeue_outbox(self, *, now: datetime, message_id: Optional[int] = None,
                       statuses: Sequence[OutboxStatus] = (OutboxStatus.DEAD,),
                       reset_attempts: bool = True) -> int:
        wanted = {s.value for s in statuses}
        chosen = self._messages(lambda m: m["status"] in wanted
                                and (message_id is None or m["id"] == message_id)
                                and (m["status"] != SENDING or (m["lease_until"] is not None
                                                                and m["lease_until"] < now)))
        for m in chosen:
            m.update(status=PENDING, next_attempt_at=_at(now), lease_owner=None,
                     lease_until=None, **({"attempts": 0} if reset_attempts else {}))
        return len(chosen)

    # --- privacy: retention, forget, export ----------------------------------------------------
    def get_client(self, client_number: str) -> Optional[Client]:
        c = self.clients.get(str(client_number))
        return Client(number=str(client_number), name=c["name"], sector=c["sector"],
                      id=c["id"]) if c else None

    def client_interventions(self, client_number: str) -> List[Intervention]:
        return [self._intervention(r) for r in sorted(self.interventions.values(), key=lambda r: (
            r["start"], r["id"])) if r["client"] == str(client_number)]

    def client_accounts(self, client_number: str) -> List[Account]:
        client_id = self.client_id(str(client_number))
        return [self.get_account(login)[0] for login, a in sorted(
            self.accounts.items(), key=lambda i: i[1]["id"]) if a["client_id"] == client_id]

    def delete_client_accounts(self, client_number: str) -> int:
        logins = [a.login for a in self.client_accounts(client_number)]
        for login in logins:
            del self.accounts[login]
        return len(logins)

    def rename_client(self, client_number: str, name: str) -> bool:
        client = self.clients.get(str(client_number))
        if client:
            client["name"] = name
        return client is not None

    def request_keys(self, client_number: str) -> List[str]:
        client_id = self.client_id(str(client_number))
        return [r["idempotency_key"] for _, r in sorted(self.requests.items())
                if r["client_id"] == client_id and r.get("idempotency_key")]

    def closed_requests_before(self, before: datetime, marker: str) -> List[int]:
        closed = {s.value for s in CLOSED_STATUSES}
        return sorted(i for i, r in self.requests.items() if r["status"] in closed
                      and r["updated_at"] < before and r["actor"] != marker)

    def anonymise_requests(self, request_ids: Sequence[int], marker: str) -> int:
        changed = 0
        for rid in request_ids:
            row = self.requests[rid]
            self.request_history = [(i, e if i != rid else RequestHistoryEntry(
                at=e.at, actor=marker if e.actor == row["actor"] else e.actor,
                from_status=e.from_status, to_status=e.to_status, note=None,
                decision=e.decision))
                for i, e in self.request_history]
            changed += row["actor"] != marker
            row.update(actor=marker, idempotency_key=None, reason_category=None,
                       decision_note=None)
        return changed

    def outbox_of_requests(self, request_ids: Sequence[int]) -> List[Tuple[int, str]]:
        return [(m["id"], m["status"]) for m in self._messages(
            lambda m: m["callback_id"] is None and m["request_id"] in set(request_ids))]

    def delivered_outbox_before(self, before: datetime) -> List[int]:
        return [m["id"] for m in self._messages(lambda m: m["status"] == "delivered"
                                                and m["delivered_at"] < before and m["payload"])]

    def empty_outbox_payloads(self, message_ids: Sequence[int]) -> int:
        chosen = self._messages(lambda m: m["id"] in set(message_ids) and m["payload"])
        for m in chosen:
            m["payload"] = {}
        return len(chosen)

    def stop_outbox(self, message_ids: Sequence[int], error: str) -> int:
        chosen = self._messages(lambda m: m["id"] in set(message_ids)
                                and m["status"] in (PENDING, SENDING))
        for m in chosen:
            m.update(status=OutboxStatus.DEAD.value, lease_owner=None, lease_until=None,
                     last_error=error[:2000])
        return len(chosen)


class FakeFeedbackRepository(AbstractFeedbackRepository):
    def __init__(self):
        self.rows: List[Tuple[date, str, int, str]] = []

    def add(self, day: date, intent: str, value: int, channel: str) -> None:
        self.rows.append((day, intent, value, channel))

    def counts(self, since: Optional[date] = None,
               until: Optional[date] = None) -> List[FeedbackCount]:
        found: Dict[str, List[int]] = {}
        for day, intent, value, _channel in self.rows:
            if (since is None or day >= since) and (until is None or day <= until):
                up_down = found.setdefault(intent, [0, 0])
                up_down[0 if value > 0 else 1] += 1
        return [FeedbackCount(intent, up, down) for intent, (up, down) in found.items()]

    def purge_before(self, day: date) -> int:
        kept = [r for r in self.rows if r[0] >= day]
        deleted, self.rows = len(self.rows) - len(kept), kept
        return deleted


class FakeUnitOfWork(AbstractUnitOfWork):
    """``store`` is the committed state; inside a ``with`` block ``repo`` is a copy of it.
    Several units of work given the same ``store`` see each other's commits (a commit
    updates it in place), one block after the other: a commit replaces the whole store."""

    def __init__(self, store: Optional[FakeRepository] = None):
        self.store = store if store is not None else FakeRepository()
        self.repo: Optional[FakeRepository] = None
        self.committed = False  # whether the last block committed
        self.commits = 0

    @property
    def feedback(self) -> Optional[FakeFeedbackRepository]:
        return self.repo.feedback_votes if self.repo is not None else None

    @property
    def staff(self) -> Optional[FakeStaffRepository]:
        return FakeStaffRepository(self.repo) if self.repo is not None else None

    @property
    def office(self):
        from tests.fakes_office import FakeOfficeRepository

        return FakeOfficeRepository(self.repo) if self.repo is not None else None

    @property
    def unanswered(self) -> Optional[FakeUnansweredRepository]:
        return self.repo.unanswered_rows if self.repo is not None else None

    @property
    def callbacks(self) -> Optional[FakeCallbackRepository]:
        return self.repo.callback_rows if self.repo is not None else None

    def __enter__(self) -> "FakeUnitOfWork":
        self.repo = copy.deepcopy(self.store)
        self.committed = False
        return self

    def __exit__(self, exc_type, exc, tb):
        self.repo = None  # the uncommitted copy is dropped: a rollback, and a closed session
        return False

    def commit(self) -> None:
        self.store.__dict__ = self.repo.__dict__  # in place, for every unit of work on it
        self.repo = copy.deepcopy(self.store)
        self.committed = True
        self.commits += 1

    def rollback(self) -> None:
        self.repo = copy.deepcopy(self.store)
