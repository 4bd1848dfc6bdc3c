"""A request moving along received → forwarded → acknowledged → done/refused, with its
history."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from bot.domain.errors import InvalidInput, InvalidTransition, RequestNotFound
from bot.domain.model import (
    InterventionStatus, Request, RequestKind, RequestStatus, TRANSITIONS,
)
from bot.service_layer.services.common import _actor, _now


def change_request_status(uow, reference: str, new_status, *, actor: str,
                          now: Optional[datetime] = None, note: Optional[str] = None) -> Request:
    """Move a request along received → forwarded → acknowledged → done/refused, appending a
    history row.  Setting the current status again is a no-op.  A cancellation marked
    ``done`` cancels its intervention.  ``note`` must not contain health information."""
    now, actor = _now(now), _actor(actor)
    try:
        new_status = RequestStatus(new_status)
    except ValueError:
        raise InvalidInput("Statut inconnu : " + ", ".join(s.value for s in RequestStatus)
                           + ".") from None
    if note is not None:
        note = note.strip()[:500] or None
    reference = (reference or "").strip().upper()
    with uow:
        request = uow.repo.get_request(reference, with_history=False)
        if request is None:
            raise RequestNotFound(reference)
        if request.status == new_status:
            return uow.repo.get_request(reference)
        if new_status not in TRANSITIONS[request.status]:
            raise InvalidTransition(f"La demande {reference} est « {request.status.value} » : "
                                    f"elle ne peut pas passer à « {new_status.value} ».")
        uow.repo.update_request_status(request.id, new_status, now)
        uow.repo.add_history(request.id, now, actor, request.status, new_status, note)
        if request.kind == RequestKind.CANCELLATION and new_status == RequestStatus.DONE:
            uow.repo.set_intervention_status(uow.repo.intervention_row_id(request.id),
                                             InterventionStatus.CANCELLED)
        updated = uow.repo.get_request(reference)
        uow.commit()
        return updated
