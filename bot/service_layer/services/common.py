"""What the service modules share: the clock, the input checks, reading a request or an
intervention inside a unit of work, and the ISO form of a datetime."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from bot.domain.clock import PARIS
from bot.domain.errors import InterventionNotFound, InvalidInput, RequestNotFound
from bot.domain.model import Channel, Intervention, ReasonCategory, Request


MAX_ACTOR_LENGTH = 100


def _now(now: Optional[datetime]) -> datetime:
    if now is None:
        return datetime.now(timezone.utc).astimezone(PARIS)
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("Horodatage sans fuseau horaire refusé.")
    return now.astimezone(PARIS)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.astimezone(PARIS).isoformat() if value else None


# --- validation helpers ----------------------------------------------------------------

def _channel(value) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise InvalidInput("Canal inconnu : « web » ou « phone » attendu.") from None


def _reason(value) -> ReasonCategory:
    try:
        return ReasonCategory(value)
    except ValueError:
        raise InvalidInput("Motif inconnu : indiquez personnel, hospitalisation, maladie "
                           "ou autre.") from None


def _actor(value: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_ACTOR_LENGTH:
        raise InvalidInput("Auteur de la demande manquant ou trop long.")
    return value.strip()


def _aware(value, label: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{label} : date et heure avec fuseau horaire attendues.")
    return value.astimezone(PARIS)


# --- reading inside a unit of work ----------------------------------------------------

def _load_intervention(uow, client_number: str, intervention_id: str) -> Intervention:
    intervention = uow.repo.get_intervention(str(intervention_id))
    if intervention is None:
        raise InterventionNotFound()
    return intervention


def _owned_request(uow, reference: str, client_number: Optional[str] = None, *,
                   with_history: bool = True) -> Request:
    """Inside a unit of work: the request, or RequestNotFound (also for another client's
    request when ``client_number`` is given)."""
    reference = (reference or "").strip().upper()
    request = uow.repo.get_request(reference, with_history=with_history)
    if request is None or (client_number is not None
                           and request.client_number != str(client_number)):
        raise RequestNotFound(reference)
    return request
