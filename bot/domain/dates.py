"""French date and time understanding for the booking flows.

Pure functions only: no I/O, no clock.  The reference time ``now`` is passed in
and must be timezone-aware; everything is resolved on the Europe/Paris wall
clock.

>>> from datetime import datetime
>>> now = datetime(2026, 2, 25, 10, 0, tzinfo=PARIS)   # a Wednesday
>>> w = parse_when("jeudi à 15 h 30", now)
>>> w.date, w.start_time
(datetime.date(2026, 2, 26), datetime.time(15, 30))
>>> parse_when("à 10 h au lieu de 9 h", now).replaces.start_time
datetime.time(9, 0)

Decisions (see docs/dates.md for the reasons and the measurements):

* A bare weekday ("jeudi") is the next one strictly after today; when today is
  that weekday the result has two candidates (today and in a week) and is
  flagged ``WEEKDAY_IS_TODAY``.
* "mardi prochain" is the next Tuesday after today; when that Tuesday falls in
  the current calendar week it may also mean the one of next week: both are
  returned and ``NEXT_WEEKDAY`` is flagged.
* "le 12" is the next 12th (today included); on the 12th itself it is today or
  next month's, flagged ``DAY_IS_TODAY``.
* A day and month without a year ("le 3 mars") is this year's if not passed,
  else next year's.  When next year's is more than ``FAR_DAYS`` (300) days away
  the date has just passed: both readings are returned and ``RECENTLY_PASSED``
  is flagged.  ``past`` is only set when no future reading exists (explicit past
  year, "hier", "lundi dernier", a time already passed today, ...).
* "la semaine prochaine" (and other periods without a day) gives ``period`` and
  ``PERIOD_WITHOUT_DAY``.
* An hour from 1 to 6 without "du matin"/"de l'après-midi"/... could be morning
  or afternoon: both times are returned and ``HOUR_AM_PM`` is flagged.  Hours
  from 7 to 23 are taken as written.
* "l'après-midi", "le matin", "ce soir" are a ``part_of_day``, never a time.
* A bare "1h30" or "2 h" (hour up to 3, no "à"/"de"/date before it) is a
  duration; "une heure", "45 minutes", "une heure et demie" are durations unless
  introduced by "à"/"vers"/...
"""
from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Optional

from bot.domain.clock import PARIS


#: A day-month rolled to next year this far away is probably a passed date.
FAR_DAYS = 300


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


# ---------------------------------------------------------------------------
# normalisation
# ---------------------------------------------------------------------------

_SMS = [
    (r"\b2main\b|\bdmain\b|\bdemin\b|\bdem\b|\bdemai\b", "demain"),
    (r"\bapre?s? ?demain\b|\bapr demain\b", "apres demain"),
    (r"\baprem\b|\bapr?em\b|\bap midi\b|\bapm\b|\bapres midi\b|\bapresmidi\b|\bapr midi\b", "apres midi"),
    (r"\bajd\b|\bauj\b|\baujourdhui\b|\baujourd hui\b|\bajourd hui\b", "aujourdhui"),
    (r"\bds\b", "dans"),
    (r"\bjsq\b|\bjusqua\b|\bjusqu a\b|\bjusque a\b|\bjusqu au\b", "jusqua"),
    (r"\bpr\b", "pour"),
    (r"\bsemaine pro\b|\bsem pro\b|\bsem prochaine\b", "semaine prochaine"),
    (r"\bproch\b|\bprochin\b|\bprochaines?\b", "prochain"),
    (r"\bweek end\b|\bweekend\b|\bwe\b", "weekend"),
    (r"\bau lieu du\b|\bau lieu d\b|\bau lieu des\b|\ba la place de\b|\ba la place du\b|\bplutot que\b", "au lieu de"),
    (r"\bquarts?\b", "quart"),
]
_SMS_RE = [(re.compile(p), r) for p, r in _SMS]


