"""One step of the request forms: what a message changes, and what the assistant says.

The Rasa actions build a :class:`Turn` from the tracker, call one function here and turn
the :class:`Result` into ``SlotSet`` events and messages.  Nothing here imports Rasa.

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
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from bot.chat import wording
from bot.chat.identity import Identity
from bot.chat.new_slot import (
    FIELDS as NEW_SLOT_FIELDS, PARIS, Draft, old_duration, read_new_slot,
    read_new_slot_from_when,
)
from bot.chat.planning import BUTTONS_LIMIT, Planning
from bot.chat.understanding import (
    Choice, choose_intervention, mentions_when, parse_reason, parse_yes_no, wants_all,
)
from bot.domain.dates import parse_when
from bot.domain.fr_format import format_date, format_duration, format_time
from bot.domain.intervention_match import match_interventions
from bot.domain.model import Intervention, RequestStatus
from bot.domain.rules import Code, Decision
from bot.service_layer.services import MAX_GROUP
from bot.domain.errors import (
    AlreadyRequested, InterventionNotFound, OutOfNoticeNotConfirmed, RequestNotFound,
    RuleRefused, ServiceError, StoreUnavailable,
)

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
HELPER_SLOTS = ("candidate_ids", "misunderstood", "request_summary", "decision_code",
                "intervention_ids", "all_offered")
REQUESTED_SLOT = "requested_slot"
YES, NO = "yes", "no"
#: Misses in a row on the same question before explaining and offering the office.
MISSES_BEFORE_HELP = 2


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


# =============================================================================================
# start: who is asking, which intervention the first message already names
# =============================================================================================

def start_request(kind: str, turn: Turn, planning: Planning,
                  keep: Optional[str] = None) -> Result:
    """Check identity and planning, pre-fill what the first message says.

    Sets ``can_request``: False when no request is possible now (see :func:`open_request`).
    ``keep``: an intervention to keep when the message names none (it must be upcoming:
    the slot it comes from may hold raw text)."""
    res = Result(slots=cleared_slots())
    res.slots["misunderstood"] = 0.0
    who = turn.identity
    if who is None:
        res.say(wording.login_needed(kind))
        res.slots["can_request"] = False
        return res
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
    if kind == CANCELLATION:
        choice = choose_intervention(turn.text, upcoming, turn.now, ranges=True)
        reason = parse_reason(turn.text, answer=False)
        if reason:
            res.slots["cancellation_reason"] = reason
    else:
        choice, draft = _choose_for_change(turn.text, upcoming, turn.now)
        if choice.chosen is not None and draft is not None:
            res.slots.update(draft.as_slots())
    if choice.chosen is not None:
        res.slots["intervention_id"] = choice.chosen.external_id
    elif kind == CANCELLATION and choice.several and len(choice.candidates) > MAX_GROUP \
            and wants_all(turn.text):
        res.say(wording.too_many_at_once(len(choice.candidates), MAX_GROUP))
        res.slots["candidate_ids"] = [i.external_id for i in choice.candidates[:BUTTONS_LIMIT]]
    elif kind == CANCELLATION and choice.several and len(choice.candidates) <= MAX_GROUP:
        # "annuler la semaine prochaine": these interventions, one of them or all
        res.slots["candidate_ids"] = [i.external_id for i in choice.candidates]
        res.slots["all_offered"] = True
        if wants_all(turn.text):  # "toute la semaine prochaine": checked by open_request
            res.slots["intervention_id"] = wording.ALL_LISTED
        else:
            res.say(wording.several_to_cancel(len(choice.candidates)))
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
    so; its intervention is kept unless this message names another one."""
    if switched_from is None:
        start = start_request(kind, turn, planning)
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


def _choose_for_change(text: str, upcoming: Sequence[Intervention], now: datetime):
    """For "décaler jeudi à 15 h": the day names the intervention, the time is the new one.

    Returns (Choice, Draft or None)."""
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


