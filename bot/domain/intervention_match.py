"""Which upcoming interventions a French date/time expression points at.

Pure: the caller passes the parsed ``When`` (see ``bot.domain.dates``) and the
client's upcoming interventions.  Zero, one or several matches come back; with
several the caller asks back (buttons), with zero it says so.

Rules:

* Day: an intervention matches when its Paris start date is one of
  ``when.dates`` (any candidate: an ambiguous "jeudi" said on a Thursday matches
  today's and next week's), else lies in ``when.period``.  With no date at all
  ("celle de 14 h") every day matches.
* Time: an intervention whose Paris start time equals one of
  ``when.start_times`` matches.  When none starts exactly then, the ones running
  at that time (start ≤ t < end) match instead, so "celle de 14 h" still finds
  a 13 h 30–15 h visit.
* Part of day (no time given): the start time must fall in it.
* A phrase with neither a day nor a time nor a part of day designates nothing:
  the result is empty (check ``when.is_empty`` to tell "not understood" from
  "no intervention then").
* For a change ("à 10 h au lieu de 9 h") the intervention to move is the one of
  the old slot: pass ``when.replaces`` — ``target_of(when)`` does that.
* Relative forms ("même jour", "le lendemain") speak about an intervention
  already chosen; they do not select one here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Protocol, Sequence, TypeVar

from bot.domain.clock import PARIS
from bot.domain.dates import When



class InterventionLike(Protocol):
    """The little the matcher needs: aware start and end datetimes."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


T = TypeVar("T", bound=InterventionLike)


def target_of(when: When) -> When:
    """The part of a phrase that designates the existing intervention."""
    return when.replaces if when.replaces is not None else when


def _local(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("intervention times must be timezone-aware")
    return value.astimezone(PARIS)


def _on_day(when: When, start: datetime) -> bool:
    if when.dates:
        return start.date() in when.dates
    if when.period is not None:
        return start.date() in when.period
    return True


def match_interventions(when: When, interventions: Iterable[T]) -> list[T]:
    """The interventions ``when`` designates, in chronological order."""
    has_day = bool(when.dates) or when.period is not None
    if not (has_day or when.start_times or when.part_of_day):
        return []
    items = sorted(interventions, key=lambda i: _local(i.start))
    same_day = [i for i in items if _on_day(when, _local(i.start))]
    if when.start_times:
        exact = [i for i in same_day
                 if _local(i.start).time().replace(second=0, microsecond=0) in when.start_times]
        if exact:
            return exact
        return [i for i in same_day if _runs_at(when, i)]
    if when.part_of_day is not None:
        return [i for i in same_day if when.part_of_day.contains(_local(i.start).time())]
    return same_day


def _runs_at(when: When, intervention: InterventionLike) -> bool:
    start, end = _local(intervention.start), _local(intervention.end)
    for t in when.start_times:
        moment = datetime.combine(start.date(), t, tzinfo=PARIS)
        if start <= moment < end:
            return True
    return False


def match_ids(when: When, interventions: Sequence[T], key: str = "id") -> list[object]:
    """Convenience: the ``key`` attribute of each match (e.g. for buttons)."""
    return [getattr(i, key) for i in match_interventions(when, interventions)]
