"""A session as JSON (the shared store of several gateways, docs/deploy.md), and the merge
of what one request changed into what another gateway wrote meanwhile.

What is kept: the identity (client, staff, sectors, office), the CSRF token, the visitor's
conversation and the staff member's callers' conversations (history, the replies by message
id that make a retry safe, the intents for the thumbs).  Never kept: the forwarding in
progress (per process, :mod:`bot.web.chat_api`), the last use (the key's TTL is the idle
timeout).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Optional

from bot.web.sessions import CALLERS_MAX, HISTORY_MAX, REPLIES_MAX, Conversation, Session

SCALARS = ("csrf", "client_number", "login", "staff", "sectors", "office")


def conversation_dict(conversation: Conversation) -> Dict[str, Any]:
    return {"sender": conversation.sender, "history": conversation.history,
            "replies": [[k, v] for k, v in conversation.replies.items()],
            "intents": [[k, v] for k, v in conversation.intents.items()]}


def conversation_of(data: Dict[str, Any]) -> Conversation:
    return Conversation(sender=data["sender"], history=list(data.get("history") or []),
                        replies=OrderedDict((k, v) for k, v in data.get("replies") or []),
                        intents=OrderedDict((k, v) for k, v in data.get("intents") or []))


def session_dict(session: Session) -> Dict[str, Any]:
    data: Dict[str, Any] = {name: getattr(session, name) for name in SCALARS}
    data["chat"] = conversation_dict(session.chat)
    data["callers"] = [[number, conversation_dict(c)] for number, c in session.callers.items()]
    data["callers_allowed"] = sorted(session.callers_allowed)
    return data


def session_of(session_id: str, data: Dict[str, Any], now: float) -> Session:
    session = Session(id=session_id, last_seen=now, csrf=data["csrf"],
                      chat=conversation_of(data["chat"]),
                      callers=OrderedDict((n, conversation_of(c))
                                          for n, c in data.get("callers") or []),
                      callers_allowed=set(data.get("callers_allowed") or []))
    for name in SCALARS[1:]:
        setattr(session, name, data.get(name, getattr(session, name)))
    session.sectors = list(session.sectors or [])
    return session


# --- the merge: base (as loaded), ours (after the request), theirs (stored now) -------------

def merge(base: Dict[str, Any], ours: Dict[str, Any], theirs: Dict[str, Any]) -> Dict[str, Any]:
    """``theirs`` with what this request changed since ``base``: another request of the same
    session (another tab, another gateway) may have written meanwhile, and its changes stay."""
    merged = dict(theirs)
    for name in SCALARS:
        if ours.get(name) != base.get(name):
            merged[name] = ours.get(name)
    merged["chat"] = merge_conversation(base.get("chat"), ours["chat"], theirs.get("chat"))
    theirs_callers = OrderedDict((n, c) for n, c in theirs.get("callers") or [])
    base_callers = dict((n, c) for n, c in base.get("callers") or [])
    for number, conversation in ours.get("callers") or []:
        before = base_callers.get(number)
        if conversation != before:
            theirs_callers[number] = merge_conversation(before, conversation,
                                                        theirs_callers.get(number))
            theirs_callers.move_to_end(number)
    while len(theirs_callers) > CALLERS_MAX:
        theirs_callers.popitem(last=False)
    merged["callers"] = [[n, c] for n, c in theirs_callers.items()]
    merged["callers_allowed"] = sorted(set(theirs.get("callers_allowed") or [])
                                       | set(ours.get("callers_allowed") or []))
    return merged


def merge_conversation(base: Optional[Dict[str, Any]], ours: Dict[str, Any],
                       theirs: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    if theirs is None or base is None or theirs.get("sender") != ours.get("sender"):
        return ours
    if ours == base:
        return theirs
    before = {e.get("id"): e for e in base.get("history") or []}
    history: List[Dict[str, Any]] = [dict(e) for e in theirs.get("history") or []]
    position = {e.get("id"): i for i, e in enumerate(history)}
    for entry in ours.get("history") or []:
        key = entry.get("id")
        if key in before and before[key] == entry:
            continue  # not changed by this request
        if key in position:
            history[position[key]] = entry  # e.g. a thumb given on an answer
        else:
            position[key] = len(history)
            history.append(entry)
    return {"sender": ours["sender"], "history": history[-HISTORY_MAX:],
            "replies": _union(theirs.get("replies"), ours.get("replies"), REPLIES_MAX),
            "intents": _union(theirs.get("intents"), ours.get("intents"), HISTORY_MAX)}


def _union(theirs: Any, ours: Any, size: int) -> List[List[Any]]:
    found = OrderedDict((k, v) for k, v in theirs or [])
    for key, value in ours or []:
        found.setdefault(key, value)
    return [[k, v] for k, v in found.items()][-size:]