# =============================================================================================
# validation: one message inside a form
# =============================================================================================

def validate_step(kind: str, turn: Turn, planning: Planning) -> Result:
    """Validate what Rasa extracted for this message (``turn.extracted``).

    Returns the validated value (or None) for every extracted slot, plus any other slot the
    message fills (corrections, several details at once).  Ends the form by setting
    ``requested_slot`` to None when nothing more can be done (identity lost, store down,
    rule refusal).  :func:`step` closes the form after the confirmation."""
    res = Result(slots={name: None for name in turn.extracted})
    who = turn.identity
    if who is None:
        return _end(res, kind, wording.session_lost())
    try:
        upcoming = planning.upcoming(who, turn.now)
    except StoreUnavailable:
        return _end(res, kind, _store_down(kind, turn))
    state = _State(kind, turn, planning, who, upcoming, res)
    try:
        if kind == CANCELLATION:
            state.cancellation()
        else:
            state.schedule_change()
    except StoreUnavailable:
        return _end(res, kind, _store_down(kind, turn))
    if state.ended:
        return res
    state.count_misses()
    return res


def _store_down(kind: str, turn: Turn) -> str:
    """At the confirmation, the client must hear that nothing was recorded."""
    if turn.requested == CONFIRM_SLOT[kind]:
        return wording.store_down_recording()
    return wording.store_down_reading()


def step(kind: str, turn: Turn, planning: Planning) -> Result:
    """One message inside the form: :func:`validate_step`, then, once the client has
    answered the confirmation with every detail known, :func:`finish` in the same call
    (records only after an explicit yes) and the form ends."""
    res = validate_step(kind, turn, planning)
    if REQUESTED_SLOT in res.slots:  # the validation ended the form
        return res
    slots = {**turn.slots, **res.slots}
    if slots.get(CONFIRM_SLOT[kind]) not in (YES, NO):
        return res
    if any(slots.get(name) is None for name in FORM_SLOTS[kind]):
        return res  # cannot happen through the form's order; the form asks what is missing
    closing = finish(kind, replace(turn, slots=slots), planning)
    return Result(slots={**res.slots, **closing.slots, REQUESTED_SLOT: None},
                  replies=res.replies + closing.replies)


def _end(res: Result, kind: str, message: str) -> Result:
    res.say(message)
    res.slots.update(cleared_slots(kind))
    res.slots["can_request"] = None
    res.slots["misunderstood"] = 0.0
    res.slots[REQUESTED_SLOT] = None
    return res