def normalise(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and hyphens, expand SMS forms."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("œ", "oe").replace("–", "-").replace("—", "-")
    t = re.sub(r"[’'`´]", " ", t)
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    t = re.sub(r"[!?;«»\"()]", " ", t)
    t = re.sub(r"(?<=[a-z])(?=\d)", " ", t)  # "a14h" -> "a 14h"
    t = re.sub(r"\s+", " ", t).strip()
    for pattern, repl in _SMS_RE:
        t = pattern.sub(repl, t)
    return t


# ---------------------------------------------------------------------------
# vocabulary
# ---------------------------------------------------------------------------

_UNITS = ["zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
          "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
          "dix sept", "dix huit", "dix neuf"]
_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50}


def _number_words() -> dict[str, int]:
    words = {w: i for i, w in enumerate(_UNITS)}
    words["une"] = 1
    for tens, base in _TENS.items():
        words[tens] = base
        words[f"{tens} et un"] = base + 1
        words[f"{tens} et une"] = base + 1
        for i in range(2, 10):
            words[f"{tens} {_UNITS[i]}"] = base + i
    return words


_NUMBERS = _number_words()
_NUM_WORDS = "|".join(sorted((re.escape(w) for w in _NUMBERS), key=len, reverse=True))
_NUM = rf"(?:\d{{1,2}}|{_NUM_WORDS})"

_WEEKDAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4,
             "samedi": 5, "dimanche": 6}
_WEEKDAY_ABBR = {"lun": 0, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6}
_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "fevrie": 2,
    "mars": 3, "mar": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7, "jui": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(_WEEKDAYS)
_DAY_NUM = rf"(?:1er|premier|\d{{1,2}}|{_NUM_WORDS})"

_PARTS = [
    (r"\b(?:dans la |en |la |le |du |de la |au )?(?:matinee|matin)\b", PartOfDay.MORNING),
    (r"\b(?:dans |en |l |d |de l |a l )?apres midi\b", PartOfDay.AFTERNOON),
    (r"\b(?:dans la |en |la |le |du |au |de )?(?:soiree|soir)\b", PartOfDay.EVENING),
    (r"\b(?:dans la |la |de |en )?nuit\b", PartOfDay.NIGHT),
]
_PARTS_RE = [(re.compile(p), part) for p, part in _PARTS]

# marker words left in the text once a piece is understood; upper case never
# occurs in normalised text
_DATE_MARK = " DATE "
_TIME_MARK = " TIME "
_PART_MARK = " PART "
_VOID_MARK = " VOID "

_TIME_CUES = {"a", "vers", "des", "de", "entre", "avant", "apres", "partir", "jusqua",
              "celle", "celui", "rdv", "DATE", "PART", "TIME", "le", "pour", "rendez", "vous",
              "et", "ou", "plutot"}
_DURATION_CUES = {"pendant", "duree", "dure", "durer", "durera", "sur", "durant"}


def _num(token: str) -> int:
    token = token.strip()
    if token.isdigit():
        return int(token)
    if token in ("1er", "premier"):
        return 1
    return _NUMBERS[token]


# ---------------------------------------------------------------------------
# clock and duration grammar
# ---------------------------------------------------------------------------

_MINUTE_WORDS = r"et quart|et demie?|moins le quart|moins quart|moins \d{1,2}|" + _NUM_WORDS
_CLOCK = (
    rf"\b(?:{_NUM})\s*(?:h(?![a-z])|heures?\b)(?:\s*(?:\d{{2}}(?!\s*(?:h|heure|min|:|\d))|{_MINUTE_WORDS})\b)?"
    r"|\d{1,2}:\d{2}\b"
    r"|\b(?:midi|minuit)(?:\s+(?:et quart|et demie?|moins le quart|trente|quinze|\d{2}\b))?"
)
_CLOCK_PARTS = re.compile(
    rf"^(?:(?P<h>{_NUM})\s*(?:heures?|h)\s*(?P<m>.*)|(?P<h2>\d{{1,2}}):(?P<m2>\d{{2}})|(?P<noon>midi|minuit)\s*(?P<nm>.*))$"
)


