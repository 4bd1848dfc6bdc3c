"""The entry point: ``parse_when(text, now)``, a French message to a ``When``.

Normalises the text, splits "X au lieu de Y" into the new slot and the one it replaces,
and runs extraction then resolution on each side with the same ``now``.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.clock import PARIS
from bot.domain.dates.calendar_days import day_month
from bot.domain.dates.extraction import find
from bot.domain.dates.grammar import REPLACE, normalise
from bot.domain.dates.model import When
from bot.domain.dates.resolution import resolve


def parse_when(text: str, now: datetime) -> When:
    """Understand the dates, times and durations of a French message.

    ``now`` must be timezone-aware; it is converted to Europe/Paris.

    >>> now = datetime(2026, 2, 25, 10, 0, tzinfo=PARIS)   # a Wednesday
    >>> w = parse_when("jeudi à 15 h 30", now)
    >>> w.date, w.start_time
    (datetime.date(2026, 2, 26), datetime.time(15, 30))
    >>> parse_when("à 10 h au lieu de 9 h", now).replaces.start_time
    datetime.time(9, 0)
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    now = now.astimezone(PARIS)
    norm = normalise(text)
    m = REPLACE.search(norm)
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


def _parse_simple(text: str, now: datetime) -> When:
    today = now.date()
    found = find(text, day_exists=lambda said: day_month(said, today) is not None)
    return resolve(found, now)
