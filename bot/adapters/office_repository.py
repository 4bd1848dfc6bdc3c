"""The sector office's inbox in SQL (:class:`bot.adapters.office_ports.AbstractOfficeRepository`):
the requests are read with the booking store's own select (:mod:`bot.adapters.repository`)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.adapters.office_ports import AbstractOfficeRepository, Change
from bot.adapters.orm import clients, interventions, requests, sectors
from bot.domain.decisions import Effect
from bot.domain.model import OPEN_STATUSES, Request

OPEN_VALUES = [s.value for s in OPEN_STATUSES]


class SqlAlchemyOfficeRepository(AbstractOfficeRepository):
    def __init__(self, session: Session, repo):
        self.session = session
        self.repo = repo   # the booking store's repository (its request select and mapping)

    def _requests(self, stmt) -> List[Request]:
        return [self.repo._request_from_row(row) for row in self.session.execute(stmt)]

    def inbox(self, names, *, statuses, kind, start_from, start_before, client_terms,
              limit) -> List[Request]:
        if not names:
            return []
        stmt = self.repo._request_select().where(sectors.c.name.in_(list(names)))
        if statuses is not None:
            stmt = stmt.where(requests.c.status.in_([s.value for s in statuses]))
        if kind:
            stmt = stmt.where(requests.c.kind == kind)
        if start_from is not None:
            stmt = stmt.where(interventions.c.start_at >= start_from)
        if start_before is not None:
            stmt = stmt.where(interventions.c.start_at < start_before)
        for term in client_terms:  # a-z 0-9 only: nothing to escape in LIKE
            stmt = stmt.where(or_(clients.c.search_key.like(f"%{term}%"),
                                  func.lower(clients.c.number).like(f"{term}%")))
        return self._requests(stmt.order_by(requests.c.id.desc()).limit(limit))

    def open_count(self, names) -> int:
        if not names:
            return 0
        return self.session.execute(
            select(func.count()).select_from(requests)
            .join(clients, clients.c.id == requests.c.client_id)
            .join(sectors, sectors.c.id == clients.c.sector_id)
            .where(sectors.c.name.in_(list(names)), requests.c.status.in_(OPEN_VALUES))
        ).scalar_one()

    def apply_decision(self, request_id: int, expected_version: int, effect: Effect, *,
                       actor: str, now: datetime) -> bool:
        values = dict(status=effect.status.value, billable=effect.billable,
                      exemption_pending=effect.exemption_pending,
                      version=requests.c.version + 1, updated_at=now)
        if effect.outcome is not None:
            values.update(outcome=effect.outcome.value, decided_by=actor, decided_at=now,
                          refusal_reason=effect.refusal_reason.value
                          if effect.refusal_reason else None, decision_note=effect.note)
        result = self.session.execute(
            update(requests).where(requests.c.id == request_id,
                                   requests.c.version == expected_version).values(**values))
        return result.rowcount == 1

    def move_intervention(self, request_id: int, start: datetime, end: datetime) -> None:
        self.session.execute(
            update(interventions).where(interventions.c.id == self.repo.intervention_row_id(
                request_id)).values(start_at=start, end_at=end))

    def changes_since(self, since: datetime) -> List[Change]:
        rows = self.session.execute(
            select(requests.c.reference, sectors.c.name, requests.c.version, requests.c.status)
            .join(clients, clients.c.id == requests.c.client_id)
            .join(sectors, sectors.c.id == clients.c.sector_id)
            .where(requests.c.updated_at >= since).order_by(requests.c.id)).all()
        return [tuple(r) for r in rows]

    def untold_outcomes(self, client_number: str) -> List[Request]:
        stmt = (self.repo._request_select()
                .where(clients.c.number == str(client_number),
                       requests.c.decided_at.isnot(None),
                       or_(requests.c.client_told_at.is_(None),
                           requests.c.client_told_at < requests.c.decided_at))
                .order_by(requests.c.decided_at, requests.c.id))
        return self._requests(stmt)

    def mark_told(self, request_ids: Sequence[int], now: datetime) -> None:
        if request_ids:
            self.session.execute(update(requests).where(requests.c.id.in_(list(request_ids)))
                                 .values(client_told_at=now))

    def month_requests(self, names, start: datetime, end: datetime) -> List[Request]:
        if not names:
            return []
        stmt = (self.repo._request_select()
                .where(sectors.c.name.in_(list(names)),
                       and_(interventions.c.start_at >= start, interventions.c.start_at < end))
                .order_by(interventions.c.start_at, requests.c.id))
        return self._requests(stmt)

    def sector_secret(self, reference: str) -> Optional[Tuple[str, Optional[str]]]:
        row = self.session.execute(
            select(sectors.c.name, sectors.c.webhook_secret)
            .join(clients, clients.c.sector_id == sectors.c.id)
            .join(requests, requests.c.client_id == clients.c.id)
            .where(requests.c.reference == reference)).first()
        return (row[0], row[1]) if row else None
