"""In-memory staff-screen ports (issue 21), for tests/fakes.py's ``FakeUnitOfWork``:
``uow.staff`` is a view over the FakeRepository's clients, accounts and caregivers (account
sectors in ``accounts[login]["sectors"]``, phone and e-mail in ``clients[number]``);
``uow.unanswered`` and ``uow.callbacks`` keep their rows inside the FakeRepository, so the
three commit and roll back with it.  tests/integration/test_staff_store.py runs the same
cases on this fake and on SQLite.

A callback's messages to the office go into the FakeRepository's ``outbox`` (with
``callback_id`` set, ``request_id`` None), where the fake dispatcher cycle reads them like a
request's; its ``RAP-`` numbers are counted per year and never given twice (as the
database's counter row), even after ``delete_for_client`` or ``purge_before``.

Not imitated: the CHECK constraints and lengths, concurrency (a reference taken by another
transaction), foreign keys."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.adapters.staff_ports import (
    AbstractCallbackRepository, AbstractStaffRepository, AbstractUnansweredRepository,
)
from bot.domain.clock import PARIS
from bot.domain.errors import Conflict
from bot.domain.model import OutboxChannel, OutboxStatus, RequestStatus
from bot.domain.staff import Callback, ClientSummary, UnansweredKind, UnansweredQuestion
from bot.domain.text_keys import search_key


class FakeStaffRepository(AbstractStaffRepository):
    def __init__(self, repo):
        self.repo = repo  # the FakeRepository (copy) of the current block

    def account_sectors(self, login: str) -> List[str]:
        account = self.repo.accounts.get(login)
        return sorted(account.get("sectors", ())) if account else []

    def set_account_sectors(self, login: str, sectors: Sequence[str]) -> None:
        self.repo.accounts[login]["sectors"] = sorted(set(sectors) & set(self.repo.sectors))

    def find_clients(self, sectors: Sequence[str], terms: Sequence[str],
                     limit: int) -> List[ClientSummary]:
        wanted, found = set(sectors), []
        for number, c in sorted(self.repo.clients.items()):
            key = search_key(c["name"], c.get("phone"))
            if c["sector"] in wanted and terms and all(
                    t in key or number.lower().startswith(t) for t in terms):
                found.append(ClientSummary(number, c["name"], c.get("phone"), c["sector"]))
        return found[:limit]

    def client_summary(self, client_number: str) -> Optional[ClientSummary]:
        c = self.repo.clients.get(str(client_number))
        return ClientSummary(str(client_number), c["name"], c.get("phone"), c["sector"],
                             c.get("email")) if c else None

    def set_client_contact(self, client_number: str, phone: Optional[str],
                           email: Optional[str]) -> bool:
        c = self.repo.clients.get(str(client_number))
        if c is not None:
            c.update(phone=phone, email=email)
        return c is not None

    def planning_names(self) -> List[str]:
        return sorted({c["name"] for c in self.repo.clients.values()} | set(self.repo.caregivers))


class FakeUnansweredRepository(AbstractUnansweredRepository):
    def __init__(self):
        self.rows: Dict[int, UnansweredQuestion] = {}
        self.last_id = 0

    def add(self, text: str, kind: UnansweredKind, asked_on: date) -> int:
        self.last_id += 1
        self.rows[self.last_id] = UnansweredQuestion(self.last_id, text, UnansweredKind(kind),
                                                     asked_on)
        return self.last_id

    def list(self, since: Optional[date] = None) -> List[UnansweredQuestion]:
        return [q for _, q in sorted(self.rows.items()) if since is None or q.asked_on >= since]

    def label(self, ids: Sequence[int], topic: str, by: str) -> int:
        found = [int(i) for i in set(ids) if int(i) in self.rows]
        for i in found:
            self.rows[i] = replace(self.rows[i], topic=topic, labelled_by=by)
        return len(found)

    def labelled(self) -> List[UnansweredQuestion]:
        return [q for q in self.list() if q.topic is not None]

    def purge_before(self, day: date) -> int:
        old = [i for i, q in self.rows.items() if q.asked_on < day]
        for i in old:
            del self.rows[i]
        return len(old)


class FakeCallbackRepository(AbstractCallbackRepository):
    def __init__(self, repo):
        self.repo = repo
        self.rows: Dict[str, Callback] = {}
        self.last_id = 0
        self.counters: Dict[int, int] = {}  # year -> last RAP number given

    def next_reference(self, year: int) -> str:
        prefix = f"RAP-{year}-"
        taken = [int(r[len(prefix):]) for r in self.rows if r.startswith(prefix)]
        self.counters[year] = max([self.counters.get(year, 0), *taken]) + 1
        return f"{prefix}{self.counters[year]:05d}"

    def by_id(self, callback_id: int) -> Callback:
        return next(c for c in self.rows.values() if c.id == callback_id)

    def add(self, callback: Callback) -> Callback:
        if callback.reference in self.rows:
            raise Conflict()
        client = self.repo.clients[callback.client_number]
        self.last_id += 1
        self.rows[callback.reference] = replace(
            callback, id=self.last_id, sector=client["sector"], client_name=client["name"],
            created_at=callback.created_at.astimezone(PARIS))
        return self.rows[callback.reference]

    def get(self, reference: str) -> Optional[Callback]:
        found = self.rows.get(reference)
        if found is None:
            return None
        client = self.repo.clients[found.client_number]  # names as they are now
        return replace(found, client_name=client["name"], sector=client["sector"])

    def for_client(self, client_number: str) -> List[Callback]:
        return sorted((self.get(r) for r, c in self.rows.items()
                       if c.client_number == str(client_number)),
                      key=lambda c: (c.created_at, c.id))

    def delete_for_client(self, client_number: str) -> int:
        gone = [r for r, c in self.rows.items() if c.client_number == str(client_number)]
        ids = {self.rows[r].id for r in gone}
        for message_id in [i for i, m in self.repo.outbox.items() if m["callback_id"] in ids]:
            del self.repo.outbox[message_id]
        for r in gone:
            del self.rows[r]
        return len(gone)

    def purge_before(self, before: datetime) -> int:
        done = {OutboxStatus.DELIVERED.value, OutboxStatus.DEAD.value}
        undone = {m["callback_id"] for m in self.repo.outbox.values()
                  if m["callback_id"] is not None and m["status"] not in done}
        gone = [r for r, c in self.rows.items() if c.created_at < before and c.id not in undone]
        ids = {self.rows[r].id for r in gone}
        for message_id in [i for i, m in self.repo.outbox.items() if m["callback_id"] in ids]:
            del self.repo.outbox[message_id]
        for r in gone:
            del self.rows[r]
        return len(gone)

    # --- their messages to the office, in the FakeRepository's outbox -------------------------
    def add_outbox(self, callback_id: int, channel: OutboxChannel, payload: Dict[str, Any],
                   now: datetime, idempotency_key: str) -> None:
        if any(m["idempotency_key"] == idempotency_key for m in self.repo.outbox.values()):
            raise Conflict()
        message_id = self.repo._new_id("outbox")
        now = now.astimezone(PARIS)
        self.repo.outbox[message_id] = dict(
            id=message_id, request_id=None, callback_id=callback_id, channel=channel.value,
            payload=json.loads(json.dumps(payload)), status=OutboxStatus.PENDING.value,
            attempts=0, next_attempt_at=now, lease_owner=None, lease_until=None,
            last_error=None, delivered_at=None, idempotency_key=idempotency_key,
            created_at=now)

    def undelivered_count(self, callback_id: int) -> int:
        return sum(1 for m in self.repo.outbox.values() if m["callback_id"] == callback_id
                   and m["status"] != OutboxStatus.DELIVERED.value)

    def update_status_if(self, callback_id: int, from_status: RequestStatus,
                         to_status: RequestStatus) -> bool:
        found = next((r for r, c in self.rows.items() if c.id == callback_id), None)
        if found is None or self.rows[found].status != from_status:
            return False
        self.rows[found] = replace(self.rows[found], status=to_status)
        return True

    def outbox_of_client(self, client_number: str) -> List[Tuple[int, str]]:
        ids = {c.id for c in self.rows.values() if c.client_number == str(client_number)}
        return [(i, m["status"]) for i, m in sorted(self.repo.outbox.items())
                if m["callback_id"] in ids]
