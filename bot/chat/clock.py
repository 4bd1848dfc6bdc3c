"""The current time for the flows (Europe/Paris); tests replace :func:`now`."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    return datetime.now(PARIS)
