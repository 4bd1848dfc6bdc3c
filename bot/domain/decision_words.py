"""How the sector office's decisions are said (issue 22): to the office (the inbox, the
history, a conflict) and to the client (« Mes demandes », the chat, the e-mail).  Pure.

>>> from datetime import datetime, timedelta
>>> from bot.domain.clock import PARIS
>>> from bot.domain.model import Channel, Request, RequestKind, RequestStatus
>>> at = datetime(2026, 12, 7, 10, 2, tzinfo=PARIS)
>>> r = Request("AMP-2026-000123", RequestKind.CANCELLATION, "1001", "I-1", Channel.WEB,
...             "client", "cancellation_free", False, False, False, timedelta(days=3),
...             RequestStatus.DONE, at, at, intervention_start=at + timedelta(days=1),
...             intervention_end=at + timedelta(days=1, hours=2), outcome="accepted",
...             decided_by="bureau.nord", decided_at=at)
>>> outcome_sentence(r)
"Votre demande AMP-2026-000123 du lundi 7 décembre (annulation de l'intervention du mardi 8 décembre, 10 h 02–12 h 02) a été acceptée par le bureau de secteur."
>>> billing_words("cancellation", billable=True, exemption_pending=False)
'facturée (annulation à moins de 48 h)'
"""
from __future__ import annotations

from datetime import timedelta
from typing import List, Optional

from bot.domain.fr_format import (
    DECISION_DONE_FR, OUTCOME_LABELS_FR, REFUSAL_LABELS_FR, STATUS_LABELS_FR, format_date,
    format_datetime, format_slot,
)
from bot.domain.model import (
    OfficeDecision, Outcome, RefusalReason, Request, RequestHistoryEntry, RequestKind,
    RequestStatus,
)

#: What the office reads of a closed request without an outcome (closed by hand, CLI).
DONE_BY_HAND = "traitée"
OFFICE_OUTCOME_FR = {
    Outcome.ACCEPTED: "acceptée",
    Outcome.REFUSED: "refusée",
    Outcome.EXEMPTION_GRANTED: "exemption accordée",
}


def billing_words(kind: str, *, billable: Optional[bool], exemption_pending: bool,
                  exemption_granted: bool = False) -> str:
    """What the request means for the invoice, in words the office uses (the inbox and the
    office's e-mail)."""
    if kind == RequestKind.SCHEDULE_CHANGE.value:
        return "sans objet (changement d'horaire)"
    if exemption_pending:
        return ("exonération en attente du justificatif médical : non facturée si le "
                "justificatif est transmis, sinon facturée (décision du bureau)")
    if billable is True:
        return "facturée (annulation à moins de 48 h)"
    if billable is False and exemption_granted:
        return "non facturée (justificatif médical reçu)"
    if billable is False:
        return "non facturée (préavis de 48 h respecté)"
    return "à décider par le bureau"


def notice_words(notice: timedelta) -> str:
    """How long before the intervention, as the office counts it: « 47 h », « 12 jours ».

    >>> notice_words(timedelta(hours=24, minutes=2)), notice_words(timedelta(days=12))
    ('24 h', '12 jours')
    >>> notice_words(timedelta(minutes=40)), notice_words(timedelta(hours=-2))
    ('40 min', 'après le début')
    """
    seconds = notice.total_seconds()
    if seconds < 0:
        return "après le début"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 72 * 3600:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    return f"{days} jours"


def rule_words(request: Request) -> str:
    """The notice rule as the assistant applied it when the request was made."""
    notice = notice_words(request.notice)
    if notice != "après le début":
        notice += " avant"
    if request.kind == RequestKind.CANCELLATION:
        kept = "respecté" if not request.out_of_notice else "non respecté"
        return f"Annulation {notice} (préavis de 48 h {kept})"
    kept = "respecté" if not request.out_of_notice else "dépassé"
    return f"Changement {notice} (délai de 10 jours {kept})"


def slot_words(request: Request) -> str:
    if request.intervention_start and request.intervention_end:
        return format_slot(request.intervention_start, request.intervention_end)
    return "intervention"