def _minutes_of(text: str) -> Optional[int]:
    """Minutes after the hour for '30', 'et quart', 'moins le quart', ..."""
    text = text.strip()
    if not text:
        return 0
    if text.startswith("et quart") or text == "quinze":
        return 15
    if text.startswith("et demi") or text == "trente":
        return 30
    if text.startswith("moins"):
        rest = text.replace("moins", "").replace("le", "").strip()
        return -15 if rest == "quart" else -int(rest)
    try:
        value = _num(text)
    except KeyError:
        return None
    return value if value < 60 else None


def _clock_value(text: str) -> Optional[tuple[int, int]]:
    """(hour, minute) of a clock expression, without am/pm resolution."""
    m = _CLOCK_PARTS.match(text.strip())
    if not m:
        return None
    if m.group("h2"):
        hour, minute = int(m.group("h2")), int(m.group("m2"))
    elif m.group("noon"):
        hour = 12 if m.group("noon") == "midi" else 0
        minute = _minutes_of(m.group("nm") or "")
    else:
        hour = _num(m.group("h"))
        minute = _minutes_of(m.group("m") or "")
    if minute is None:
        return None
    if minute < 0:
        hour, minute = hour - 1, 60 + minute
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return None
    return hour % 24, minute


def _duration_value(text: str) -> Optional[timedelta]:
    value = _clock_value(text)
    if value is None or "midi" in text or "minuit" in text or ":" in text:
        return None
    hour, minute = value
    return timedelta(hours=hour, minutes=minute)


# ---------------------------------------------------------------------------
# the parse
# ---------------------------------------------------------------------------

@dataclass
class _DateReading:
    candidates: tuple[date, ...]
    ambiguities: tuple[Ambiguity, ...] = ()
    past: bool = False
    weekday: Optional[int] = None  # set for readings that are "a weekday"
    loose_weekday: bool = False  # bare weekday: acts as a check on other dates
    period: Optional[DateRange] = None


@dataclass
class _Clock:
    hour: int
    minute: int
    am_pm_fixed: bool  # written as 15h, "du matin", ...


@dataclass
class _State:
    text: str
    today: date
    now: datetime
    readings: list[_DateReading] = field(default_factory=list)
    starts: list[_Clock] = field(default_factory=list)
    ends: list[_Clock] = field(default_factory=list)
    duration: Optional[timedelta] = None
    parts: list[PartOfDay] = field(default_factory=list)
    reference_day_offset: Optional[int] = None
    same_time: bool = False
    shift: Optional[timedelta] = None
    relative_time: Optional[datetime] = None

    def take(self, pattern: re.Pattern, handle: Callable[[re.Match], Optional[str]]) -> None:
        """Replace each match by what ``handle`` returns (None keeps the text)."""
        def sub(m: re.Match) -> str:
            out = handle(m)
            return m.group(0) if out is None else out
        self.text = pattern.sub(sub, self.text)


def _add_days(day: date, n: int) -> date:
    return day + timedelta(days=n)


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


def _day_month_reading(today: date, day: int, month: int, year: Optional[int]) -> Optional[_DateReading]:
    if year is not None:
        if year < 100:
            year += 2000
        d = _safe_date(year, month, day)
        if d is None:
            return None
        return _DateReading((d,), past=d < today)
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year >= today:
        return _DateReading((this_year,))
    future = _safe_date(today.year + 1, month, day)
    if future is None:  # 29 February with no leap year ahead: not understood, asked
        return None
    if (future - today).days > FAR_DAYS and this_year is not None:
        return _DateReading((this_year, future), (Ambiguity.RECENTLY_PASSED,))
    return _DateReading((future,))


