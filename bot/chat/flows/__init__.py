"""One step of the request forms (cancellation, schedule change): what a message changes,
and what the assistant says.

The Rasa actions build a :class:`Turn` from the tracker, call one function here and turn
the :class:`Result` into ``SlotSet`` events and messages.  Nothing here imports Rasa.

* :mod:`.turn`  the message in and the result out, the forms' slot names;
* :mod:`.opening`  the start of a request (identity, what the first message names);
* :mod:`.forms`  one message inside a form, through the form's step class
  (:mod:`.steps` shared, :mod:`.cancellation`, :mod:`.schedule_change`);
* :mod:`.questions`  the question for the next slot;
* :mod:`.ownership`  the form belongs to whoever started it (``owner_client``,
  ``owner_actor``): checked at every step;
* :mod:`.closing`  recording after the yes, or abandoning;
* :mod:`.status`  where the client's requests stand.
"""
from bot.chat.flows.closing import abandon
from bot.chat.flows.forms import step, validate_step
from bot.chat.flows.opening import open_request, start_request
from bot.chat.flows.questions import ask
from bot.chat.flows.status import mentioned_reference, request_status
from bot.chat.flows.turn import (
    CANCELLATION, FORM_SLOTS, FORMS, KIND_OF_FORM, OWNER_ACTOR, OWNER_CLIENT, SCHEDULE_CHANGE,
    Reply, Result, Turn, cleared_slots,
)

__all__ = [
    "CANCELLATION", "FORM_SLOTS", "FORMS", "KIND_OF_FORM", "OWNER_ACTOR", "OWNER_CLIENT",
    "SCHEDULE_CHANGE", "Reply",
    "Result", "Turn", "abandon", "ask", "cleared_slots", "mentioned_reference",
    "open_request", "request_status", "start_request", "step", "validate_step",
]
