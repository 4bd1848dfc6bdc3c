"""The sector office's inbox and decisions (issue 22, docs/office-contract.md): its requests
with filters, a decision (optimistic lock: one decision wins, the other is told), the
client told afterwards (the chat, an e-mail through the outbox), what changed lately (the
live inbox), a month's summary for the invoices."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.domain import decision_words as words
from bot.domain.clock import PARIS
from bot.domain.decisions import effect, parse_decision
from bot.domain.errors import DecisionConflict, InvalidInput, RequestNotFound
from bot.domain.fr_format import KIND_LABELS_FR, MONTHS, format_datetime
from bot.domain.model import (
    CLOSED_STATUSES, OPEN_STATUSES, InterventionStatus, OfficeDecision, OutboxChannel,
    Request, RequestKind, RequestStatus,
)
from bot.domain.text_keys import words as folded_words
from bot.service_layer.services.common import _actor, _now

INBOX_LIMIT = 500
#: how far back the live inbox looks for changes: longer than any transaction and than the
#: longest poll interval (AMPER_WEB_INBOX_POLL ≤ 300 s), so no change falls between two looks
CHANGES_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class DecisionResult:
    request: Request
    applied: bool      # False: the same decision was already recorded (a double click)
    message: str


def _statuses(status: Optional[str]) -> Optional[Sequence[RequestStatus]]:
    if status in (None, "", "open"):
        return OPEN_STATUSES
    if status == "closed":
        return CLOSED_STATUSES
    if status == "all":
        return None
    try:
        return (RequestStatus(status),)
    except ValueError:
        raise InvalidInput("Statut inconnu : open, closed, all ou "
                           + ", ".join(s.value for s in RequestStatus) + ".") from None


def _day(value, label: str) -> Optional[date]:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"Date « {label} » invalide : attendu AAAA-MM-JJ.") from None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


def _sort_key(request: Request) -> Tuple:
    """Open first, the intervention soonest first; then closed, newest decision first."""
    if request.is_open:
        return (0, request.intervention_start.timestamp(), request.id)
    decided = request.decided_at or request.updated_at
    return (1, -decided.timestamp(), -request.id)


def office_inbox(uow, sectors: Sequence[str], *, status: Optional[str] = "open",
                 kind: Optional[str] = None, date_from=None, date_to=None,
                 client: Optional[str] = None, limit: int = INBOX_LIMIT) -> List[Request]:
    """The requests of ``sectors`` matching the filters, in the inbox's order."""
    statuses = _statuses(status)
    if kind not in (None, ""):
        try:
            kind = RequestKind(kind).value
        except ValueError:
            raise InvalidInput("Type inconnu : cancellation ou schedule_change.") from None
    first, last = _day(date_from, "du"), _day(date_to, "au")
    if first and last and last < first:
        raise InvalidInput("La date « au » précède la date « du ».")
    terms = folded_words(client or "")[:5] if client else []
    if client and len(client) > 100:
        raise InvalidInput("Client : 100 caractères au plus.")
    with uow:
        found = uow.office.inbox(
            list(sectors), statuses=statuses, kind=kind or None,
            start_from=_midnight(first) if first else None,
            start_before=_midnight(last + timedelta(days=1)) if last else None,
            client_terms=terms, limit=limit)
    return sorted(found, key=_sort_key)


def office_open_count(uow, sectors: Sequence[str]) -> int:
    with uow:
        return uow.office.open_count(list(sectors))


def office_request(uow, reference: str, sectors: Optional[Sequence[str]]) -> Request:
    """One request with its history; another sector's is not found, like an unknown one."""
    reference = (reference or "").strip().upper()
    with uow:
        return _office_request(uow, reference, sectors)


def _office_request(uow, reference: str, sectors) -> Request:
    request = uow.repo.get_request(reference)
    if request is None or (sectors is not None and request.sector not in sectors):
        raise RequestNotFound(reference)
    return request


def decide(uow, reference: str, decision, *, actor: str,
           sectors: Optional[Sequence[str]] = None, version: Optional[int] = None,
           reason: Optional[str] = None, note: Optional[str] = None,
           now: Optional[datetime] = None) -> DecisionResult:
    """Apply an office's decision.  ``version``: the one the office saw (None: the current
    one, e.g. the office's own system).  A changed request raises DecisionConflict (with the
    request); the same decision by the same actor again changes nothing (``applied`` False).
    The client gets an e-mail (outbox) when the decision is an outcome and they have an
    address."""
    now, actor = _now(now), _actor(actor)
    decision = parse_decision(decision)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidInput("Version de la demande invalide : rechargez la page.")
    reference = (reference or "").strip().upper()
    with uow:
        request = _office_request(uow, reference, sectors)
        if _repeated(request, decision, actor, version):
            return DecisionResult(request, False, "Cette décision était déjà enregistrée.")
        if version is not None and version != request.version:
            raise DecisionConflict(words.conflict_message(request), request)
        change = effect(request, decision, reason=reason, note=note)
        if not uow.office.apply_decision(request.id, request.version, change, actor=actor,
                                         now=now):
            raise DecisionConflict(words.conflict_message(uow.repo.get_request(reference)),
                                   uow.repo.get_request(reference))
        uow.repo.add_history(request.id, now, actor, request.status, change.status,
                             words.history_note(change.refusal_reason, change.note),
                             decision.value)
        if change.cancels_intervention:
            uow.repo.set_intervention_status(uow.repo.intervention_row_id(request.id),
                                             InterventionStatus.CANCELLED)
        if change.moves_intervention:
            uow.office.move_intervention(request.id, request.new_start, request.new_end)
        updated = uow.repo.get_request(reference)
        if change.outcome is not None and _client_email(uow, updated):
            uow.repo.add_outbox(request.id, OutboxChannel.CLIENT_EMAIL,
                                client_email_payload(updated), now,
                                f"{reference}:decision:{updated.version}")
        uow.commit()
    return DecisionResult(updated, True, _done_message(updated, decision))


