"""Domain model of the booking store: plain dataclasses and enums, no I/O.

All datetimes are timezone-aware; the store returns them in Europe/Paris.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional, Tuple


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:  # "cancellation", not "RequestKind.cancellation"
        return self.value


class RequestKind(_StrEnum):
    CANCELLATION = "cancellation"
    SCHEDULE_CHANGE = "schedule_change"


class ReasonCategory(_StrEnum):
    """Why a client cancels.  Only the category is ever stored (health data minimisation)."""

    PERSONNEL = "personnel"
    HOSPITALISATION = "hospitalisation"
    MALADIE = "maladie"
    AUTRE = "autre"

    @property
    def is_medical(self) -> bool:
        return self in (ReasonCategory.HOSPITALISATION, ReasonCategory.MALADIE)


class RequestStatus(_StrEnum):
    RECEIVED = "received"
    FORWARDED = "forwarded"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    REFUSED = "refused"

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = (RequestStatus.DONE, RequestStatus.REFUSED)
OPEN_STATUSES = tuple(s for s in RequestStatus if s not in CLOSED_STATUSES)

#: Allowed status transitions (the office may close a request without it being forwarded,
#: e.g. when it was handled on the phone).
TRANSITIONS = {
    RequestStatus.RECEIVED: (RequestStatus.FORWARDED, RequestStatus.ACKNOWLEDGED,
                             RequestStatus.DONE, RequestStatus.REFUSED),
    RequestStatus.FORWARDED: (RequestStatus.ACKNOWLEDGED, RequestStatus.DONE, RequestStatus.REFUSED),
    RequestStatus.ACKNOWLEDGED: (RequestStatus.DONE, RequestStatus.REFUSED),
    RequestStatus.DONE: (),
    RequestStatus.REFUSED: (),
}

# --- the sector office's decisions (issue 22; rules in bot/domain/decisions.py) ---------

class OfficeDecision(_StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    REFUSE = "refuse"
    GRANT_EXEMPTION = "grant_exemption"   # the medical certificate arrived (never the assistant)


class Outcome(_StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXEMPTION_GRANTED = "exemption_granted"


class RefusalReason(_StrEnum):
    SLOT_UNAVAILABLE = "slot_unavailable"
    TOO_LATE = "too_late"
    ALREADY_DONE = "already_done"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Channel(_StrEnum):
    WEB = "web"      # the client, through the website chat
    PHONE = "phone"  # a staff member, acting for the client on the phone


class InterventionStatus(_StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Role(_StrEnum):
    CLIENT = "client"
    STAFF = "staff"     # phone-line staff (/conseiller)
    OFFICE = "office"   # a sector office, « binôme de secteur » (/bureau and /conseiller)


class OutboxChannel(_StrEnum):
    EMAIL = "email"                # to the sector office
    WEBHOOK = "webhook"            # to the sector office's system
    CLIENT_EMAIL = "client_email"  # the office's decision, to the client (issue 22)


class OutboxStatus(_StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class Sector:
    name: str
    office_email: Optional[str] = None
    office_phone: Optional[str] = None
    webhook_url: Optional[str] = None
    webhook_secret: Optional[str] = None
    id: Optional[int] = None


@dataclass(frozen=True)
class Client:
    number: str
    name: str
    sector: str
    id: Optional[int] = None


@dataclass(frozen=True)
class Intervention:
    external_id: str
    client_number: str
    start: datetime
    end: datetime
    service: str = ""
    caregiver: Optional[str] = None
    status: InterventionStatus = InterventionStatus.SCHEDULED
    client_name: Optional[str] = None
    sector: Optional[str] = None
    id: Optional[int] = None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class RequestHistoryEntry:
    at: datetime
    actor: str
    from_status: Optional[RequestStatus]
    to_status: RequestStatus
    note: Optional[str] = None
    decision: Optional[str] = None   # bot.domain.decisions.Decision value, when one was made


@dataclass(frozen=True)
class Request:
    reference: str
    kind: RequestKind
    client_number: str
    intervention_external_id: str
    channel: Channel
    actor: str
    decision_code: str
    billable: Optional[bool]
    exemption_pending: bool
    out_of_notice: bool
    notice: timedelta
    status: RequestStatus
    created_at: datetime
    updated_at: datetime
    reason: Optional[ReasonCategory] = None
    new_start: Optional[datetime] = None
    new_end: Optional[datetime] = None
    sector: Optional[str] = None
    client_name: Optional[str] = None
    intervention_start: Optional[datetime] = None
    intervention_end: Optional[datetime] = None
    caregiver: Optional[str] = None
    service: Optional[str] = None
    history: Tuple[RequestHistoryEntry, ...] = field(default_factory=tuple)
    id: Optional[int] = None
    # the sector office's decision (issue 22, bot/domain/decisions.py)
    version: int = 0                          # bumped by every decision (optimistic lock)
    outcome: Optional[str] = None             # decisions.Outcome value
    refusal_reason: Optional[str] = None      # decisions.RefusalReason value
    decision_note: Optional[str] = None       # the office's short note, shown to the client
    decided_by: Optional[str] = None
    decided_at: Optional[datetime] = None
    client_told_at: Optional[datetime] = None  # when the chat told the client the outcome

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def notice_hours(self) -> float:
        return round(self.notice.total_seconds() / 3600, 2)


@dataclass(frozen=True)
class Account:
    login: str
    role: Role
    client_number: Optional[str] = None
    id: Optional[int] = None
