"""The staff screen's data in the booking store: the sectors of staff accounts, the clients
a staff member may look up, the planning's names (:class:`SqlAlchemyStaffRepository`) and
callback requests (:class:`SqlAlchemyCallbackRepository`).

Implement the ports of :mod:`bot.adapters.staff_ports` inside the unit of work's session;
never commit."""
from __future__ import annotations

from typing import List, Optional, Sequence

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.adapters.orm import (
    account_sectors, accounts, callbacks, caregivers, clients, sectors,
)
from bot.adapters.staff_ports import AbstractCallbackRepository, AbstractStaffRepository
from bot.domain.errors import Conflict
from bot.domain.model import RequestStatus
from bot.domain.staff import Callback, CallbackTopic, ClientSummary
from bot.domain.text_keys import search_key

CALLBACK_PREFIX = "RAP"


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

    def next_reference(self, year: int) -> str:
        prefix = f"{CALLBACK_PREFIX}-{year}-"
        last = self.session.execute(select(func.max(callbacks.c.reference)).where(
            callbacks.c.reference.like(prefix + "%"))).scalar_one_or_none()
        number = int(last[len(prefix):]) + 1 if last else 1
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
        try:
            with self.session.begin_nested():  # a taken reference leaves the transaction usable
                self.session.execute(insert(callbacks).values(**values))
        except IntegrityError as error:
            raise Conflict() from error
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

    def delete_for_client(self, client_number: str) -> int:
        client_id = select(clients.c.id).where(clients.c.number == str(client_number))
        return self.session.execute(delete(callbacks).where(
            callbacks.c.client_id.in_(client_id.scalar_subquery()))).rowcount
