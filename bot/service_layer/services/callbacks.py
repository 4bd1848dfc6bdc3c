"""Callback requests (issue 21): a caller who would rather be called back leaves a number,
a convenient time and a topic with the staff member on the phone.  Recorded here with a
reference ``RAP-YYYY-NNNNN`` and, in the same transaction, its messages to the client's
sector office (transactional outbox, as a request: an e-mail, plus a webhook if the sector
has one; keys ``RAP-…:email``, ``RAP-…:webhook``), which the dispatcher delivers."""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from bot.domain.errors import Conflict, InvalidInput
from bot.domain.model import OutboxChannel
from bot.domain.staff import Callback, CallbackTopic
from bot.domain.text_keys import french_phone
from bot.service_layer.services.common import _actor, _now
from bot.service_layer.services.outbox import callback_payload
from bot.service_layer.services.staff import client_in_sectors

MAX_BEST_TIME = 100
#: attempts at a reference when a concurrent call took the same one
REFERENCE_ATTEMPTS = 5


def normalise_phone(value: str) -> str:
    """A French phone number (10 digits « 06 12 34 56 78 », or « +33 6 12 34 56 78 »),
    written « 06 12 34 56 78 »; InvalidInput otherwise."""
    phone = french_phone(value)
    if phone is None:
        raise InvalidInput(f"Numéro à rappeler invalide : « {(value or '').strip()[:30]} » (10 "
                           "chiffres, par exemple 06 12 34 56 78, ou +33 6 12 34 56 78).")
    return phone


def _topic(value) -> CallbackTopic:
    try:
        return CallbackTopic(value)
    except ValueError:
        raise InvalidInput("Sujet du rappel inconnu : annulation, changement, facturation "
                           "ou autre.") from None


def create_callback(uow, *, client_number: str, phone: str, best_time: str, topic: str,
                    actor: str, sectors: Sequence[str],
                    now: Optional[datetime] = None) -> Callback:
    """Record a callback request for a client of ``sectors`` (ClientNotFound otherwise),
    taken by ``actor`` (the staff login), and its messages to the client's sector office,
    in one transaction: both exist or neither.  ``best_time`` is free text (« demain
    matin », 1 to 100 characters)."""
    now = _now(now)
    phone_text = normalise_phone(phone)
    when = " ".join((best_time or "").split())
    if not when or len(when) > MAX_BEST_TIME:
        raise InvalidInput("Moment préféré pour le rappel manquant ou trop long (100 "
                           "caractères au plus).")
    topic_value, actor = _topic(topic), _actor(actor)
    for attempt in range(REFERENCE_ATTEMPTS):
        with uow:
            client = client_in_sectors(uow, client_number, sectors)
            callback = Callback(
                reference=uow.callbacks.next_reference(now.year), client_number=client.number,
                sector=client.sector, phone=phone_text, best_time=when, topic=topic_value,
                actor=actor, created_at=now)
            try:
                stored = uow.callbacks.add(callback)
            except Conflict:
                if attempt == REFERENCE_ATTEMPTS - 1:
                    raise
                continue
            _add_messages(uow, stored, now)
            uow.commit()
            return stored
    raise Conflict()  # pragma: no cover - the loop returns or raises


def _add_messages(uow, callback: Callback, now: datetime) -> None:
    """The callback's outbox messages: an e-mail to the sector office, and a webhook when
    the sector has one (its addresses are read at sending time, as for a request)."""
    payload = callback_payload(callback)
    sector = uow.repo.sector_for_client(callback.client_number)
    uow.callbacks.add_outbox(callback.id, OutboxChannel.EMAIL, payload, now,
                             f"{callback.reference}:email")
    if sector is not None and sector.webhook_url:
        uow.callbacks.add_outbox(callback.id, OutboxChannel.WEBHOOK, payload, now,
                                 f"{callback.reference}:webhook")