class _State:
    def __init__(self, kind: str, turn: Turn, planning: Planning, who: Identity,
                 upcoming: List[Intervention], res: Result):
        self.kind, self.turn, self.planning, self.who = kind, turn, planning, who
        self.upcoming, self.res = upcoming, res
        self.by_id = {i.external_id: i for i in upcoming}
        self.values: Dict[str, Any] = {name: turn.slots.get(name) for name in FORM_SLOTS[kind]}
        self.ended = False
        self.asked = False  # a question or explanation was already said this turn
        self.understood = False

    # -- helpers --------------------------------------------------------------------------
    def set(self, name: str, value: Any) -> None:
        self.values[name] = value
        self.res.slots[name] = value

    def say(self, text: Optional[str], buttons: Optional[List[dict]] = None) -> None:
        if text:
            self.asked = True
            self.res.say(text, buttons)

    def end(self, message: str) -> None:
        _end(self.res, self.kind, message)
        self.ended = True

    def intervention(self) -> Optional[Intervention]:
        return self.by_id.get(self.values.get("intervention_id") or "")

    def entity(self, name: str) -> Optional[str]:
        value = self.turn.entities.get(name)
        return str(value) if value not in (None, "") else None

    # -- the intervention -------------------------------------------------------------------
    def read_intervention(self, raw: Any) -> None:
        """``raw``: what was extracted (a button's id, the message text, a pre-filled id)."""
        self.understood = True
        wanted = self.entity("intervention_id") or (str(raw) if raw is not None else "")
        if wanted in self.by_id:
            self.pick(self.by_id[wanted])
            return
        shown = [self.by_id[i] for i in (self.turn.slots.get("candidate_ids") or [])
                 if i in self.by_id]
        # cancellation: read once, for a group or for one intervention
        choice = choose_intervention(self.turn.text, self.upcoming, self.turn.now, shown,
                                     ranges=True) if self.kind == CANCELLATION else None
        if choice is not None and self.read_group(wanted, shown, choice):
            return
        if self.entity("intervention_id"):
            # an id that is not one of this client's upcoming interventions: never say more
            self.set("intervention_id", None)
            self.offer(self.upcoming, InterventionNotFound.message)
            return
        if self.kind == SCHEDULE_CHANGE:
            choice, draft = _choose_for_change(self.turn.text, self.upcoming, self.turn.now)
            if choice.chosen is None and not choice.understood:
                choice = choose_intervention(self.turn.text, self.upcoming, self.turn.now, shown)
                draft = None
        else:
            draft = None
        if choice.chosen is not None:
            self.pick(choice.chosen)
            if draft is not None:
                for name, value in draft.as_slots().items():
                    if value is not None:
                        self.set(name, value)
            return
        self.set("intervention_id", None)
        if not choice.understood:
            self.understood = False
            return
        self.offer(choice.candidates, choice.say)

    def read_group(self, wanted: str, shown: List[Intervention], choice: Choice) -> bool:
        """Cancellation: the message asks for several interventions at once ("toutes" after
        they were listed, "annulez toute la semaine prochaine").  True when handled."""
        offered = bool(self.turn.slots.get("all_offered")) and len(shown) > 1
        if wanted == wording.ALL_LISTED or (offered and wanted == self.turn.text
                                            and wants_all(self.turn.text)
                                            and mentions_when(self.turn.text,
                                                              self.turn.now) is None):
            if not offered:  # a stale or forged button: ask again
                self.set("intervention_id", None)
                self.offer(self.upcoming, None)
                return True
            self.choose_group(shown)
            return True
        if not (choice.several and choice.candidates):
            return False
        if wants_all(self.turn.text):
            self.choose_group(choice.candidates)
            return True
        if len(choice.candidates) > MAX_GROUP:
            return False
        self.set("intervention_id", None)
        self.offer(choice.candidates, wording.several_to_cancel(len(choice.candidates)),
                   all_of_them=True)
        return True

    def choose_group(self, items: Sequence[Intervention]) -> None:
        """Cancel all of ``items``: those that can still be cancelled here are kept (the
        others are said), then the reason and one recap with each consequence."""
        if len(items) > MAX_GROUP:
            self.set("intervention_id", None)
            self.offer(items, wording.too_many_at_once(len(items), MAX_GROUP))
            return
        reason = self.values.get("cancellation_reason") or "autre"
        kept = [i for i, _decision in self.still_cancellable(items, reason)]
        if len(kept) == 1:
            self.pick(kept[0])
            return
        if not kept:
            self.end(wording.nothing_to_cancel())
            return
        self.set("intervention_id", kept[0].external_id)
        self.res.slots["intervention_ids"] = [i.external_id for i in kept]
        self.res.slots["candidate_ids"] = None
        self.res.slots["all_offered"] = None

    def still_cancellable(self, items: Sequence[Intervention],
                          reason: str) -> List[Tuple[Intervention, Decision]]:
        """``items`` that can be cancelled now, with the decision; the others are said
        (already requested, started...)."""
        kept, already, refused = [], [], []
        for i in items:
            try:
                decision = self.planning.preview_cancellation(self.who, i.external_id, reason,
                                                              self.turn.now)
            except AlreadyRequested:
                already.append(i)
            except (RuleRefused, InterventionNotFound):
                refused.append(i)
            else:
                kept.append((i, decision))
        if already:
            self.say(wording.already_requested_left_out(already))
        if refused:
            self.say(wording.not_cancellable_left_out(refused))
        return kept

    def group(self) -> List[Intervention]:
        """The interventions of a cancellation of several (empty for one)."""
        ids = self.res.slots["intervention_ids"] if "intervention_ids" in self.res.slots \
            else self.turn.slots.get("intervention_ids")
        return [self.by_id[i] for i in ids or [] if i in self.by_id] if ids else []

    def pick(self, chosen: Intervention) -> None:
        self.set("intervention_id", chosen.external_id)
        self.res.slots["candidate_ids"] = None
        self.res.slots["intervention_ids"] = None
        self.res.slots["all_offered"] = None
        if self.kind == CANCELLATION:
            # say at once if nothing can be requested on it (already requested, started...)
            try:
                self.planning.preview_cancellation(self.who, chosen.external_id,
                                                   self.values.get("cancellation_reason")
                                                   or "autre", self.turn.now)
            except AlreadyRequested as err:
                self.end(err.message)
            except (RuleRefused, InterventionNotFound) as err:
                self.set("intervention_id", None)
                self.offer([i for i in self.upcoming if i is not chosen], err.message)

    def offer(self, candidates: Sequence[Intervention], message: Optional[str],
              all_of_them: bool = False) -> None:
        """Say ``message``; the form's question then shows ``candidates`` as buttons (and
        a button for all of them with ``all_of_them``)."""
        limit = MAX_GROUP if all_of_them else BUTTONS_LIMIT
        self.res.slots["candidate_ids"] = [i.external_id for i in candidates[:limit]] or None
        self.res.slots["all_offered"] = True if all_of_them else None
        self.res.slots["intervention_ids"] = None
        self.say(message)

    def correction_of_intervention(self) -> bool:
        """A date in a message that answers something else: another intervention."""
        when = mentions_when(self.turn.text, self.turn.now)
        if when is None:
            return False
        current = self.intervention()
        if current is not None and not self.group() \
                and match_interventions(when, [current]) == [current] and not when.ambiguous:
            return False
        self.read_intervention(self.turn.text)
        return True

    # -- cancellation -------------------------------------------------------------------------
    def cancellation(self) -> None:
        extracted = self.turn.extracted
        if "intervention_id" in extracted:
            self.read_intervention(extracted["intervention_id"])
            if self.ended:
                return
        if "cancellation_reason" in extracted:
            self.read_reason(extracted["cancellation_reason"])
            if self.ended:
                return
        if "cancellation_confirmed" in extracted:
            self.read_confirmation(extracted["cancellation_confirmed"])
            if self.ended:
                return
        self.preview_cancellation()

    def read_reason(self, raw: Any) -> None:
        self.understood = True
        reason = self.entity("cancellation_reason") or (str(raw) if raw is not None else "")
        if reason not in wording.REASONS:
            reason = parse_reason(self.turn.text) if not self.turn.text.startswith("/") else None
        if reason is not None:
            self.set("cancellation_reason", reason)
            return
        self.set("cancellation_reason", None)
        if self.turn.requested == "cancellation_reason" and self.correction_of_intervention():
            return
        self.understood = False

    def read_confirmation(self, raw: Any) -> None:
        slot = CONFIRM_SLOT[self.kind]
        self.understood = True
        if self.kind == CANCELLATION:
            if self.correction_of_intervention():
                self.set(slot, None)
                return
        else:
            when = mentions_when(self.turn.text, self.turn.now)
            if when is not None:
                self.set(slot, None)
                self.read_new_slot()
                return
        answer = parse_yes_no(self.turn.text, self.turn.intent)
        if answer is None:
            self.set(slot, None)
            self.understood = False
            return
        self.set(slot, YES if answer else NO)

    def preview_cancellation(self) -> None:
        i, reason = self.intervention(), self.values.get("cancellation_reason")
        if i is None or reason is None or self.values.get("cancellation_confirmed"):
            return
        if self.group():
            self.preview_group(reason)
            return
        try:
            decision = self.planning.preview_cancellation(self.who, i.external_id, reason,
                                                          self.turn.now)
        except AlreadyRequested as err:
            self.end(err.message)
            return
        except (RuleRefused, InterventionNotFound) as err:
            self.set("intervention_id", None)
            self.offer([x for x in self.upcoming if x is not i], err.message)
            return
        self.res.slots["request_summary"] = wording.cancellation_recap(i, reason,
                                                                       decision.message)
        self.res.slots["decision_code"] = decision.code

    def preview_group(self, reason: str) -> None:
        """One recap for several interventions, with each one's consequence."""
        items = self.group()
        checked = self.still_cancellable(items, reason)
        kept = [i for i, _decision in checked]
        if len(kept) < 2:
            if kept:
                self.pick(kept[0])
                self.preview_cancellation()
            else:
                self.end(wording.nothing_to_cancel())
            return
        codes = [decision.code for _i, decision in checked]
        self.set("intervention_id", kept[0].external_id)
        self.res.slots["intervention_ids"] = [i.external_id for i in kept]
        self.res.slots["request_summary"] = wording.group_recap(kept, codes, reason)
        self.res.slots["decision_code"] = ",".join(codes)

    # -- schedule change --------------------------------------------------------------------
    def schedule_change(self) -> None:
        extracted = self.turn.extracted
        if "intervention_id" in extracted:
            self.read_intervention(extracted["intervention_id"])
            if self.ended:
                return
        if any(name in extracted for name in NEW_SLOT_FIELDS):
            self.read_new_slot()
        if "schedule_change_confirmed" in extracted:
            self.read_confirmation(extracted["schedule_change_confirmed"])
            if self.ended:
                return
        self.preview_change()

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
            self.set(CONFIRM_SLOT[SCHEDULE_CHANGE], None)

    def preview_change(self) -> None:
        i = self.intervention()
        if i is None or self.values.get("schedule_change_confirmed"):
            return
        draft = Draft.from_slots(self.values)
        bounds = draft.bounds()
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
            self.set("intervention_id", None)
            self.offer(self.upcoming, err.message)
            return
        self.res.slots["request_summary"] = wording.change_recap(i, start, end, decision.message)
        self.res.slots["decision_code"] = decision.code

    def refused_slot(self, err: RuleRefused) -> None:
        code = err.decision.code
        reset = {
            Code.SLOT_TOO_SHORT: ("new_end_time",),
            Code.SLOT_END_NOT_AFTER_START: ("new_end_time",),
            Code.SLOT_IN_PAST: ("new_date", "new_start_time"),
            Code.SLOT_UNCHANGED: NEW_SLOT_FIELDS,
        }.get(code)
        if reset is None:  # the intervention itself: past, cancelled
            self.set("intervention_id", None)
            self.offer([x for x in self.upcoming if x is not self.intervention()], err.message)
            return
        for name in reset:
            self.set(name, None)
        self.say(err.message)

    # -- misunderstandings --------------------------------------------------------------------
    def count_misses(self) -> None:
        requested = self.turn.requested
        if requested is None or requested not in self.turn.extracted:
            return
        filled = self.res.slots.get(requested, self.values.get(requested)) is not None
        button = self.turn.text.startswith("/") and bool(self.turn.entities)
        if filled or self.asked or self.understood or button:
            self.res.slots["misunderstood"] = 0.0
            return
        misses = int(self.turn.slots.get("misunderstood") or 0) + 1
        self.res.slots["misunderstood"] = float(misses)
        key = "confirmed" if requested.endswith("_confirmed") else requested
        if misses >= MISSES_BEFORE_HELP:
            self.res.say(wording.explain_and_offer_office(key), wording.handoff_button())
        else:
            self.res.say(wording.not_understood(key))


