"""Ports of the booking store: what the service layer and the dispatcher may ask of it.

:class:`bot.adapters.repository.SqlAlchemyRepository` implements it on SQLite/PostgreSQL;
``tests.fakes.FakeRepository`` in memory, for the unit tests of the services.  Every method
works inside the unit of work's transaction and never commits.

Values are domain objects (:mod:`bot.domain.model`), except:

* request rows given to :meth:`AbstractRepository.add_request` are column values
  (``kind``, ``channel``, ``status``, ``reason_category`` as strings; ``client_id`` and
  ``intervention_id`` as the store's row ids);
* outbox rows (:meth:`list_outbox`, :meth:`claim_outbox`) are read-only records with the
  attributes of :data:`OUTBOX_ROW_FIELDS`.

The votes on the chat's answers have their own small port,
:class:`AbstractFeedbackRepository` (``uow.feedback``; SQL side in
:mod:`bot.adapters.feedback_repository`).

A write that breaks a uniqueness rule (request reference or idempotency key, one open
request per intervention and kind, outbox idempotency key) raises
:class:`bot.domain.errors.Conflict`, at the write or at the latest at commit.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.domain.model import (
    Account, Client, Intervention, InterventionStatus, OutboxChannel, OutboxStatus, Request,
    RequestHistoryEntry, RequestKind, RequestStatus, Role, Sector,
)

#: What an outbox row carries: the ``outbox`` columns (``request_id`` or, for a callback's
#: message, ``callback_id``), the reference and status of its request or callback
#: (``reference``, ``request_status``), the sector's *current* name and addresses, and the
#: client's current e-mail (``client_email``: the channel ``client_email``, issue 22).
OUTBOX_ROW_FIELDS = (
    "id", "request_id", "callback_id", "channel", "payload", "status", "attempts", "next_attempt_at",
    "lease_owner", "lease_until", "last_error", "delivered_at", "idempotency_key",
    "created_at", "reference", "request_status", "sector_name", "office_email", "webhook_url",
    "webhook_secret", "client_email",
)


class AbstractRepository(abc.ABC):
    # --- sectors, clients, accounts ------------------------------------------------------
    @abc.abstractmethod
    def get_sector(self, name: str) -> Optional[Sector]: ...

    @abc.abstractmethod
    def list_sectors(self) -> List[Sector]:
        """By name."""

    @abc.abstractmethod
    def upsert_sector(self, name: str, values: Dict[str, Any]) -> Sector:
        """Create the sector or update the given fields (None values are left unchanged)."""

    @abc.abstractmethod
    def sector_for_client(self, client_number: str) -> Optional[Sector]: ...

    @abc.abstractmethod
    def client_id(self, client_number: str) -> Optional[int]: ...

    @abc.abstractmethod
    def upsert_account(self, login: str, password_hash: str, role: Role,
                       client_id: Optional[int]) -> None: ...

    @abc.abstractmethod
    def get_account(self, login: str) -> Optional[Tuple[Account, str]]:
        """(Account, password hash) or None."""

    # --- interventions and the planning ----------------------------------------------------
    @abc.abstractmethod
    def get_intervention(self, external_id: str) -> Optional[Intervention]: ...

    @abc.abstractmethod
    def upcoming_interventions(self, client_number: str, after: datetime,
                               until: Optional[datetime] = None,
                               limit: Optional[int] = None) -> List[Intervention]:
        """Scheduled, starting after ``after`` (and at the latest ``until``), earliest first."""

    @abc.abstractmethod
    def set_intervention_status(self, intervention_id: int, status: InterventionStatus) -> None:
        """``intervention_id`` is the row id (``Intervention.id``)."""

    @abc.abstractmethod
    def count_interventions(self) -> int: ...

    @abc.abstractmethod
    def apply_planning_rows(self, rows: Sequence[Any], progress: bool = False) -> Any:
        """Upsert validated ``PlanningRow``s (sectors, clients, caregivers, interventions
        keyed by their external id); returns an ``ImportReport``."""

    # --- requests -----------------------------------------------------------------------------
    @abc.abstractmethod
    def get_request(self, reference: str, with_history: bool = True) -> Optional[Request]: ...

    @abc.abstractmethod
    def history(self, request_id: int) -> List[RequestHistoryEntry]:
        """Oldest first."""

    @abc.abstractmethod
    def find_open_request(self, intervention_id: int, kind: RequestKind) -> Optional[Request]:
        """The open request of ``kind`` on the intervention (row id), if any."""

    @abc.abstractmethod
    def find_request_by_key(self, key: str) -> Optional[Request]: ...

    @abc.abstractmethod
    def list_requests(self, *, sector: Optional[str] = None, status: Optional[str] = None,
                      client_number: Optional[str] = None, kind: Optional[str] = None,
                      open_only: bool = False, limit: Optional[int] = None,
                      newest_first: bool = False) -> List[Request]:
        """Without history; by creation time (then id), oldest first unless ``newest_first``."""

    @abc.abstractmethod
    def next_reference(self, year: int) -> str:
        """Next ``AMP-YYYY-NNNNNN`` of the year; a rolled-back transaction gives it back."""

    @abc.abstractmethod
    def add_request(self, **values) -> int:
        """Insert a request row (column values); returns its id.  Conflict on a taken
        reference or idempotency key, or a second open request of the kind."""

    @abc.abstractmethod
    def update_request_status(self, request_id: int, status: RequestStatus,
                              now: datetime) -> None: ...

    @abc.abstractmethod
    def update_request_status_if(self, request_id: int, from_status: RequestStatus,
                                 to_status: RequestStatus, now: datetime) -> bool:
        """Change the status only if it still is ``from_status`` (no lost update against a
        concurrent office action); True if it changed."""

    @abc.abstractmethod
    def add_history(self, request_id: int, at: datetime, actor: str,
                    from_status: Optional[RequestStatus], to_status: RequestStatus,
                    note: Optional[str] = None, decision: Optional[str] = None) -> None: ...

    @abc.abstractmethod
    def intervention_row_id(self, request_id: int) -> int: ...

    # --- outbox ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_outbox(self, request_id: int, channel: OutboxChannel, payload: Dict[str, Any],
                   now: datetime, idempotency_key: str) -> None:
        """A pending message, due ``now``.  Conflict on a taken idempotency key."""

    @abc.abstractmethod
    def list_outbox(self, *, status: Optional[str] = None, reference: Optional[str] = None,
                    references: Optional[Sequence[str]] = None,
                    message_id: Optional[int] = None, limit: Optional[int] = None) -> List[Any]:
        """Outbox rows (requests' and callbacks' alike), by id; ``reference`` is a request's
        or a callback's; ``references`` reads several at once."""

    @abc.abstractmethod
    def claim_outbox(self, *, now: datetime, due_before: datetime, owner: str,
                     lease_until: datetime, limit: int, max_attempts: int) -> List[Any]:
        """Lease up to ``limit`` due messages to ``owner`` (``sending``, attempts + 1), by
        due time then id.  Due: pending with ``next_attempt_at <= due_before``, or sending
        with an expired lease and attempts left; an expired lease without attempts left
        becomes ``dead``.  Returns every row ``owner`` holds, by id."""

    @abc.abstractmethod
    def outbox_delivered(self, message_id: int, now: datetime) -> bool:
        """Delivered whatever the lease says; False if it already was."""

    @abc.abstractmethod
    def outbox_failed(self, message_id: int, owner: str, *, error: str,
                      next_attempt_at: datetime, dead: bool, count_attempt: bool = True) -> bool:
        """A failed attempt, recorded only while ``owner`` holds the lease (else False).
        With ``count_attempt=False`` (configuration missing) the attempt is given back."""

    @abc.abstractmethod
    def undelivered_count(self, request_id: int) -> int:
        """The request's messages not delivered yet (a callback's: ``uow.callbacks``)."""

    @abc.abstractmethod
    def requeue_outbox(self, *, now: datetime, message_id: Optional[int] = None,
                       statuses: Sequence[OutboxStatus] = (OutboxStatus.DEAD,),
                       reset_attempts: bool = True) -> int:
        """Messages in ``statuses`` (``sending`` only with an expired lease) back to
        pending, due ``now``; returns how many."""

    # --- privacy: retention, forget, export (docs/privacy.md) --------------------------------
    @abc.abstractmethod
    def get_client(self, client_number: str) -> Optional[Client]: ...

    @abc.abstractmethod
    def client_interventions(self, client_number: str) -> List[Intervention]:
        """Every intervention of the client (cancelled ones too), earliest first."""

    @abc.abstractmethod
    def client_accounts(self, client_number: str) -> List[Account]: ...

    @abc.abstractmethod
    def delete_client_accounts(self, client_number: str) -> int:
        """Remove the client's logins; returns how many."""

    @abc.abstractmethod
    def rename_client(self, client_number: str, name: str) -> bool: ...

    @abc.abstractmethod
    def request_keys(self, client_number: str) -> List[str]:
        """The idempotency keys of the client's requests (the chat's name the conversation)."""

    @abc.abstractmethod
    def closed_requests_before(self, before: datetime, marker: str) -> List[int]:
        """Row ids of the done/refused requests last updated before ``before`` whose
        ``actor`` is not yet ``marker`` (not anonymised yet), by id."""

    @abc.abstractmethod
    def anonymise_requests(self, request_ids: Sequence[int], marker: str) -> int:
        """Personal fields of these requests emptied: ``actor`` (and history actors equal
        to it) becomes ``marker``; idempotency key, reason category and history notes
        become NULL.  Reference, kind, dates, decision, billing and client link are kept.
        Returns how many requests changed."""

    @abc.abstractmethod
    def outbox_of_requests(self, request_ids: Sequence[int]) -> List[Tuple[int, str]]:
        """(message id, status) of these requests' messages, by id."""

    @abc.abstractmethod
    def delivered_outbox_before(self, before: datetime) -> List[int]:
        """Ids of the delivered messages (delivered before ``before``) whose payload is not
        empty yet, by id."""

    @abc.abstractmethod
    def empty_outbox_payloads(self, message_ids: Sequence[int]) -> int:
        """Payloads replaced by ``{}``; returns how many were not empty."""

    @abc.abstractmethod
    def stop_outbox(self, message_ids: Sequence[int], error: str) -> int:
        """Messages not delivered yet become ``dead`` with ``error`` (never sent); returns
        how many."""


@dataclass(frozen=True)
class FeedbackCount:
    """The votes on the answers to one intent's questions."""

    intent: str
    up: int
    down: int

    @property
    def total(self) -> int:
        return self.up + self.down


class AbstractFeedbackRepository(abc.ABC):
    """The votes (thumbs up / down) on the chat's answers: a day, an intent, +1 or -1 and a
    channel per vote, nothing that names the person (docs/privacy.md)."""

    @abc.abstractmethod
    def add(self, day: date, intent: str, value: int, channel: str) -> None:
        """One vote; ``value`` is +1 (useful) or -1 (not useful)."""

    @abc.abstractmethod
    def counts(self, since: Optional[date] = None,
               until: Optional[date] = None) -> List[FeedbackCount]:
        """Votes by intent, days ``since`` to ``until`` included (None: no bound); any order."""

    @abc.abstractmethod
    def purge_before(self, day: date) -> int:
        """Delete the votes of the days before ``day``; returns how many."""
