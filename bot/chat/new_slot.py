"""The new slot of a schedule change, gathered over one or several messages.

Three form slots hold the draft as plain strings: ``new_date`` ("2026-03-05", or
"2026-03-05 afternoon" when a part of the day came with it and no start time yet),
``new_start_time`` ("15:30") and ``new_end_time`` ("16:30", or "+60" for "one hour" said
before the start time was known).  The part of the day rides with the date so that "à 3 h"
after "mardi après-midi" is 15 h, not a question.  :func:`read_new_slot` reads one message
against the intervention being moved and returns the fields it fills, or a question to ask
back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Dict, Mapping, Optional, Tuple

from bot.domain.clock import PARIS
from bot.domain.dates import Ambiguity, PartOfDay, When, clarification_question, parse_when
from bot.domain.model import Intervention

FIELDS = ("new_date", "new_start_time", "new_end_time")
# "3h", "3 h 30", "15 heures": the whole answer is an hour (a duration elsewhere)
_BARE_HOUR = re.compile(r"^\s*\d{1,2}\s*(?:h|heures?)\s*(?:\d{2})?\s*[.!]?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    date: Optional[date] = None
    start: Optional[time] = None
    end: Optional[time] = None
    duration: Optional[timedelta] = None  # "+60": known before the start
    part: Optional[PartOfDay] = None  # "mardi après-midi": until the start time is known

    @classmethod
    def from_slots(cls, slots: Mapping[str, object]) -> "Draft":
        d, part = _date_and_part(slots.get("new_date"))
        s = _time(slots.get("new_start_time"))
        if s is not None:
            part = None
        raw_end = slots.get("new_end_time")
        if isinstance(raw_end, str) and raw_end.startswith("+") and raw_end[1:].isdigit():
            return cls(d, s, None, timedelta(minutes=int(raw_end[1:])), part)
        return cls(d, s, _time(raw_end), None, part)

    def as_slots(self) -> Dict[str, Optional[str]]:
        end: Optional[str] = None
        if self.end is not None:
            end = self.end.strftime("%H:%M")
        elif self.duration is not None:
            end = f"+{int(self.duration.total_seconds() // 60)}"
        new_date = self.date.isoformat() if self.date else None
        if new_date and self.part is not None and self.start is None:
            new_date += " " + self.part.value
        return {
            "new_date": new_date,
            "new_start_time": self.start.strftime("%H:%M") if self.start else None,
            "new_end_time": end,
        }

    def resolved(self) -> "Draft":
        """A duration becomes an end time once the start is known."""
        if self.end is None and self.duration is not None and self.start is not None:
            end = (datetime.combine(date(2000, 1, 1), self.start) + self.duration)
            if end.date() == date(2000, 1, 1):
                return Draft(self.date, self.start, end.time(), None)
        return self

    def bounds(self) -> Optional[Tuple[datetime, datetime]]:
        """Aware start and end when the draft is complete."""
        r = self.resolved()
        if r.date is None or r.start is None or r.end is None:
            return None
        return (datetime.combine(r.date, r.start, tzinfo=PARIS),
                datetime.combine(r.date, r.end, tzinfo=PARIS))


def _date(value) -> Optional[date]:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _date_and_part(value) -> Tuple[Optional[date], Optional[PartOfDay]]:
    """"2026-03-05 afternoon" -> (5 March, AFTERNOON); a bare date has no part."""
    if not isinstance(value, str):
        return None, None
    day, _, part = value.partition(" ")
    try:
        return _date(day), PartOfDay(part) if part else None
    except ValueError:  # an unknown part: the date alone
        return _date(day), None


def _time(value) -> Optional[time]:
    try:
        return time.fromisoformat(value) if isinstance(value, str) and ":" in value else None
    except ValueError:
        return None


@dataclass
class Reading:
    draft: Draft
    question: Optional[str] = None
    understood: bool = False
    changed: set = field(default_factory=set)


def read_new_slot(text: str, entities: Mapping[str, object], draft: Draft,
                  old: Intervention, now: datetime, asking: Optional[str] = None) -> Reading:
    """Fill the draft from one message (a button's entities or free French text).

    ``asking`` is the slot the question was about: a bare "3h" answers "à quelle
    heure ?" as a time, not as a duration of three hours."""
    changes: Dict[str, object] = {}
    for name, attr in (("new_date", "date"), ("new_start_time", "start")):
        if name in entities:
            parsed = _date(entities[name]) if attr == "date" else _time(entities[name])
            if parsed is not None:
                changes[attr] = parsed
    if "new_end_time" in entities:
        end = _time(entities["new_end_time"])
        if end is not None:
            changes.update(end=end, duration=None)
    question: Optional[str] = None
    if not changes and text and not text.startswith("/"):
        if asking == "new_start_time" and _BARE_HOUR.match(text):
            text = "à " + text
        when = parse_when(text, now)
        changes, question = _from_when(when, old, draft, now)
    return _apply(draft, changes, question)


def read_new_slot_from_when(when: When, old: Intervention, draft: Draft,
                            now: datetime) -> Draft:
    """The draft completed with an already parsed phrase (questions are dropped)."""
    changes, _question = _from_when(when, old, draft, now)
    return _apply(draft, changes, None).draft


def _apply(draft: Draft, changes: Dict[str, object], question: Optional[str]) -> Reading:
    if not changes:
        return Reading(draft, question, understood=question is not None)
    new = Draft(
        date=changes.get("date", draft.date),
        start=changes.get("start", draft.start),
        end=changes["end"] if "end" in changes else draft.end,
        duration=changes["duration"] if "duration" in changes else draft.duration,
        part=changes.get("part", draft.part),
    )
    if new.start is not None or new.date is None:
        new = replace(new, part=None)  # the part only waits for the start time, with a day
    if "end" in changes and changes["end"] is not None:
        new = replace(new, duration=None)
    if "duration" in changes and changes["duration"] is not None:
        new = replace(new, end=None)
    return Reading(new.resolved(), question, understood=True, changed=set(changes))


def _from_when(when: When, old: Intervention, draft: Draft,
               now: datetime) -> Tuple[Dict[str, object], Optional[str]]:
    if when.is_empty:
        return {}, None
    old_start = old.start.astimezone(PARIS)
    old_end = old.end.astimezone(PARIS)
    changes: Dict[str, object] = {}
    question: Optional[str] = None
    # --- day
    if len(when.dates) > 1 or Ambiguity.PERIOD_WITHOUT_DAY in when.ambiguities:
        question = clarification_question(when, now)
    elif when.dates:
        if when.past:
            question = clarification_question(when, now)
        else:
            changes["date"] = when.dates[0]
    elif when.reference_day_offset is not None:
        changes["date"] = old_start.date() + timedelta(days=when.reference_day_offset)
    elif when.replaces is not None and draft.date is None:
        # "à 10 h au lieu de 9 h": the same day
        changes["date"] = old_start.date()
    # --- start
    part = when.part_of_day or draft.part
    in_part = [t for t in when.start_times if part.contains(t)] if part else []
    if (Ambiguity.HOUR_AM_PM in when.ambiguities and len(when.start_times) == 2
            and len(in_part) == 1):
        changes["start"] = in_part[0]  # "à 3 h" after "l'après-midi": 15 h
    elif len(when.start_times) > 1 or Ambiguity.HOUR_AM_PM in when.ambiguities:
        question = question or clarification_question(when, now) or _am_pm(when)
    elif when.start_time is not None:
        changes["start"] = when.start_time
    elif when.same_time:
        changes["start"] = old_start.time()
    elif when.shift is not None:
        moved = old_start + when.shift
        changes["start"] = moved.time()
        changes.setdefault("date", moved.date())
        if not when.end_times and when.duration is None:
            changes["end"] = (old_end + when.shift).time()
    if (when.part_of_day is not None and "start" not in changes and draft.start is None
            and (changes.get("date") or draft.date)):
        changes["part"] = when.part_of_day  # kept for the start time question
    # --- end
    if len(when.end_times) == 1:
        changes["end"] = when.end_times[0]
        changes["duration"] = None
    elif when.duration is not None:
        changes["duration"] = when.duration
        changes["end"] = None
    return changes, question


def _am_pm(when: When) -> Optional[str]:
    times = sorted(when.start_times)
    if len(times) == 2:
        a, b = (f"{t.hour} h" if t.minute == 0 else f"{t.hour} h {t.minute:02d}" for t in times)
        return f"Vous voulez dire {a} ou {b} ?"
    return None


def old_duration(old: Intervention) -> timedelta:
    return old.end.astimezone(PARIS) - old.start.astimezone(PARIS)
