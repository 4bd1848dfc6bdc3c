"""What a message says, before any calendar: the hand-off from extraction to resolution.

``extraction.find`` fills a :class:`Found`; ``resolution.resolve`` reads it with ``now``.
Dates are kept as said ("jeudi prochain", "le 12"); only resolution knows which day
they name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional, Union

from bot.domain.dates.lexicon import CalendarUnit, Period, WeekdayHint
from bot.domain.dates.model import PartOfDay


@dataclass(frozen=True)
class DayMonth:
    """A day and month, maybe a year: "le 3 mars", "12/01", "le 3/3/25" (20xx)."""

    day: int
    month: int
    year: Optional[int] = None


@dataclass(frozen=True)
class DayOfMonth:
    """A day of the month alone: "le 12", "celle du 12", "jeudi 17"."""

    day: int


@dataclass(frozen=True)
class Weekday:
    """A weekday: "jeudi", "ce jeudi", "jeudi prochain", "jeudi en huit"."""

    weekday: int
    this: bool = False  # "ce jeudi": today included
    hint: Optional[WeekdayHint] = None
    #: a bare weekday next to other dates only checks them ("jeudi 17", "mardi 21 avril")
    loose: bool = False


@dataclass(frozen=True)
class DaysFromToday:
    """A day named from today: "demain", "hier", "ce soir"."""

    offset: int


@dataclass(frozen=True)
class CountFromToday:
    """A count of days, weeks or months: "dans 3 jours", "il y a 2 semaines"."""

    count: int
    unit: CalendarUnit
    direction: int  # 1 ahead, -1 ago


@dataclass(frozen=True)
class PeriodSaid:
    """A period without a day: "la semaine prochaine", "ce week-end"."""

    period: Period


DateMention = Union[DayMonth, DayOfMonth, Weekday, DaysFromToday, CountFromToday, PeriodSaid]


@dataclass(frozen=True)
class Clock:
    """An hour as said, before choosing between morning and afternoon."""

    hour: int
    minute: int
    am_pm_fixed: bool  # written as 15h, "midi", "9 h"...: no morning/afternoon question


@dataclass
class Found:
    """Everything the passes of extraction found in one message (or one side of "au lieu de")."""

    dates: list[DateMention] = field(default_factory=list)  # in the order found
    starts: list[Clock] = field(default_factory=list)
    ends: list[Clock] = field(default_factory=list)
    duration: Optional[timedelta] = None
    parts: list[PartOfDay] = field(default_factory=list)
    reference_day_offset: Optional[int] = None
    same_time: bool = False
    shift: Optional[timedelta] = None
    #: "dans 2 heures": the time is now plus this
    delay: Optional[timedelta] = None
