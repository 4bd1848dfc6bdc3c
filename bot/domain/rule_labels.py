"""The consequence of cancelling or changing an intervention *right now*, as the phone-line
staff read it in a caller's file (issue 21): the rules of :mod:`bot.domain.rules` (48 h,
10 days, in real time), their deadline, and the sentence of :mod:`bot.domain.fr_format`.

>>> from datetime import datetime, timedelta
>>> from bot.domain.clock import PARIS
>>> from bot.domain.model import Intervention
>>> now = datetime(2026, 12, 4, 9, 0, tzinfo=PARIS)
>>> visit = Intervention("I-1", "1001", now + timedelta(days=4), now + timedelta(days=4, hours=1))
>>> cancel_rule(visit, now).text
"Annulation gratuite jusqu'à dimanche 6 décembre à 9 h"
>>> change_rule(visit, now).text
'Changement hors délai (moins de 10 jours avant)'
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from bot.domain.clock import PARIS
from bot.domain.fr_format import (
    CANCEL_BILLED_FR, CANCEL_FREE_UNTIL_FR, CHANGE_LATE_FR, CHANGE_UNTIL_FR, format_datetime,
)
from bot.domain.model import Intervention, ReasonCategory
from bot.domain.rules import (
    CANCELLATION_NOTICE, SCHEDULE_CHANGE_NOTICE, Code, decide_cancellation, elapsed,
)


@dataclass(frozen=True)
class CancelRule:
    """Cancelling now: billed or free, and until when it stays free."""

    billed: bool
    free_until: Optional[datetime]
    text: str


@dataclass(frozen=True)
class ChangeRule:
    """Changing the time now: within the 10 days' notice or not, and until when it is."""

    in_time: bool
    until: Optional[datetime]
    text: str


def _before_start(intervention: Intervention, notice) -> datetime:
    """The start minus ``notice`` in real time (DST-proof), in Paris time."""
    return (intervention.start.astimezone(timezone.utc) - notice).astimezone(PARIS)


def cancel_rule(intervention: Intervention, now: datetime) -> CancelRule:
    """By the 48-hour rule (:func:`bot.domain.rules.decide_cancellation`, for a personal
    reason: a medical exemption is the office's decision, not known in advance)."""
    decision = decide_cancellation(intervention, intervention.client_number,
                                   ReasonCategory.PERSONNEL, now)
    if decision.code == Code.CANCELLATION_FREE:
        until = _before_start(intervention, CANCELLATION_NOTICE)
        return CancelRule(False, until, CANCEL_FREE_UNTIL_FR.format(when=format_datetime(until)))
    return CancelRule(True, None, CANCEL_BILLED_FR)


def change_rule(intervention: Intervention, now: datetime) -> ChangeRule:
    """By the 10-day rule: measured, like :func:`bot.domain.rules.decide_schedule_change`,
    in real time to the intervention's current start."""
    if elapsed(now, intervention.start) >= SCHEDULE_CHANGE_NOTICE:
        until = _before_start(intervention, SCHEDULE_CHANGE_NOTICE)
        return ChangeRule(True, until, CHANGE_UNTIL_FR.format(when=format_datetime(until)))
    return ChangeRule(False, None, CHANGE_LATE_FR)