def _repeated(request: Request, decision: OfficeDecision, actor: str,
              version: Optional[int]) -> bool:
    """The same actor's same decision is the request's latest change (a double click)."""
    decided = [h for h in request.history if h.decision]
    return bool(decided) and decided[-1].decision == decision.value \
        and decided[-1].actor == actor and (version is None or version == request.version - 1)


def _client_email(uow, request: Request) -> Optional[str]:
    summary = uow.staff.client_summary(request.client_number)
    return summary.email if summary is not None else None


def _done_message(request: Request, decision: OfficeDecision) -> str:
    from bot.domain.fr_format import DECISION_DONE_FR

    return f"Demande {request.reference} {DECISION_DONE_FR[decision]}."


def client_email_payload(request: Request) -> Dict[str, Any]:
    """The outbox document of the decision's e-mail to the client (rendered by
    bot.adapters.notifications)."""
    return {"kind": "decision", "reference": request.reference,
            "client_name": request.client_name, "client_id": request.client_number,
            "sentence": words.outcome_sentence(request), "outcome": request.outcome,
            "version": request.version}


# --- the client told (the chat) ---------------------------------------------------------

def client_notices(uow, client_number: str, now: Optional[datetime] = None) -> List[str]:
    """The office's decisions the client was not told yet, as sentences; now marked told."""
    now = _now(now)
    with uow:
        found = uow.office.untold_outcomes(str(client_number))
        if not found:
            return []
        uow.office.mark_told([r.id for r in found], now)
        uow.commit()
    return [words.outcome_sentence(r) for r in found]


# --- the live inbox ---------------------------------------------------------------------

def office_changes(uow, cursor: Optional[Dict[str, Any]],
                   now: Optional[datetime] = None) -> Tuple[Dict[str, Any], Dict[str, List[str]]]:
    """What changed since ``cursor`` (an opaque dict; None: start now, no changes), by
    sector.  Looks at the last quarter of an hour each time and compares versions and
    statuses, so a transaction committed late is never missed."""
    now = _now(now)
    with uow:
        rows = uow.office.changes_since(now - CHANGES_WINDOW)
    seen = {ref: f"{version}:{status}" for ref, _, version, status in rows}
    changed: Dict[str, List[str]] = {}
    if cursor is not None:
        before = cursor.get("seen", {})
        for ref, sector, version, status in rows:
            if before.get(ref) != seen[ref]:
                changed.setdefault(sector, []).append(ref)
    return {"seen": seen}, changed


# --- the month's summary ----------------------------------------------------------------

def month_summary(uow, sectors: Sequence[str], year: int, month: int) -> Dict[str, Any]:
    """Counts per kind and outcome of the requests whose intervention falls in the month,
    and the billed late cancellations (for the month's invoices)."""
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidInput("Mois invalide : attendu AAAA-MM.")
    start = datetime(year, month, 1, tzinfo=PARIS)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=PARIS)
    with uow:
        found = uow.office.month_requests(list(sectors), start, end)
    counts: Dict[Tuple[str, str], int] = {}
    billed = []
    for r in found:
        key = (KIND_LABELS_FR[r.kind], words.office_outcome_label(r))
        counts[key] = counts.get(key, 0) + 1
        # late cancellations billed, or billed unless the certificate comes
        if (r.kind == RequestKind.CANCELLATION and r.out_of_notice
                and r.billable is not False and r.status != RequestStatus.REFUSED):
            billed.append({"reference": r.reference,
                           "client": f"{r.client_name} (n° {r.client_number})",
                           "intervention": words.slot_words(r),
                           "decided": words.office_outcome_label(r)
                           + (" — justificatif médical attendu" if r.exemption_pending else "")})
    rows = [{"kind_label": kind, "outcome_label": outcome, "count": n}
            for (kind, outcome), n in sorted(counts.items())]
    return {"month": f"{year:04d}-{month:02d}", "label": f"{MONTHS[month - 1]} {year}",
            "rows": rows, "billed_late_cancellations": billed, "total": len(found),
            "sectors": list(sectors)}


def webhook_secret(uow, reference: str) -> Optional[Tuple[str, Optional[str]]]:
    """(sector, webhook secret) of the request, or None for an unknown reference."""
    with uow:
        return uow.office.sector_secret((reference or "").strip().upper())


def describe_decided(request: Request) -> str:
    """« acceptée par bureau.nord (lundi 7 décembre à 10 h 02) » (the inbox's detail)."""
    if not request.decided_by or not request.decided_at:
        return ""
    return (f"{words.office_outcome_label(request)} par {request.decided_by} "
            f"({format_datetime(request.decided_at)})")
