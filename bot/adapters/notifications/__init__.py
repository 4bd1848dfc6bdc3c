"""Delivery of recorded requests (and callback requests) to the sector office: e-mail (SMTP)
and signed webhook.

Everything here works on the outbox ``payload`` (see
:func:`bot.service_layer.services.outbox_payload`), a JSON snapshot of the request taken
when it was recorded, or of a callback request (``kind: "callback"``,
:func:`bot.service_layer.services.outbox.callback_payload`).  The dispatcher (:mod:`bot.service_layer.dispatch`) decides *when* to
send; this package only knows *how*, one module per concern:

* :mod:`.rendering` — what the office reads: the French plain-text e-mail
  (:func:`render_email`, :func:`build_email`, with a ``Message-ID`` derived from the outbox
  idempotency key) and the webhook JSON document (:func:`webhook_body`); pure functions;
* :mod:`.smtp` — :class:`SmtpSettings` (``SmtpSettings.from_env``) and blocking SMTP
  delivery (:func:`send_email`; the dispatcher runs it in a worker thread);
* :mod:`.webhook` — :func:`sign`, :func:`verify_signature`, :func:`post_webhook`: the
  document (docs/forwarding.md) POSTed and signed with HMAC-SHA256;
* :mod:`.errors` — :class:`DeliveryError` (retry later) and :class:`NotificationConfigError`
  (missing or invalid configuration: the message waits for an operator), both with a short
  French ``message`` meant for ``amper outbox list`` and the logs.

The names below are the public API; import them from ``bot.adapters.notifications``.
"""
from __future__ import annotations

from bot.adapters.notifications.errors import DeliveryError, NotificationConfigError
from bot.adapters.notifications.rendering import (
    SCHEMA_VERSION, billing_consequence, build_email,
    email_subject, message_id, render_email, webhook_body, webhook_document)
from bot.adapters.notifications.smtp import (
    DEFAULT_PORTS, TLS_MODES, SmtpSettings, is_valid_email, send_email, smtp_error_message)
from bot.adapters.notifications.webhook import (
    IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, USER_AGENT, is_valid_webhook_url,
    post_webhook, sign, verify_signature, webhook_headers, webhook_url_problem)

__all__ = [
    "DEFAULT_PORTS", "DeliveryError", "IDEMPOTENCY_HEADER",
    "NotificationConfigError", "SCHEMA_VERSION", "SIGNATURE_HEADER", "SmtpSettings",
    "TIMESTAMP_HEADER", "TLS_MODES", "USER_AGENT", "billing_consequence", "build_email",
    "email_subject", "is_valid_email", "is_valid_webhook_url", "message_id", "post_webhook",
    "render_email", "send_email", "sign", "smtp_error_message", "verify_signature",
    "webhook_body", "webhook_document", "webhook_headers", "webhook_url_problem",
]
