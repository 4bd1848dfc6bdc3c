"""What one message of a request conversation carries in and out: :class:`Turn` (what the
actions know) and :class:`Result` (slot changes and replies), with the forms' slot names.

Form slots (see domain.yml):

* cancellation_form: ``intervention_id``, ``cancellation_reason``, ``cancellation_confirmed``
* schedule_change_form: ``intervention_id``, ``new_date``, ``new_start_time``,
  ``new_end_time``, ``schedule_change_confirmed``

Helper slots: ``candidate_ids`` (the interventions offered as buttons next),
``all_offered`` (those candidates may all be cancelled at once: a "Toutes" button),
``intervention_ids`` (a cancellation of several interventions: all of them, the first one
also in ``intervention_id``),
``misunderstood`` (consecutive misses on the requested slot), ``request_summary`` (the rule
decision and recap said before confirmation), ``decision_code`` (the previewed decision,
checked again before recording).  Confirmation slots hold "yes" / "no".

Owner slots: ``owner_client`` (the client number) and ``owner_actor`` (the actor: the
client's login, or the staff login acting for them), set when a request form starts and
cleared with the others; every later step of the form checks them against the identity of
its own message (:mod:`.ownership`).  Other tools find a client's conversations by them:
keep their names and values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

from bot.chat.identity import Identity
from bot.chat.new_slot import FIELDS as NEW_SLOT_FIELDS

CANCELLATION = "cancellation"
SCHEDULE_CHANGE = "schedule_change"
FORMS = {CANCELLATION: "cancellation_form", SCHEDULE_CHANGE: "schedule_change_form"}
KIND_OF_FORM = {v: k for k, v in FORMS.items()}
CONFIRM_SLOT = {CANCELLATION: "cancellation_confirmed",
                SCHEDULE_CHANGE: "schedule_change_confirmed"}
FORM_SLOTS = {
    CANCELLATION: ("intervention_id", "cancellation_reason", "cancellation_confirmed"),
    SCHEDULE_CHANGE: ("intervention_id",) + NEW_SLOT_FIELDS + ("schedule_change_confirmed",),
}
OWNER_CLIENT, OWNER_ACTOR = "owner_client", "owner_actor"
HELPER_SLOTS = ("candidate_ids", "misunderstood", "request_summary", "decision_code",
                "intervention_ids", "all_offered", OWNER_CLIENT, OWNER_ACTOR)
REQUESTED_SLOT = "requested_slot"
YES, NO = "yes", "no"


@dataclass
class Reply:
    text: str
    buttons: List[dict] = field(default_factory=list)


@dataclass
class Result:
    slots: Dict[str, Any] = field(default_factory=dict)
    replies: List[Reply] = field(default_factory=list)

    def say(self, text: Optional[str], buttons: Optional[List[dict]] = None) -> None:
        if text:
            self.replies.append(Reply(text, list(buttons or [])))


@dataclass
class Turn:
    """What the actions know about the current message."""

    text: str
    intent: Optional[str]
    entities: Dict[str, Any]
    slots: Mapping[str, Any]
    identity: Optional[Identity]
    now: datetime
    #: slots filled by Rasa's extraction for this message (validation actions only)
    extracted: Dict[str, Any] = field(default_factory=dict)
    sender: str = ""
    message_id: Optional[str] = None

    @property
    def requested(self) -> Optional[str]:
        return self.slots.get(REQUESTED_SLOT)


def cleared_slots(kind: Optional[str] = None) -> Dict[str, Any]:
    kinds = [kind] if kind else list(FORM_SLOTS)
    slots: Dict[str, Any] = {name: None for k in kinds for name in FORM_SLOTS[k]}
    slots.update({name: None for name in HELPER_SLOTS})
    return slots


def closed(res: Result, kind: Optional[str] = None) -> Result:
    """``res`` with the request's slots (``kind``'s, or both forms') cleared: no request runs."""
    res.slots.update(cleared_slots(kind))
    res.slots["can_request"] = None
    res.slots["misunderstood"] = 0.0
    return res


def end_form(res: Result, kind: str, message: str) -> Result:
    """Say ``message`` and end the form now (``requested_slot`` None), nothing recorded."""
    res.say(message)
    closed(res, kind)
    res.slots[REQUESTED_SLOT] = None
    return res
