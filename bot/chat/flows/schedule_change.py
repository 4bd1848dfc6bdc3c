"""The schedule change form's step: the new slot (a day, a start, an end, read from any
message of the form) and the recap with the rules' decision."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, List, Optional, Sequence, Tuple

from bot.chat import wording
from bot.chat.identity import Identity
from bot.chat.new_slot import (
    FIELDS as NEW_SLOT_FIELDS, PARIS, Draft, read_new_slot, read_new_slot_from_when,
)
from bot.chat.planning import Planning
from bot.chat.understanding import Choice, choose_intervention, mentions_when
from bot.domain.dates import parse_when
from bot.domain.errors import AlreadyRequested, InterventionNotFound, RuleRefused
from bot.domain.intervention_match import match_interventions
from bot.domain.model import Intervention
from bot.domain.rules import Code, Decision
from bot.chat.flows.steps import FormStep
from bot.chat.flows.turn import CONFIRM_SLOT, SCHEDULE_CHANGE, Turn

#: The new-slot fields to ask again after a refusal (the others: the intervention itself).
_ASK_AGAIN = {
    Code.SLOT_TOO_SHORT: ("new_end_time",),
    Code.SLOT_END_NOT_AFTER_START: ("new_end_time",),
    Code.SLOT_IN_PAST: NEW_SLOT_FIELDS,  # a new day and hours, none of the old ones kept
    Code.SLOT_UNCHANGED: NEW_SLOT_FIELDS,
}


class ScheduleChangeStep(FormStep):
    kind = SCHEDULE_CHANGE
    confirm_slot = CONFIRM_SLOT[SCHEDULE_CHANGE]

    # -- the intervention, and a new slot said with it -----------------------------------------
    def first_choice(self) -> Choice:
        choice, draft = choose_for_change(self.turn.text, self.upcoming, self.turn.now)
        if choice.chosen is not None and draft is not None:
            self.res.slots.update(draft.as_slots())
        return choice

    def choose(self, shown: List[Intervention]) -> Tuple[Choice, Optional[Draft]]:
        choice, draft = choose_for_change(self.turn.text, self.upcoming, self.turn.now)
        if choice.chosen is None and not choice.understood:
            return choose_intervention(self.turn.text, self.upcoming, self.turn.now, shown), None
        return choice, draft

    # -- the new slot --------------------------------------------------------------------------
    def read_details(self) -> None:
        if any(name in self.turn.extracted for name in NEW_SLOT_FIELDS):
            self.read_new_slot()

    def read_new_slot(self) -> None:
        """Dates and times of the message go to the new slot, whichever was asked."""
        i = self.intervention()
        # the raw text Rasa put in the requested slot is not a value: start from the draft
        current = {name: self.turn.slots.get(name) for name in NEW_SLOT_FIELDS}
        for name in self.turn.extracted:
            if name in NEW_SLOT_FIELDS:
                current[name] = _previous_value(self.turn, name)
        draft = Draft.from_slots(current)
        for name, value in draft.as_slots().items():
            self.set(name, value)
        if i is None:
            return
        reading = read_new_slot(self.turn.text, self.turn.entities, draft, i, self.turn.now,
                                 asking=self.turn.requested)
        self.understood = self.understood or reading.understood
        for name, value in reading.draft.as_slots().items():
            self.set(name, value)
        if reading.question:
            self.say(reading.question)
        if reading.understood and reading.changed:
            self.set(self.confirm_slot, None)

    def corrected_at_confirmation(self) -> bool:
        if mentions_when(self.turn.text, self.turn.now) is None:
            return False
        self.read_new_slot()
        return True

    # -- the recap -----------------------------------------------------------------------------
    def preview(self) -> None:
        i = self.intervention()
        if i is None or self.values.get(self.confirm_slot):
            return
        bounds = Draft.from_slots(self.values).bounds()
        if bounds is None:
            return
        start, end = bounds
        try:
            decision = self.planning.preview_schedule_change(self.who, i.external_id, start,
                                                             end, self.turn.now)
        except AlreadyRequested as err:
            self.end(err.message)
            return
        except RuleRefused as err:
            self.refused_slot(err)
            return
        except InterventionNotFound as err:
            self.reoffer(self.upcoming, err.message)
            return
        self.res.slots["request_summary"] = wording.change_recap(i, start, end, decision.message)
        self.res.slots["decision_code"] = decision.code

    def refused_slot(self, err: RuleRefused) -> None:
        reset = _ASK_AGAIN.get(err.decision.code)
        if reset is None:  # the intervention itself: past, cancelled
            # (offers every upcoming intervention: the one refused is no longer chosen)
            self.reoffer(self.upcoming, err.message)
            return
        for name in reset:
            self.set(name, None)
        self.say(err.message)

    # -- recording (after the yes) -------------------------------------------------------------
    @classmethod
    def recordable(cls, turn: Turn) -> bool:
        return Draft.from_slots(turn.slots).bounds() is not None

    @classmethod
    def previewed(cls, planning: Planning, who: Identity, turn: Turn) -> Decision:
        return planning.preview_schedule_change(who, turn.slots.get("intervention_id"),
                                                *Draft.from_slots(turn.slots).bounds(),
                                                turn.now)

    @classmethod
    def record(cls, planning: Planning, who: Identity, turn: Turn, key: str,
               accept_out_of_notice: bool) -> Any:
        return planning.change(who, turn.slots.get("intervention_id"),
                               *Draft.from_slots(turn.slots).bounds(), turn.now, key,
                               accept_out_of_notice=accept_out_of_notice)


def choose_for_change(text: str, upcoming: Sequence[Intervention],
                      now: datetime) -> Tuple[Choice, Optional[Draft]]:
    """For "décaler jeudi à 15 h": the day names the intervention, the time is the new one."""
    if not text or text.startswith("/"):
        return Choice(understood=False), None
    when = parse_when(text, now)
    if when.replaces is not None:
        choice = choose_intervention(text, upcoming, now)  # matches on the old slot
        if choice.chosen is not None:
            reading = read_new_slot(text, {}, Draft(), choice.chosen, now)
            return choice, reading.draft
        return choice, None
    full = choose_intervention(text, upcoming, now)
    if full.chosen is not None or not when.has_time or when.ambiguous:
        return full, None
    day_only = replace(when, start_times=(), end_times=(), duration=None)
    if not day_only.dates and day_only.period is None:
        return full, None
    matches = match_interventions(day_only, upcoming)
    if len(matches) != 1:
        return full, None
    chosen = matches[0]
    # the times are the new ones, on the same day
    times_only = replace(when, dates=(), period=None, ambiguities=())
    draft = Draft(date=chosen.start.astimezone(PARIS).date())
    changes = read_new_slot_from_when(times_only, chosen, draft, now)
    return Choice(chosen=chosen), changes


def _previous_value(turn: Turn, name: str) -> Any:
    """The value a new-slot field had before Rasa put this message's text in it."""
    value = turn.slots.get(name)
    if value is None:
        return None
    draft = Draft.from_slots({name: value})
    return draft.as_slots()[name]
