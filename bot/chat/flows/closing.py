"""The end of a request: record it (only after an explicit yes, and only if the decision
said before the yes still applies; several interventions all or none), or say that nothing
was recorded and why."""
from __future__ import annotations

import hashlib
from typing import Any, Callable, List, Optional, Tuple, Type

from bot.chat import wording
from bot.chat.identity import Identity
from bot.chat.planning import Planning
from bot.domain.errors import (
    AlreadyRequested, InterventionNotFound, OutOfNoticeNotConfirmed, RuleRefused,
    ServiceError, StoreUnavailable,
)
from bot.chat.flows.ownership import taken_over
from bot.chat.flows.steps import FormStep
from bot.chat.flows.turn import CANCELLATION, NO, YES, Result, Turn, closed

#: What a request previews before recording: the decision's code (compared with the one
#: said before the yes), what to say if it changed, whether it is out of notice.
Preview = Tuple[str, str, bool]


#: Prefix of the idempotency keys of the chat's confirmations.
KEY_PREFIX = "chat:sha256:"


def idempotency_key(turn: Turn) -> str:
    """The key of one confirmation: the same message replayed (a network retry) gives the
    same key, so no second request; two conversations never share one.

    A hash of the sender id and the message id (or the time, without an id): a long sender
    id cannot be cut into another one's (the store keeps 200 characters, a group of
    cancellations adds ``:<intervention id>`` to at most 135), and a sender id holding the
    separator cannot pass for another sender and message."""
    message = turn.message_id or turn.now.isoformat()
    digest = hashlib.sha256(f"{len(turn.sender)}:{turn.sender}:{message}".encode("utf-8"))
    return KEY_PREFIX + digest.hexdigest()


def finish(form: Type[FormStep], turn: Turn, planning: Planning) -> Result:
    """Close ``form``'s request once the confirmation is answered, only for the form's
    owner (:mod:`.ownership`): anyone else records nothing and hears nothing of it."""
    taken = taken_over(form.kind, turn)
    if taken is not None:
        return taken
    res = closed(Result())
    answer = turn.slots.get(form.confirm_slot)
    if answer == NO:
        res.say(wording.not_confirmed())
        return res
    if answer != YES:
        return res  # the form stopped early and has said why
    who = turn.identity  # verified: an owned form has one
    key = idempotency_key(turn)
    group = list(turn.slots.get("intervention_ids") or [])
    if form.several_at_once and len(group) > 1:
        return _finish_group(res, turn, planning, who, group, key)
    if not form.recordable(turn):
        return res

    def preview() -> Preview:
        decision = form.previewed(planning, who, turn)
        return decision.code, decision.message, decision.out_of_notice

    result = _record_if_unchanged(
        res, turn, preview, lambda accept: form.record(planning, who, turn, key, accept))
    if result is None:
        return res
    res.say(wording.recorded(result.reference, form.kind, replayed=not result.created))
    request = result.request
    res.say(wording.next_steps(form.kind, request.exemption_pending, request.out_of_notice))
    return res


def _finish_group(res: Result, turn: Turn, planning: Planning, who: Identity,
                  ids: List[str], key: str) -> Result:
    """Record the cancellation of several interventions: all of them or none."""
    reason = turn.slots.get("cancellation_reason")

    def preview() -> Preview:
        codes = [planning.preview_cancellation(who, i, reason, turn.now).code for i in ids]
        return ",".join(codes), wording.group_changed(), True

    results = _record_if_unchanged(
        res, turn, preview, lambda _accept: planning.cancel_all(who, ids, reason, turn.now, key),
        several=True)
    if results is None:
        return res
    res.say(wording.recorded_group([r.reference for r in results],
                                   replayed=not any(r.created for r in results)))
    res.say(wording.next_steps(CANCELLATION,
                               any(r.request.exemption_pending for r in results), True))
    return res


def _record_if_unchanged(res: Result, turn: Turn, preview: Callable[[], Preview],
                         record: Callable[[bool], Any], several: bool = False) -> Optional[Any]:
    """``record(out_of_notice)`` if the consequences said before the yes (``decision_code``)
    still apply; else, or on a service error, say that nothing was recorded and why, and
    return None.  ``several``: one request of a group already made meanwhile stops them all,
    which the client is told (not only about that one)."""
    def attempt():
        try:
            code, changed, out_of_notice = preview()
        except AlreadyRequested:
            return record(False)  # a replay returns the first result; else raises again
        if code != turn.slots.get("decision_code"):
            res.say(wording.situation_changed(changed))
            return None
        return record(out_of_notice)

    try:
        return attempt()
    except StoreUnavailable:
        res.say(wording.store_down_recording())
    except AlreadyRequested as err:
        res.say(wording.situation_changed(err.message) if several else err.message)
    except (RuleRefused, InterventionNotFound, OutOfNoticeNotConfirmed) as err:
        res.say(wording.situation_changed(err.message))
    except ServiceError:
        res.say(wording.store_down_recording())
    return None


def abandon(kind: Optional[str]) -> Result:
    res = closed(Result())
    res.say(wording.abandoned())
    return res
