"""The question a form asks for its next slot, with its buttons."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from bot.chat import wording
from bot.chat.new_slot import Draft, old_duration
from bot.chat.planning import BUTTONS_LIMIT, Planning
from bot.domain.errors import ServiceError
from bot.domain.fr_format import format_date, format_duration
from bot.domain.model import Intervention
from bot.domain.rules import Code
from bot.chat.flows.forms import STEPS
from bot.chat.flows.ownership import taken_over
from bot.chat.flows.turn import CONFIRM_SLOT, Result, Turn


def ask(kind: str, slot: str, turn: Turn, planning: Planning) -> Result:
    """The question for ``slot`` (with its buttons), the recap before the confirmation: only
    to the form's owner (:mod:`.ownership`; also when the form resumes after a question).
    Anyone else gets the form ended (``requested_slot`` None) and cleared."""
    taken = taken_over(kind, turn)
    if taken is not None:
        return taken
    res = Result()
    if slot == "intervention_id":
        _ask_intervention(kind, res, turn, planning)
        return res
    if slot == "cancellation_reason":
        res.say(wording.ask_reason(), wording.reason_buttons())
        return res
    if slot in CONFIRM_SLOT.values():
        out_of_notice = turn.slots.get("decision_code") == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE
        res.say(turn.slots.get("request_summary"))
        res.say(wording.confirm_question(out_of_notice), wording.confirm_buttons(out_of_notice))
        return res
    i = _current(turn, planning)
    draft = Draft.from_slots(turn.slots)
    if slot == "new_date":
        if i is None:
            res.say(wording.ask_new_day())
        else:
            res.say(wording.ask_new_date(i), wording.same_day_button(i))
        return res
    if slot == "new_start_time":
        day = format_date(datetime.combine(draft.date, datetime.min.time(), tzinfo=turn.now.tzinfo)) \
            if draft.date else None
        part = wording.PART_OF_DAY_WORDS.get(draft.part.value) if draft.part else None
        res.say(wording.ask_new_start(day, part))
        return res
    if slot == "new_end_time":
        buttons: List[dict] = []
        if i is not None and draft.start is not None and draft.date is not None:
            start = datetime.combine(draft.date, draft.start, tzinfo=turn.now.tzinfo)
            end = start + old_duration(i)
            if end.date() == start.date():
                buttons = wording.same_duration_button(format_duration(old_duration(i)),
                                                       end.strftime("%H:%M"))
        res.say(wording.ask_new_end(draft.start), buttons)
        return res
    res.say(wording.please_clarify())
    return res


def _ask_intervention(kind: str, res: Result, turn: Turn, planning: Planning) -> None:
    """Which intervention: those offered last, else the next ones (and "all of them" when
    the form can request several at once and they were offered so)."""
    who = turn.identity
    items: List[Intervention] = []
    narrowed = bool(turn.slots.get("candidate_ids"))
    if who is not None:
        try:
            upcoming = planning.upcoming(who, turn.now)
        except ServiceError:
            upcoming = []
        by_id = {i.external_id: i for i in upcoming}
        wanted = [by_id[x] for x in (turn.slots.get("candidate_ids") or []) if x in by_id]
        narrowed = bool(wanted)
        items = wanted or upcoming[:BUTTONS_LIMIT]
    if STEPS[kind].several_at_once and turn.slots.get("all_offered") and len(items) > 1 \
            and narrowed:
        res.say(wording.ask_which_or_all(),
                wording.intervention_buttons(items) + wording.all_button(len(items)))
        return
    res.say(wording.ask_intervention(kind, narrowed), wording.intervention_buttons(items))


def _current(turn: Turn, planning: Planning) -> Optional[Intervention]:
    if turn.identity is None or not turn.slots.get("intervention_id"):
        return None
    try:
        return planning.get(turn.identity, turn.slots["intervention_id"])
    except ServiceError:
        return None