def _previous_value(turn: Turn, name: str) -> Any:
    """The value a new-slot field had before Rasa put this message's text in it."""
    value = turn.slots.get(name)
    if value is None:
        return None
    draft = Draft.from_slots({name: value})
    return draft.as_slots()[name]


# =============================================================================================
# questions asked by the forms
# =============================================================================================

def ask(kind: str, slot: str, turn: Turn, planning: Planning) -> Result:
    """The question for ``slot`` (with its buttons)."""
    res = Result()
    who = turn.identity
    if slot == "intervention_id":
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
        if kind == CANCELLATION and turn.slots.get("all_offered") and len(items) > 1 \
                and narrowed:
            res.say(wording.ask_which_or_all(),
                    wording.intervention_buttons(items) + wording.all_button(len(items)))
            return res
        res.say(wording.ask_intervention(kind, narrowed), wording.intervention_buttons(items))
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
            res.say("Quel jour souhaitez-vous ?")
        else:
            res.say(wording.ask_new_date(i), wording.same_day_button(i))
        return res
    if slot == "new_start_time":
        day = format_date(datetime.combine(draft.date, datetime.min.time(), tzinfo=turn.now.tzinfo)) \
            if draft.date else "jour choisi"
        part = wording.PART_OF_DAY_WORDS.get(draft.part.value) if draft.part else None
        res.say(wording.ask_new_start(day, part))
        return res
    if slot == "new_end_time":
        start_words = f"{draft.start.hour} h" if draft.start and draft.start.minute == 0 else \
            (f"{draft.start.hour} h {draft.start.minute:02d}" if draft.start else "l'heure choisie")
        buttons: List[dict] = []
        if i is not None and draft.start is not None and draft.date is not None:
            start = datetime.combine(draft.date, draft.start, tzinfo=turn.now.tzinfo)
            end = start + old_duration(i)
            if end.date() == start.date():
                buttons = wording.same_duration_button(format_duration(old_duration(i)),
                                                       end.strftime("%H:%M"))
        res.say(wording.ask_new_end(start_words), buttons)
        return res
    res.say("Pouvez-vous préciser ?")
    return res


