"""One message inside a request form: the step class of each form (``STEPS``), the
validation of what Rasa extracted, and the closing once the confirmation is answered."""
from __future__ import annotations

from dataclasses import replace
from typing import Dict, Type

from bot.chat import wording
from bot.chat.planning import Planning
from bot.domain.errors import StoreUnavailable
from bot.chat.flows.cancellation import CancellationStep
from bot.chat.flows.closing import finish
from bot.chat.flows.ownership import taken_over
from bot.chat.flows.schedule_change import ScheduleChangeStep
from bot.chat.flows.steps import FormStep
from bot.chat.flows.turn import FORM_SLOTS, NO, REQUESTED_SLOT, YES, Result, Turn, end_form

#: The step class of each kind of request.
STEPS: Dict[str, Type[FormStep]] = {
    CancellationStep.kind: CancellationStep,
    ScheduleChangeStep.kind: ScheduleChangeStep,
}


def validate_step(kind: str, turn: Turn, planning: Planning) -> Result:
    """Validate what Rasa extracted for this message (``turn.extracted``).

    Returns the validated value (or None) for every extracted slot, plus any other slot the
    message fills (corrections, several details at once).  Ends the form by setting
    ``requested_slot`` to None when nothing more can be done (identity lost, store down,
    rule refusal).  :func:`step` closes the form after the confirmation.

    First of all, the form must belong to whoever sent this message (:mod:`.ownership`):
    else it ends, cleared, and nothing of it is read or said."""
    taken = taken_over(kind, turn, planning)
    if taken is not None:
        return taken
    form = STEPS[kind]
    res = Result(slots={name: None for name in turn.extracted})
    who = turn.identity  # verified: an owned form has one
    try:
        upcoming = planning.upcoming(who, turn.now)
    except StoreUnavailable:
        return end_form(res, kind, _store_down(form, turn))
    state = form(turn, planning, who, upcoming, res)
    try:
        state.run()
    except StoreUnavailable:
        return end_form(res, kind, _store_down(form, turn))
    if state.ended:
        return res
    state.count_misses()
    return res


def _store_down(form: Type[FormStep], turn: Turn) -> str:
    """At the confirmation, the client must hear that nothing was recorded."""
    if turn.requested == form.confirm_slot:
        return wording.store_down_recording()
    return wording.store_down_reading()


def step(kind: str, turn: Turn, planning: Planning) -> Result:
    """One message inside the form: :func:`validate_step`, then, once the client has
    answered the confirmation with every detail known, :func:`finish` in the same call
    (records only after an explicit yes) and the form ends."""
    res = validate_step(kind, turn, planning)
    if REQUESTED_SLOT in res.slots:  # the validation ended the form
        return res
    form = STEPS[kind]
    slots = {**turn.slots, **res.slots}
    if slots.get(form.confirm_slot) not in (YES, NO):
        return res
    if any(slots.get(name) is None for name in FORM_SLOTS[kind]):
        return res  # cannot happen through the form's order; the form asks what is missing
    closing = finish(form, replace(turn, slots=slots), planning)
    return Result(slots={**res.slots, **closing.slots, REQUESTED_SLOT: None},
                  replies=res.replies + closing.replies)
