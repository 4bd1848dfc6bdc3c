"""The sector office's decisions on a request (issue 22, docs/office-contract.md): what each
one may be applied to, what it changes, and how the client is told.  Pure: no I/O, no clock.

>>> from bot.domain.model import RequestStatus
>>> allowed(RequestStatus.FORWARDED, "cancellation", exemption_pending=True)
['acknowledge', 'accept', 'refuse', 'grant_exemption']
>>> allowed(RequestStatus.DONE, "schedule_change", exemption_pending=False)
[]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from bot.domain.errors import InvalidInput, InvalidTransition
from bot.domain.health_words import mentions_health
from bot.domain.model import (  # noqa: F401 (the enums are this module's vocabulary)
    OfficeDecision, Outcome, RefusalReason, Request, RequestKind, RequestStatus,
)

NOTE_MAX = 200


@dataclass(frozen=True)
class Effect:
    """What a decision changes on the request."""

    decision: OfficeDecision
    status: RequestStatus
    outcome: Optional[Outcome]          # None: acknowledged only
    billable: Optional[bool]            # the request's billable after it
    exemption_pending: bool
    refusal_reason: Optional[RefusalReason]
    note: Optional[str]
    cancels_intervention: bool          # a cancellation accepted
    moves_intervention: bool            # a schedule change accepted


def allowed(status: RequestStatus, kind: str, *, exemption_pending: bool) -> List[str]:
    """The decisions an office may take now, in the order the page shows them."""
    found: List[str] = []
    if status in (RequestStatus.RECEIVED, RequestStatus.FORWARDED):
        found.append(OfficeDecision.ACKNOWLEDGE.value)
    if status.is_open:
        found += [OfficeDecision.ACCEPT.value, OfficeDecision.REFUSE.value]
    if (kind == RequestKind.CANCELLATION.value and exemption_pending
            and (status.is_open or status == RequestStatus.DONE)):
        found.append(OfficeDecision.GRANT_EXEMPTION.value)
    return found


def parse_decision(value) -> OfficeDecision:
    try:
        return OfficeDecision(value)
    except ValueError:
        raise InvalidInput("Décision inconnue : " + ", ".join(d.value for d in OfficeDecision)
                           + ".") from None


def clean_note(note) -> Optional[str]:
    """The office's short note: at most 200 characters, never anything medical."""
    if note is None:
        return None
    if not isinstance(note, str):
        raise InvalidInput("La précision doit être un texte.")
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"La précision ne doit pas dépasser {NOTE_MAX} caractères.")
    if mentions_health(note):
        raise InvalidInput("La précision ne doit contenir aucune information médicale.")
    return note or None


def effect(request: Request, decision, *, reason=None, note=None) -> Effect:
    """What ``decision`` does to ``request``; InvalidTransition (French) when it may not be
    taken now, InvalidInput for a missing or unknown refusal reason or a bad note."""
    decision = parse_decision(decision)
    note = clean_note(note)
    kind = request.kind.value
    if decision.value not in allowed(request.status, kind,
                                     exemption_pending=request.exemption_pending):
        raise InvalidTransition(_refusal_of(decision, request))
    refusal = None
    if decision == OfficeDecision.REFUSE:
        if not reason:
            raise InvalidInput("Choisissez le motif du refus.")
        try:
            refusal = RefusalReason(reason)
        except ValueError:
            raise InvalidInput("Motif de refus inconnu.") from None
    elif reason:
        raise InvalidInput("Un motif ne se donne qu'avec un refus.")
    status, outcome = {
        OfficeDecision.ACKNOWLEDGE: (RequestStatus.ACKNOWLEDGED, None),
        OfficeDecision.ACCEPT: (RequestStatus.DONE, Outcome.ACCEPTED),
        OfficeDecision.REFUSE: (RequestStatus.REFUSED, Outcome.REFUSED),
        OfficeDecision.GRANT_EXEMPTION: (RequestStatus.DONE, Outcome.EXEMPTION_GRANTED),
    }[decision]
    billable, pending = request.billable, request.exemption_pending
    if decision == OfficeDecision.GRANT_EXEMPTION:
        billable, pending = False, False
    closes_open = request.status.is_open and status == RequestStatus.DONE
    is_cancellation = request.kind == RequestKind.CANCELLATION
    return Effect(decision=decision, status=status, outcome=outcome, billable=billable,
                  exemption_pending=pending, refusal_reason=refusal, note=note,
                  cancels_intervention=closes_open and is_cancellation,
                  moves_intervention=(closes_open and not is_cancellation
                                      and request.new_start is not None))


def _refusal_of(decision: OfficeDecision, request: Request) -> str:
    if decision == OfficeDecision.GRANT_EXEMPTION:
        if request.kind != RequestKind.CANCELLATION or not request.exemption_pending:
            return ("L'exemption ne s'accorde qu'à une annulation en attente de justificatif "
                    "médical.")
    if request.status.is_open:
        return "La demande est déjà prise en compte."
    return "La demande est déjà close : aucune autre décision n'est possible."