def _current(turn: Turn, planning: Planning) -> Optional[Intervention]:
    if turn.identity is None or not turn.slots.get("intervention_id"):
        return None
    try:
        return planning.get(turn.identity, turn.slots["intervention_id"])
    except ServiceError:
        return None


# =============================================================================================
# closing: record (only after an explicit yes) or say nothing was recorded
# =============================================================================================

def finish(kind: str, turn: Turn, planning: Planning) -> Result:
    res = Result(slots=cleared_slots())
    res.slots["can_request"] = None
    res.slots["misunderstood"] = 0.0
    answer = turn.slots.get(CONFIRM_SLOT[kind])
    if answer == NO:
        res.say(wording.not_confirmed())
        return res
    if answer != YES:
        return res  # the form stopped early and has said why
    who = turn.identity
    if who is None:
        res.say(wording.session_lost())
        return res
    intervention_id = turn.slots.get("intervention_id")
    # the same confirmation replayed (retry) gives the same key: no second request
    key = f"chat:{turn.sender}:{turn.message_id or turn.now.isoformat()}"
    reason = turn.slots.get("cancellation_reason")
    group = list(turn.slots.get("intervention_ids") or [])
    if kind == CANCELLATION and len(group) > 1:
        return _finish_group(res, turn, planning, who, group, reason, key)
    bounds = Draft.from_slots(turn.slots).bounds()
    if kind == SCHEDULE_CHANGE and bounds is None:
        return res

    def record(accept_out_of_notice: bool):
        if kind == CANCELLATION:
            return planning.cancel(who, intervention_id, reason, turn.now, key)
        return planning.change(who, intervention_id, *bounds, turn.now, key,
                               accept_out_of_notice=accept_out_of_notice)

    def attempt():
        try:
            # the decision said before the yes must still be the one that applies
            if kind == CANCELLATION:
                decision = planning.preview_cancellation(who, intervention_id, reason, turn.now)
            else:
                decision = planning.preview_schedule_change(who, intervention_id, *bounds,
                                                            turn.now)
        except AlreadyRequested:
            return record(False)  # a replay returns the first result; else raises again
        if decision.code != turn.slots.get("decision_code"):
            res.say(wording.situation_changed(decision.message))
            return None
        return record(decision.out_of_notice)

    result = _recorded_or_said_why(res, attempt)
    if result is None:
        return res
    res.say(wording.recorded(result.reference, kind, replayed=not result.created))
    request = result.request
    res.say(wording.next_steps(kind, request.exemption_pending, request.out_of_notice))
    return res


