"""Recording a request (cancellation, schedule change, a group of cancellations) and the
previews said to the client before confirming; one transaction per request or group, with
its outbox messages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from bot.domain import rules
from bot.domain.errors import (
    AlreadyRequested, Conflict, InvalidInput, OutOfNoticeNotConfirmed, RuleRefused,
    ServiceError,
)
from bot.domain.model import Channel, OutboxChannel, Request, RequestKind, RequestStatus
from bot.domain.rules import Decision
from bot.service_layer.services.common import (
    _actor, _aware, _channel, _load_intervention, _now, _reason,
)
from bot.service_layer.services.outbox import outbox_payload

#: The most interventions cancelled by one request of the client (a longer absence is
#: arranged with the sector office).
MAX_GROUP = 10


@dataclass(frozen=True)
class RequestResult:
    """``created`` is False when an identical request (same idempotency key) was replayed:
    ``request`` is then the one recorded the first time and ``decision`` is None."""

    request: Request
    decision: Optional[Decision]
    created: bool

    @property
    def reference(self) -> str:
        return self.request.reference

    @property
    def message(self) -> str:
        what = ("Votre demande d'annulation" if self.request.kind == RequestKind.CANCELLATION
                else "Votre demande de changement d'horaire")
        if not self.created:
            return f"{what} est déjà enregistrée sous la référence {self.reference}."
        return (f"{what} est enregistrée sous la référence {self.reference}. "
                "Elle va être transmise à votre bureau de secteur.")


# --- previews (said to the client before confirmation) ----------------------------------

def preview_cancellation(uow, *, client_number: str, intervention_id: str, reason,
                         now: Optional[datetime] = None) -> Decision:
    """The rule decision for a cancellation, without recording anything.  Raises
    InterventionNotFound / RuleRefused / AlreadyRequested like the real thing."""
    now, reason = _now(now), _reason(reason)
    with uow:
        intervention = _load_intervention(uow, client_number, intervention_id)
        sector = uow.repo.sector_for_client(intervention.client_number)
        decision = _cancellation_rule(client_number, reason)(intervention, sector, now)
        _ensure_requestable(uow, intervention, RequestKind.CANCELLATION, decision)
        return decision


def _cancellation_rule(client_number, reason):
    """The cancellation rule as ``decide(intervention, sector, now)``."""
    def decide(intervention, sector, now):
        return rules.decide_cancellation(intervention, str(client_number), reason, now,
                                         office_contact=sector.office_email if sector else None)

    return decide


def _ensure_requestable(uow, intervention, kind: RequestKind, decision: Decision) -> None:
    """Raises unless the rules allow the request and none of that kind is already open."""
    if not decision.allowed:
        raise RuleRefused(decision)
    existing = uow.repo.find_open_request(intervention.id, kind)
    if existing:
        raise AlreadyRequested(existing)


def preview_schedule_change(uow, *, client_number: str, intervention_id: str,
                            new_start: datetime, new_end: datetime,
                            now: Optional[datetime] = None) -> Decision:
    now = _now(now)
    new_start, new_end = _aware(new_start, "Début"), _aware(new_end, "Fin")
    with uow:
        intervention = _load_intervention(uow, client_number, intervention_id)
        decision = rules.decide_schedule_change(intervention, str(client_number),
                                                new_start, new_end, now)
        _ensure_requestable(uow, intervention, RequestKind.SCHEDULE_CHANGE, decision)
        return decision


# --- recording -------------------------------------------------------------------------------

def create_cancellation_request(uow, *, client_number: str, intervention_id: str, reason,
                                channel: Union[Channel, str], actor: str,
                                now: Optional[datetime] = None,
                                idempotency_key: Optional[str] = None) -> RequestResult:
    """Record a cancellation request (and its outbox messages) in one transaction.

    Raises InterventionNotFound, RuleRefused (past / cancelled / other client's
    intervention), AlreadyRequested (an open cancellation exists: ``.reference``),
    InvalidInput, StoreUnavailable.  Replaying with the same ``idempotency_key`` returns the
    first result with ``created=False``."""
    reason = _reason(reason)
    return _create(uow, RequestKind.CANCELLATION, client_number, intervention_id, channel,
                   actor, now, idempotency_key, _cancellation_rule(client_number, reason),
                   dict(reason_category=reason.value))


def create_schedule_change_request(uow, *, client_number: str, intervention_id: str,
                                   new_start: datetime, new_end: datetime,
                                   channel: Union[Channel, str], actor: str,
                                   now: Optional[datetime] = None,
                                   accept_out_of_notice: bool = False,
                                   idempotency_key: Optional[str] = None) -> RequestResult:
    """Record a schedule-change request.  Under 10 days it is recorded only with
    ``accept_out_of_notice=True`` (the client was told the office may refuse it), else
    OutOfNoticeNotConfirmed.  Other errors as for :func:`create_cancellation_request`."""
    new_start, new_end = _aware(new_start, "Début"), _aware(new_end, "Fin")

    def decide(intervention, sector, now):
        decision = rules.decide_schedule_change(intervention, str(client_number),
                                                new_start, new_end, now)
        if decision.allowed and decision.out_of_notice and not accept_out_of_notice:
            raise OutOfNoticeNotConfirmed(decision)
        return decision

    return _create(uow, RequestKind.SCHEDULE_CHANGE, client_number, intervention_id, channel,
                   actor, now, idempotency_key, decide,
                   dict(new_start_at=new_start, new_end_at=new_end))


def create_cancellation_requests(uow, *, client_number: str, intervention_ids: Sequence[str],
                                 reason, channel: Union[Channel, str], actor: str,
                                 now: Optional[datetime] = None,
                                 idempotency_key: Optional[str] = None) -> List[RequestResult]:
    """Cancel several interventions at once ("toute la semaine prochaine"): one request per
    intervention, all recorded in one transaction or none.  Each request gets its own
    idempotency key, ``<key>:<intervention id>``, so replaying the same confirmation returns
    the same requests (``created=False``).  Errors as for
    :func:`create_cancellation_request`: one intervention that cannot be cancelled (already
    requested, started...) records nothing."""
    ids = [str(i) for i in intervention_ids]
    if not ids or len(set(ids)) != len(ids) or len(ids) > MAX_GROUP:
        raise InvalidInput(f"De 1 à {MAX_GROUP} interventions différentes attendues.")
    reason = _reason(reason)
    key = str(idempotency_key)[:135] if idempotency_key is not None else None
    items = [(i, f"{key}:{i}" if key else None) for i in ids]
    return _create_all(uow, RequestKind.CANCELLATION, client_number, items, channel, actor,
                       now, _cancellation_rule(client_number, reason),
                       dict(reason_category=reason.value))


def _create(uow, kind: RequestKind, client_number, intervention_id, channel, actor, now,
            idempotency_key, decide, extra: Dict[str, Any]) -> RequestResult:
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key)[:200]
    return _create_all(uow, kind, client_number, [(intervention_id, idempotency_key)],
                       channel, actor, now, decide, extra)[0]


def _create_all(uow, kind: RequestKind, client_number, items: Sequence[Tuple[str, Optional[str]]],
                channel, actor, now, decide, extra: Dict[str, Any]) -> List[RequestResult]:
    """Record one request per (intervention id, idempotency key) in one transaction."""
    now, channel, actor = _now(now), _channel(channel), _actor(actor)
    client_number = str(client_number)
    for _attempt in range(3):
        try:
            with uow:
                prepared = [_prepare_one(uow, kind, client_number, intervention_id, key, now,
                                         decide)
                            for intervention_id, key in items]
                new = [p for p in prepared if not isinstance(p, RequestResult)]
                # the office is told which requests were made together
                references = [uow.repo.next_reference(now.year) for _p in new]
                group = references if len(references) > 1 else None
                results, next_ref = [], iter(references)
                for (_intervention_id, key), p in zip(items, prepared):
                    if isinstance(p, RequestResult):
                        results.append(p)
                        continue
                    intervention, sector, decision = p
                    request = _insert_request(uow, kind, intervention, sector, decision, channel,
                                              actor, now, key, extra, next(next_ref), group)
                    results.append(RequestResult(request=request, decision=decision,
                                                 created=True))
                if new:
                    uow.commit()
                return results
        except Conflict:
            # Lost a race against a concurrent transaction: the store's constraint held.
            with uow:
                replays = [key and _replay(uow, key, kind, client_number, intervention_id)
                           for intervention_id, key in items]
                if all(replays):
                    return replays
                for intervention_id, _key in items:
                    intervention = _load_intervention(uow, client_number, intervention_id)
                    existing = uow.repo.find_open_request(intervention.id, kind)
                    if existing:
                        raise AlreadyRequested(existing) from None
            # otherwise (e.g. the conflicting request got closed meanwhile): try again
    raise ServiceError("La demande n'a pas pu être enregistrée, merci de réessayer.")


def _prepare_one(uow, kind, client_number: str, intervention_id, key: Optional[str], now,
                 decide):
    """Inside a unit of work: the replay of ``key`` (a RequestResult), or what a new request
    needs, checked: (intervention, sector, decision)."""
    if key:
        replay = _replay(uow, key, kind, client_number, intervention_id)
        if replay:
            return replay
    intervention = _load_intervention(uow, client_number, intervention_id)
    sector = uow.repo.sector_for_client(intervention.client_number)
    decision = decide(intervention, sector, now)
    try:
        _ensure_requestable(uow, intervention, kind, decision)
    except AlreadyRequested:
        # A concurrent replay of this same message may have committed between the key
        # check above and this one (read committed): that is a replay.
        replay = key and _replay(uow, key, kind, client_number, intervention_id)
        if replay:
            return replay
        raise
    return intervention, sector, decision


def _replay(uow, key: str, kind, client_number: str, intervention_id) -> Optional[RequestResult]:
    existing = uow.repo.find_request_by_key(key)
    if existing is None:
        return None
    if (existing.kind != kind or existing.client_number != client_number
            or existing.intervention_external_id != str(intervention_id)):
        raise InvalidInput("Clé d'idempotence déjà utilisée pour une autre demande.")
    return RequestResult(request=existing, decision=None, created=False)


def _insert_request(uow, kind, intervention, sector, decision, channel, actor, now,
                    idempotency_key, extra, reference: str,
                    group: Optional[List[str]] = None) -> Request:
    repo = uow.repo
    request_id = repo.add_request(
        reference=reference, kind=kind.value, client_id=repo.client_id(intervention.client_number),
        intervention_id=intervention.id, channel=channel.value, actor=actor,
        decision_code=decision.code, billable=decision.billable,
        exemption_pending=decision.exemption_pending, out_of_notice=decision.out_of_notice,
        notice_seconds=int(decision.notice.total_seconds()),
        status=RequestStatus.RECEIVED.value, idempotency_key=idempotency_key,
        created_at=now, updated_at=now, **extra)
    repo.add_history(request_id, now, actor, None, RequestStatus.RECEIVED)
    request = repo.get_request(reference)
    payload = outbox_payload(request, decision.message, group)
    repo.add_outbox(request_id, OutboxChannel.EMAIL, payload, now, f"{reference}:email")
    if sector is not None and sector.webhook_url:
        repo.add_outbox(request_id, OutboxChannel.WEBHOOK, payload, now, f"{reference}:webhook")
    return request
