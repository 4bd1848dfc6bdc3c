"""Which days a date names, counted from today: the calendar rules of docs/dates.md.

Each date mention (``mentions``) becomes a :class:`DateReading`: its candidate days, why the
user must be asked, and whether it is past.  ``today`` is passed in (Europe/Paris).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Optional

from bot.domain.dates.lexicon import CalendarUnit, Period
from bot.domain.dates.mentions import (
    CountFromToday, DateMention, DayMonth, DayOfMonth, DaysFromToday, PeriodSaid, Weekday,
)
from bot.domain.dates.model import Ambiguity, DateRange

#: A day-month rolled to next year this far away is probably a passed date.
FAR_DAYS = 300


@dataclass
class DateReading:
    candidates: tuple[date, ...]
    ambiguities: tuple[Ambiguity, ...] = ()
    past: bool = False
    weekday: Optional[int] = None  # set for readings that are "a weekday"
    loose_weekday: bool = False  # bare weekday: acts as a check on other dates
    period: Optional[DateRange] = None


def _week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _next_weekday(today: date, weekday: int, include_today: bool) -> date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return today + timedelta(days=delta)


def _safe_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_day_of_month(today: date, day: int) -> Optional[date]:
    year, month = today.year, today.month
    for _ in range(13):
        d = _safe_date(year, month, day)
        if d is not None and d >= today:
            return d
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return None


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def day_month(said: DayMonth, today: date) -> Optional[DateReading]:
    """"le 3 mars": this year's if not passed, else next year's; both if just passed."""
    if said.year is not None:
        d = _safe_date(said.year + 2000 if said.year < 100 else said.year, said.month, said.day)
        if d is None:
            return None
        return DateReading((d,), past=d < today)
    this_year = _safe_date(today.year, said.month, said.day)
    if this_year is not None and this_year >= today:
        return DateReading((this_year,))
    future = _safe_date(today.year + 1, said.month, said.day)
    if future is None:  # 29 February with no leap year ahead: not understood, asked
        return None
    if (future - today).days > FAR_DAYS and this_year is not None:
        return DateReading((this_year, future), (Ambiguity.RECENTLY_PASSED,))
    return DateReading((future,))


def _day_of_month(said: DayOfMonth, today: date) -> Optional[DateReading]:
    d = _next_day_of_month(today, said.day)
    if d is None:
        return None
    if d == today:
        later = _next_day_of_month(today + timedelta(days=1), said.day)
        if later is None:
            return DateReading((d,))
        return DateReading((d, later), (Ambiguity.DAY_IS_TODAY,))
    return DateReading((d,))


def _weekday(said: Weekday, today: date) -> DateReading:
    wd = said.weekday
    first = _next_weekday(today, wd, include_today=False)
    if said.this:  # "ce jeudi": today included
        return DateReading((_next_weekday(today, wd, include_today=True),), weekday=wd)
    hint = said.hint
    if hint is not None:
        d = first + timedelta(weeks=hint.weeks)
        if hint.may_be_next_week and _week_monday(first) == _week_monday(today):
            return DateReading((d, d + timedelta(days=7)), (Ambiguity.NEXT_WEEKDAY,), weekday=wd)
        return DateReading((d,), past=hint.weeks < 0, weekday=wd)
    if today.weekday() == wd:
        return DateReading((today, first), (Ambiguity.WEEKDAY_IS_TODAY,), weekday=wd,
                           loose_weekday=said.loose)
    return DateReading((first,), weekday=wd, loose_weekday=said.loose)


def _days_from_today(said: DaysFromToday, today: date) -> DateReading:
    return DateReading((today + timedelta(days=said.offset),), past=said.offset < 0)


def _count_from_today(said: CountFromToday, today: date) -> DateReading:
    n = said.direction * said.count
    if said.unit is CalendarUnit.MONTH:
        month_index = today.month - 1 + n
        year, month = today.year + month_index // 12, month_index % 12 + 1
        d = date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    else:
        d = today + timedelta(days=n * (7 if said.unit is CalendarUnit.WEEK else 1))
    return DateReading((d,), past=said.direction < 0)


def _period(said: PeriodSaid, today: date) -> DateReading:
    monday = _week_monday(today)
    kind = said.period
    if kind is Period.NEXT_WEEK:
        rng = DateRange(monday + timedelta(days=7), monday + timedelta(days=13))
    elif kind is Period.LAST_WEEK:
        rng = DateRange(monday - timedelta(days=7), monday - timedelta(days=1))
    elif kind is Period.THIS_WEEK:
        rng = DateRange(today, monday + timedelta(days=6))
    elif kind is Period.NEXT_MONTH:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        rng = DateRange(date(year, month, 1), _last_day(year, month))
    elif kind is Period.THIS_MONTH:
        rng = DateRange(today, _last_day(today.year, today.month))
    elif kind is Period.NEXT_WEEKEND and today.weekday() >= 5:
        saturday = _next_weekday(today, 5, include_today=False)
        rng = DateRange(saturday, saturday + timedelta(days=1))
    elif today.weekday() == 6:  # the weekend said on a Sunday
        rng = DateRange(today, today)
    else:
        saturday = _next_weekday(today, 5, include_today=True)
        rng = DateRange(saturday, saturday + timedelta(days=1))
    past = kind is Period.LAST_WEEK
    return DateReading((), (Ambiguity.PERIOD_WITHOUT_DAY,), past=past, period=rng)


_READERS: dict[type, Callable[..., Optional[DateReading]]] = {
    DayMonth: day_month, DayOfMonth: _day_of_month, Weekday: _weekday,
    DaysFromToday: _days_from_today, CountFromToday: _count_from_today, PeriodSaid: _period,
}


def reading(said: DateMention, today: date) -> Optional[DateReading]:
    """The days a mention names from ``today``; None when it names no day that exists."""
    return _READERS[type(said)](said, today)