def _recorded_or_said_why(res: Result, attempt: Callable[[], Any]) -> Any:
    """``attempt()`` (which records, or says why not and returns None); on a service error,
    says that nothing was recorded and why, and returns None."""
    try:
        return attempt()
    except StoreUnavailable:
        res.say(wording.store_down_recording())
    except AlreadyRequested as err:
        res.say(err.message)
    except (RuleRefused, InterventionNotFound, OutOfNoticeNotConfirmed) as err:
        res.say(wording.situation_changed(err.message))
    except ServiceError:
        res.say(wording.store_down_recording())
    return None


def _finish_group(res: Result, turn: Turn, planning: Planning, who: Identity,
                  ids: List[str], reason: str, key: str) -> Result:
    """Record the cancellation of several interventions: all of them or none."""
    def attempt():
        try:
            # the consequences said before the yes must still be the ones that apply
            codes = [planning.preview_cancellation(who, i, reason, turn.now).code for i in ids]
        except AlreadyRequested:
            return planning.cancel_all(who, ids, reason, turn.now, key)  # a replay, or raises
        if ",".join(codes) != turn.slots.get("decision_code"):
            res.say(wording.situation_changed(wording.group_changed()))
            return None
        return planning.cancel_all(who, ids, reason, turn.now, key)

    results = _recorded_or_said_why(res, attempt)
    if results is None:
        return res
    res.say(wording.recorded_group([r.reference for r in results],
                                   replayed=not any(r.created for r in results)))
    res.say(wording.next_steps(CANCELLATION, any(r.request.exemption_pending for r in results),
                               True))
    return res