_RE_REPLACE = re.compile(r"\bau lieu de\b")
_RE_REFERENCE = re.compile(
    r"\b(?:le |la |au )?(?P<what>meme jour|meme journee|lendemain|veille|meme heure|meme horaire)\b"
)
_RE_RELATIVE_TIME = re.compile(
    rf"\bdans (?:(?P<n>{_NUM}|une demi)\s*)?(?P<unit>heures?|h|minutes?|min|mn)\b(?: et demie?)?"
)
_RE_MINUTES = re.compile(rf"\b(?P<n>{_NUM})\s*(?:minutes?|mins?|mn)\b")
_RE_HALF_QUARTER = re.compile(
    r"\b(?P<what>une demi heure|un quart d heure|trois quart d heure|demi heure)\b"
)
_RE_SHIFT = re.compile(r"(?P<dur>DUR\((?P<mins>-?\d+)\))\s*(?:de )?plus (?P<dir>tard|tot)\b")
_RE_RANGE = re.compile(
    rf"\b(?:(?P<pre>de|entre|des)\s+)?(?P<a>{_CLOCK})\s*(?:a|-|/|et|jusqua)\s*(?P<b>{_CLOCK})"
)
_RE_END = re.compile(
    rf"\b(?:jusqua|finir a|fin a|termine a|terminer a|se termine a|fini a|fin vers)\s*(?P<c>{_CLOCK})"
)
_RE_NUMERIC_DATE = re.compile(
    r"(?<![\d:])(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}|\d{2}))?(?![\d:h])"
)
_RE_DAY_MONTH = re.compile(
    rf"\b(?:(?P<wd>{_WEEKDAY_RE})\s+)?(?:le\s+|du\s+|au\s+)?(?P<d>{_DAY_NUM})\s+(?P<m>{_MONTH_RE})\b\.?"
    r"(?:\s*(?P<y>\d{4})\b)?"
)
_RE_RELATIVE_DAY = re.compile(
    r"\b(?P<what>aujourdhui|apres demain|avant hier|demain|hier|ce midi|ce soir|ce matin|cet apres midi|cette apres midi|cette nuit)\b"
)
_RE_IN_DAYS = re.compile(
    rf"\b(?P<dir>dans|d ici|il y a)\s+(?P<n>{_NUM}|une|un)\s+(?P<unit>jours?|semaines?|mois)\b"
)
_RE_PERIOD = re.compile(
    r"\b(?:(?P<wd>" + _WEEKDAY_RE + r")\s+)?(?:de |pour |dans )?(?P<what>la semaine prochain|semaine prochain|"
    r"la semaine d apres|la semaine suivante|la semaine derniere|cette semaine|la semaine|"
    r"le weekend prochain|ce weekend|le weekend|weekend|le mois prochain|ce mois ci)\b"
)
_RE_WEEKDAY = re.compile(
    r"\b(?:(?P<this>ce|cette)\s+)?(?P<wd>" + _WEEKDAY_RE + r")s?\b"
    r"(?:\s+(?P<mod>prochain|qui vient|en huit|en quinze|dernier|d apres|suivant))?"
)
_RE_WEEKDAY_ABBR = re.compile(r"\b(?P<wd>lun|mer|jeu|ven|sam|dim)\.?(?=\s+(?:\d|a\b))")
_RE_DAY_ONLY = re.compile(
    rf"\b(?:(?P<wd>{_WEEKDAY_RE})\s+)?(?:(?P<art>le|du|au|ce)\s+)?(?P<d>1er|premier|\d{{1,2}})\b"
    r"(?!\s*(?:h\b|h\d|heures?|:|min|mn|jours?|semaines?|mois|ans?))"
)
_RE_CLOCK = re.compile(_CLOCK)
_RE_CLOCK_PART = re.compile(r"^\s*(?:PART|du matin|de l apres midi|du soir)")


def _parse_clock_side(text: str) -> Optional[_Clock]:
    value = _clock_value(text)
    if value is None:
        return None
    hour, minute = value
    fixed = hour == 0 or hour >= 7 or "midi" in text or "minuit" in text
    return _Clock(hour, minute, fixed)


def _cue_before(text: str, pos: int, n: int = 3) -> list[str]:
    return text[:pos].split()[-n:]


def _extract_reference(st: _State) -> None:
    def handle(m: re.Match) -> str:
        what = m.group("what")
        if what.startswith("meme heure") or what.startswith("meme horaire"):
            st.same_time = True
        elif what == "lendemain":
            st.reference_day_offset = 1
        elif what == "veille":
            st.reference_day_offset = -1
        else:
            st.reference_day_offset = 0
        return _DATE_MARK
    st.take(_RE_REFERENCE, handle)


def _extract_parts(st: _State) -> None:
    for pattern, part in _PARTS_RE:
        def handle(m: re.Match, part: PartOfDay = part) -> str:
            st.parts.append(part)
            return _PART_MARK
        st.take(pattern, handle)


