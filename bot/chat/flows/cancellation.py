"""The cancellation form's step: the reason, one intervention or several at once ("annulez
toute la semaine prochaine"), and the recap with each one's consequence."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from bot.chat import wording
from bot.chat.identity import Identity
from bot.chat.new_slot import Draft
from bot.chat.planning import BUTTONS_LIMIT, Planning
from bot.chat.understanding import (
    Choice, choose_intervention, mentions_when, parse_reason, wants_all,
)
from bot.domain.intervention_match import match_interventions
from bot.domain.errors import AlreadyRequested, InterventionNotFound, RuleRefused
from bot.domain.model import Intervention
from bot.domain.rules import Decision
from bot.service_layer.services import MAX_GROUP
from bot.chat.flows.steps import FormStep
from bot.chat.flows.turn import CANCELLATION, CONFIRM_SLOT, Turn

#: The reason checked before the client gives one (the rules then say the most they can).
_ANY_REASON = "autre"


class CancellationStep(FormStep):
    kind = CANCELLATION
    confirm_slot = CONFIRM_SLOT[CANCELLATION]
    several_at_once = True

    # -- the first message ---------------------------------------------------------------------
    def first_choice(self) -> Choice:
        choice = choose_intervention(self.turn.text, self.upcoming, self.turn.now, ranges=True)
        reason = parse_reason(self.turn.text, answer=False)
        if reason:
            self.res.slots["cancellation_reason"] = reason
        return choice

    def offered_several_at_start(self, choice: Choice) -> bool:
        if not choice.several:
            return False
        count = len(choice.candidates)
        if count > MAX_GROUP and wants_all(self.turn.text):
            self.res.say(wording.too_many_at_once(count, MAX_GROUP))
            self.res.slots["candidate_ids"] = [i.external_id
                                               for i in choice.candidates[:BUTTONS_LIMIT]]
            return True
        if count > MAX_GROUP:
            return False
        # "annuler la semaine prochaine": these interventions, one of them or all
        self.res.slots["candidate_ids"] = [i.external_id for i in choice.candidates]
        self.res.slots["all_offered"] = True
        if wants_all(self.turn.text):  # "toute la semaine prochaine": checked by open_request
            self.res.slots["intervention_id"] = wording.ALL_LISTED
        else:
            self.res.say(wording.several_to_cancel(count))
        return True

    # -- the intervention: one, or several at once ---------------------------------------------
    def choose(self, shown: List[Intervention]) -> Tuple[Choice, Optional[Draft]]:
        # read once, for a group or for one intervention
        return choose_intervention(self.turn.text, self.upcoming, self.turn.now, shown,
                                   ranges=True), None

    def read_several(self, wanted: str, shown: List[Intervention], choice: Choice) -> bool:
        """"toutes" after they were listed, "annulez toute la semaine prochaine"."""
        offered = bool(self.turn.slots.get("all_offered")) and len(shown) > 1
        if wanted == wording.ALL_LISTED or (offered and wanted == self.turn.text
                                            and wants_all(self.turn.text)
                                            and mentions_when(self.turn.text,
                                                              self.turn.now) is None):
            if not offered:  # a stale or forged button: ask again
                self.reoffer(self.upcoming, None)
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
        self.reoffer(choice.candidates, wording.several_to_cancel(len(choice.candidates)),
                     all_of_them=True)
        return True

    def choose_group(self, items: Sequence[Intervention]) -> None:
        """Cancel all of ``items``: those that can still be cancelled here are kept (the
        others are said), then the reason and one recap with each consequence."""
        if len(items) > MAX_GROUP:
            self.reoffer(items, wording.too_many_at_once(len(items), MAX_GROUP))
            return
        reason = self.values.get("cancellation_reason") or _ANY_REASON
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

    def check_picked(self, chosen: Intervention) -> None:
        # say at once if nothing can be requested on it (already requested, started...)
        self.decision_on(chosen, self.values.get("cancellation_reason") or _ANY_REASON)

    def decision_on(self, i: Intervention, reason: str) -> Optional[Decision]:
        """The rules' decision on cancelling ``i``; None when it cannot be (said, and the
        form ends or offers the other interventions)."""
        try:
            return self.planning.preview_cancellation(self.who, i.external_id, reason,
                                                      self.turn.now)
        except AlreadyRequested as err:
            self.end(err.message)
        except (RuleRefused, InterventionNotFound) as err:
            self.reoffer(self.others(i), err.message)
        return None

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

    # -- the reason, the confirmation ----------------------------------------------------------
    def read_details(self) -> None:
        if "cancellation_reason" in self.turn.extracted:
            self.read_reason(self.turn.extracted["cancellation_reason"])

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

    def corrected_at_confirmation(self) -> bool:
        return self.correction_of_intervention()

    # -- the recap -----------------------------------------------------------------------------
    def preview(self) -> None:
        i, reason = self.intervention(), self.values.get("cancellation_reason")
        if i is None or reason is None or self.values.get(self.confirm_slot):
            return
        if self.group():
            self.preview_group(reason)
            return
        decision = self.decision_on(i, reason)
        if decision is None:
            return
        self.res.slots["request_summary"] = wording.cancellation_recap(i, reason,
                                                                       decision.message)
        self.res.slots["decision_code"] = decision.code

    def preview_group(self, reason: str) -> None:
        """One recap for several interventions, with each one's consequence."""
        checked = self.still_cancellable(self.group(), reason)
        kept = [i for i, _decision in checked]
        if len(kept) < 2:
            if kept:
                self.pick(kept[0])
                self.preview()
            else:
                self.end(wording.nothing_to_cancel())
            return
        codes = [decision.code for _i, decision in checked]
        self.set("intervention_id", kept[0].external_id)
        self.res.slots["intervention_ids"] = [i.external_id for i in kept]
        self.res.slots["request_summary"] = wording.group_recap(kept, codes, reason)
        self.res.slots["decision_code"] = ",".join(codes)

    # -- recording (after the yes) -------------------------------------------------------------
    @classmethod
    def previewed(cls, planning: Planning, who: Identity, turn: Turn) -> Decision:
        return planning.preview_cancellation(who, turn.slots.get("intervention_id"),
                                             turn.slots.get("cancellation_reason"), turn.now)

    @classmethod
    def record(cls, planning: Planning, who: Identity, turn: Turn, key: str,
               accept_out_of_notice: bool) -> Any:
        return planning.cancel(who, turn.slots.get("intervention_id"),
                               turn.slots.get("cancellation_reason"), turn.now, key)
