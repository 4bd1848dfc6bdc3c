"""Port of the sector office's inbox (issue 22, docs/office-contract.md), ``uow.office``:
the office's requests with filters, a decision written only if nobody changed the request
meanwhile (optimistic lock on ``version``), what changed lately (the live inbox), the
outcomes the client was not told yet, a month's requests, a sector's webhook secret.

SQL side in :mod:`bot.adapters.office_repository`; in memory in ``tests/fakes_office.py``.
Every method works inside the unit of work's transaction and never commits.
"""
from __future__ import annotations

import abc
from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from bot.domain.decisions import Effect
from bot.domain.model import Request, RequestStatus

#: (reference, sector, version, status) of a request changed lately
Change = Tuple[str, str, int, str]


class AbstractOfficeRepository(abc.ABC):
    @abc.abstractmethod
    def inbox(self, sectors: Sequence[str], *, statuses: Optional[Sequence[RequestStatus]],
              kind: Optional[str], start_from: Optional[datetime],
              start_before: Optional[datetime], client_terms: Sequence[str],
              limit: int) -> List[Request]:
        """The requests of ``sectors`` (no history), in any order: ``statuses`` (None: all),
        ``kind``, the intervention starting in [start_from, start_before), the client's
        number starting with, or search key containing, every one of ``client_terms``
        (folded words)."""

    @abc.abstractmethod
    def open_count(self, sectors: Sequence[str]) -> int:
        """How many open requests ``sectors`` have."""

    @abc.abstractmethod
    def apply_decision(self, request_id: int, expected_version: int, effect: Effect, *,
                       actor: str, now: datetime) -> bool:
        """Write the decision's effect (status, outcome, billing, reason, note, who, when,
        ``version + 1``, ``updated_at``) only if the request is still at
        ``expected_version``; False (nothing written) otherwise."""

    @abc.abstractmethod
    def move_intervention(self, request_id: int, start: datetime, end: datetime) -> None:
        """The request's intervention now takes place at [start, end) (a change accepted)."""

    @abc.abstractmethod
    def changes_since(self, since: datetime) -> List[Change]:
        """The requests updated at or after ``since``."""

    @abc.abstractmethod
    def untold_outcomes(self, client_number: str) -> List[Request]:
        """The client's requests with an office decision the chat has not told yet (decided
        after ``client_told_at``), oldest decision first."""

    @abc.abstractmethod
    def mark_told(self, request_ids: Sequence[int], now: datetime) -> None:
        """The chat told the client the latest decision of these requests."""

    @abc.abstractmethod
    def month_requests(self, sectors: Sequence[str], start: datetime,
                       end: datetime) -> List[Request]:
        """The requests of ``sectors`` whose intervention starts in [start, end)."""

    @abc.abstractmethod
    def sector_secret(self, reference: str) -> Optional[Tuple[str, Optional[str]]]:
        """(sector, webhook secret) of the request's client, or None for an unknown
        reference."""