def _extract_relative_time(st: _State) -> None:
    def handle(m: re.Match) -> str:
        n = m.group("n")
        unit = m.group("unit")
        if n == "une demi":
            minutes = 30
        else:
            minutes = _num(n) if n else 1
            if unit.startswith("h"):
                minutes *= 60
                if m.group(0).endswith(("demi", "demie")):
                    minutes += 30
        st.relative_time = st.now + timedelta(minutes=minutes)
        return _TIME_MARK
    st.take(_RE_RELATIVE_TIME, handle)


def _extract_durations(st: _State) -> None:
    def minutes(m: re.Match) -> str:
        st.duration = (st.duration or timedelta()) + timedelta(minutes=_num(m.group("n")))
        return f" DUR({_num(m.group('n'))}) "
    st.take(_RE_MINUTES, minutes)

    def half(m: re.Match) -> str:
        value = {"une demi heure": 30, "demi heure": 30, "un quart d heure": 15,
                 "trois quart d heure": 45}[m.group("what")]
        st.duration = (st.duration or timedelta()) + timedelta(minutes=value)
        return f" DUR({value}) "
    st.take(_RE_HALF_QUARTER, half)


def _extract_shift(st: _State) -> None:
    def handle(m: re.Match) -> str:
        mins = int(m.group("mins"))
        sign = 1 if m.group("dir") == "tard" else -1
        st.shift = timedelta(minutes=sign * mins)
        if st.duration is not None and st.duration == timedelta(minutes=mins):
            st.duration = None
        return " "
    st.take(_RE_SHIFT, handle)


def _extract_ranges(st: _State) -> None:
    def handle(m: re.Match) -> Optional[str]:
        a, b = _parse_clock_side(m.group("a")), _parse_clock_side(m.group("b"))
        if a is None or b is None:
            return None
        sep = m.group(0)[m.end("a") - m.start(0): m.start("b") - m.start(0)].strip()
        if sep == "et" and m.group("pre") != "entre":
            return None
        st.starts.append(a)
        st.ends.append(b)
        return _TIME_MARK
    st.take(_RE_RANGE, handle)

    def end(m: re.Match) -> Optional[str]:
        c = _parse_clock_side(m.group("c"))
        if c is None:
            return None
        st.ends.append(c)
        return _TIME_MARK
    st.take(_RE_END, end)


def _extract_relative_days(st: _State) -> None:
    today = st.today

    def relative(m: re.Match) -> str:
        what = m.group("what")
        offsets = {"aujourdhui": 0, "ce midi": 0, "ce soir": 0, "ce matin": 0,
                   "cet apres midi": 0, "cette apres midi": 0, "cette nuit": 0,
                   "demain": 1, "apres demain": 2, "hier": -1, "avant hier": -2}
        offset = offsets[what]
        st.readings.append(_DateReading((_add_days(today, offset),), past=offset < 0))
        if what == "ce soir":
            st.parts.append(PartOfDay.EVENING)
        elif what == "ce matin":
            st.parts.append(PartOfDay.MORNING)
        elif what in ("cet apres midi", "cette apres midi"):
            st.parts.append(PartOfDay.AFTERNOON)
        elif what == "cette nuit":
            st.parts.append(PartOfDay.NIGHT)
        elif what == "ce midi":
            st.starts.append(_Clock(12, 0, True))
        return _DATE_MARK
    st.take(_RE_RELATIVE_DAY, relative)


