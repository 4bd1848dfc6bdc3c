"""E-mail delivery to the sector office over SMTP (standard library, blocking).

* :class:`SmtpSettings` — the server, read from ``AMPER_SMTP_*`` and ``AMPER_MAIL_FROM`` by
  :meth:`SmtpSettings.from_env`;
* :func:`send_email` — one message, blocking (the dispatcher runs it in a worker thread);
  every failure becomes a :class:`DeliveryError` explained in French by
  :func:`smtp_error_message` (no password, no stack trace);
* :func:`is_valid_email` — the address check shared with ``amper sector set``.
"""
from __future__ import annotations

import asyncio
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Mapping, Optional

from bot import settings
from bot.adapters.notifications.errors import DeliveryError, NotificationConfigError, clean

TLS_MODES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


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
        host = settings.text(env, "AMPER_SMTP_HOST")
        if not host:
            raise NotificationConfigError(
                "serveur SMTP non configuré : définissez AMPER_SMTP_HOST.")
        tls = settings.text(env, "AMPER_SMTP_TLS", "starttls").lower()
        if tls not in TLS_MODES:
            raise NotificationConfigError(
                f"AMPER_SMTP_TLS invalide (« {clean(tls, 30)} ») : none, starttls ou tls attendu.")
        raw_port = settings.text(env, "AMPER_SMTP_PORT")
        if raw_port:
            if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
                raise NotificationConfigError(
                    f"AMPER_SMTP_PORT invalide (« {clean(raw_port, 30)} ») : "
                    "un numéro de port entre 1 et 65535 est attendu.")
            port = int(raw_port)
        else:
            port = DEFAULT_PORTS[tls]
        mail_from = settings.text(env, "AMPER_MAIL_FROM", "assistant-amper@localhost")
        if not is_valid_email(mail_from):
            raise NotificationConfigError(
                f"AMPER_MAIL_FROM invalide (« {clean(mail_from, 80)} ») : adresse e-mail attendue.")
        user = settings.text(env, "AMPER_SMTP_USER") or None
        password = settings.raw(env, "AMPER_SMTP_PASSWORD") or None  # spaces may be part of it
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


def _smtp_text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return clean(value, 200)


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
        return (f"échec de la connexion chiffrée avec {where} ({clean(error.reason or error, 120)}). "
                "Vérifiez AMPER_SMTP_TLS et AMPER_SMTP_PORT.")
    if isinstance(error, ConnectionError):
        return f"connexion au serveur SMTP {where} interrompue."
    if isinstance(error, OSError):
        return f"erreur réseau vers le serveur SMTP {where} ({clean(error.strerror or error, 120)})."
    return f"échec de l'envoi par SMTP ({type(error).__name__})."


def send_email(settings: SmtpSettings, message: EmailMessage, recipient: str) -> None:
    """Deliver one message (blocking).  Raises DeliveryError with a French message."""
    if not is_valid_email(recipient):
        raise NotificationConfigError(f"adresse e-mail du bureau invalide : « {clean(recipient, 80)} ».")
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

