"""Read views: the client's interventions, requests (one, a list, as JSON), and what a
client may be told about where their requests stand."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from bot.domain import decision_words
from bot.domain.errors import InterventionNotFound, InvalidInput
from bot.domain.fr_format import STATUS_LABELS_FR
from bot.domain.model import (
    Intervention, Request, RequestKind, RequestStatus,
)
from bot.service_layer.services.common import _iso, _load_intervention, _now, _owned_request


def upcoming_interventions(uow, client_number: str, now: Optional[datetime] = None, *,
                           days: Optional[int] = None,
                           limit: Optional[int] = None) -> List[Intervention]:
    """The client's scheduled interventions starting after ``now`` (optionally within
    ``days`` days), earliest first."""
    now = _now(now)
    until = now + timedelta(days=days) if days else None
    with uow:
        return uow.repo.upcoming_interventions(str(client_number), now, until, limit)


def get_intervention(uow, client_number: str, intervention_id: str) -> Intervention:
    """One of the client's interventions; InterventionNotFound for anyone else's."""
    with uow:
        intervention = _load_intervention(uow, client_number, intervention_id)
    if intervention.client_number != str(client_number):
        raise InterventionNotFound()
    return intervention


def get_request(uow, reference: str, client_number: Optional[str] = None) -> Request:
    """A request with its history.  With ``client_number``, another client's request is
    reported as not found."""
    with uow:
        return _owned_request(uow, reference, client_number)


def list_requests(uow, *, sector: Optional[str] = None, status: Optional[str] = None,
                  client_number: Optional[str] = None, kind: Optional[str] = None,
                  open_only: bool = False, limit: Optional[int] = None) -> List[Request]:
    if status is not None:
        try:
            status = RequestStatus(status).value
        except ValueError:
            raise InvalidInput("Statut inconnu : " + ", ".join(s.value for s in RequestStatus)
                               + ".") from None
    if kind is not None:
        try:
            kind = RequestKind(kind).value
        except ValueError:
            raise InvalidInput("Type de demande inconnu : cancellation ou schedule_change.") from None
    with uow:
        return uow.repo.list_requests(sector=sector, status=status,
                                      client_number=str(client_number) if client_number else None,
                                      kind=kind, open_only=open_only, limit=limit)


def request_as_dict(request: Request) -> Dict[str, Any]:
    """JSON-ready view of a request (used by ``amper requests list --json``)."""
    return {
        "reference": request.reference,
        "kind": request.kind.value,
        "client_id": request.client_number,
        "client_name": request.client_name,
        "sector": request.sector,
        "intervention_id": request.intervention_external_id,
        "intervention_start": _iso(request.intervention_start),
        "intervention_end": _iso(request.intervention_end),
        "caregiver": request.caregiver,
        "service": request.service,
        "status": request.status.value,
        "decision_code": request.decision_code,
        "notice_hours": request.notice_hours,
        "billable": request.billable,
        "exemption_pending": request.exemption_pending,
        "out_of_notice": request.out_of_notice,
        "reason_category": request.reason.value if request.reason else None,
        "new_start": _iso(request.new_start),
        "new_end": _iso(request.new_end),
        "channel": request.channel.value,
        "actor": request.actor,
        "created_at": _iso(request.created_at),
        "updated_at": _iso(request.updated_at),
        "version": request.version,
        "outcome": request.outcome,
        "refusal_reason": request.refusal_reason,
        "decision_note": request.decision_note,
        "decided_by": request.decided_by,
        "decided_at": _iso(request.decided_at),
        "history": [
            {"at": _iso(h.at), "actor": h.actor,
             "from_status": h.from_status.value if h.from_status else None,
             "to_status": h.to_status.value, "note": h.note, "decision": h.decision}
            for h in request.history
        ],
    }


def client_exists(uow, client_number: str) -> bool:
    """Whether ``client_number`` is a client of the store (a signed link names one)."""
    with uow:
        return uow.repo.client_id(str(client_number)) is not None


def store_is_empty(uow) -> bool:
    """True while no planning was ever imported (the launcher then loads the demo)."""
    with uow:
        return uow.repo.count_interventions() == 0


# --- whether the sector office has the request (issue 5) ------------------------------

FORWARDED_LABEL_FR = "transmise au bureau de secteur"
FORWARDING_LABEL_FR = "enregistrée, transmission en cours"


@dataclass(frozen=True)
class ForwardingStatus:
    """Whether the sector office has the request.

    ``forwarded`` is True once every outbox message of the request is delivered (or the
    office already handles it: status beyond ``received``); ``label`` is what the client
    may be told; ``forwarded_at`` is the last delivery time.  ``stalled`` (a message
    abandoned or waiting for configuration) is for staff only."""

    reference: str
    forwarded: bool
    label: str
    forwarded_at: Optional[datetime]
    messages: int
    delivered: int
    stalled: bool
    last_error: Optional[str]

    @property
    def message(self) -> str:
        return f"Votre demande {self.reference} est {self.label}."


def _forwarding_status(request: Request, rows) -> ForwardingStatus:
    reference = request.reference
    delivered = [r for r in rows if r.status == "delivered"]
    all_delivered = bool(rows) and len(delivered) == len(rows)
    forwarded = all_delivered or request.status != RequestStatus.RECEIVED
    errors = [r.last_error for r in rows if r.status != "delivered" and r.last_error]
    stalled = any(r.status == "dead" or (r.status == "pending" and r.last_error
                                         and r.attempts == 0) for r in rows)
    return ForwardingStatus(
        reference=reference, forwarded=forwarded,
        label=FORWARDED_LABEL_FR if forwarded else FORWARDING_LABEL_FR,
        forwarded_at=max((r.delivered_at for r in delivered), default=None) if all_delivered else None,
        messages=len(rows), delivered=len(delivered), stalled=stalled,
        last_error=errors[-1] if errors else None)


# --- what a client may be told about their requests ("où en est ma demande ?") ----------

#: How many requests the chat lists at most.
CLIENT_STATUS_LIMIT = 5


@dataclass(frozen=True)
class ClientRequestStatus:
    """One of the client's requests and where it stands, in words the client may read."""

    request: Request
    label: str


def client_label(request: Request, forwarding: ForwardingStatus) -> str:
    """« enregistrée, transmission en cours » until the office has it, then the office's
    own progress (« prise en compte… »), then its decision (« acceptée par le bureau de
    secteur », « refusée … (motif : …) », or « traitée » when closed by hand)."""
    decided = decision_words.client_label(request)
    if decided:
        return decided
    if request.status == RequestStatus.RECEIVED:
        return forwarding.label
    return STATUS_LABELS_FR[request.status]


def client_request_statuses(uow, client_number: str, *, reference: Optional[str] = None,
                            limit: int = CLIENT_STATUS_LIMIT) -> List[ClientRequestStatus]:
    """The client's latest requests (newest first, at most ``limit``), or only ``reference``
    (RequestNotFound if it is not one of theirs)."""
    client_number = str(client_number)
    with uow:
        if reference:
            found = [_owned_request(uow, reference, client_number, with_history=False)]
        else:
            found = uow.repo.list_requests(client_number=client_number, limit=max(1, limit),
                                           newest_first=True)
        rows: Dict[str, list] = {r.reference: [] for r in found}
        for row in (uow.repo.list_outbox(references=list(rows)) if rows else ()):
            rows[row.reference].append(row)  # one query for all, not one per request
    return [ClientRequestStatus(r, client_label(r, _forwarding_status(r, rows[r.reference])))
            for r in found]
