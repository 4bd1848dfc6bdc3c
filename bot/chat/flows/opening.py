"""The start of a request: who is asking, whether a request is possible now, and which
intervention (and details) the first message already names."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from bot.chat import wording
from bot.chat.planning import BUTTONS_LIMIT, Planning
from bot.domain.errors import StoreUnavailable
from bot.chat.flows.forms import STEPS, validate_step
from bot.chat.flows.ownership import owned, owner_slots
from bot.chat.flows.turn import FORM_SLOTS, REQUESTED_SLOT, Reply, Result, Turn, cleared_slots


def start_request(kind: str, turn: Turn, planning: Planning,
                  keep: Optional[str] = None) -> Result:
    """Check identity and planning, pre-fill what the first message says.

    The form belongs to the identity of this message from now on (``owner_client``,
    ``owner_actor``: see :mod:`.ownership`).  Sets ``can_request``: False when no request is possible now (see :func:`open_request`).
    ``keep``: an intervention to keep when the message names none (it must be upcoming:
    the slot it comes from may hold raw text)."""
    res = Result(slots=cleared_slots())
    res.slots["misunderstood"] = 0.0
    who = turn.identity
    if who is None:
        res.say(wording.login_needed(kind))
        res.slots["can_request"] = False
        return res
    res.slots.update(owner_slots(who))
    try:
        upcoming = planning.upcoming(who, turn.now)
    except StoreUnavailable:
        res.say(wording.store_down_reading())
        res.slots["can_request"] = False
        return res
    if not upcoming:
        res.say(wording.no_upcoming(kind))
        res.slots["can_request"] = False
        return res
    res.slots["can_request"] = True
    if who.is_staff:
        res.say(wording.acting_for(who.client_number))
    form = STEPS[kind](turn, planning, who, upcoming, res)
    choice = form.first_choice()
    if choice.chosen is not None:
        res.slots["intervention_id"] = choice.chosen.external_id
    elif form.offered_several_at_start(choice):
        pass
    elif choice.understood and choice.say:
        res.say(choice.say)
        res.slots["candidate_ids"] = [i.external_id for i in choice.candidates[:BUTTONS_LIMIT]]
    elif keep and keep in {i.external_id for i in upcoming}:
        res.slots["intervention_id"] = keep  # checked by open_request like any pre-filled value
    return res


def open_request(kind: str, turn: Turn, planning: Planning,
                 switched_from: Optional[str] = None) -> Result:
    """The form's activation: :func:`start_request`, then the check of what it pre-filled.

    When no request is possible (not identified, nothing planned, store down) the form ends
    at once (``requested_slot`` None) after saying why.  One call instead of a separate
    start action followed by the activation's validation.

    ``switched_from``: the other request form was running ("finalement je préfère la
    décaler" during a cancellation).  That request is dropped, nothing recorded, and said
    so; its intervention is kept unless this message names another one.  Unless that
    request was someone else's (:mod:`.ownership`): then nothing of it is kept nor named,
    the newcomer starts afresh."""
    if switched_from is None or not owned(turn):
        start = start_request(kind, turn, planning)
        if switched_from is not None and turn.identity is not None:
            start.replies.insert(0, Reply(wording.taken_over()))
    else:
        start = start_request(kind, turn, planning, keep=turn.slots.get("intervention_id"))
        start.replies.insert(0, Reply(wording.switched(switched_from, kind)))
    if not start.slots.get("can_request"):
        start.slots[REQUESTED_SLOT] = None
        return start
    prefilled = {name: value for name, value in start.slots.items()
                 if name in FORM_SLOTS[kind] and value is not None}
    extracted = {**turn.extracted, **prefilled}
    if not extracted:
        return start  # nothing to check yet: the form asks its first question
    checked = validate_step(kind, replace(turn, slots={**turn.slots, **start.slots},
                                          extracted=extracted), planning)
    return Result(slots={**start.slots, **checked.slots},
                  replies=start.replies + checked.replies)
