"""The booking store as the request flows use it.

A thin facade over :mod:`bot.service_layer.services`: every call opens a new unit of work
(``SqlAlchemyUnitOfWork()`` reads ``AMPER_DATABASE_URL``), so an action never keeps a
connection between turns.  Tests may pass another ``uow_factory``.

The client number always comes from the verified token (``Identity.client_number``), never
from the conversation text: the services refuse another client's intervention.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, List, Optional, Sequence

from bot.chat.identity import Identity
from bot.domain.model import Intervention
from bot.domain.rules import Decision
from bot.service_layer import services
from bot.service_layer.services import ClientRequestStatus, RequestResult

#: How many upcoming interventions are offered as buttons.
BUTTONS_LIMIT = 8
#: How far ahead (and how many) interventions are searched when the client names a day.
MATCH_DAYS = 120
MATCH_LIMIT = 200


def _default_uow():
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    return SqlAlchemyUnitOfWork()


class Planning:
    def __init__(self, uow_factory: Optional[Callable[[], object]] = None):
        self._uow = uow_factory or _default_uow

    def upcoming(self, who: Identity, now: datetime, *, days: int = MATCH_DAYS,
                 limit: int = MATCH_LIMIT) -> List[Intervention]:
        """The client's next interventions, earliest first."""
        return services.upcoming_interventions(self._uow(), who.client_number, now,
                                               days=days, limit=limit)

    def get(self, who: Identity, intervention_id: str) -> Intervention:
        return services.get_intervention(self._uow(), who.client_number, intervention_id)

    def preview_cancellation(self, who: Identity, intervention_id: str, reason: str,
                             now: datetime) -> Decision:
        return services.preview_cancellation(self._uow(), client_number=who.client_number,
                                             intervention_id=intervention_id, reason=reason,
                                             now=now)

    def preview_schedule_change(self, who: Identity, intervention_id: str, new_start: datetime,
                                new_end: datetime, now: datetime) -> Decision:
        return services.preview_schedule_change(self._uow(), client_number=who.client_number,
                                                intervention_id=intervention_id,
                                                new_start=new_start, new_end=new_end, now=now)

    def cancel(self, who: Identity, intervention_id: str, reason: str, now: datetime,
               idempotency_key: str) -> RequestResult:
        return services.create_cancellation_request(
            self._uow(), client_number=who.client_number, intervention_id=intervention_id,
            reason=reason, channel=who.channel, actor=who.actor, now=now,
            idempotency_key=idempotency_key)

    def cancel_all(self, who: Identity, intervention_ids: Sequence[str], reason: str,
                   now: datetime, idempotency_key: str) -> List[RequestResult]:
        """One cancellation request per intervention, all recorded or none."""
        return services.create_cancellation_requests(
            self._uow(), client_number=who.client_number, intervention_ids=intervention_ids,
            reason=reason, channel=who.channel, actor=who.actor, now=now,
            idempotency_key=idempotency_key)

    def change(self, who: Identity, intervention_id: str, new_start: datetime,
               new_end: datetime, now: datetime, idempotency_key: str,
               accept_out_of_notice: bool) -> RequestResult:
        return services.create_schedule_change_request(
            self._uow(), client_number=who.client_number, intervention_id=intervention_id,
            new_start=new_start, new_end=new_end, channel=who.channel, actor=who.actor,
            now=now, accept_out_of_notice=accept_out_of_notice,
            idempotency_key=idempotency_key)

    def statuses(self, who: Identity, reference: Optional[str] = None) -> List[ClientRequestStatus]:
        """The client's latest requests, or only ``reference`` (RequestNotFound)."""
        return services.client_request_statuses(self._uow(), who.client_number,
                                                reference=reference)
