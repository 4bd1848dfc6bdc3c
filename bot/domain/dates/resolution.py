"""Turning what a message said into a ``When``, relative to an injected ``now``.

Reads a ``mentions.Found``: each date through the calendar rules (``calendar_days``),
then the dates together (a bare weekday checks the others, several dates are asked
about), the hours with the part of day (3 h or 15 h?), end times after their start, and
whether the result is already past.  ``now`` is aware and in Europe/Paris.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

from bot.domain.dates.calendar_days import DateReading, reading
from bot.domain.dates.mentions import Clock, Found
from bot.domain.dates.model import Ambiguity, DateRange, PartOfDay, When


def resolve(found: Found, now: datetime) -> When:
    today = now.date()
    readings = [r for r in (reading(said, today) for said in found.dates) if r is not None]
    dates, period, ambiguities, past = _combine_readings(readings)
    part = found.parts[0] if found.parts else None

    start_times: tuple[time, ...] = ()
    end_times: tuple[time, ...] = ()
    if found.delay is not None and not found.starts:
        relative_time = now + found.delay
        start_times = (relative_time.time().replace(second=0, microsecond=0),)
        if not dates:
            dates = (relative_time.date(),)
    if found.starts:
        resolved: list[time] = []
        for clock in found.starts:
            times, open_question = _resolve_clock(clock, part)
            resolved.extend(times)
            if open_question:
                ambiguities.append(Ambiguity.HOUR_AM_PM)
        start_times = tuple(dict.fromkeys(resolved))
        if len(found.starts) > 1 and len({(c.hour, c.minute) for c in found.starts}) > 1:
            ambiguities.append(Ambiguity.SEVERAL_TIMES)
    if found.ends:
        end_part = part
        if found.starts and len(start_times) == 1 and start_times[0].hour >= 12:
            end_part = PartOfDay.AFTERNOON
        ends, _ = _resolve_clock(found.ends[0], end_part)
        if start_times:
            end_times = _ends_after_starts(start_times, ends)
        else:
            end_times = ends
            if len(ends) > 1:
                ambiguities.append(Ambiguity.HOUR_AM_PM)
    if dates and all(d < today for d in dates):
        past = True
    if dates == (today,) and not past:
        if len(start_times) == 1 and start_times[0] < now.time():
            past = True
        elif not start_times and part is PartOfDay.MORNING and now.hour >= 12:
            past = True
    return When(
        dates=dates,
        period=period,
        start_times=start_times,
        end_times=end_times,
        duration=found.duration,
        part_of_day=part,
        reference_day_offset=found.reference_day_offset,
        same_time=found.same_time,
        shift=found.shift,
        ambiguities=tuple(dict.fromkeys(ambiguities)),
        past=past,
    )


def _ends_after_starts(starts: tuple[time, ...], ends: tuple[time, ...]) -> tuple[time, ...]:
    """An end is after its start: "de 11 h à 1 h" ends at 13:00."""
    paired = []
    for s in starts:
        e = next((e for e in ends if e > s), None)
        if e is None:
            e_hour = ends[0].hour + 12
            e = time(e_hour, ends[0].minute) if e_hour < 24 else ends[0]
        paired.append(e)
    return tuple(dict.fromkeys(paired))


def _resolve_clock(c: Clock, part: Optional[PartOfDay]) -> tuple[tuple[time, ...], bool]:
    """Candidate times for a clock and whether the am/pm question stays open."""
    hour = c.hour
    if part in (PartOfDay.AFTERNOON, PartOfDay.EVENING) and 1 <= hour <= 11:
        return (time(hour + 12, c.minute),), False
    if part is PartOfDay.NIGHT and 7 <= hour <= 11:
        return (time(hour + 12, c.minute),), False
    if part is PartOfDay.MORNING or c.am_pm_fixed or hour == 12:
        return (time(hour, c.minute),), False
    if 1 <= hour <= 6:
        return (time(hour, c.minute), time(hour + 12, c.minute)), True
    return (time(hour, c.minute),), False


def _combine_readings(
    readings: list[DateReading],
) -> tuple[tuple[date, ...], Optional[DateRange], list[Ambiguity], bool]:
    if not readings:
        return (), None, [], False
    strict = [r for r in readings if not (r.loose_weekday and len(readings) > 1)]
    checks = [r for r in readings if r.loose_weekday and len(readings) > 1]
    if not strict:  # "lundi ou mardi": only weekdays, each one a candidate
        strict, checks = checks, []
    ambiguities: list[Ambiguity] = []
    dates: list[date] = []
    period: Optional[DateRange] = None
    past = False
    for r in strict:
        past = past or r.past
        if r.period is not None:
            period = r.period
            if not any(c for c in strict if c.candidates):
                ambiguities.extend(r.ambiguities)
            continue
        ambiguities.extend(r.ambiguities)
        if not dates:
            dates = list(r.candidates)
            continue
        common = [d for d in dates if d in r.candidates]
        if common:
            dates = common
        else:
            dates = sorted(set(dates) | set(r.candidates))
            ambiguities.append(Ambiguity.SEVERAL_DATES)
    for check in checks:
        wd = check.weekday
        if dates:
            fitting = [d for d in dates if d.weekday() == wd]
            if fitting:
                # "jeudi, le 5 ou le 12": the weekday picks; "du mardi 3 au jeudi 5": each
                # weekday names its own date, all of them stay
                if len(checks) == 1:
                    dates = fitting
                continue
            dates = sorted(set(dates) | {check.candidates[-1]})
            ambiguities.append(Ambiguity.WEEKDAY_MISMATCH)
        elif period is not None:
            in_period = [d for d in period.days() if d.weekday() == wd]
            if in_period:
                dates = in_period
                ambiguities = [a for a in ambiguities if a is not Ambiguity.PERIOD_WITHOUT_DAY]
                period = None
            else:
                dates = list(check.candidates)
    if dates and period is not None:
        inside = [d for d in dates if d in period]
        if inside:
            dates, period = inside, None
            ambiguities = [a for a in ambiguities if a is not Ambiguity.PERIOD_WITHOUT_DAY]
    if len(dates) == 1:
        # a single remaining date settles any candidate choice
        ambiguities = [a for a in ambiguities if a is Ambiguity.HOUR_AM_PM]
    return tuple(sorted(dates)), period, ambiguities, past
