"""A message of the outbox as the dispatcher holds it once leased (:mod:`.dispatch`), with
the addresses it goes to."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from bot.adapters.notifications import DeliveryError, NotificationConfigError
from bot.domain.model import OutboxChannel

CHANNEL_FR = {"email": "e-mail", "webhook": "webhook", "client_email": "e-mail au client"}


@dataclass(frozen=True)
class Claimed:
    """A leased message about a request or (``callback_id``) a callback request, with the
    sector's current addresses."""

    id: int
    request_id: Optional[int]
    reference: str
    channel: str
    payload: Any
    attempts: int
    idempotency_key: str
    owner: str
    sector: str
    office_email: Optional[str]
    webhook_url: Optional[str]
    webhook_secret: Optional[str]
    callback_id: Optional[int] = None
    client_email: Optional[str] = None   # the channel client_email's recipient (issue 22)

    @property
    def label(self) -> str:
        return f"message {self.id} ({self.reference}, {CHANNEL_FR.get(self.channel, self.channel)})"

    def recipient(self) -> str:
        """The office's address, or the client's for their decision's e-mail."""
        if self.channel == OutboxChannel.CLIENT_EMAIL.value:
            if not self.client_email:
                # the address was removed since (amper forget, a new planning): not sent
                raise DeliveryError("le client n'a plus d'adresse e-mail : rien à envoyer.")
            return self.client_email
        if not self.office_email:
            raise NotificationConfigError(
                f"aucune adresse e-mail configurée pour le secteur {self.sector} "
                f"(amper sector set \"{self.sector}\" --email ADRESSE).")
        return self.office_email