def _extract_dates(st: _State) -> None:
    today = st.today

    def numeric(m: re.Match) -> Optional[str]:
        day, month = int(m.group("d")), int(m.group("m"))
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return _VOID_MARK
        year = int(m.group("y")) if m.group("y") else None
        reading = _day_month_reading(today, day, month, year)
        if reading is None:
            return _VOID_MARK  # "31/02": a date, but none that exists
        st.readings.append(reading)
        return _DATE_MARK
    st.take(_RE_NUMERIC_DATE, numeric)

    def day_month(m: re.Match) -> Optional[str]:
        try:
            day = _num(m.group("d"))
        except KeyError:
            return None
        year = int(m.group("y")) if m.group("y") else None
        reading = _day_month_reading(today, day, _MONTHS[m.group("m")], year)
        if reading is None:
            return _VOID_MARK
        st.readings.append(reading)
        if m.group("wd"):
            st.readings.append(_weekday_reading(today, _WEEKDAYS[m.group("wd")], None, None, loose=True))
        return _DATE_MARK
    st.take(_RE_DAY_MONTH, day_month)


    def in_days(m: re.Match) -> str:
        n = _num(m.group("n"))
        unit = m.group("unit")
        sign = -1 if m.group("dir") == "il y a" else 1
        if unit.startswith("jour"):
            d = _add_days(today, sign * n)
        elif unit.startswith("semaine"):
            d = _add_days(today, sign * 7 * n)
        else:
            month_index = today.month - 1 + sign * n
            year, month = today.year + month_index // 12, month_index % 12 + 1
            d = date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        st.readings.append(_DateReading((d,), past=sign < 0))
        return _DATE_MARK
    st.take(_RE_IN_DAYS, in_days)

    def period(m: re.Match) -> str:
        what = m.group("what")
        monday = _week_monday(today)
        past = False
        if what in ("la semaine prochain", "semaine prochain", "la semaine d apres",
                    "la semaine suivante"):
            rng = DateRange(monday + timedelta(days=7), monday + timedelta(days=13))
        elif what == "la semaine derniere":
            rng = DateRange(monday - timedelta(days=7), monday - timedelta(days=1))
            past = True
        elif what in ("cette semaine", "la semaine"):
            rng = DateRange(today, monday + timedelta(days=6))
        elif what == "le mois prochain":
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            rng = DateRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        elif what == "ce mois ci":
            rng = DateRange(today, date(today.year, today.month,
                                        calendar.monthrange(today.year, today.month)[1]))
        else:  # weekend
            saturday = _next_weekday(today, 5, include_today=True)
            if today.weekday() == 6:
                rng = DateRange(today, today)
            else:
                rng = DateRange(saturday, saturday + timedelta(days=1))
            if what == "le weekend prochain" and today.weekday() >= 5:
                saturday = _next_weekday(today, 5, include_today=False)
                rng = DateRange(saturday, saturday + timedelta(days=1))
        st.readings.append(_DateReading((), (Ambiguity.PERIOD_WITHOUT_DAY,), past=past, period=rng))
        if m.group("wd"):
            st.readings.append(_weekday_reading(today, _WEEKDAYS[m.group("wd")], None, None, loose=True))
        return _DATE_MARK
    st.take(_RE_PERIOD, period)

    def weekday(m: re.Match) -> str:
        st.readings.append(_weekday_reading(
            today, _WEEKDAYS[m.group("wd")], m.group("this"), m.group("mod"),
            loose=not m.group("this") and not m.group("mod")))
        return _DATE_MARK
    st.take(_RE_WEEKDAY, weekday)

    def weekday_abbr(m: re.Match) -> str:
        st.readings.append(_weekday_reading(today, _WEEKDAY_ABBR[m.group("wd")], None, None, loose=True))
        return _DATE_MARK
    st.take(_RE_WEEKDAY_ABBR, weekday_abbr)

    def day_only(m: re.Match) -> Optional[str]:
        art = m.group("art")
        before = _cue_before(st.text, m.start())
        # a bare number is a day only after "le"/"du"/"au" or right after a weekday
        if not art and not (before and before[-1] == "DATE"):
            return None
        if art == "ce":
            return None
        day = _num(m.group("d"))
        if not 1 <= day <= 31:
            return None
        d = _next_day_of_month(today, day)
        if d is None:
            return None
        if d == today:
            later = _next_day_of_month(_add_days(today, 1), day)
            reading = _DateReading((d, later) if later else (d,),
                                   (Ambiguity.DAY_IS_TODAY,) if later else ())
        else:
            reading = _DateReading((d,))
        st.readings.append(reading)
        return _DATE_MARK
    st.take(_RE_DAY_ONLY, day_only)


