"""Ports of the staff screen's data (issue 21, docs/staff-contract.md), next to the booking
store's :mod:`bot.adapters.ports`:

* :class:`AbstractStaffRepository` (``uow.staff``): the sectors of a staff account, the
  clients a staff member may look up (with their phone and e-mail), the planning's names;
* :class:`AbstractUnansweredRepository` (``uow.unanswered``): the questions the assistant
  could not answer, stored masked;
* :class:`AbstractCallbackRepository` (``uow.callbacks``): callback requests and their
  messages to the sector office (the outbox, shared with the requests).

SQL side in :mod:`bot.adapters.staff_repository`; in memory in ``tests/fakes_staff.py``.
Every method works inside the unit of work's transaction and never commits.
"""
from __future__ import annotations

import abc
from datetime import date
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.domain.model import OutboxChannel, RequestStatus
from bot.domain.staff import Callback, ClientSummary, UnansweredKind, UnansweredQuestion


class AbstractStaffRepository(abc.ABC):
    @abc.abstractmethod
    def account_sectors(self, login: str) -> List[str]:
        """The names of the sectors the account serves, by name ([] for an unknown login)."""

    @abc.abstractmethod
    def set_account_sectors(self, login: str, sectors: Sequence[str]) -> None:
        """Replace the account's sectors (the login and the sectors exist: checked by the
        service)."""

    @abc.abstractmethod
    def find_clients(self, sectors: Sequence[str], terms: Sequence[str],
                     limit: int) -> List[ClientSummary]:
        """Up to ``limit`` clients of ``sectors`` (no e-mail), by number, matching every one
        of ``terms`` (folded words: a-z, 0-9): a term matches when it is part of the
        client's search key (:func:`bot.domain.text_keys.search_key`: folded name and phone
        digits) or starts the client's number."""

    @abc.abstractmethod
    def client_summary(self, client_number: str) -> Optional[ClientSummary]:
        """The client with phone and e-mail, or None."""

    @abc.abstractmethod
    def set_client_contact(self, client_number: str, phone: Optional[str],
                           email: Optional[str]) -> bool:
        """Set (None: erase) the client's phone and e-mail, and its search key from the
        current name and the new phone; False for an unknown client."""

    @abc.abstractmethod
    def planning_names(self) -> List[str]:
        """Every client's and caregiver's name, sorted (to mask them out of questions)."""


class AbstractUnansweredRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, text: str, kind: UnansweredKind, asked_on: date) -> int:
        """Store an already masked question; returns its id."""

    @abc.abstractmethod
    def list(self, since: Optional[date] = None) -> List[UnansweredQuestion]:
        """The questions asked on ``since`` or later (all if None), by id."""

    @abc.abstractmethod
    def label(self, ids: Sequence[int], topic: str, by: str) -> int:
        """Give these questions a topic; returns how many exist."""

    @abc.abstractmethod
    def labelled(self) -> List[UnansweredQuestion]:
        """The questions with a topic, by id."""

    @abc.abstractmethod
    def purge_before(self, day: date) -> int:
        """Delete the questions asked before ``day``; returns how many."""


class AbstractCallbackRepository(abc.ABC):
    @abc.abstractmethod
    def next_reference(self, year: int) -> str:
        """``RAP-YYYY-NNNNN``: the next of the year's counter, never one given before (a
        forgotten client's callbacks are deleted, their references stay taken: the office
        has seen them).  A rolled-back transaction gives its number back; should a
        concurrent transaction still take the same, :meth:`add` raises Conflict and the
        service retries."""

    @abc.abstractmethod
    def add(self, callback: Callback) -> Callback:
        """Store it (client and sector given by number and name); returns it with its id.
        Conflict on a taken reference."""

    @abc.abstractmethod
    def get(self, reference: str) -> Optional[Callback]: ...

    @abc.abstractmethod
    def for_client(self, client_number: str) -> List[Callback]:
        """The client's callbacks, oldest first."""

    @abc.abstractmethod
    def delete_for_client(self, client_number: str) -> int:
        """Erase the client's callbacks and their messages to the office (``amper
        forget``); returns how many callbacks."""

    @abc.abstractmethod
    def purge_before(self, before: datetime) -> int:
        """Erase the callbacks created before ``before`` whose messages to the office are all
        delivered or dead (none pending or leased), with those messages (``amper purge``:
        ``AMPER_RETENTION_CALLBACKS_DAYS``); returns how many callbacks."""

    # --- their messages to the sector office (issue 21) -----------------------------------
    @abc.abstractmethod
    def add_outbox(self, callback_id: int, channel: OutboxChannel, payload: Dict[str, Any],
                   now: datetime, idempotency_key: str) -> None:
        """A pending message about the callback (row id), due ``now``, in the outbox the
        dispatcher reads.  Conflict on a taken idempotency key."""

    @abc.abstractmethod
    def undelivered_count(self, callback_id: int) -> int:
        """The callback's messages not delivered yet."""

    @abc.abstractmethod
    def update_status_if(self, callback_id: int, from_status: RequestStatus,
                         to_status: RequestStatus) -> bool:
        """Change the callback's status only if it still is ``from_status``; True if it
        changed."""

    @abc.abstractmethod
    def outbox_of_client(self, client_number: str) -> List[Tuple[int, str]]:
        """(message id, status) of the messages about the client's callbacks, by id."""
