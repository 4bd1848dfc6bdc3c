"""The staff screen's data in the booking store: the sectors of staff accounts, the clients
a staff member may look up, the planning's names (:class:`SqlAlchemyStaffRepository`) and
callback requests with their messages to the office (:class:`SqlAlchemyCallbackRepository`;
the outbox's other queries, shared with the requests, in :mod:`bot.adapters.outbox_queries`).

Implement the ports of :mod:`bot.adapters.staff_ports` inside the unit of work's session;
never commit."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.adapters.orm import (
    account_sectors, accounts, callbacks, caregivers, clients, outbox, reference_counters,
    sectors,
)
from bot.adapters.outbox_queries import outbox_values
from bot.adapters.staff_ports import AbstractCallbackRepository, AbstractStaffRepository
from bot.domain.errors import Conflict
from bot.domain.model import OutboxChannel, OutboxStatus, RequestStatus
from bot.domain.staff import Callback, CallbackTopic, ClientSummary
from bot.domain.text_keys import search_key

CALLBACK_PREFIX = "RAP"
PURGE_CHUNK = 500  # callbacks deleted per statement (bound parameters stay few)


def callback_counter_key(year: int) -> int:
    """The row of ``reference_counters`` that counts the year's callbacks: ``-year`` (the
    requests' ``AMP-`` references count on ``year``)."""
    return -year


class SqlAlchemyStaffRepository(AbstractStaffRepository):
    def __init__(self, session: Session):
        self.session = session

    def account_sectors(self, login: str) -> List[str]:
        stmt = (select(sectors.c.name)
                .join(account_sectors, account_sectors.c.sector_id == sectors.c.id)
                .join(accounts, accounts.c.id == account_sectors.c.account_id)
                .where(accounts.c.login == login).order_by(sectors.c.name))
        return list(self.session.execute(stmt).scalars())

    def set_account_sectors(self, login: str, names: Sequence[str]) -> None:
        account_id = self.session.execute(
            select(accounts.c.id).where(accounts.c.login == login)).scalar_one()
        self.session.execute(delete(account_sectors)
                             .where(account_sectors.c.account_id == account_id))
        ids = self.session.execute(select(sectors.c.id).where(
            sectors.c.name.in_(sorted(set(names))))).scalars().all()
        if ids:
            self.session.execute(insert(account_sectors),
                                 [{"account_id": account_id, "sector_id": i} for i in ids])

    def find_clients(self, names: Sequence[str], terms: Sequence[str],
                     limit: int) -> List[ClientSummary]:
        if not names or not terms:
            return []
        stmt = (select(clients.c.number, clients.c.name, clients.c.phone,
                       sectors.c.name.label("sector"))
                .join(sectors, sectors.c.id == clients.c.sector_id)
                .where(sectors.c.name.in_(list(names)))
                .order_by(clients.c.number).limit(limit))
        for term in terms:  # a-z 0-9 only: nothing to escape in LIKE
            stmt = stmt.where(or_(clients.c.search_key.like(f"%{term}%"),
                                  func.lower(clients.c.number).like(f"{term}%")))
        return [ClientSummary(*row) for row in self.session.execute(stmt)]

    def client_summary(self, client_number: str) -> Optional[ClientSummary]:
        row = self.session.execute(
            select(clients.c.number, clients.c.name, clients.c.phone, sectors.c.name,
                   clients.c.email)
            .join(sectors, sectors.c.id == clients.c.sector_id)
            .where(clients.c.number == str(client_number))).first()
        return ClientSummary(*row) if row else None

    def set_client_contact(self, client_number: str, phone: Optional[str],
                           email: Optional[str]) -> bool:
        name = self.session.execute(select(clients.c.name).where(
            clients.c.number == str(client_number))).scalar_one_or_none()
        if name is None:
            return False
        self.session.execute(update(clients).where(clients.c.number == str(client_number))
                             .values(phone=phone, email=email,
                                     search_key=search_key(name, phone)))
        return True

    def planning_names(self) -> List[str]:
        found = set(self.session.execute(select(clients.c.name)).scalars())
        found |= set(self.session.execute(select(caregivers.c.name)).scalars())
        return sorted(found)


def _callback_select():
    return (select(callbacks, clients.c.number.label("client_number"),
                   clients.c.name.label("client_name"), sectors.c.name.label("sector_name"))
            .join(clients, clients.c.id == callbacks.c.client_id)
            .join(sectors, sectors.c.id == callbacks.c.sector_id))


def _callback(row) -> Callback:
    return Callback(reference=row.reference, client_number=row.client_number,
                    sector=row.sector_name, phone=row.phone, best_time=row.best_time,
                    topic=CallbackTopic(row.topic), actor=row.actor,
                    created_at=row.created_at, status=RequestStatus(row.status),
                    client_name=row.client_name, id=row.id)


