""""Où en est ma demande ?": the client's latest requests and where they stand (reads
only: nothing is recorded, no slot changes)."""
from __future__ import annotations

import re
from typing import Optional

from bot.chat import wording
from bot.chat.planning import Planning
from bot.domain.errors import RequestNotFound, StoreUnavailable
from bot.domain.model import RequestStatus
from bot.chat.flows.turn import Result, Turn

#: A reference as the client may type it: "AMP-2026-000012", "amp 2026 12".
_REFERENCE = re.compile(r"\bAMP[\s-]?(\d{4})[\s-]?(\d{1,6})\b", re.IGNORECASE)


def mentioned_reference(text: str) -> Optional[str]:
    match = _REFERENCE.search(text or "")
    if match is None:
        return None
    return f"AMP-{match.group(1)}-{int(match.group(2)):06d}"


def request_status(turn: Turn, planning: Planning) -> Result:
    """Where the client's requests stand (only the one whose reference the message gives,
    if any)."""
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
