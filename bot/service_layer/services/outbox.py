"""The outbox seen from the services: the documents handed to the dispatcher (a request's,
a callback's), whether a request reached its sector office, and the ``amper outbox`` list
and retry."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from bot.domain.errors import InvalidInput
from bot.adapters.notifications import email_subject
from bot.domain.fr_format import CALLBACK_TOPIC_LABELS_FR, OUTBOX_STATUS_LABELS_FR, format_slot
from bot.domain.model import Channel, OutboxStatus, Request
from bot.domain.staff import Callback
from bot.service_layer.services.common import _iso, _now, _owned_request
from bot.service_layer.services.views import ForwardingStatus, _forwarding_status, request_as_dict


def outbox_payload(request: Request, decision_message: Optional[str] = None,
                   group: Optional[List[str]] = None) -> Dict[str, Any]:
    """The JSON document handed to the dispatcher (e-mail and webhook).  ``group``: the
    references of the requests made together with this one (itself included)."""
    data = request_as_dict(request)
    data.pop("history", None)
    start = request.intervention_start
    data["subject"] = email_subject(data)
    data["intervention_slot_fr"] = (format_slot(start, request.intervention_end)
                                    if start and request.intervention_end else None)
    data["new_slot_fr"] = (format_slot(request.new_start, request.new_end)
                           if request.new_start and request.new_end else None)
    data["decision_message"] = decision_message
    if group:
        data["group_references"] = list(group)
    return data


def callback_payload(callback: Callback) -> Dict[str, Any]:
    """The JSON document of a callback request (``kind: "callback"``), handed to the
    dispatcher like a request's: same keys for what they share (reference, client number in
    ``client_id``, client name, sector, actor, channel, created_at, subject)."""
    data: Dict[str, Any] = {
        "kind": "callback", "reference": callback.reference,
        "client_id": callback.client_number, "client_name": callback.client_name,
        "sector": callback.sector, "phone": callback.phone, "best_time": callback.best_time,
        "topic": callback.topic.value,
        "topic_label": CALLBACK_TOPIC_LABELS_FR.get(callback.topic, callback.topic.value),
        "actor": callback.actor, "channel": Channel.PHONE.value,
        "created_at": _iso(callback.created_at), "status": callback.status.value,
    }
    data["subject"] = email_subject(data)
    return data


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    reference: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: Optional[datetime]
    last_error: Optional[str]
    delivered_at: Optional[datetime]
    created_at: datetime
    sector: str
    idempotency_key: str
    lease_owner: Optional[str] = None
    lease_until: Optional[datetime] = None

    def as_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id, "reference": self.reference, "channel": self.channel,
            "status": self.status, "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at), "last_error": self.last_error,
            "delivered_at": _iso(self.delivered_at), "created_at": _iso(self.created_at),
            "sector": self.sector, "idempotency_key": self.idempotency_key,
            "lease_owner": self.lease_owner, "lease_until": _iso(self.lease_until),
        }


def _outbox_message(row) -> OutboxMessage:
    return OutboxMessage(
        id=row.id, reference=row.reference, channel=row.channel, status=row.status,
        attempts=row.attempts, next_attempt_at=row.next_attempt_at, last_error=row.last_error,
        delivered_at=row.delivered_at, created_at=row.created_at, sector=row.sector_name,
        idempotency_key=row.idempotency_key, lease_owner=row.lease_owner,
        lease_until=row.lease_until)


def forwarding_status(uow, reference: str, client_number: Optional[str] = None) -> ForwardingStatus:
    """« transmise au bureau de secteur » only once it is true, else « enregistrée,
    transmission en cours ».  RequestNotFound for an unknown reference (or another client's
    request when ``client_number`` is given)."""
    with uow:
        request = _owned_request(uow, reference, client_number, with_history=False)
        rows = uow.repo.list_outbox(reference=request.reference)
    return _forwarding_status(request, rows)


def list_outbox(uow, *, status: Optional[str] = None, reference: Optional[str] = None,
                limit: Optional[int] = None) -> List[OutboxMessage]:
    """Messages of the outbox, oldest first (``amper outbox list``)."""
    if status is not None and status not in OUTBOX_STATUS_LABELS_FR:
        raise InvalidInput("Statut d'envoi inconnu : " + ", ".join(OUTBOX_STATUS_LABELS_FR) + ".")
    reference = (reference or "").strip().upper() or None
    with uow:
        return [_outbox_message(r) for r in uow.repo.list_outbox(status=status, reference=reference,
                                                                 limit=limit)]


def retry_outbox(uow, message_id: Optional[int] = None, *, all_dead: bool = False,
                 now: Optional[datetime] = None) -> int:
    """An abandoned (``dead``) message — or all of them — back to ``pending``, due now, with
    a fresh count of attempts.  A pending message is made due now.  Returns the number of
    messages requeued; InvalidInput when there is nothing to retry."""
    now = _now(now)
    if (message_id is None) == (not all_dead):
        raise InvalidInput("Indiquez un numéro de message ou --all-dead.")
    with uow:
        if all_dead:
            count = uow.repo.requeue_outbox(now=now)
            uow.commit()
            return count
        rows = uow.repo.list_outbox(message_id=int(message_id))
        if not rows:
            raise InvalidInput(f"Aucun message n° {message_id} dans la file d'envoi.")
        status = rows[0].status
        if status == "sending" and rows[0].lease_until is not None and rows[0].lease_until < now:
            status = "stale"  # its dispatcher stopped during the attempt
        if status == "delivered":
            raise InvalidInput(f"Le message n° {message_id} a déjà été remis : rien à relancer.")
        if status == "sending":
            raise InvalidInput(f"Le message n° {message_id} est en cours d'envoi : attendez la "
                               "fin de la tentative.")
        if status == "dead":
            count = uow.repo.requeue_outbox(now=now, message_id=int(message_id))
        else:  # pending (or stale lease): keep the attempts, just make it due now
            count = uow.repo.requeue_outbox(now=now, message_id=int(message_id),
                                            statuses=(OutboxStatus.PENDING, OutboxStatus.SENDING),
                                            reset_attempts=False)
        uow.commit()
        return count
