"""Table definitions (SQLAlchemy 1.4 Core, used with the 2.0-style API).

Datetimes are stored as naive UTC in ``TIMESTAMP WITHOUT TIME ZONE`` columns through
:class:`UTCDateTime`, so SQLite and PostgreSQL store and compare them identically; callers
always get aware Europe/Paris values back.  Enumerations are short strings guarded by CHECK
constraints.  The migrations in ``bot/adapters/migrations`` must stay in step with this file
(tests/integration/test_migrations.py compares them).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer,
    MetaData, SmallInteger, String, Table, Text, text,
)
from sqlalchemy.types import TypeDecorator

from bot.domain.clock import PARIS
from bot.domain.model import (
    Channel, InterventionStatus, OutboxChannel, OutboxStatus, Outcome, ReasonCategory,
    RefusalReason, RequestKind, RequestStatus, Role,
)
from bot.domain.staff import CallbackTopic, UnansweredKind


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware datetime in, naive UTC in the database, aware Europe/Paris out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("UTCDateTime expects a datetime")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: store aware datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(PARIS)


def _in(column: str, enum_cls) -> str:
    values = ", ".join(f"'{m.value}'" for m in enum_cls)
    return f"{column} IN ({values})"


sectors = Table(
    "sectors", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("office_email", String(254)),
    Column("office_phone", String(40)),
    Column("webhook_url", String(500)),
    Column("webhook_secret", String(200)),
)

clients = Table(
    "clients", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("sector_id", Integer, ForeignKey("sectors.id"), nullable=False, index=True),
    Column("phone", String(30)),    # from the planning import (issue 21: staff search)
    Column("email", String(254)),   # from the planning import (issue 22: decisions e-mailed)
    #: folded name and phone digits, what the staff's search compares (text_keys.search_key)
    Column("search_key", String(300), nullable=False, server_default=""),
)

caregivers = Table(
    "caregivers", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
)

interventions = Table(
    "interventions", metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("client_id", Integer, ForeignKey("clients.id"), nullable=False),
    Column("caregiver_id", Integer, ForeignKey("caregivers.id")),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("service", String(200), nullable=False, server_default=""),
    Column("status", String(20), nullable=False, server_default=InterventionStatus.SCHEDULED.value),
    CheckConstraint(_in("status", InterventionStatus), name="status"),
    CheckConstraint("end_at > start_at", name="end_after_start"),
    Index("ix_interventions_client_start", "client_id", "start_at"),
)

reference_counters = Table(
    "reference_counters", metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_value", Integer, nullable=False),
)

OPEN_REQUEST_WHERE = text("status NOT IN ('done', 'refused')")

requests = Table(
    "requests", metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("client_id", Integer, ForeignKey("clients.id"), nullable=False, index=True),
    Column("intervention_id", Integer, ForeignKey("interventions.id"), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("decision_code", String(50), nullable=False),
    Column("billable", Boolean(create_constraint=False)),
    Column("exemption_pending", Boolean(create_constraint=False), nullable=False),
    Column("out_of_notice", Boolean(create_constraint=False), nullable=False),
    Column("notice_seconds", Integer, nullable=False),
    Column("reason_category", String(20)),
    Column("new_start_at", UTCDateTime()),
    Column("new_end_at", UTCDateTime()),
    Column("status", String(20), nullable=False),
    Column("idempotency_key", String(200), unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False, index=True),
    # the sector office's decision (issue 22, bot/domain/decisions.py)
    Column("version", Integer, nullable=False, server_default="0"),
    Column("outcome", String(20)),
    Column("refusal_reason", String(20)),
    Column("decision_note", String(200)),
    Column("decided_by", String(100)),
    Column("decided_at", UTCDateTime()),
    Column("client_told_at", UTCDateTime()),
    CheckConstraint(_in("kind", RequestKind), name="kind"),
    CheckConstraint(_in("channel", Channel), name="channel"),
    CheckConstraint(_in("status", RequestStatus), name="status"),
    CheckConstraint("reason_category IS NULL OR " + _in("reason_category", ReasonCategory),
                    name="reason_category"),
    CheckConstraint("outcome IS NULL OR " + _in("outcome", Outcome), name="outcome"),
    CheckConstraint("refusal_reason IS NULL OR " + _in("refusal_reason", RefusalReason),
                    name="refusal_reason"),
    # At most one OPEN request per intervention and kind, enforced by the database.
    Index("uq_requests_open_per_intervention_kind", "intervention_id", "kind", unique=True,
          sqlite_where=OPEN_REQUEST_WHERE, postgresql_where=OPEN_REQUEST_WHERE),
    Index("ix_requests_status_created", "status", "created_at"),
)

request_history = Table(
    "request_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("note", String(500)),
    Column("decision", String(20)),   # the office's decision that made this row (issue 22)
)

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(100), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(10), nullable=False),
    Column("client_id", Integer, ForeignKey("clients.id")),
    CheckConstraint(_in("role", Role), name="role"),
    CheckConstraint("role <> 'client' OR client_id IS NOT NULL", name="client_has_number"),
)

#: A message to a sector office about a request or (issue 21) a callback: exactly one of
#: ``request_id`` and ``callback_id`` is set.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), index=True),
    Column("callback_id", Integer, ForeignKey("callbacks.id"), index=True),
    Column("channel", String(20), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime()),
    Column("last_error", Text),
    Column("delivered_at", UTCDateTime()),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("channel", OutboxChannel), name="channel"),
    CheckConstraint(_in("status", OutboxStatus), name="status"),
    CheckConstraint("(request_id IS NULL) <> (callback_id IS NULL)", name="one_subject"),
    Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
)

#: One vote (thumbs up / down) on an answer of the chat: the day, the intent of the question,
#: +1 or -1, the channel.  Nothing that names the person (docs/privacy.md).
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("intent", String(100), nullable=False),
    Column("value", SmallInteger, nullable=False),
    Column("channel", String(10), nullable=False),
    CheckConstraint("value IN (1, -1)", name="value"),
    CheckConstraint(_in("channel", Channel), name="channel"),
)


#: The sectors a staff account serves (issue 21): a staff member sees only their clients.
account_sectors = Table(
    "account_sectors", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("sector_id", Integer, ForeignKey("sectors.id"), primary_key=True),
)

#: A client question the assistant could not answer, masked before it is stored (digits,
#: e-mail addresses, planning names); only the day is kept (docs/privacy.md).
unanswered_questions = Table(
    "unanswered_questions", metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(500), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("asked_on", Date, nullable=False, index=True),
    Column("topic", String(100)),         # "faq/<key>" or "nouveau", given by staff
    Column("labelled_by", String(100)),
    CheckConstraint(_in("kind", UnansweredKind), name="kind"),
)

#: A caller who asked to be called back (issue 21), taken by a staff member.
callbacks = Table(
    "callbacks", metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("client_id", Integer, ForeignKey("clients.id"), nullable=False, index=True),
    Column("sector_id", Integer, ForeignKey("sectors.id"), nullable=False),
    Column("phone", String(30), nullable=False),
    Column("best_time", String(100), nullable=False),
    Column("topic", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("status", String(20), nullable=False, server_default=RequestStatus.RECEIVED.value),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(_in("topic", CallbackTopic), name="topic"),
    CheckConstraint(_in("status", RequestStatus), name="status"),
)