def new_slot_words(request: Request) -> Optional[str]:
    if request.new_start and request.new_end:
        return format_slot(request.new_start, request.new_end)
    return None


def asked_words(request: Request) -> str:
    """What the client asked, old → new slot in words."""
    if request.kind == RequestKind.CANCELLATION:
        return f"Annuler l'intervention du {slot_words(request)}"
    new = new_slot_words(request)
    return (f"Déplacer l'intervention du {slot_words(request)} au {new}" if new
            else f"Changer l'horaire de l'intervention du {slot_words(request)}")


def refusal_label(request: Request) -> Optional[str]:
    if not request.refusal_reason:
        return None
    try:
        return REFUSAL_LABELS_FR[RefusalReason(request.refusal_reason)]
    except ValueError:
        return None


def office_outcome_label(request: Request) -> str:
    """« acceptée », « refusée », « exemption accordée », « traitée », or the open status."""
    if request.outcome:
        try:
            return OFFICE_OUTCOME_FR[Outcome(request.outcome)]
        except ValueError:
            pass
    if request.status == RequestStatus.DONE:
        return DONE_BY_HAND
    return "en cours"


def client_label(request: Request) -> Optional[str]:
    """What « Mes demandes » says once the office decided (None: not decided yet)."""
    if not request.outcome:
        return None
    try:
        label = OUTCOME_LABELS_FR[Outcome(request.outcome)]
    except ValueError:
        return None
    reason = refusal_label(request)
    return f"{label} (motif : {reason})" if reason else label


def outcome_sentence(request: Request) -> str:
    """What the assistant (and the e-mail) tells the client about the office's decision."""
    kind = "annulation" if request.kind == RequestKind.CANCELLATION else "changement d'horaire"
    what = f"{kind} de l'intervention du {slot_words(request)}"
    sentence = (f"Votre demande {request.reference} du {format_date(request.created_at)} "
                f"({what}) a été {client_label(request) or STATUS_LABELS_FR[request.status]}.")
    new = new_slot_words(request)
    if request.outcome == Outcome.ACCEPTED.value and new:
        sentence += f" Nouvel horaire : {new}."
    if request.decision_note:
        sentence += f" Précision du bureau : {request.decision_note}"
        if not request.decision_note.endswith((".", "!", "?")):
            sentence += "."
    return sentence


def history_words(entry: RequestHistoryEntry) -> str:
    """One line of the request's history, for the office."""
    if entry.decision:
        try:
            what = DECISION_DONE_FR[OfficeDecision(entry.decision)].capitalize()
        except ValueError:
            what = entry.decision
    elif entry.from_status is None:
        what = "Demande enregistrée"
    else:
        what = f"Statut : {STATUS_LABELS_FR[entry.to_status]}"
    return f"{what} — {entry.note}" if entry.note else what


def conflict_message(request: Request) -> str:
    """Why a decision was not applied: who changed the request, when, to what."""
    last = _last_decision(request.history)
    if last is None:
        return ("Cette demande vient d'être modifiée : vérifiez son état avant de "
                "décider.")
    try:
        done = DECISION_DONE_FR[OfficeDecision(last.decision)]
    except ValueError:
        done = "modifiée"
    if last.decision == OfficeDecision.GRANT_EXEMPTION.value:
        return (f"Une exemption a déjà été accordée pour cette demande par {last.actor} "
                f"({format_datetime(last.at)}).")
    return f"Cette demande a déjà été {done} par {last.actor} ({format_datetime(last.at)})."


def _last_decision(history) -> Optional[RequestHistoryEntry]:
    decided: List[RequestHistoryEntry] = [h for h in history if h.decision]
    return decided[-1] if decided else None


def history_note(reason: Optional[RefusalReason], note: Optional[str]) -> Optional[str]:
    """The history row's note: the refusal reason's words and the office's note."""
    parts = []
    if reason is not None:
        parts.append(f"motif : {REFUSAL_LABELS_FR[reason]}")
    if note:
        parts.append(f"précision : {note}")
    return " ; ".join(parts) or None
