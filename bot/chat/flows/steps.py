"""What one message does inside a request form, for what both forms share: reading the
intervention, the confirmation, offering interventions as buttons, ending the form, counting
misunderstandings.  Each form's own details live in its subclass of :class:`FormStep`
(:mod:`.cancellation`, :mod:`.schedule_change`)."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple

from bot.chat import wording
from bot.chat.identity import Identity
from bot.chat.new_slot import Draft
from bot.chat.planning import BUTTONS_LIMIT, Planning
from bot.chat.understanding import Choice, parse_yes_no
from bot.domain.errors import InterventionNotFound
from bot.domain.model import Intervention
from bot.domain.rules import Decision
from bot.service_layer.services import MAX_GROUP
from bot.chat.flows.turn import FORM_SLOTS, NO, YES, Result, Turn, end_form

#: Misses in a row on the same question before explaining and offering the office.
MISSES_BEFORE_HELP = 2


class FormStep:
    """One message inside one form: its slot changes and replies go to ``res``.

    A subclass sets ``kind`` and ``confirm_slot`` and says how the form reads its own
    details, previews the request before the confirmation, and records it."""

    kind: ClassVar[str]
    confirm_slot: ClassVar[str]
    #: several interventions may be requested at once (a "Toutes" button, one recap)
    several_at_once: ClassVar[bool] = False

    def __init__(self, turn: Turn, planning: Planning, who: Identity,
                 upcoming: List[Intervention], res: Result):
        self.turn, self.planning, self.who = turn, planning, who
        self.upcoming, self.res = upcoming, res
        self.by_id = {i.external_id: i for i in upcoming}
        self.values: Dict[str, Any] = {name: turn.slots.get(name)
                                       for name in FORM_SLOTS[self.kind]}
        self.ended = False
        self.asked = False  # a question or explanation was already said this turn
        self.understood = False

    # -- what each form says for itself ------------------------------------------------------
    def first_choice(self) -> Choice:
        """The form's activation: which intervention the first message names; pre-fills
        what else it says."""
        raise NotImplementedError

    def offered_several_at_start(self, choice: Choice) -> bool:
        """The first message names several interventions: True when that was handled."""
        return False

    def choose(self, shown: List[Intervention]) -> Tuple[Choice, Optional[Draft]]:
        """Which intervention the message names (``shown``: the buttons offered last), and
        a new slot it may give with it."""
        raise NotImplementedError

    def read_several(self, wanted: str, shown: List[Intervention], choice: Choice) -> bool:
        """The message asks for several interventions at once: True when handled."""
        return False

    def check_picked(self, chosen: Intervention) -> None:
        """Just chosen: say at once if nothing can be requested on it."""

    def read_details(self) -> None:
        """The form's own slots in this message."""
        raise NotImplementedError

    def corrected_at_confirmation(self) -> bool:
        """Instead of yes or no, the message corrects a detail: True when read."""
        return False

    def preview(self) -> None:
        """Everything known, not confirmed yet: the recap and the rule's decision."""
        raise NotImplementedError

    @classmethod
    def recordable(cls, turn: Turn) -> bool:
        """Every detail the recording needs is in ``turn.slots``."""
        return True

    @classmethod
    def previewed(cls, planning: Planning, who: Identity, turn: Turn) -> Decision:
        """The decision that applies now to the confirmed request."""
        raise NotImplementedError

    @classmethod
    def record(cls, planning: Planning, who: Identity, turn: Turn, key: str,
               accept_out_of_notice: bool) -> Any:
        """Record the confirmed request (one transaction; ``key`` makes a replay harmless)."""
        raise NotImplementedError

    # -- the message, in the form's order ----------------------------------------------------
    def run(self) -> None:
        extracted = self.turn.extracted
        if "intervention_id" in extracted:
            self.read_intervention(extracted["intervention_id"])
            if self.ended:
                return
        self.read_details()
        if self.ended:
            return
        if self.confirm_slot in extracted:
            self.read_confirmation(extracted[self.confirm_slot])
            if self.ended:
                return
        self.preview()

    # -- helpers --------------------------------------------------------------------------
    def set(self, name: str, value: Any) -> None:
        self.values[name] = value
        self.res.slots[name] = value

    def say(self, text: Optional[str], buttons: Optional[List[dict]] = None) -> None:
        if text:
            self.asked = True
            self.res.say(text, buttons)

    def end(self, message: str) -> None:
        end_form(self.res, self.kind, message)
        self.ended = True

    def intervention(self) -> Optional[Intervention]:
        return self.by_id.get(self.values.get("intervention_id") or "")

    def entity(self, name: str) -> Optional[str]:
        value = self.turn.entities.get(name)
        return str(value) if value not in (None, "") else None

    def others(self, i: Optional[Intervention]) -> List[Intervention]:
        return [x for x in self.upcoming if x is not i]

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
        choice, draft = self.choose(shown)
        if self.read_several(wanted, shown, choice):
            return
        if self.entity("intervention_id"):
            # an id that is not one of this client's upcoming interventions: never say more
            self.reoffer(self.upcoming, InterventionNotFound.message)
            return
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

    def pick(self, chosen: Intervention) -> None:
        self.set("intervention_id", chosen.external_id)
        self.res.slots["candidate_ids"] = None
        self.res.slots["intervention_ids"] = None
        self.res.slots["all_offered"] = None
        self.check_picked(chosen)

    def offer(self, candidates: Sequence[Intervention], message: Optional[str],
              all_of_them: bool = False) -> None:
        """Say ``message``; the form's question then shows ``candidates`` as buttons (and
        a button for all of them with ``all_of_them``)."""
        limit = MAX_GROUP if all_of_them else BUTTONS_LIMIT
        self.res.slots["candidate_ids"] = [i.external_id for i in candidates[:limit]] or None
        self.res.slots["all_offered"] = True if all_of_them else None
        self.res.slots["intervention_ids"] = None
        self.say(message)

    def reoffer(self, candidates: Sequence[Intervention], message: Optional[str],
                all_of_them: bool = False) -> None:
        """No intervention chosen (any more): :meth:`offer` ``candidates`` instead."""
        self.set("intervention_id", None)
        self.offer(candidates, message, all_of_them)

    # -- the confirmation ---------------------------------------------------------------------
    def read_confirmation(self, raw: Any) -> None:
        self.understood = True
        if self.corrected_at_confirmation():
            self.set(self.confirm_slot, None)
            return
        answer = parse_yes_no(self.turn.text, self.turn.intent)
        if answer is None:
            self.set(self.confirm_slot, None)
            self.understood = False
            return
        self.set(self.confirm_slot, YES if answer else NO)

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
