"""Delivery of recorded requests to the sector office: e-mail (SMTP) and signed webhook.

Everything here works on the outbox ``payload`` (see
:func:`bot.service_layer.services.outbox_payload`), a JSON snapshot of the request taken
when it was recorded.  The dispatcher (:mod:`bot.service_layer.dispatch`) decides *when* to
send; this module only knows *how*:

* :func:`render_email` / :func:`build_email` — French plain-text e-mail, with a
  ``Message-ID`` derived from the outbox idempotency key (stable across retries, so mail
  systems and people can recognise a duplicate);
* :func:`send_email` — blocking SMTP delivery with the standard library (the dispatcher runs
  it in a worker thread), settings from :class:`SmtpSettings.from_env`;
* :func:`webhook_body`, :func:`sign`, :func:`verify_signature`, :func:`post_webhook` — the
  documented JSON body (docs/forwarding.md), signed with HMAC-SHA256.

Failures are raised as :class:`DeliveryError` (retry later) or :class:`NotificationConfigError`
(missing or invalid configuration: the message waits for an operator), both with a short
French ``message`` meant for ``amper outbox list`` and the logs.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from bot.domain.clock import PARIS
from bot.domain.fr_format import format_datetime, format_duration, format_slot

SCHEMA_VERSION = 1
USER_AGENT = "AMPER-dispatcher/1"
SIGNATURE_HEADER = "X-Amper-Signature"
TIMESTAMP_HEADER = "X-Amper-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TLS_MODES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}

KIND_LABELS = {"cancellation": "Annulation", "schedule_change": "Changement d'horaire"}
CHANNEL_LABELS = {"web": "site web (le client lui-même)",
                  "phone": "téléphone (saisie par le bureau pour le client)"}
REASON_LABELS = {"personnel": "raison personnelle", "hospitalisation": "hospitalisation",
                 "maladie": "maladie", "autre": "autre raison"}


class DeliveryError(Exception):
    """The attempt failed; try again later.  ``message`` is short, French, without secrets."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotificationConfigError(DeliveryError):
    """Something must be configured first (address, SMTP server, webhook secret...)."""