def _weekday_reading(today: date, wd: int, this: Optional[str], mod: Optional[str],
                     loose: bool) -> _DateReading:
    first = _next_weekday(today, wd, include_today=False)
    if this:  # "ce jeudi": today included
        return _DateReading((_next_weekday(today, wd, include_today=True),), weekday=wd)
    if mod in ("en huit", "d apres", "suivant"):
        return _DateReading((first + timedelta(days=7),), weekday=wd)
    if mod == "en quinze":
        return _DateReading((first + timedelta(days=14),), weekday=wd)
    if mod == "dernier":
        return _DateReading((first - timedelta(days=7),), past=True, weekday=wd)
    if mod in ("prochain", "qui vient"):
        if mod == "prochain" and _week_monday(first) == _week_monday(today):
            return _DateReading((first, first + timedelta(days=7)), (Ambiguity.NEXT_WEEKDAY,), weekday=wd)
        return _DateReading((first,), weekday=wd)
    if today.weekday() == wd:
        return _DateReading((today, first), (Ambiguity.WEEKDAY_IS_TODAY,), weekday=wd, loose_weekday=loose)
    return _DateReading((first,), weekday=wd, loose_weekday=loose)


def _extract_clocks(st: _State) -> None:
    def handle(m: re.Match) -> Optional[str]:
        raw = m.group(0)
        value = _clock_value(raw)
        if value is None:
            return None
        hour, minute = value
        before = _cue_before(st.text, m.start())
        after = st.text[m.end():]
        is_word_hour = not re.match(r"\d", raw) and "midi" not in raw and "minuit" not in raw
        prev = before[-1] if before else ""
        if prev in _DURATION_CUES or (len(before) >= 2 and before[-2] in _DURATION_CUES):
            kind = "duration"
        elif prev == "de" and hour <= 3 and "midi" not in raw and "minuit" not in raw:
            kind = "duration"
        elif prev == "pour" and hour <= 3:
            kind = "duration"
        elif prev in _TIME_CUES or _RE_CLOCK_PART.match(after):
            kind = "time"
        elif "midi" in raw or "minuit" in raw or ":" in raw:
            kind = "time"
        elif hour <= 3 or (is_word_hour and hour <= 4):
            kind = "duration"
        else:
            kind = "time"
        if kind == "duration":
            dur = _duration_value(raw)
            if dur is None or dur == timedelta():
                return None
            st.duration = (st.duration or timedelta()) + dur
            return f" DUR({int(dur.total_seconds() // 60)}) "
        clock = _parse_clock_side(raw)
        if clock is None:
            return None
        st.starts.append(clock)
        return _TIME_MARK
    st.take(_RE_CLOCK, handle)


def _resolve_clock(c: _Clock, part: Optional[PartOfDay]) -> tuple[tuple[time, ...], bool]:
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


def _combine_readings(readings: list[_DateReading]) -> tuple[tuple[date, ...], Optional[DateRange], list[Ambiguity], bool]:
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


