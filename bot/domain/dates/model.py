"""The result of reading a French date: ``When`` and the types it is made of.

Nothing here reads text or the clock; the parser (``parse.py``) builds a ``When``,
the flows and ``bot.domain.intervention_match`` read it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

from bot.domain.clock import PARIS


class Ambiguity(str, enum.Enum):
    """Why a parse must be confirmed with the user rather than used as is."""

    DAY_IS_TODAY = "day_is_today"  # "le 12" on the 12th
    WEEKDAY_IS_TODAY = "weekday_is_today"  # "jeudi" on a Thursday
    NEXT_WEEKDAY = "next_weekday"  # "vendredi prochain" said on Wednesday
    PERIOD_WITHOUT_DAY = "period_without_day"  # "la semaine prochaine"
    RECENTLY_PASSED = "recently_passed"  # "le 3 février" said on 25 February
    WEEKDAY_MISMATCH = "weekday_mismatch"  # "jeudi 12" when the 12th is a Friday
    SEVERAL_DATES = "several_dates"  # "lundi ou mardi"
    HOUR_AM_PM = "hour_am_pm"  # "à 3 h": 3:00 or 15:00
    SEVERAL_TIMES = "several_times"  # "à 9 h ou 10 h"


class PartOfDay(str, enum.Enum):
    """A part of the day said instead of a time ("le matin", "ce soir")."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    NIGHT = "night"

    def contains(self, t: time) -> bool:
        """Whether a wall-clock time falls in this part of the day."""
        h = t.hour
        if self is PartOfDay.MORNING:
            return 5 <= h < 12
        if self is PartOfDay.AFTERNOON:
            return 12 <= h < 18
        if self is PartOfDay.EVENING:
            return 18 <= h < 24
        return h >= 21 or h < 6


@dataclass(frozen=True)
class DateRange:
    """Inclusive range of calendar days."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def days(self) -> tuple[date, ...]:
        n = (self.last - self.first).days
        return tuple(self.first + timedelta(days=i) for i in range(n + 1))


@dataclass(frozen=True)
class When:
    """What a French phrase says about a day and a time.

    Tuples hold *candidates*: one element means resolved, several mean the user
    must choose (``ambiguities`` then says why).  Times are Paris wall-clock
    times; ``starts()`` combines them with dates into aware datetimes.
    """

    dates: tuple[date, ...] = ()
    period: Optional[DateRange] = None
    start_times: tuple[time, ...] = ()
    end_times: tuple[time, ...] = ()
    duration: Optional[timedelta] = None
    part_of_day: Optional[PartOfDay] = None
    #: relative to the intervention being discussed: 0 "même jour",
    #: 1 "le lendemain", -1 "la veille"
    reference_day_offset: Optional[int] = None
    #: "même heure": keep the intervention's start time
    same_time: bool = False
    #: "une heure plus tard" → +1 h, "30 minutes plus tôt" → -30 min
    shift: Optional[timedelta] = None
    #: the old slot in "à 10 h au lieu de 9 h"
    replaces: Optional["When"] = None
    ambiguities: tuple[Ambiguity, ...] = ()
    past: bool = False

    # -- convenience -------------------------------------------------------
    @property
    def date(self) -> Optional[date]:
        """The date when exactly one candidate is known."""
        return self.dates[0] if len(self.dates) == 1 else None

    @property
    def start_time(self) -> Optional[time]:
        return self.start_times[0] if len(self.start_times) == 1 else None

    @property
    def end_time(self) -> Optional[time]:
        """The stated end time, or start + duration when both are known."""
        if len(self.end_times) == 1:
            return self.end_times[0]
        if self.start_time is not None and self.duration is not None:
            end = datetime.combine(date(2000, 1, 1), self.start_time) + self.duration
            return end.time()
        return None

    @property
    def old_time(self) -> Optional[time]:
        return self.replaces.start_time if self.replaces else None

    @property
    def ambiguous(self) -> bool:
        return bool(self.ambiguities)

    @property
    def same_day(self) -> bool:
        return self.reference_day_offset == 0

    @property
    def has_date(self) -> bool:
        return bool(self.dates) or self.period is not None or self.reference_day_offset is not None

    @property
    def has_time(self) -> bool:
        return bool(self.start_times) or self.same_time

    @property
    def is_empty(self) -> bool:
        return self == When()

    def candidate_days(self) -> tuple[date, ...]:
        """The dates, or every day of the period."""
        if self.dates:
            return self.dates
        return self.period.days() if self.period else ()

    def starts(self) -> tuple[datetime, ...]:
        """Every candidate start as an aware Europe/Paris datetime."""
        return tuple(
            datetime.combine(d, t, tzinfo=PARIS)
            for d in self.dates
            for t in self.start_times
        )