# --- small helpers --------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _clean(value: Any, limit: int = 300) -> str:
    """One line of printable text (no header injection, bounded length)."""
    if value is None:
        return ""
    text = _CONTROL.sub(" ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_dt(value: Any) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _slot(start: Any, end: Any, given: Any = None) -> str:
    if isinstance(given, str) and given.strip():
        return _clean(given)
    s, e = _parse_dt(start), _parse_dt(end)
    if s and e:
        return format_slot(s, e)
    if s:
        return format_datetime(s)
    return "non précisé"


def _yes_no(value: Any) -> str:
    return "oui" if value else "non"


# --- e-mail -----------------------------------------------------------------------------------

def email_subject(payload: Mapping[str, Any]) -> str:
    """'[AMP-2026-000123] Annulation — M. Dupont — jeudi 5 mars 9 h' (one line).

    The subject prepared when the request was recorded is used when present."""
    ready = payload.get("subject")
    if isinstance(ready, str) and ready.strip():
        subject = ready
    else:
        start = _parse_dt(payload.get("intervention_start"))
        when = format_datetime(start).replace(" à ", " ") if start else ""
        subject = (f"[{payload.get('reference') or '?'}] "
                   f"{KIND_LABELS.get(payload.get('kind'), 'Demande')} — "
                   f"{payload.get('client_name') or 'client'} — {when}")
    if payload.get("out_of_notice") and payload.get("kind") == "schedule_change":
        subject += " — hors délai"
    return _clean(subject, 250).rstrip(" —")


def billing_consequence(payload: Mapping[str, Any]) -> str:
    """What the request means for the invoice, in words the office uses."""
    if payload.get("kind") == "schedule_change":
        return "sans objet (changement d'horaire)"
    if payload.get("exemption_pending"):
        return ("exonération en attente du justificatif médical : non facturée si le "
                "justificatif est transmis, sinon facturée (décision du bureau)")
    if payload.get("billable") is True:
        return "facturée (annulation à moins de 48 h)"
    if payload.get("billable") is False:
        return "non facturée (préavis de 48 h respecté)"
    return "à décider par le bureau"


def _notice(payload: Mapping[str, Any]) -> str:
    hours = payload.get("notice_hours")
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or hours < 0:
        return "inconnu"
    try:
        return format_duration(timedelta(hours=float(hours)))
    except (OverflowError, ValueError):
        return "inconnu"


def _group(payload: Mapping[str, Any]) -> Optional[List[str]]:
    """The references of the requests made together with this one, or None."""
    group = payload.get("group_references")
    if not isinstance(group, list) or len(group) < 2:
        return None
    return [str(r) for r in group[:20]]


def render_email(payload: Mapping[str, Any]) -> Tuple[str, str]:
    """(subject, plain-text body) of the e-mail for the sector office."""
    if not isinstance(payload, Mapping):
        raise DeliveryError("message illisible : contenu de la demande invalide.")
    p = payload
    kind = p.get("kind")
    created = _parse_dt(p.get("created_at"))
    channel = p.get("channel")
    lines = [
        "Bonjour,",
        "",
        "Une demande vient d'être enregistrée par l'assistant AMPER. Merci de la traiter.",
        "",
        f"Référence : {_clean(p.get('reference'))}",
        f"Type : {KIND_LABELS.get(kind, _clean(kind))}",
        f"Enregistrée le : {format_datetime(created, with_year=True) if created else 'inconnu'}",
        f"Canal : {CHANNEL_LABELS.get(channel, _clean(channel))}",
        f"Auteur : {_clean(p.get('actor'))}",
        "",
        "CLIENT",
        f"  Nom : {_clean(p.get('client_name'))}",
        f"  Numéro client : {_clean(p.get('client_id'))}",
        f"  Secteur : {_clean(p.get('sector'))}",
        "",
        "INTERVENTION CONCERNÉE",
        f"  Identifiant : {_clean(p.get('intervention_id'))}",
        f"  Créneau : {_slot(p.get('intervention_start'), p.get('intervention_end'), p.get('intervention_slot_fr'))}",
    ]
    if p.get("service"):
        lines.append(f"  Prestation : {_clean(p.get('service'))}")
    if p.get("caregiver"):
        lines.append(f"  Intervenant(e) : {_clean(p.get('caregiver'))}")
    lines += ["", "DEMANDE"]
    if kind == "cancellation":
        lines.append("  Annulation de l'intervention")
        reason = p.get("reason_category")
        lines.append(f"  Motif : {REASON_LABELS.get(reason, _clean(reason) or 'non précisé')}")
    else:
        lines.append("  Nouvel horaire demandé : "
                     + _slot(p.get("new_start"), p.get("new_end"), p.get("new_slot_fr")))
    lines += [
        "",
        "DÉCISION DES RÈGLES",
        f"  Code : {_clean(p.get('decision_code'))}",
        f"  Préavis restant à l'enregistrement : {_notice(p)}",
        f"  Facturation : {billing_consequence(p)}",
        f"  Exonération en attente de justificatif : {_yes_no(p.get('exemption_pending'))}",
    ]
    if kind == "schedule_change":
        lines.append("  Hors délai (moins de 10 jours) : "
                     + ("oui — le bureau peut refuser ce changement"
                        if p.get("out_of_notice") else "non"))
    else:
        lines.append(f"  Hors délai (moins de 48 h) : {_yes_no(p.get('out_of_notice'))}")
    if p.get("decision_message"):
        lines.append(f"  Message donné au client : « {_clean(p.get('decision_message'), 1000)} »")
    group = _group(p)
    if group:
        refs = ", ".join(_clean(r, 40) for r in group)
        lines += ["", "DEMANDE GROUPÉE",
                  f"  Le client a demandé ces {len(group)} annulations en une fois : {refs}.",
                  "  Chacune fait l'objet de son propre message."]
    lines += [
        "",
        "—",
        "Message automatique de l'assistant AMPER. Il peut arriver en double après un incident "
        "d'envoi : la référence fait foi.",
    ]
    return email_subject(p), "\n".join(lines) + "\n"


def message_id(idempotency_key: str, mail_from: str = "") -> str:
    """A Message-ID that depends only on the key (and the sender's domain)."""
    domain = mail_from.rsplit("@", 1)[-1].strip("<> ") if "@" in mail_from else ""
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "amper.local"
    local = re.sub(r"[^A-Za-z0-9.-]", ".", idempotency_key)[:60]
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    return f"<{local}.{digest}@{domain}>"


def build_email(payload: Mapping[str, Any], *, to: str, mail_from: str,
                idempotency_key: str, now: Optional[datetime] = None) -> EmailMessage:
    subject, body = render_email(payload)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = mail_from
    msg["To"] = to
    msg["Date"] = rfc2822_date(now or datetime.now(timezone.utc))
    msg["Message-ID"] = message_id(idempotency_key, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Amper-Reference"] = _clean(payload.get("reference"), 40)
    msg["X-Amper-Idempotency-Key"] = _clean(idempotency_key, 100)
    msg.set_content(body, subtype="plain", charset="utf-8")
    return msg


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str = "starttls"
    user: Optional[str] = None
    password: Optional[str] = None
    mail_from: str = "assistant-amper@localhost"
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None,
                 timeout: float = 30.0) -> "SmtpSettings":
        """Read AMPER_SMTP_* and AMPER_MAIL_FROM; NotificationConfigError if unusable."""
        env = os.environ if env is None else env
        host = (env.get("AMPER_SMTP_HOST") or "").strip()
        if not host:
            raise NotificationConfigError(
                "serveur SMTP non configuré : définissez AMPER_SMTP_HOST.")
        tls = (env.get("AMPER_SMTP_TLS") or "starttls").strip().lower()
        if tls not in TLS_MODES:
            raise NotificationConfigError(
                f"AMPER_SMTP_TLS invalide (« {_clean(tls, 30)} ») : none, starttls ou tls attendu.")
        raw_port = (env.get("AMPER_SMTP_PORT") or "").strip()
        if raw_port:
            if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
                raise NotificationConfigError(
                    f"AMPER_SMTP_PORT invalide (« {_clean(raw_port, 30)} ») : "
                    "un numéro de port entre 1 et 65535 est attendu.")
            port = int(raw_port)
        else:
            port = DEFAULT_PORTS[tls]
        mail_from = (env.get("AMPER_MAIL_FROM") or "assistant-amper@localhost").strip()
        if not is_valid_email(mail_from):
            raise NotificationConfigError(
                f"AMPER_MAIL_FROM invalide (« {_clean(mail_from, 80)} ») : adresse e-mail attendue.")
        user = (env.get("AMPER_SMTP_USER") or "").strip() or None
        password = env.get("AMPER_SMTP_PASSWORD") or None
        return cls(host=host, port=port, tls=tls, user=user, password=password,
                   mail_from=mail_from, timeout=timeout)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def is_valid_email(value: Any) -> bool:
    """A plain address such as ``bureau.nord@amper.fr`` (no display name, no spaces)."""
    if not isinstance(value, str) or len(value) > 254:
        return False
    if value.lower().endswith("@localhost"):
        return bool(re.match(r"^[A-Za-z0-9._+-]+@localhost$", value, re.IGNORECASE))
    return bool(_EMAIL.match(value))


def is_valid_webhook_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 500 or _CONTROL.search(value) or " " in value:
        return False
    try:
        parts = urlsplit(value)
        parts.port  # raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.username


def _smtp_text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _clean(value, 200)


def smtp_error_message(error: BaseException, settings: SmtpSettings) -> str:
    """French explanation of an SMTP failure (no password, no stack trace)."""
    where = settings.where
    if isinstance(error, DeliveryError):
        return error.message
    if isinstance(error, socket.gaierror):
        return (f"serveur SMTP introuvable : « {settings.host} » (nom inconnu). "
                "Vérifiez AMPER_SMTP_HOST.")
    if isinstance(error, ConnectionRefusedError):
        return (f"connexion refusée par {where} : aucun serveur SMTP sur ce port. "
                "Vérifiez AMPER_SMTP_HOST et AMPER_SMTP_PORT.")
    if isinstance(error, (socket.timeout, TimeoutError, asyncio.TimeoutError)):
        return f"le serveur SMTP {where} ne répond pas (délai de {settings.timeout:g} s dépassé)."
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (f"identifiants SMTP refusés par {where} (code {error.smtp_code}). "
                "Vérifiez AMPER_SMTP_USER et AMPER_SMTP_PASSWORD.")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"le serveur SMTP {where} ne propose pas cette fonction ({_smtp_text(error)})."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        details = "; ".join(f"{addr} : {code} {_smtp_text(msg)}"
                            for addr, (code, msg) in error.recipients.items())
        return f"adresse du bureau refusée par le serveur SMTP ({details})."
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (f"adresse d'expéditeur refusée par le serveur SMTP ({error.smtp_code} "
                f"{_smtp_text(error.smtp_error)}). Vérifiez AMPER_MAIL_FROM.")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"le serveur SMTP {where} a coupé la connexion."
    if isinstance(error, smtplib.SMTPResponseException):
        return (f"le serveur SMTP {where} a refusé le message ({error.smtp_code} "
                f"{_smtp_text(error.smtp_error)}).")
    if isinstance(error, ssl.SSLError):
        return (f"échec de la connexion chiffrée avec {where} ({_clean(error.reason or error, 120)}). "
                "Vérifiez AMPER_SMTP_TLS et AMPER_SMTP_PORT.")
    if isinstance(error, ConnectionError):
        return f"connexion au serveur SMTP {where} interrompue."
    if isinstance(error, OSError):
        return f"erreur réseau vers le serveur SMTP {where} ({_clean(error.strerror or error, 120)})."
    return f"échec de l'envoi par SMTP ({type(error).__name__})."


def send_email(settings: SmtpSettings, message: EmailMessage, recipient: str) -> None:
    """Deliver one message (blocking).  Raises DeliveryError with a French message."""
    if not is_valid_email(recipient):
        raise NotificationConfigError(f"adresse e-mail du bureau invalide : « {_clean(recipient, 80)} ».")
    context = ssl.create_default_context()
    smtp: Optional[smtplib.SMTP] = None
    try:
        if settings.tls == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        smtp.ehlo()
        if settings.tls == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(f"le serveur SMTP {settings.where} ne propose pas STARTTLS "
                                    "(AMPER_SMTP_TLS=none pour un relais local sans chiffrement).")
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message, from_addr=settings.mail_from, to_addrs=[recipient])
    except Exception as error:
        raise DeliveryError(smtp_error_message(error, settings)) from error
    finally:
        if smtp is not None:
            try:  # the message is accepted at this point: a failing QUIT changes nothing
                smtp.quit()
            except Exception:
                smtp.close()