def _parse_simple(text: str, now: datetime) -> When:
    st = _State(text=text, today=now.date(), now=now)
    _extract_reference(st)
    _extract_relative_days(st)
    _extract_relative_time(st)
    _extract_durations(st)
    _extract_parts(st)
    _extract_ranges(st)
    _extract_dates(st)
    _extract_clocks(st)
    _extract_shift(st)

    dates, period, ambiguities, past = _combine_readings(st.readings)
    part = st.parts[0] if st.parts else None

    start_times: tuple[time, ...] = ()
    end_times: tuple[time, ...] = ()
    if st.relative_time is not None and not st.starts:
        start_times = (st.relative_time.time().replace(second=0, microsecond=0),)
        if not dates:
            dates = (st.relative_time.date(),)
    if st.starts:
        resolved: list[time] = []
        for clock in st.starts:
            times, open_question = _resolve_clock(clock, part)
            resolved.extend(times)
            if open_question:
                ambiguities.append(Ambiguity.HOUR_AM_PM)
        start_times = tuple(dict.fromkeys(resolved))
        if len(st.starts) > 1 and len({(c.hour, c.minute) for c in st.starts}) > 1:
            ambiguities.append(Ambiguity.SEVERAL_TIMES)
    if st.ends:
        end_part = part
        if st.starts and len(start_times) == 1 and start_times[0].hour >= 12:
            end_part = PartOfDay.AFTERNOON
        ends, _ = _resolve_clock(st.ends[0], end_part)
        if start_times:
            # an end is after its start: "de 11 h à 1 h" ends at 13:00
            paired = []
            for s in start_times:
                e = next((e for e in ends if e > s), None)
                if e is None:
                    e_hour = ends[0].hour + 12
                    e = time(e_hour, ends[0].minute) if e_hour < 24 else ends[0]
                paired.append(e)
            end_times = tuple(dict.fromkeys(paired))
        else:
            end_times = ends
            if len(ends) > 1:
                ambiguities.append(Ambiguity.HOUR_AM_PM)
    if dates and all(d < st.today for d in dates):
        past = True
    if dates == (st.today,) and not past:
        if len(start_times) == 1 and start_times[0] < now.time():
            past = True
        elif not start_times and part is PartOfDay.MORNING and now.hour >= 12:
            past = True
    return When(
        dates=dates,
        period=period,
        start_times=start_times,
        end_times=end_times,
        duration=st.duration,
        part_of_day=part,
        reference_day_offset=st.reference_day_offset,
        same_time=st.same_time,
        shift=st.shift,
        ambiguities=tuple(dict.fromkeys(ambiguities)),
        past=past,
    )


def parse_when(text: str, now: datetime) -> When:
    """Understand the dates, times and durations of a French message.

    ``now`` must be timezone-aware; it is converted to Europe/Paris.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    now = now.astimezone(PARIS)
    norm = normalise(text)
    m = _RE_REPLACE.search(norm)
    if m:
        new_text, old_text = norm[: m.start()], norm[m.end():]
        # "au lieu de 9 h, à 10 h": the old slot ends at the first comma
        if "," in old_text:
            old_text, rest = old_text.split(",", 1)
            new_text = new_text + " " + rest
        new = _parse_simple(new_text, now)
        old = _parse_simple(old_text, now)
        if old.is_empty:
            return new
        return replace(new, replaces=old)
    return _parse_simple(norm, now)


# ---------------------------------------------------------------------------
# asking back
# ---------------------------------------------------------------------------

_DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                "septembre", "octobre", "novembre", "décembre")


def _fr_date(d: date, today: Optional[date] = None) -> str:
    day = "1er" if d.day == 1 else str(d.day)
    text = f"{_DAY_NAMES[d.weekday()]} {day} {_MONTH_NAMES[d.month - 1]}"
    if today is not None and d.year != today.year:
        text += f" {d.year}"
    return text


def _fr_time(t: time) -> str:
    return f"{t.hour} h" if t.minute == 0 else f"{t.hour} h {t.minute:02d}"


def _join_or(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


def clarification_question(when: When, now: datetime) -> Optional[str]:
    """The French question to ask back, or None when nothing needs asking.

    >>> now = datetime(2026, 3, 5, 9, 0, tzinfo=PARIS)   # a Thursday
    >>> clarification_question(parse_when("jeudi", now), now)
    'Vous parlez du jeudi 5 mars ou du jeudi 12 mars ?'
    """
    today = now.astimezone(PARIS).date()
    if len(when.dates) > 1:
        return "Vous parlez " + _join_or(f"du {_fr_date(d, today)}" for d in when.dates) + " ?"
    if Ambiguity.PERIOD_WITHOUT_DAY in when.ambiguities and when.period is not None:
        return (f"Quel jour exactement, entre le {_fr_date(when.period.first, today)} "
                f"et le {_fr_date(when.period.last, today)} ?")
    if len(when.start_times) > 1:
        return "Vous voulez dire " + _join_or(_fr_time(t) for t in when.start_times) + " ?"
    if when.past and when.dates:
        moment = _fr_date(when.dates[0], today)
        if when.start_time is not None:
            moment += f" à {_fr_time(when.start_time)}"
        return f"Le {moment} est déjà passé : de quel jour parlez-vous ?"
    return None
