"""Request conversations (cancellation, schedule change): Rasa adapters over bot.chat.flows.

Each action reads the tracker into a :class:`bot.chat.flows.Turn`, calls one function of
``bot.chat.flows`` and turns the result into messages and ``SlotSet`` events.

The flows are synchronous and read or write the store (SQL): each call runs in a small pool
of worker threads (:func:`off_loop`), never on the action server's event loop, so that one
slow store call does not hold every other conversation's turn.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Text, TypeVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.chat import flows
from bot.domain import clock
from bot.chat.identity import identity_from_metadata
from bot.chat.planning import Planning

PLANNING = Planning()  # one unit of work per call; AMPER_DATABASE_URL read at call time
#: The threads the flows run in (each call opens its own unit of work: no shared session).
POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="amper-flows")

T = TypeVar("T")


async def off_loop(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` in :data:`POOL`, awaited: the event loop goes on meanwhile.
    It runs in a copy of the caller's context: the store's log lines carry the message's
    request id (bot/logs.py)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(
        POOL, functools.partial(context.run, call, *args, **kwargs))


def turn_from(tracker: Tracker, extracted: Optional[Dict[str, Any]] = None) -> flows.Turn:
    latest = tracker.latest_message or {}
    entities: Dict[str, Any] = {}
    for entity in latest.get("entities") or []:
        if entity.get("entity"):
            entities[entity["entity"]] = entity.get("value")
    return flows.Turn(
        text=latest.get("text") or "",
        intent=(latest.get("intent") or {}).get("name"),
        entities=entities,
        slots=dict(tracker.slots),
        # only the latest message's token counts
        identity=identity_from_metadata(latest.get("metadata")),
        now=clock.now(),
        extracted=dict(extracted or {}),
        sender=tracker.sender_id,
        message_id=latest.get("message_id"),
    )


def emit(dispatcher: CollectingDispatcher, result: flows.Result) -> List[Dict[Text, Any]]:
    for reply in result.replies:
        if reply.buttons:
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        else:
            dispatcher.utter_message(text=reply.text)
    return [SlotSet(name, value) for name, value in result.slots.items()]


def last_request_kind(tracker: Tracker) -> Optional[str]:
    """The kind of the request form that ran last (it may just have been deactivated)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") in flows.KIND_OF_FORM:
            return flows.KIND_OF_FORM[event["name"]]
    return None


def form_was_running(tracker: Tracker, form: str) -> bool:
    """Whether ``form`` was the active loop when the latest user message arrived.

    Not ``tracker.active_loop``: at activation Rasa sends the validation a tracker where the
    loop is already active."""
    active: Optional[str] = None
    at_message: Optional[str] = None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "active_loop":
            active = event.get("name")
        elif kind == "user":
            at_message = active
    return at_message == form


class _ValidateRequestForm(FormValidationAction):
    """The form's whole logic, in the one call Rasa makes per message: at activation, who
    asks and what the first message says; then each answer; after the confirmation, the
    recording (only after an explicit yes).  Fewer calls and predictions per turn than
    separate start and finish actions (docs/measurements.md)."""

    @property
    @abstractmethod
    def kind(self) -> str:
        ...

    def name(self) -> Text:
        return f"validate_{flows.FORMS[self.kind]}"

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        form_slots = flows.FORM_SLOTS[self.kind]
        extracted = {name: value for name, value in tracker.slots_to_validate().items()
                     if name in form_slots and value is not None}
        if not form_was_running(tracker, self.form_name()):
            # the form's activation (Rasa calls the validation once then), maybe from the
            # other request form ("finalement je préfère la décaler"): what Rasa extracted
            # then was an answer to the other form's question, not to this one
            switched_from = next((kind for kind, form in flows.FORMS.items()
                                  if kind != self.kind and form_was_running(tracker, form)), None)
            result = await off_loop(
                flows.open_request, self.kind,
                turn_from(tracker, {} if switched_from else extracted), PLANNING,
                switched_from=switched_from)
        elif not extracted:
            # back to the form after a digression: nothing new to check; the question asked
            # next checks whose form it is (bot/chat/flows/ownership.py)
            return []
        else:
            result = await off_loop(flows.step, self.kind, turn_from(tracker, extracted),
                                    PLANNING)
        return emit(dispatcher, result)


class ValidateCancellationForm(_ValidateRequestForm):
    kind = flows.CANCELLATION


class ValidateScheduleChangeForm(_ValidateRequestForm):
    kind = flows.SCHEDULE_CHANGE


class _AskAction(Action, ABC):
    """The question of one form slot (``action_ask_<form>_<slot>``)."""

    @property
    @abstractmethod
    def kind(self) -> str:
        ...

    @property
    @abstractmethod
    def slot(self) -> str:
        ...

    def name(self) -> Text:
        return f"action_ask_{flows.FORMS[self.kind]}_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return emit(dispatcher, await off_loop(flows.ask, self.kind, self.slot,
                                               turn_from(tracker), PLANNING))


def _ask_action(kind: str, slot: str) -> type:
    cls_name = "AskFor" + "".join(p.title() for p in f"{kind}_{slot}".split("_"))
    return type(cls_name, (_AskAction,), {"kind": kind, "slot": slot})


ASK_ACTIONS = [_ask_action(kind, slot) for kind, slots in flows.FORM_SLOTS.items()
               for slot in slots]


class ActionAbandonRequest(Action):
    """"stop" inside a request form: nothing is recorded."""

    def name(self) -> Text:
        return "action_abandon_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return emit(dispatcher, await off_loop(flows.abandon, last_request_kind(tracker)))


class ActionRequestStatus(Action):
    """"Où en est ma demande ?": the client's latest requests; reads only."""

    def name(self) -> Text:
        return "action_request_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return emit(dispatcher, await off_loop(flows.request_status, turn_from(tracker),
                                               PLANNING))