# --- webhook ------------------------------------------------------------------------------------

def webhook_document(payload: Mapping[str, Any], idempotency_key: str,
                     sent_at: datetime) -> Dict[str, Any]:
    """The JSON document POSTed to the office's webhook (docs/forwarding.md)."""
    if not isinstance(payload, Mapping):
        raise DeliveryError("message illisible : contenu de la demande invalide.")
    p = payload
    return {
        "event": "request.recorded",
        "schema_version": SCHEMA_VERSION,
        "idempotency_key": idempotency_key,
        "sent_at": sent_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "request": {
            "reference": p.get("reference"),
            "kind": p.get("kind"),
            "kind_label": KIND_LABELS.get(p.get("kind")),
            "subject": email_subject(p),
            "created_at": p.get("created_at"),
            "channel": p.get("channel"),
            "actor": p.get("actor"),
            "reason_category": p.get("reason_category"),
            "new_start": p.get("new_start"),
            "new_end": p.get("new_end"),
            "new_slot_fr": p.get("new_slot_fr"),
            "group_references": _group(p),
        },
        "client": {
            "number": p.get("client_id"),
            "name": p.get("client_name"),
            "sector": p.get("sector"),
        },
        "intervention": {
            "id": p.get("intervention_id"),
            "start": p.get("intervention_start"),
            "end": p.get("intervention_end"),
            "slot_fr": p.get("intervention_slot_fr"),
            "service": p.get("service"),
            "caregiver": p.get("caregiver"),
        },
        "decision": {
            "code": p.get("decision_code"),
            "message": p.get("decision_message"),
            "notice_hours": p.get("notice_hours"),
            "billable": p.get("billable"),
            "exemption_pending": bool(p.get("exemption_pending")),
            "out_of_notice": bool(p.get("out_of_notice")),
            "billing_fr": billing_consequence(p),
        },
    }


def webhook_body(payload: Mapping[str, Any], idempotency_key: str, sent_at: datetime) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(webhook_document(payload, idempotency_key, sent_at), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """Header value: ``sha256=<hex HMAC-SHA256 of the raw body keyed with the secret>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: Optional[str]) -> bool:
    """Receiver side check, in constant time."""
    if not header or not isinstance(header, str):
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())


def webhook_headers(secret: str, body: bytes, idempotency_key: str,
                    sent_at: datetime) -> Dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
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
                                f"{_clean(response.reason, 60)}"
                                + (f" : {_clean(text, 120)}" if text.strip() else "") + ".")
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
            message = f"connexion impossible au webhook {host} ({_clean(cause.strerror or cause, 100)})."
        raise DeliveryError(message) from error
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
            aiohttp.ClientOSError) as error:
        raise DeliveryError(f"le webhook {host} a fermé la connexion sans répondre.") from error
    except aiohttp.ClientError as error:
        raise DeliveryError(f"échec de l'appel du webhook {host} ({type(error).__name__}).") from error
