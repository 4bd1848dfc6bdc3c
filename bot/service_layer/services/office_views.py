"""The sector office's view of a request (docs/office-contract.md, « item »): everything the
inbox shows, in words, with what the office may decide now."""
from __future__ import annotations

from typing import Any, Dict, List

from bot.domain import decision_words as words
from bot.domain.decisions import allowed
from bot.domain.fr_format import (
    CHANNEL_LABELS_FR, KIND_LABELS_FR, REASON_LABELS_FR, REFUSAL_LABELS_FR, STATUS_LABELS_FR,
    format_datetime,
)
from bot.domain.model import Outcome, Request, RequestKind
from bot.service_layer.services.common import _iso

REFUSAL_REASONS = [{"code": reason.value, "label": label}
                   for reason, label in REFUSAL_LABELS_FR.items()]


def office_item(request: Request, *, with_history: bool = False) -> Dict[str, Any]:
    kind = request.kind.value
    item: Dict[str, Any] = {
        "reference": request.reference, "kind": kind, "kind_label": KIND_LABELS_FR[request.kind],
        "status": request.status.value, "status_label": STATUS_LABELS_FR[request.status],
        "outcome": request.outcome, "outcome_label": words.office_outcome_label(request),
        "open": request.is_open, "version": request.version,
        "client": {"number": request.client_number, "name": request.client_name},
        "sector": request.sector,
        "intervention": words.slot_words(request),
        "intervention_start": _iso(request.intervention_start),
        "new_slot": words.new_slot_words(request), "asked": words.asked_words(request),
        "rule": words.rule_words(request),
        "billing": words.billing_words(
            kind, billable=request.billable, exemption_pending=request.exemption_pending,
            exemption_granted=request.outcome == Outcome.EXEMPTION_GRANTED.value),
        "out_of_notice": request.out_of_notice, "exemption_pending": request.exemption_pending,
        "reason_label": REASON_LABELS_FR[request.reason].capitalize() if request.reason else None,
        "channel_label": CHANNEL_LABELS_FR[request.channel], "actor": request.actor,
        "received_at": _iso(request.created_at),
        "received_label": format_datetime(request.created_at),
        "decided_by": request.decided_by, "decided_at": _iso(request.decided_at),
        "decided_label": format_datetime(request.decided_at) if request.decided_at else None,
        "refusal_label": words.refusal_label(request), "note": request.decision_note,
        "decisions": allowed(request.status, kind, exemption_pending=request.exemption_pending),
        "marks": _marks(request),
    }
    if with_history:
        item["history"] = [{"at": _iso(h.at), "at_label": format_datetime(h.at),
                            "actor": h.actor, "what": words.history_words(h)}
                           for h in request.history]
    return item


def _marks(request: Request) -> List[str]:
    marks = []
    if request.out_of_notice and request.kind == RequestKind.SCHEDULE_CHANGE:
        marks.append("hors délai")
    if request.out_of_notice and request.kind == RequestKind.CANCELLATION \
            and not request.exemption_pending and request.billable:
        marks.append("facturée")
    if request.exemption_pending:
        marks.append("exonération en attente")
    return marks
