"""Repository: every query of the booking store, returning domain objects.

Implements the port :class:`bot.adapters.ports.AbstractRepository` (its privacy part in
:mod:`bot.adapters.privacy_queries`, its outbox part in :mod:`bot.adapters.outbox_queries`).  Works inside the unit of work's session; never commits."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.adapters.orm import (
    accounts, caregivers, clients, interventions, reference_counters, request_history,
    requests, sectors)
from bot.adapters.outbox_queries import OutboxQueries
from bot.adapters.ports import AbstractRepository
from bot.adapters.privacy_queries import PrivacyQueries
from bot.domain.errors import Conflict
from bot.domain.model import (
    Account, Channel, InterventionStatus, Intervention, OPEN_STATUSES, ReasonCategory, Request,
    RequestHistoryEntry, RequestKind, RequestStatus, Role, Sector,
)


def _intervention_from_row(row) -> Intervention:
    return Intervention(
        id=row.id, external_id=row.external_id, client_number=row.client_number,
        client_name=row.client_name, sector=row.sector_name, start=row.start_at,
        end=row.end_at, service=row.service, caregiver=row.caregiver_name,
        status=InterventionStatus(row.status),
    )


def _sector_from_row(row) -> Sector:
    return Sector(id=row.id, name=row.name, office_email=row.office_email,
                  office_phone=row.office_phone, webhook_url=row.webhook_url,
                  webhook_secret=row.webhook_secret)


class SqlAlchemyRepository(OutboxQueries, PrivacyQueries, AbstractRepository):
    def __init__(self, session: Session):
        self.session = session

    def _insert_unique(self, stmt):
        """An INSERT; the database refusing the row (a uniqueness rule, in practice: often
        a concurrent transaction's) is raised as Conflict."""
        try:
            return self.session.execute(stmt)
        except IntegrityError as error:
            raise Conflict() from error

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _insert(self, table):
        """INSERT supporting ON CONFLICT on both SQLite and PostgreSQL."""
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table)

    # --- sectors / clients ------------------------------------------------------------
    def get_sector(self, name: str) -> Optional[Sector]:
        row = self.session.execute(select(sectors).where(sectors.c.name == name)).first()
        return _sector_from_row(row) if row else None

    def list_sectors(self) -> List[Sector]:
        rows = self.session.execute(select(sectors).order_by(sectors.c.name)).all()
        return [_sector_from_row(r) for r in rows]

    def upsert_sector(self, name: str, values: Dict[str, Any]) -> Sector:
        values = {k: v for k, v in values.items() if v is not None}
        stmt = self._insert(sectors).values(name=name, **values)
        if values:
            stmt = stmt.on_conflict_do_update(index_elements=["name"], set_=values)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["name"])
        self.session.execute(stmt)
        return self.get_sector(name)

    def sector_for_client(self, client_number: str) -> Optional[Sector]:
        row = self.session.execute(
            select(sectors).join(clients, clients.c.sector_id == sectors.c.id)
            .where(clients.c.number == client_number)).first()
        return _sector_from_row(row) if row else None

    def client_id(self, client_number: str) -> Optional[int]:
        return self.session.execute(
            select(clients.c.id).where(clients.c.number == client_number)).scalar_one_or_none()

    # --- interventions ------------------------------------------------------------------
    def _intervention_select(self):
        return (
            select(interventions.c.id, interventions.c.external_id, interventions.c.start_at,
                   interventions.c.end_at, interventions.c.service, interventions.c.status,
                   clients.c.number.label("client_number"), clients.c.name.label("client_name"),
                   sectors.c.name.label("sector_name"), caregivers.c.name.label("caregiver_name"))
            .select_from(interventions)
            .join(clients, clients.c.id == interventions.c.client_id)
            .join(sectors, sectors.c.id == clients.c.sector_id)
            .outerjoin(caregivers, caregivers.c.id == interventions.c.caregiver_id)
        )

    def get_intervention(self, external_id: str) -> Optional[Intervention]:
        row = self.session.execute(
            self._intervention_select().where(interventions.c.external_id == external_id)).first()
        return _intervention_from_row(row) if row else None

    def upcoming_interventions(self, client_number: str, after: datetime,
                               until: Optional[datetime] = None,
                               limit: Optional[int] = None) -> List[Intervention]:
        stmt = self._intervention_select().where(
            clients.c.number == client_number,
            interventions.c.start_at > after,
            interventions.c.status == InterventionStatus.SCHEDULED.value,
        )
        if until is not None:
            stmt = stmt.where(interventions.c.start_at <= until)
        stmt = stmt.order_by(interventions.c.start_at, interventions.c.id)
        if limit:
            stmt = stmt.limit(limit)
        return [_intervention_from_row(r) for r in self.session.execute(stmt)]

    def set_intervention_status(self, intervention_id: int, status: InterventionStatus) -> None:
        self.session.execute(update(interventions).where(interventions.c.id == intervention_id)
                             .values(status=status.value))

    def count_interventions(self) -> int:
        return self.count(interventions)

    def apply_planning_rows(self, rows, progress: bool = False):
        from bot.adapters.planning_import import apply_rows  # csv/tqdm: only when importing
        return apply_rows(self.session, rows, progress=progress)

    # --- requests -------------------------------------------------------------------------
    def _request_select(self):
        return (
            select(requests, clients.c.number.label("client_number"),
                   clients.c.name.label("client_name"), sectors.c.name.label("sector_name"),
                   interventions.c.external_id.label("intervention_external_id"),
                   interventions.c.start_at.label("intervention_start"),
                   interventions.c.end_at.label("intervention_end"),
                   interventions.c.service.label("service"),
                   caregivers.c.name.label("caregiver_name"))
            .select_from(requests)
            .join(clients, clients.c.id == requests.c.client_id)
            .join(sectors, sectors.c.id == clients.c.sector_id)
            .join(interventions, interventions.c.id == requests.c.intervention_id)
            .outerjoin(caregivers, caregivers.c.id == interventions.c.caregiver_id)
        )

    def _request_from_row(self, row, history=()) -> Request:
        return Request(
            id=row.id, reference=row.reference, kind=RequestKind(row.kind),
            client_number=row.client_number, client_name=row.client_name,
            sector=row.sector_name, intervention_external_id=row.intervention_external_id,
            intervention_start=row.intervention_start, intervention_end=row.intervention_end,
            caregiver=row.caregiver_name, service=row.service,
            channel=Channel(row.channel), actor=row.actor, decision_code=row.decision_code,
            billable=row.billable, exemption_pending=bool(row.exemption_pending),
            out_of_notice=bool(row.out_of_notice), notice=timedelta(seconds=row.notice_seconds),
            reason=ReasonCategory(row.reason_category) if row.reason_category else None,
            new_start=row.new_start_at, new_end=row.new_end_at,
            status=RequestStatus(row.status), created_at=row.created_at,
            updated_at=row.updated_at, history=tuple(history),
            version=row.version, outcome=row.outcome, refusal_reason=row.refusal_reason,
            decision_note=row.decision_note, decided_by=row.decided_by,
            decided_at=row.decided_at, client_told_at=row.client_told_at,
        )

    def get_request(self, reference: str, with_history: bool = True) -> Optional[Request]:
        row = self.session.execute(
            self._request_select().where(requests.c.reference == reference)).first()
        if row is None:
            return None
        return self._request_from_row(row, self.history(row.id) if with_history else ())

    def history(self, request_id: int) -> List[RequestHistoryEntry]:
        rows = self.session.execute(
            select(request_history).where(request_history.c.request_id == request_id)
            .order_by(request_history.c.id)).all()
        return [RequestHistoryEntry(at=r.at, actor=r.actor,
                                    from_status=RequestStatus(r.from_status) if r.from_status else None,
                                    to_status=RequestStatus(r.to_status), note=r.note,
                                    decision=r.decision) for r in rows]

    def find_open_request(self, intervention_id: int, kind: RequestKind) -> Optional[Request]:
        row = self.session.execute(self._request_select().where(
            requests.c.intervention_id == intervention_id, requests.c.kind == kind.value,
            requests.c.status.in_([s.value for s in OPEN_STATUSES]))).first()
        return self._request_from_row(row) if row else None

    def find_request_by_key(self, key: str) -> Optional[Request]:
        row = self.session.execute(
            self._request_select().where(requests.c.idempotency_key == key)).first()
        return self._request_from_row(row) if row else None

    def list_requests(self, *, sector: Optional[str] = None, status: Optional[str] = None,
                      client_number: Optional[str] = None, kind: Optional[str] = None,
                      open_only: bool = False, limit: Optional[int] = None,
                      newest_first: bool = False) -> List[Request]:
        stmt = self._request_select()
        if sector:
            stmt = stmt.where(sectors.c.name == sector)
        if status:
            stmt = stmt.where(requests.c.status == status)
        if client_number:
            stmt = stmt.where(clients.c.number == client_number)
        if kind:
            stmt = stmt.where(requests.c.kind == kind)
        if open_only:
            stmt = stmt.where(requests.c.status.in_([s.value for s in OPEN_STATUSES]))
        if newest_first:
            stmt = stmt.order_by(requests.c.created_at.desc(), requests.c.id.desc())
        else:
            stmt = stmt.order_by(requests.c.created_at, requests.c.id)
        if limit:
            stmt = stmt.limit(limit)
        return [self._request_from_row(r) for r in self.session.execute(stmt)]

    def next_reference(self, year: int) -> str:
        """Next ``AMP-YYYY-NNNNNN``.  The counter row is locked by the UPDATE until the
        transaction ends, so concurrent transactions get distinct numbers (and a rolled-back
        transaction gives its number back)."""
        self.session.execute(self._insert(reference_counters).values(year=year, last_value=0)
                             .on_conflict_do_nothing(index_elements=["year"]))
        self.session.execute(update(reference_counters).where(reference_counters.c.year == year)
                             .values(last_value=reference_counters.c.last_value + 1))
        value = self.session.execute(select(reference_counters.c.last_value)
                                     .where(reference_counters.c.year == year)).scalar_one()
        return f"AMP-{year}-{value:06d}"

    def add_request(self, **values) -> int:
        result = self._insert_unique(requests.insert().values(**values))
        return result.inserted_primary_key[0]

    def update_request_status(self, request_id: int, status: RequestStatus, now: datetime) -> None:
        self.session.execute(update(requests).where(requests.c.id == request_id)
                             .values(status=status.value, updated_at=now))

    def add_history(self, request_id: int, at: datetime, actor: str,
                    from_status: Optional[RequestStatus], to_status: RequestStatus,
                    note: Optional[str] = None, decision: Optional[str] = None) -> None:
        self.session.execute(request_history.insert().values(
            request_id=request_id, at=at, actor=actor,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value, note=note, decision=decision))

    def intervention_row_id(self, request_id: int) -> int:
        return self.session.execute(select(requests.c.intervention_id)
                                    .where(requests.c.id == request_id)).scalar_one()

    def update_request_status_if(self, request_id: int, from_status: RequestStatus,
                                 to_status: RequestStatus, now: datetime) -> bool:
        result = self.session.execute(
            update(requests).where(requests.c.id == request_id,
                                   requests.c.status == from_status.value)
            .values(status=to_status.value, updated_at=now))
        return result.rowcount == 1

    # --- accounts -----------------------------------------------------------------------
    def upsert_account(self, login: str, password_hash: str, role: Role,
                       client_id: Optional[int]) -> None:
        values = dict(password_hash=password_hash, role=role.value, client_id=client_id)
        self.session.execute(self._insert(accounts).values(login=login, **values)
                             .on_conflict_do_update(index_elements=["login"], set_=values))

    def get_account(self, login: str):
        row = self.session.execute(
            select(accounts, clients.c.number.label("client_number"))
            .select_from(accounts).outerjoin(clients, clients.c.id == accounts.c.client_id)
            .where(accounts.c.login == login)).first()
        if row is None:
            return None
        return Account(id=row.id, login=row.login, role=Role(row.role),
                       client_number=row.client_number), row.password_hash

    # --- counts (tests, reports) ------------------------------------------------------------
    def count(self, table) -> int:
        return self.session.execute(select(func.count()).select_from(table)).scalar_one()
