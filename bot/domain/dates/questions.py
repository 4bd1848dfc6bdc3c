"""Asking back: the French question for a ``When`` that must be confirmed, or None."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Iterable, Optional

from bot.domain.clock import PARIS
from bot.domain.dates.model import Ambiguity, When
from bot.domain.fr_format import format_date, format_time


def _fr_date(d: date, today: date) -> str:
    """'mercredi 15 avril', with the year when it is not this year's."""
    return format_date(datetime.combine(d, time(12), tzinfo=PARIS), with_year=d.year != today.year)


def _fr_time(t: time) -> str:
    return format_time(datetime.combine(date(2000, 1, 1), t, tzinfo=PARIS))


def _join_or(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


def clarification_question(when: When, now: datetime) -> Optional[str]:
    """The French question to ask back, or None when nothing needs asking.

    >>> from bot.domain.dates.parse import parse_when
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
