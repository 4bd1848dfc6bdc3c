"""The booking store's outbox queries: messages to the sector offices, about a request or a
callback (issue 21), and their delivery cycle (claim, delivered, failed, requeue).

A mixin of :class:`bot.adapters.repository.SqlAlchemyRepository` (it uses its ``session``,
``dialect`` and ``_insert_unique``), implementing the "outbox" part of the port
:class:`bot.adapters.ports.AbstractRepository`.  A callback's messages are written by
:class:`bot.adapters.staff_repository.SqlAlchemyCallbackRepository` with
:func:`outbox_values`; everything else here reads and updates both kinds alike: an outbox
row carries the reference (``AMP-…`` or ``RAP-…``), the status of what it is about and the
sector of its client *now*.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import and_, func, or_, select, update

from bot.adapters.orm import callbacks, clients, outbox, requests, sectors
from bot.domain.model import OutboxChannel, OutboxStatus

#: ``last_error`` of a message whose lease expired at its last allowed attempt.
INTERRUPTED_AT_LAST_ATTEMPT = ("envoi interrompu (répartiteur arrêté pendant l'envoi) "
                               "à la dernière tentative autorisée.")
#: the reference of what a message is about: a request's or a callback's
REFERENCE = func.coalesce(requests.c.reference, callbacks.c.reference)


def outbox_values(channel: OutboxChannel, payload: Dict[str, Any], now: datetime,
                  idempotency_key: str, *, request_id: Optional[int] = None,
                  callback_id: Optional[int] = None) -> Dict[str, Any]:
    """The columns of a new pending message, due ``now`` (exactly one of the two ids)."""
    if (request_id is None) == (callback_id is None):
        raise ValueError("an outbox message is about one request or one callback")
    return dict(request_id=request_id, callback_id=callback_id, channel=channel.value,
                payload=payload, status=OutboxStatus.PENDING.value, attempts=0,
                next_attempt_at=now, idempotency_key=idempotency_key, created_at=now)


def outbox_select():
    """Outbox rows with the attributes of ``ports.OUTBOX_ROW_FIELDS``."""
    return (
        select(outbox, REFERENCE.label("reference"),
               func.coalesce(requests.c.status, callbacks.c.status).label("request_status"),
               sectors.c.name.label("sector_name"), sectors.c.office_email,
               sectors.c.webhook_url, sectors.c.webhook_secret,
               clients.c.email.label("client_email"))
        .select_from(outbox)
        .outerjoin(requests, requests.c.id == outbox.c.request_id)
        .outerjoin(callbacks, callbacks.c.id == outbox.c.callback_id)
        .join(clients, clients.c.id == func.coalesce(requests.c.client_id,
                                                       callbacks.c.client_id))
        .join(sectors, sectors.c.id == clients.c.sector_id)
    )


def _about(references: List[str]):
    """The messages about these requests' or callbacks' references (through the unique
    references and the outbox's indexed ids, not a scan of the joined rows)."""
    return or_(
        outbox.c.request_id.in_(select(requests.c.id).where(requests.c.reference.in_(references))),
        outbox.c.callback_id.in_(select(callbacks.c.id)
                                 .where(callbacks.c.reference.in_(references))))


class OutboxQueries:
    session = None  # the repository's session

    def add_outbox(self, request_id: int, channel: OutboxChannel, payload: Dict[str, Any],
                   now: datetime, idempotency_key: str) -> None:
        self._insert_unique(outbox.insert().values(**outbox_values(
            channel, payload, now, idempotency_key, request_id=request_id)))

    def outbox_for_request(self, request_id: int) -> List[Any]:
        return self.session.execute(select(outbox).where(outbox.c.request_id == request_id)
                                    .order_by(outbox.c.id)).all()

    # --- delivery (dispatcher) -----------------------------------------------------------
    def _outbox_select(self):
        return outbox_select()

    def claim_outbox(self, *, now: datetime, due_before: datetime, owner: str,
                     lease_until: datetime, limit: int, max_attempts: int) -> List[Any]:
        """As the port says.  The candidate rows are locked with ``FOR UPDATE SKIP LOCKED``
        on PostgreSQL (concurrent claimers take other rows); SQLite transactions start with
        BEGIN IMMEDIATE, so the whole claim is serialised.  The UPDATE re-checks the
        condition, so a row is never leased twice."""
        expired = and_(outbox.c.status == OutboxStatus.SENDING.value, outbox.c.lease_until < now)
        exhausted = self.session.execute(
            select(outbox.c.id).where(expired, outbox.c.attempts >= max_attempts)
            .order_by(outbox.c.id).with_for_update(skip_locked=True)).scalars().all()
        if exhausted:
            self.session.execute(
                update(outbox).where(outbox.c.id.in_(exhausted), expired)
                .values(status=OutboxStatus.DEAD.value, lease_owner=None, lease_until=None,
                        last_error=INTERRUPTED_AT_LAST_ATTEMPT))
        due = or_(
            and_(outbox.c.status == OutboxStatus.PENDING.value,
                 outbox.c.next_attempt_at <= due_before),
            and_(expired, outbox.c.attempts < max_attempts),
        )
        ids = self.session.execute(
            select(outbox.c.id).where(due).order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit).with_for_update(skip_locked=True)).scalars().all()
        if not ids:
            return []
        self.session.execute(
            update(outbox).where(outbox.c.id.in_(ids), due)
            .values(status=OutboxStatus.SENDING.value, lease_owner=owner,
                    lease_until=lease_until, attempts=outbox.c.attempts + 1))
        return self.session.execute(
            self._outbox_select().where(outbox.c.lease_owner == owner,
                                        outbox.c.status == OutboxStatus.SENDING.value)
            .order_by(outbox.c.id)).all()

    def outbox_delivered(self, message_id: int, now: datetime) -> bool:
        result = self.session.execute(
            update(outbox).where(outbox.c.id == message_id,
                                 outbox.c.status != OutboxStatus.DELIVERED.value)
            .values(status=OutboxStatus.DELIVERED.value, delivered_at=now, lease_owner=None,
                    lease_until=None, last_error=None))
        return result.rowcount == 1

    def outbox_failed(self, message_id: int, owner: str, *, error: str,
                      next_attempt_at: datetime, dead: bool, count_attempt: bool = True) -> bool:
        values: Dict[str, Any] = dict(
            status=(OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
            last_error=error[:2000], next_attempt_at=next_attempt_at, lease_owner=None,
            lease_until=None)
        if not count_attempt:
            values["attempts"] = func.max(outbox.c.attempts - 1, 0) if self.dialect == "sqlite" \
                else func.greatest(outbox.c.attempts - 1, 0)
        result = self.session.execute(
            update(outbox).where(outbox.c.id == message_id, outbox.c.lease_owner == owner,
                                 outbox.c.status == OutboxStatus.SENDING.value)
            .values(**values))
        return result.rowcount == 1

    def undelivered_count(self, request_id: int) -> int:
        return self.session.execute(
            select(func.count()).select_from(outbox).where(
                outbox.c.request_id == request_id,
                outbox.c.channel != OutboxChannel.CLIENT_EMAIL.value,
                outbox.c.status != OutboxStatus.DELIVERED.value)).scalar_one()

    def list_outbox(self, *, status: Optional[str] = None, reference: Optional[str] = None,
                    references: Optional[Sequence[str]] = None,
                    message_id: Optional[int] = None, limit: Optional[int] = None) -> List[Any]:
        stmt = self._outbox_select()
        if status:
            stmt = stmt.where(outbox.c.status == status)
        if reference:
            stmt = stmt.where(_about([reference]))
        if references is not None:
            stmt = stmt.where(_about(list(references)))
        if message_id is not None:
            stmt = stmt.where(outbox.c.id == message_id)
        stmt = stmt.order_by(outbox.c.id)
        if limit:
            stmt = stmt.limit(limit)
        return self.session.execute(stmt).all()

    def requeue_outbox(self, *, now: datetime, message_id: Optional[int] = None,
                       statuses=(OutboxStatus.DEAD,), reset_attempts: bool = True) -> int:
        values: Dict[str, Any] = dict(status=OutboxStatus.PENDING.value, next_attempt_at=now,
                                      lease_owner=None, lease_until=None)
        if reset_attempts:
            values["attempts"] = 0
        stmt = update(outbox).where(outbox.c.status.in_([s.value for s in statuses]))
        if OutboxStatus.SENDING in statuses:  # only a lease that has expired
            stmt = stmt.where(or_(outbox.c.status != OutboxStatus.SENDING.value,
                                  outbox.c.lease_until < now))
        if message_id is not None:
            stmt = stmt.where(outbox.c.id == message_id)
        return self.session.execute(stmt.values(**values)).rowcount
