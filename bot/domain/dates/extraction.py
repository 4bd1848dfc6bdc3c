"""Finding what a message says about days, hours and durations: normalised text -> ``Found``.

One pass per kind of expression, in a fixed order: references to the intervention ("même
jour"), days named from today, delays ("dans 2 heures"), durations, parts of day, hour
ranges, dates, hours, shifts ("une heure plus tard").  Each pass takes its matches out of
the text (``scan.Scan``) so that later passes do not read them again, and leaves a mark
that later passes may read ("jeudi 2 h": a date before it makes "2 h" a time).

Nothing here knows the calendar: dates stay as said (``mentions``).  The one question for
the calendar, whether a day and month exist ("29 février" depends on the year), is asked
through ``day_exists``.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Callable, Optional

from bot.domain.dates import grammar as g
from bot.domain.dates import lexicon as lx
from bot.domain.dates.clocks import clock_value, duration_value, is_named, read_clock
from bot.domain.dates.mentions import (
    Clock, CountFromToday, DayMonth, DayOfMonth, DaysFromToday, Found, PeriodSaid, Weekday,
)
from bot.domain.dates.scan import Mark, Piece, Scan

DATE, TIME, PART, VOID = Piece(Mark.DATE), Piece(Mark.TIME), Piece(Mark.PART), Piece(Mark.VOID)
#: a number right after one of these is a time ("jeudi 15", "l'après-midi à 3 h")
_TIME_MARKS = (Mark.DATE, Mark.PART, Mark.TIME)


def find(text: str, day_exists: Callable[[DayMonth], bool]) -> Found:
    """Everything said in ``text`` (normalised, one side of "au lieu de")."""
    scan, found = Scan(text), Found()
    _references(scan, found)
    _relative_days(scan, found)
    _delays(scan, found)
    _durations(scan, found)
    _parts(scan, found)
    _ranges(scan, found)
    _dates(scan, found, day_exists)
    _clocks(scan, found)
    _shifts(scan, found)
    return found


def _add_duration(found: Found, minutes: int) -> Piece:
    found.duration = (found.duration or timedelta()) + timedelta(minutes=minutes)
    return Piece(Mark.DURATION, minutes)


def _references(scan: Scan, found: Found) -> None:
    def handle(m: re.Match) -> Piece:
        what = m.group("what")
        if what in lx.SAME_TIME:
            found.same_time = True
        else:
            found.reference_day_offset = lx.REFERENCE_DAYS[what]
        return DATE
    scan.take(g.REFERENCE, handle)


def _relative_days(scan: Scan, found: Found) -> None:
    def handle(m: re.Match) -> Piece:
        said = lx.RELATIVE_DAYS[m.group("what")]
        found.dates.append(DaysFromToday(said.offset))
        if said.part is not None:
            found.parts.append(said.part)
        elif said.hour is not None:
            found.starts.append(Clock(said.hour, 0, True))
        return DATE
    scan.take(g.RELATIVE_DAY, handle)


def _delays(scan: Scan, found: Found) -> None:
    def handle(m: re.Match) -> Piece:
        n, per_unit, extra = m.group("n"), lx.TIME_UNITS[m.group("unit")], m.group("extra")
        if n in lx.DELAY_COUNTS:
            minutes = lx.DELAY_COUNTS[n]
        else:
            minutes = (lx.number(n) if n else 1) * per_unit
            if extra and per_unit == 60:
                minutes += lx.MINUTE_WORDS[extra]
        found.delay = timedelta(minutes=minutes)
        return TIME
    scan.take(g.RELATIVE_TIME, handle)


def _durations(scan: Scan, found: Found) -> None:
    scan.take(g.MINUTES, lambda m: _add_duration(found, lx.number(m.group("n"))))
    fraction = lx.FRACTIONS_OF_HOUR
    scan.take(g.FRACTION_OF_HOUR, lambda m: _add_duration(found, fraction[m.group("what")]))


def _parts(scan: Scan, found: Found) -> None:
    for pattern, part in g.PARTS:
        def handle(m: re.Match, part=part) -> Piece:
            found.parts.append(part)
            return PART
        scan.take(pattern, handle)


def _ranges(scan: Scan, found: Found) -> None:
    def handle(m: re.Match) -> Optional[Piece]:
        a, b = read_clock(m.group("a")), read_clock(m.group("b"))
        if a is None or b is None:
            return None
        opener = lx.RANGE_JOINERS[m.group("join")]
        if opener is not None and m.group("pre") != opener:  # "à 9 h et 10 h" is no range
            return None
        found.starts.append(a)
        found.ends.append(b)
        return TIME
    scan.take(g.RANGE, handle)

    def end(m: re.Match) -> Optional[Piece]:
        c = read_clock(m.group("c"))
        if c is None:
            return None
        found.ends.append(c)
        return TIME
    scan.take(g.END, end)


def _dates(scan: Scan, found: Found, day_exists: Callable[[DayMonth], bool]) -> None:
    def day_month(said: DayMonth, weekday: Optional[str] = None) -> Piece:
        if not day_exists(said):
            return VOID  # "31/02": a date, but none that exists
        found.dates.append(said)
        if weekday:
            found.dates.append(Weekday(lx.WEEKDAYS[weekday], loose=True))
        return DATE

    def year(m: re.Match) -> Optional[int]:
        return int(m.group("y")) if m.group("y") else None

    scan.take(g.NUMERIC_DATE, lambda m: day_month(
        DayMonth(int(m.group("d")), int(m.group("m")), year(m))))
    scan.take(g.DAY_MONTH, lambda m: day_month(
        DayMonth(lx.number(m.group("d")), lx.MONTHS[m.group("m")], year(m)), m.group("wd")))

    def in_days(m: re.Match) -> Piece:
        found.dates.append(CountFromToday(
            lx.number(m.group("n")), lx.CALENDAR_UNITS[m.group("unit")],
            lx.DELAY_DIRECTIONS[m.group("dir")]))
        return DATE
    scan.take(g.IN_DAYS, in_days)

    def period(m: re.Match) -> Piece:
        found.dates.append(PeriodSaid(lx.PERIODS[m.group("what")]))
        if m.group("wd"):
            found.dates.append(Weekday(lx.WEEKDAYS[m.group("wd")], loose=True))
        return DATE
    scan.take(g.PERIOD, period)

    def weekday(m: re.Match) -> Piece:
        this, mod = bool(m.group("this")), m.group("mod")
        found.dates.append(Weekday(lx.WEEKDAYS[m.group("wd")], this=this,
                                   hint=lx.WEEKDAY_HINTS[mod] if mod else None,
                                   loose=not this and not mod))
        return DATE
    scan.take(g.WEEKDAY, weekday)

    def weekday_abbr(m: re.Match) -> Piece:
        found.dates.append(Weekday(lx.WEEKDAY_ABBREVIATIONS[m.group("wd")], loose=True))
        return DATE
    scan.take(g.WEEKDAY_ABBR, weekday_abbr)

    def day_only(m: re.Match) -> Optional[Piece]:
        # a bare number is a day only after "le"/"du"/"au" or right after a date ("jeudi 17");
        # in words, only after "le"/"du"/"au" ("le dix sept", but "demain un ..." is no day)
        in_words = m.group("dw")
        if not m.group("art") and (in_words or scan.mark_before(m.start()) is not Mark.DATE):
            return None
        day = lx.number(in_words or m.group("d"))
        if not 1 <= day <= 31:
            return None
        found.dates.append(DayOfMonth(day))
        return DATE
    scan.take(g.DAY_ONLY, day_only)


def _clocks(scan: Scan, found: Found) -> None:
    def handle(m: re.Match) -> Optional[Piece]:
        raw = m.group(0)
        value = clock_value(raw)
        if value is None:
            return None
        if _is_duration(scan, m, value[0]):
            dur = duration_value(raw)
            if dur is None or dur == timedelta():
                return None
            return _add_duration(found, int(dur.total_seconds() // 60))
        clock = read_clock(raw)
        if clock is None:
            return None
        found.starts.append(clock)
        return TIME
    scan.take(g.CLOCK_RE, handle)


def _is_duration(scan: Scan, m: re.Match, hour: int) -> bool:
    """Whether a clock expression is a length of time ("pendant 2 h", "1h30") or a time."""
    raw = m.group(0)
    named = is_named(raw)
    before = scan.words_before(m.start())
    prev = before[-1] if before else ""
    if prev in lx.DURATION_CUES or (len(before) >= 2 and before[-2] in lx.DURATION_CUES):
        return True
    if prev == "de" and hour <= 3 and not named:  # "de 1h30"
        return True
    if prev == "pour" and hour <= 3:  # "pour 2 h"
        return True
    if (prev in lx.TIME_CUES or scan.mark_before(m.start()) in _TIME_MARKS
            or scan.mark_after(m.end()) is Mark.PART):
        return False
    if named or ":" in raw:
        return False
    is_word_hour = not re.match(r"\d", raw)
    return hour <= 3 or (is_word_hour and hour <= 4)


def _shifts(scan: Scan, found: Found) -> None:
    """A duration just before "plus tard/tôt" moves the slot ("une heure plus tard")."""
    for piece, end in scan.masks():
        m = g.SHIFT_AFTER.match(scan.text, end) if piece.mark is Mark.DURATION else None
        if m is None:
            continue
        found.shift = timedelta(minutes=lx.SHIFT_DIRECTIONS[m.group("dir")] * piece.minutes)
        if found.duration == timedelta(minutes=piece.minutes):
            found.duration = None
