"""The one home for time: AMPER's time zone and the current time (tests replace :func:`now`).

Every module that needs the time zone imports ``PARIS`` from here; the flows and actions
read the time through :func:`now`, so that a test can set the clock.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

#: AMPER works in metropolitan France: every date and hour said or stored is Paris time
PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    return datetime.now(PARIS)
