"""One conversation belongs to one person.

A request form's slots (the intervention, the caregiver it shows, the reason, the recap)
belong to whoever started the form: ``owner_client`` and ``owner_actor``, set by
:func:`bot.chat.flows.opening.start_request` from the verified token of that message.  Every
later step (the validation of an answer, the question of the next slot, the confirmation and
the recording) first compares the identity of *its own* message with them, here and only
here (:func:`taken_over`).  Rasa's sender id proves nothing: whoever sends messages with the
same sender id, without a token, with another client's token or another staff member's,
gets a form that is closed and cleared, hears nothing of what it held, and starts afresh.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Dict, Optional

from bot.chat import wording
from bot.chat.identity import Identity
from bot.chat.flows.turn import OWNER_ACTOR, OWNER_CLIENT, REQUESTED_SLOT, Result, Turn, closed


def owner_slots(who: Identity) -> Dict[str, str]:
    """The slots that bind a starting form to ``who`` (values: the client number and the
    actor string, exactly as the token gives them)."""
    return {OWNER_CLIENT: who.client_number, OWNER_ACTOR: who.actor}


def owned(turn: Turn) -> bool:
    """The form's state belongs to whoever sent this message: same client, same actor
    (a client and a staff member acting for that client are two different people)."""
    who = turn.identity
    return (who is not None
            and turn.slots.get(OWNER_CLIENT) == who.client_number
            and turn.slots.get(OWNER_ACTOR) == who.actor)


def taken_over(kind: str, turn: Turn, planning=None) -> Optional[Result]:
    """None when this message's sender owns the form.  Otherwise the form ends at once
    (``requested_slot`` None) with every request slot cleared, and the newcomer hears the
    normal start, nothing of the form's state:

    * not identified: how to log in (nothing was recorded);
    * identified as someone else: « Cette conversation a été reprise : recommençons. »,
      then, if this very message asks for this kind of request and ``planning`` is given,
      a fresh form of theirs; else what they may do.
    """
    if owned(turn):
        return None
    res = closed(Result())
    res.slots[REQUESTED_SLOT] = None
    if turn.identity is None:
        res.say(wording.session_lost())
        return res
    res.say(wording.taken_over())
    if planning is None or turn.intent != f"request_{kind}":
        res.say(wording.what_next())
        return res
    from bot.chat.flows.opening import open_request  # opening imports the forms, which import this

    fresh = open_request(kind, replace(turn, slots={**turn.slots, **res.slots}, extracted={}),
                         planning)
    slots = {**res.slots, **fresh.slots}
    if REQUESTED_SLOT not in fresh.slots:
        del slots[REQUESTED_SLOT]  # the fresh form goes on: it asks its first question
    return Result(slots=slots, replies=res.replies + fresh.replies)
