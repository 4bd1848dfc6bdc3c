"""Votes on the chat's answers (thumbs up / down): recording one, and counting them by
intent (``amper feedback report``).

A vote keeps the day, the intent of the question the answer was given to, up or down and
the channel: no text, no client number, no conversation id (docs/privacy.md).  The purge
(:func:`bot.service_layer.services.privacy.purge_store`) deletes the votes older than
``AMPER_RETENTION_FEEDBACK_DAYS``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, List, Optional

from bot.adapters.ports import FeedbackCount
from bot.domain.errors import InvalidInput
from bot.service_layer.services.common import _channel, _now

#: What an answer's intent is recorded as when it is missing or not an intent name.
UNKNOWN_INTENT = "inconnu"
MAX_INTENT_LENGTH = 100
_INTENT = re.compile(r"[a-z0-9_/.-]{1,%d}" % MAX_INTENT_LENGTH)
#: The votes the page sends, and how they are stored.
VOTES = {"up": 1, "down": -1}


def clean_intent(value: Any) -> str:
    """``value`` if it is an intent name (1 to 100 of a-z 0-9 _ / . -), else « inconnu »."""
    text = value.strip() if isinstance(value, str) else ""
    return text if _INTENT.fullmatch(text) else UNKNOWN_INTENT


def record_feedback(uow, *, intent: str, value: str, channel: str = "web",
                    now: Optional[datetime] = None) -> None:
    """Record one vote on an answer given to a question of ``intent`` (what the chat
    channel names it, bot.adapters.tracker_store.intent_label); ``value`` is ``"up"`` (useful) or ``"down"`` (not useful).
    Only the day of ``now`` (Europe/Paris) is kept."""
    vote = VOTES.get(value) if isinstance(value, str) else None
    if vote is None:
        raise InvalidInput("Vote inconnu : « up » (utile) ou « down » (pas utile) attendu.")
    channel_value = _channel(channel).value
    day = _now(now).date()
    with uow:
        uow.feedback.add(day, clean_intent(intent), vote, channel_value)
        uow.commit()


def feedback_report(uow, *, since: Optional[date] = None,
                    until: Optional[date] = None) -> List[FeedbackCount]:
    """The votes by intent, days ``since`` to ``until`` included: the most « not useful »
    first (then the fewest « useful », then by intent)."""
    if since is not None and until is not None and since > until:
        raise InvalidInput(f"Période vide : le {since:%d/%m/%Y} est après le "
                           f"{until:%d/%m/%Y}.")
    with uow:
        counts = uow.feedback.counts(since, until)
    return sorted(counts, key=lambda c: (-c.down, c.up, c.intent))
