"""Reading one hour expression ("15 h 30", "midi et demi", "dix heures moins le quart").

Turns a match of ``grammar.CLOCK`` into hour and minutes, a :class:`Clock` or a duration;
whether it is morning or afternoon is decided later, by resolution.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from bot.domain.dates.grammar import CLOCK_PARTS
from bot.domain.dates.lexicon import MINUS, MINUTE_WORDS, NAMED_HOURS, number
from bot.domain.dates.mentions import Clock


def is_named(text: str) -> bool:
    """Whether the hour is "midi" or "minuit"."""
    return any(word in text for word in NAMED_HOURS)


def _minutes_after_hour(text: str) -> Optional[int]:
    """Minutes after the hour for "30", "et quart", "moins le quart", "moins 5", "vingt"..."""
    text = text.strip()
    if not text:
        return 0
    if text in MINUTE_WORDS:
        return MINUTE_WORDS[text]
    if text.startswith(MINUS):
        return -int(text[len(MINUS):])
    try:
        value = number(text)
    except KeyError:
        return None
    return value if value < 60 else None


def clock_value(text: str) -> Optional[tuple[int, int]]:
    """(hour, minute) of a clock expression, without am/pm resolution."""
    m = CLOCK_PARTS.match(text.strip())
    if not m:
        return None
    if m.group("h2"):
        hour, minute = int(m.group("h2")), int(m.group("m2"))
    elif m.group("noon"):
        hour = NAMED_HOURS[m.group("noon")]
        minute = _minutes_after_hour(m.group("nm") or "")
    else:
        hour = number(m.group("h"))
        minute = _minutes_after_hour(m.group("m") or "")
    if minute is None:
        return None
    if minute < 0:
        hour, minute = hour - 1, 60 + minute
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return None
    return hour % 24, minute


def duration_value(text: str) -> Optional[timedelta]:
    """A clock expression read as a length of time ("1h30"); never "midi" or "9:30"."""
    value = clock_value(text)
    if value is None or is_named(text) or ":" in text:
        return None
    hour, minute = value
    return timedelta(hours=hour, minutes=minute)


def read_clock(text: str) -> Optional[Clock]:
    """A clock expression as a start or end hour; 0 h and 7 h to 23 h need no am/pm choice."""
    value = clock_value(text)
    if value is None:
        return None
    hour, minute = value
    fixed = hour == 0 or hour >= 7 or is_named(text)
    return Clock(hour, minute, fixed)
