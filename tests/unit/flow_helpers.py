"""A small driver for the request flows (bot/chat/flows) on the in-memory store: no Rasa, no
database.

:class:`Chat` plays Rasa's part the way actions/requests.py and domain.yml set it up:

* the form's activation calls ``open_request`` (what the first message says);
* inside the form, Rasa's extraction puts the message text in the requested slot
  (``from_text``, except for the intents the mappings exclude) and the entities of a button
  in their slots; the validation (``step``) gets those as ``extracted``; a message that
  extracts nothing is a digression: the validation action returns nothing;
* each ``Result``'s slots are applied to the conversation's slots; a ``requested_slot`` set
  to None ends the form; otherwise the form asks (``ask``) for its first empty slot, and ends
  when none is left.

The store is one ``FakeUnitOfWork`` shared by every call: its ``commit`` swaps a copy in as
its own ``store``, so separate ``FakeUnitOfWork(store)`` objects would not see each other's
commits.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from bot.adapters.planning_import import PlanningRow
from bot.chat import flows
from bot.chat.identity import Identity
from bot.chat.planning import Planning
from bot.domain.clock import PARIS
from bot.service_layer import services
from tests.fakes import FakeUnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # Monday 2 March 2026, 9 h
CLIENT = Identity(client_number="1001", role="client", actor="client 1001", channel="web")
STAFF = Identity(client_number="1001", role="staff", actor="jdupuis", channel="phone")

#: Intents whose message Rasa never puts in the requested slot of each form (domain.yml
#: ``not_intent``, the anchors ``&interrupts_<form>``): the other kind of request interrupts a
#: form, a request of the same kind is read as an answer.
_INTERRUPTS = {"faq", "stop", "human_handoff", "bot_challenge", "ask_request_status"}
NOT_AN_ANSWER = {flows.CANCELLATION: _INTERRUPTS | {"request_schedule_change"},
                 flows.SCHEDULE_CHANGE: _INTERRUPTS | {"request_cancellation"}}


def row(iid: str, start: datetime, client: str = "1001", name: str = "Mme Dupont",
        sector: str = "Nord", hours: float = 1.0) -> PlanningRow:
    return PlanningRow(line=2, intervention_id=iid, client_id=client, client_name=name,
                       sector=sector, caregiver="Marie Curie", start=start,
                       end=start + timedelta(hours=hours), service="Aide au lever")


def seeded(*extra: PlanningRow) -> FakeUnitOfWork:
    """The planning of tests/integration/test_request_actions.py, in memory."""
    uow = FakeUnitOfWork()
    services.set_sector(uow, "Nord", office_email="nord@amper.example",
                        webhook_url="https://nord.example/hook", webhook_secret="s3cret")
    services.set_sector(uow, "Sud", office_email="sud@amper.example")
    services.import_rows(uow, [
        row("I-24H", NOW + timedelta(hours=24)),   # Tuesday 3 March, 9 h
        row("I-72H", NOW + timedelta(hours=72)),   # Thursday 5 March, 9 h
        row("I-5D", NOW + timedelta(days=5)),      # Saturday 7 March, 9 h
        row("I-15D", NOW + timedelta(days=15)),    # Tuesday 17 March, 9 h
        row("S-24H", NOW + timedelta(hours=24), client="2001", name="M. Martin", sector="Sud"),
        *extra,
    ])
    return uow


def requests(uow: FakeUnitOfWork) -> List[dict]:
    """The request rows of the committed store (column values), oldest first."""
    return [r for _id, r in sorted(uow.store.requests.items())]


def outbox(uow: FakeUnitOfWork) -> List[dict]:
    return [m for _id, m in sorted(uow.store.outbox.items())]


def dump(uow: FakeUnitOfWork) -> str:
    """Everything the store holds about requests, as text (to look for what must not be)."""
    return json.dumps([requests(uow), outbox(uow),
                       [e.note for _rid, e in uow.store.request_history]],
                      default=str, ensure_ascii=False)


class Chat:
    """One conversation: its slots, the active form, what the assistant said."""

    def __init__(self, uow: FakeUnitOfWork, identity: Optional[Identity] = CLIENT,
                 now: datetime = NOW, sender: str = "alice"):
        self.uow, self.identity, self.now, self.sender = uow, identity, now, sender
        self.planning = Planning(uow_factory=lambda: uow)
        self.slots: Dict[str, Any] = {"misunderstood": 0.0, "requested_slot": None}
        self.kind: Optional[str] = None  # the active form
        self.replies: List[flows.Reply] = []  # of the latest message
        self._count = 0
        self._before: Optional[tuple] = None

    # -- what the client does -----------------------------------------------------------------
    def open(self, kind: str, text: str, intent: Optional[str] = None,
             entities: Optional[Dict[str, Any]] = None) -> str:
        """The first message: the form of ``kind`` is activated."""
        self._begin(text, intent or f"request_{kind}", entities, None)
        switched = self.kind if self.kind not in (None, kind) else None
        self.kind = kind
        res = flows.open_request(kind, self._turn({}), self.planning, switched_from=switched)
        self._apply(res, {})
        return self.said

    def say(self, text: str, intent: str = "inform", entities: Optional[Dict[str, Any]] = None,
            message_id: Optional[str] = None) -> str:
        """A message inside the running form."""
        assert self.kind is not None, "no form is running"
        self._begin(text, intent, entities, message_id)
        form_slots = flows.FORM_SLOTS[self.kind]
        extracted = {}
        requested = self.slots.get("requested_slot")
        if requested and intent not in NOT_AN_ANSWER[self.kind]:
            extracted[requested] = text
        extracted.update({k: v for k, v in self._entities.items() if k in form_slots})
        if extracted:
            self._apply(flows.step(self.kind, self._turn(extracted), self.planning), extracted)
        return self.said

    def click(self, **entities: str) -> str:
        """A button of the form: its payload as text, its entities."""
        return self.say(button_payload(entities), entities=entities)

    def replay(self) -> str:
        """The latest message sent again (a network retry): same id, same slots before it."""
        slots, kind, args = self._before
        self.slots, self.kind = dict(slots), kind
        text, intent, entities, message_id = args
        return self.say(text, intent, entities, message_id)

    def stop(self) -> str:
        self._begin("stop", "stop", None, None)
        res = flows.abandon(self.kind)
        self.kind = None
        self._apply(res, {})
        self.slots["requested_slot"] = None  # the loop is deactivated
        return self.said

    def digress(self, text: str = "je peux payer en CESU ?", intent: str = "faq") -> str:
        """A question inside the form (FAQ: answered by a response, not by our actions), then
        the form resumes as Rasa resumes it: its validation gets nothing to check (returns
        nothing), and the form asks its requested slot again."""
        assert self.kind is not None, "no form is running"
        self._begin(text, intent, None, None)
        self._ask(self.slots["requested_slot"])
        return self.said

    def status(self, text: str = "où en est ma demande ?") -> str:
        self._begin(text, "ask_request_status", None, None)
        res = flows.request_status(self._turn({}), self.planning)
        assert res.slots == {}  # reads only
        self.replies = list(res.replies)
        return self.said

    # -- what the assistant said --------------------------------------------------------------
    @property
    def said(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> List[dict]:
        return [b for r in self.replies for b in r.buttons]

    @property
    def active(self) -> bool:
        return self.kind is not None

    # -- Rasa's part ---------------------------------------------------------------------------
    def _begin(self, text, intent, entities, message_id) -> None:
        self._count += 1
        message_id = message_id or f"m{self._count}"
        self._before = (dict(self.slots), self.kind, (text, intent, entities, message_id))
        self._text, self._intent, self._message_id = text, intent, message_id
        self._entities = dict(entities or {})
        self.replies = []

    def _turn(self, extracted: Dict[str, Any]) -> flows.Turn:
        return flows.Turn(text=self._text, intent=self._intent, entities=self._entities,
                          slots={**self.slots, **extracted}, identity=self.identity,
                          now=self.now, extracted=dict(extracted), sender=self.sender,
                          message_id=self._message_id)

    def _apply(self, res: flows.Result, extracted: Dict[str, Any]) -> None:
        self.slots.update(extracted)
        self.slots.update(res.slots)
        self.replies += res.replies
        if self.kind is None:
            return
        if "requested_slot" in res.slots and res.slots["requested_slot"] is None:
            self.kind = None  # the validation ended the form
            return
        missing = [s for s in flows.FORM_SLOTS[self.kind] if self.slots.get(s) is None]
        if not missing:
            self.kind, self.slots["requested_slot"] = None, None
            return
        self.slots["requested_slot"] = missing[0]
        self._ask(missing[0])

    def _ask(self, slot: str) -> None:
        """The form's question (``action_ask_…``); it may end the form, as a validation may
        (a ``requested_slot`` set to None: Rasa's form is then done)."""
        asked = flows.ask(self.kind, slot, self._turn({}), self.planning)
        self.slots.update(asked.slots)
        self.replies += asked.replies
        if "requested_slot" in asked.slots and asked.slots["requested_slot"] is None:
            self.kind = None


def button_payload(entities: Dict[str, Any]) -> str:
    return "/inform" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