class SqlAlchemyCallbackRepository(AbstractCallbackRepository):
    def __init__(self, session: Session):
        self.session = session

    def _insert_nested(self, stmt) -> Any:
        """An INSERT in a savepoint: refused (Conflict), the transaction stays usable."""
        try:
            with self.session.begin_nested():
                return self.session.execute(stmt)
        except IntegrityError as error:
            raise Conflict() from error

    def next_reference(self, year: int) -> str:
        """The counter row is locked by the UPDATE until the transaction ends; a store
        whose callbacks predate the counter (0003) continues after their highest."""
        prefix, key = f"{CALLBACK_PREFIX}-{year}-", callback_counter_key(year)
        dialect = self.session.get_bind().dialect.name
        self.session.execute((pg_insert if dialect == "postgresql" else sqlite_insert)(
            reference_counters).values(year=key, last_value=0)
            .on_conflict_do_nothing(index_elements=["year"]))
        counter = reference_counters.c.last_value
        self.session.execute(update(reference_counters).where(reference_counters.c.year == key)
                             .values(last_value=counter + 1))
        number = self.session.execute(select(counter).where(
            reference_counters.c.year == key)).scalar_one()
        last = self.session.execute(select(func.max(callbacks.c.reference)).where(
            callbacks.c.reference.like(prefix + "%"))).scalar_one_or_none()
        if last and int(last[len(prefix):]) >= number:
            number = int(last[len(prefix):]) + 1
            self.session.execute(update(reference_counters).where(
                reference_counters.c.year == key).values(last_value=number))
        return f"{prefix}{number:05d}"

    def add(self, callback: Callback) -> Callback:
        client = self.session.execute(
            select(clients.c.id, clients.c.sector_id)
            .where(clients.c.number == callback.client_number)).one()
        values = dict(reference=callback.reference, client_id=client.id,
                      sector_id=client.sector_id, phone=callback.phone,
                      best_time=callback.best_time, topic=callback.topic.value,
                      actor=callback.actor, status=callback.status.value,
                      created_at=callback.created_at)
        self._insert_nested(insert(callbacks).values(**values))  # a taken reference: Conflict
        return self.get(callback.reference)

    def get(self, reference: str) -> Optional[Callback]:
        row = self.session.execute(
            _callback_select().where(callbacks.c.reference == reference)).first()
        return _callback(row) if row else None

    def for_client(self, client_number: str) -> List[Callback]:
        rows = self.session.execute(
            _callback_select().where(clients.c.number == str(client_number))
            .order_by(callbacks.c.created_at, callbacks.c.id))
        return [_callback(r) for r in rows]

    def _ids_of_client(self, client_number: str):
        client_id = select(clients.c.id).where(clients.c.number == str(client_number))
        return select(callbacks.c.id).where(
            callbacks.c.client_id.in_(client_id.scalar_subquery())).scalar_subquery()

    def delete_for_client(self, client_number: str) -> int:
        ids = self._ids_of_client(client_number)
        self.session.execute(delete(outbox).where(outbox.c.callback_id.in_(ids)))
        return self.session.execute(delete(callbacks).where(callbacks.c.id.in_(ids))).rowcount

    def purge_before(self, before: datetime) -> int:
        """The old callbacks' messages are locked first (PostgreSQL): an operator's retry of
        a dead one waits for this transaction, then finds it gone; one retried before the
        lock is seen pending and keeps its callback."""
        old = select(callbacks.c.id).where(callbacks.c.created_at < before)
        self.session.execute(select(outbox.c.id).where(
            outbox.c.callback_id.in_(old.scalar_subquery())).with_for_update()).all()
        undone = (select(outbox.c.id)
                  .where(outbox.c.callback_id == callbacks.c.id,
                         outbox.c.status.in_([OutboxStatus.PENDING.value,
                                              OutboxStatus.SENDING.value])).exists())
        ids = list(self.session.execute(old.where(~undone)).scalars())
        for start in range(0, len(ids), PURGE_CHUNK):
            chunk = ids[start:start + PURGE_CHUNK]
            self.session.execute(delete(outbox).where(outbox.c.callback_id.in_(chunk)))
            self.session.execute(delete(callbacks).where(callbacks.c.id.in_(chunk)))
        return len(ids)

    # --- their messages to the sector office ------------------------------------------------
    def add_outbox(self, callback_id: int, channel: OutboxChannel, payload: Dict[str, Any],
                   now: datetime, idempotency_key: str) -> None:
        self._insert_nested(outbox.insert().values(**outbox_values(
            channel, payload, now, idempotency_key, callback_id=callback_id)))

    def undelivered_count(self, callback_id: int) -> int:
        return self.session.execute(
            select(func.count()).select_from(outbox).where(
                outbox.c.callback_id == callback_id,
                outbox.c.status != OutboxStatus.DELIVERED.value)).scalar_one()

    def update_status_if(self, callback_id: int, from_status: RequestStatus,
                         to_status: RequestStatus) -> bool:
        return self.session.execute(
            update(callbacks).where(callbacks.c.id == callback_id,
                                    callbacks.c.status == from_status.value)
            .values(status=to_status.value)).rowcount == 1

    def outbox_of_client(self, client_number: str) -> List[Tuple[int, str]]:
        rows = self.session.execute(
            select(outbox.c.id, outbox.c.status)
            .where(outbox.c.callback_id.in_(self._ids_of_client(client_number)))
            .order_by(outbox.c.id))
        return [(r.id, r.status) for r in rows]
