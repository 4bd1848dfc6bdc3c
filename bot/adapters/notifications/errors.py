"""The two ways a delivery fails, and the one-line text cleaning every message uses."""
from __future__ import annotations

import re
from typing import Any

#: control characters and line separators: never in a header, a subject or a log line
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


class DeliveryError(Exception):
    """The attempt failed; try again later.  ``message`` is short, French, without secrets."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotificationConfigError(DeliveryError):
    """Something must be configured first (address, SMTP server, webhook secret...)."""


def clean(value: Any, limit: int = 300) -> str:
    """One line of printable text (no header injection, bounded length)."""
    if value is None:
        return ""
    text = CONTROL.sub(" ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
