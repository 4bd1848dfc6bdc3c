"""The booking store's privacy queries (retention, forget, export; docs/privacy.md).

A mixin of :class:`bot.adapters.repository.SqlAlchemyRepository` (it uses its ``session``
and its intervention query), implementing the "privacy" part of the port
:class:`bot.adapters.ports.AbstractRepository`.  Lists of ids are written in chunks, so that
no statement carries thousands of parameters.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterator, List, Optional, Sequence, Tuple

from sqlalchemy import Text, cast, delete, select, update

from bot.adapters.orm import (
    accounts, clients, interventions, outbox, request_history, requests, sectors,
)
from bot.domain.model import (
    Account, CLOSED_STATUSES, Client, Intervention, OutboxStatus, Role,
)

CHUNK = 500
EMPTY_PAYLOAD = "{}"


def _chunks(ids: Sequence[int]) -> Iterator[List[int]]:
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class PrivacyQueries:
    session = None  # the repository's session

    def _client_row_id(self, client_number: str) -> Optional[int]:
        return self.session.execute(select(clients.c.id).where(
            clients.c.number == str(client_number))).scalar_one_or_none()

    def get_client(self, client_number: str) -> Optional[Client]:
        row = self.session.execute(
            select(clients.c.id, clients.c.number, clients.c.name,
                   sectors.c.name.label("sector_name"))
            .join(sectors, sectors.c.id == clients.c.sector_id)
            .where(clients.c.number == str(client_number))).first()
        return Client(number=row.number, name=row.name, sector=row.sector_name,
                      id=row.id) if row else None

    def client_interventions(self, client_number: str) -> List[Intervention]:
        from bot.adapters.repository import _intervention_from_row  # (it imports this)

        stmt = (self._intervention_select().where(clients.c.number == str(client_number))
                .order_by(interventions.c.start_at, interventions.c.id))
        return [_intervention_from_row(r) for r in self.session.execute(stmt)]

    def client_accounts(self, client_number: str) -> List[Account]:
        rows = self.session.execute(
            select(accounts.c.id, accounts.c.login, accounts.c.role)
            .join(clients, clients.c.id == accounts.c.client_id)
            .where(clients.c.number == str(client_number)).order_by(accounts.c.id)).all()
        return [Account(id=r.id, login=r.login, role=Role(r.role),
                        client_number=str(client_number)) for r in rows]

    def delete_client_accounts(self, client_number: str) -> int:
        client_id = self._client_row_id(client_number)
        if client_id is None:
            return 0
        return self.session.execute(
            delete(accounts).where(accounts.c.client_id == client_id)).rowcount

    def rename_client(self, client_number: str, name: str) -> bool:
        return self.session.execute(update(clients).where(
            clients.c.number == str(client_number)).values(name=name)).rowcount == 1

    def request_keys(self, client_number: str) -> List[str]:
        return list(self.session.execute(
            select(requests.c.idempotency_key).join(clients, clients.c.id == requests.c.client_id)
            .where(clients.c.number == str(client_number),
                   requests.c.idempotency_key.is_not(None)).order_by(requests.c.id)).scalars())

    def closed_requests_before(self, before: datetime, marker: str) -> List[int]:
        return list(self.session.execute(
            select(requests.c.id).where(
                requests.c.status.in_([s.value for s in CLOSED_STATUSES]),
                requests.c.updated_at < before, requests.c.actor != marker)
            .order_by(requests.c.id)).scalars())

    def anonymise_requests(self, request_ids: Sequence[int], marker: str) -> int:
        changed = 0
        for ids in _chunks(request_ids):
            own_actor = (select(requests.c.actor)
                         .where(requests.c.id == request_history.c.request_id)
                         .scalar_subquery())
            self.session.execute(
                update(request_history).where(request_history.c.request_id.in_(ids),
                                              request_history.c.actor == own_actor)
                .values(actor=marker).execution_options(synchronize_session=False))
            self.session.execute(
                update(request_history).where(request_history.c.request_id.in_(ids))
                .values(note=None))
            changed += self.session.execute(
                update(requests).where(requests.c.id.in_(ids), requests.c.actor != marker)
                .values(actor=marker)).rowcount
            self.session.execute(
                update(requests).where(requests.c.id.in_(ids))
                .values(idempotency_key=None, reason_category=None, decision_note=None))
        return changed

    def outbox_of_requests(self, request_ids: Sequence[int]) -> List[Tuple[int, str]]:
        found: List[Tuple[int, str]] = []
        for ids in _chunks(request_ids):
            found += [(r.id, r.status) for r in self.session.execute(
                select(outbox.c.id, outbox.c.status).where(outbox.c.request_id.in_(ids)))]
        return sorted(found)

    def delivered_outbox_before(self, before: datetime) -> List[int]:
        return list(self.session.execute(
            select(outbox.c.id).where(outbox.c.status == OutboxStatus.DELIVERED.value,
                                      outbox.c.delivered_at < before,
                                      cast(outbox.c.payload, Text) != EMPTY_PAYLOAD)
            .order_by(outbox.c.id)).scalars())

    def empty_outbox_payloads(self, message_ids: Sequence[int]) -> int:
        emptied = 0
        for ids in _chunks(message_ids):
            emptied += self.session.execute(
                update(outbox).where(outbox.c.id.in_(ids),
                                     cast(outbox.c.payload, Text) != EMPTY_PAYLOAD)
                .values(payload={})).rowcount
        return emptied

    def stop_outbox(self, message_ids: Sequence[int], error: str) -> int:
        stopped = 0
        for ids in _chunks(message_ids):
            stopped += self.session.execute(
                update(outbox).where(outbox.c.id.in_(ids),
                                     outbox.c.status.in_([OutboxStatus.PENDING.value,
                                                          OutboxStatus.SENDING.value]))
                .values(status=OutboxStatus.DEAD.value, lease_owner=None, lease_until=None,
                        last_error=error[:2000])).rowcount
        return stopped