def abandon(kind: Optional[str]) -> Result:
    res = Result(slots=cleared_slots())
    res.slots["can_request"] = None
    res.slots["misunderstood"] = 0.0
    res.say(wording.abandoned())
    return res


# =============================================================================================
# "où en est ma demande ?": the client's latest requests and where they stand
# =============================================================================================

#: A reference as the client may type it: "AMP-2026-000012", "amp 2026 12".
_REFERENCE = re.compile(r"\bAMP[\s-]?(\d{4})[\s-]?(\d{1,6})\b", re.IGNORECASE)


def mentioned_reference(text: str) -> Optional[str]:
    match = _REFERENCE.search(text or "")
    if match is None:
        return None
    return f"AMP-{match.group(1)}-{int(match.group(2)):06d}"


def request_status(turn: Turn, planning: Planning) -> Result:
    """Where the client's requests stand (only the one whose reference the message gives,
    if any).  Reads only: nothing is recorded, no slot changes."""
    res = Result()
    who = turn.identity
    if who is None:
        res.say(wording.status_login_needed())
        return res
    reference = mentioned_reference(turn.text)
    try:
        found = planning.statuses(who, reference)
    except RequestNotFound:
        res.say(wording.request_not_found(reference))
        return res
    except StoreUnavailable:
        res.say(wording.store_down_reading())
        return res
    if who.is_staff:
        res.say(wording.acting_for(who.client_number))
    if not found:
        res.say(wording.no_requests())
        return res
    res.say(wording.request_statuses(
        [(item.request, item.label) for item in found],
        refused=any(item.request.status == RequestStatus.REFUSED for item in found)))
    return res
