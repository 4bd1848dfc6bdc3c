"""Webhook delivery to the sector office: the document POSTed, signed with HMAC-SHA256.

* :func:`sign`, :func:`verify_signature` — ``sha256=<hex>`` of HMAC-SHA256 over
  ``timestamp + "." + raw body`` keyed with the sector's secret; the receiver refuses a
  timestamp more than 5 minutes away from its clock (a replayed delivery), see
  docs/forwarding.md;
* :func:`webhook_headers`, :func:`post_webhook` — one signed POST with aiohttp, failures
  raised as :class:`DeliveryError` with a short French message;
* :func:`is_valid_webhook_url`, :func:`webhook_url_problem` — the address check shared with
  ``amper sector set``: ``https://``, or ``http://`` to the loopback only (tests).

The URL and the secret are the sector's settings, kept in the store (``amper sector set``).
"""
from __future__ import annotations

import asyncio
import socket
from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional
from urllib.parse import urlsplit

from bot.adapters.notifications.errors import (CONTROL, DeliveryError,
                                               NotificationConfigError, clean)
from bot.adapters.notifications.rendering import webhook_body
from bot.domain.signatures import (  # noqa: F401 (the scheme's home; names kept here)
    SIGNATURE_HEADER, SIGNATURE_TOLERANCE, TIMESTAMP_HEADER, sign, verify_signature,
)

USER_AGENT = "AMPER-dispatcher/1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: plain http:// is accepted towards these hosts only (the tests' receivers)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def webhook_url_problem(value: Any) -> Optional[str]:
    """Why the address cannot receive webhooks (French), or None when it can."""
    if not isinstance(value, str) or len(value) > 500 or CONTROL.search(value) or " " in value:
        return "adresse illisible (500 caractères au plus, sans espace)"
    try:
        parts = urlsplit(value)
        parts.port  # raises ValueError on a bad port
    except ValueError:
        return "port ou adresse illisible"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "https:// suivi d'un nom de serveur attendu"
    if parts.username or parts.password:
        return "identifiants dans l'adresse refusés"
    if parts.scheme == "http" and parts.hostname.lower() not in LOOPBACK_HOSTS:
        return ("https:// obligatoire : le document et sa signature ne circulent pas en clair "
                "(http:// seulement vers 127.0.0.1, ::1 ou localhost)")
    return None


def is_valid_webhook_url(value: Any) -> bool:
    return webhook_url_problem(value) is None


def webhook_headers(secret: str, body: bytes, idempotency_key: str,
                    sent_at: datetime) -> Dict[str, str]:
    timestamp = str(int(sent_at.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        TIMESTAMP_HEADER: timestamp,
        IDEMPOTENCY_HEADER: idempotency_key,
    }


def _host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    except ValueError:
        return "?"


async def post_webhook(session, url: str, secret: str, payload: Mapping[str, Any],
                       idempotency_key: str, *, timeout: float,
                       now: Optional[datetime] = None) -> int:
    """POST the signed document; returns the 2xx status, else raises DeliveryError.

    ``session`` is an ``aiohttp.ClientSession``.  Redirects are not followed (a 3xx is a
    failure: the document and its signature go to the configured address only)."""
    import aiohttp

    problem = webhook_url_problem(url)
    if problem:  # an address stored before https became mandatory: wait for a fix
        raise NotificationConfigError(f"adresse du webhook refusée ({problem}) : corrigez-la "
                                      "avec amper sector set.")
    sent_at = now or datetime.now(timezone.utc)
    body = webhook_body(payload, idempotency_key, sent_at)
    headers = webhook_headers(secret, body, idempotency_key, sent_at)
    host = _host_of(url)
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            text = await response.text(errors="replace")
            if 200 <= response.status < 300:
                return response.status
            raise DeliveryError(f"le webhook {host} a répondu {response.status} "
                                f"{clean(response.reason, 60)}"
                                + (f" : {clean(text, 120)}" if text.strip() else "") + ".")
    except DeliveryError:
        raise
    except asyncio.TimeoutError as error:
        raise DeliveryError(f"le webhook {host} ne répond pas (délai de {timeout:g} s dépassé).") from error
    except aiohttp.ClientConnectorError as error:
        cause = error.os_error
        if isinstance(cause, socket.gaierror):
            message = f"serveur du webhook introuvable : « {_host_of(url).split(':')[0]} » (nom inconnu)."
        elif isinstance(cause, ConnectionRefusedError):
            message = f"connexion refusée par {host} : aucun serveur de webhook sur ce port."
        else:
            message = f"connexion impossible au webhook {host} ({clean(cause.strerror or cause, 100)})."
        raise DeliveryError(message) from error
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
            aiohttp.ClientOSError) as error:
        raise DeliveryError(f"le webhook {host} a fermé la connexion sans répondre.") from error
    except aiohttp.ClientError as error:
        raise DeliveryError(f"échec de l'appel du webhook {host} ({type(error).__name__}).") from error
