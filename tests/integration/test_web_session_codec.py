"""A session as JSON for the gateways' shared store, and the merge of two requests of the same
session written at the same time (bot/web/session_codec.py)."""
from __future__ import annotations

import copy

from bot.web.session_codec import merge, session_dict, session_of
from bot.web.sessions import SessionStore


def test_a_session_survives_json():
    session = SessionStore().new()
    session.client_number, session.login, session.sectors = "1001", "client1001", ["Nord"]
    session.chat.remember("m1", {"from": "user", "id": "m1", "text": "bonjour"},
                          [{"id": "m1-0", "text": "Bonjour !"}], "greet")
    session.caller("2001").remember("c1", {"from": "user", "id": "c1", "text": "x"}, [], None)
    session.callers_allowed.add("2001")
    again = session_of(session.id, session_dict(session), 0.0)
    assert session_dict(again) == session_dict(session)
    assert again.sender_id == session.sender_id and again.chat.replies["m1"][0]["text"] == "Bonjour !"
    assert again.caller("2001").sender == session.caller("2001").sender


def test_two_requests_at_once_keep_both_changes():
    session = SessionStore().new()
    base = copy.deepcopy(session_dict(session))
    one, two = (session_of(session.id, copy.deepcopy(base), 0.0) for _ in range(2))
    one.chat.remember("m1", {"from": "user", "id": "m1", "text": "un"},
                      [{"id": "m1-0", "text": "1"}], None)
    two.chat.remember("m2", {"from": "user", "id": "m2", "text": "deux"},
                      [{"id": "m2-0", "text": "2"}], None)
    two.callers_allowed.add("2001")
    stored = merge(base, session_dict(one), base)             # the first one written
    stored = merge(base, session_dict(two), stored)           # then the second
    texts = [e["text"] for e in stored["chat"]["history"]]
    assert texts == ["un", "1", "deux", "2"]
    assert [k for k, _ in stored["chat"]["replies"]] == ["m1", "m2"]
    assert stored["callers_allowed"] == ["2001"]
    # a thumb given on an answer replaces the entry, an unchanged scalar stays theirs
    three = session_of(session.id, copy.deepcopy(stored), 0.0)
    snapshot = copy.deepcopy(session_dict(three))
    three.chat.answer("m1-0")["feedback"] = "up"
    stored["client_number"] = "1001"  # e.g. written by another request meanwhile
    final = merge(snapshot, session_dict(three), stored)
    assert three.chat.answer("m1-0") in final["chat"]["history"]
    assert final["client_number"] == "1001"
