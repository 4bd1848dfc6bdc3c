"""What the chat channel and the action server accept, without starting them."""
from __future__ import annotations

import pytest

from bot.entrypoints.action_server import call_problem
from bot.entrypoints.rasa_channel import (
    MAX_MESSAGE_CHARS, MAX_SENDER_CHARS, InputError, clean_text, parse_body)


def test_a_normal_message_passes_with_its_metadata():
    assert parse_body({"sender": "web-1", "message": " je peux payer en CESU ? ",
                       "metadata": {"auth": "x.y.z"}}) == (
        "web-1", "je peux payer en CESU ?", {"auth": "x.y.z"})


@pytest.mark.parametrize("body,code", [
    (None, "body_not_object"), ([1, 2], "body_not_object"), ("bonjour", "body_not_object"),
    ({"message": "bonjour"}, "bad_sender"), ({"sender": 5, "message": "x"}, "bad_sender"),
    ({"sender": "", "message": "x"}, "bad_sender"),
    ({"sender": "s" * (MAX_SENDER_CHARS + 1), "message": "x"}, "bad_sender"),
    ({"sender": "a\x00b", "message": "x"}, "bad_sender"),
    ({"sender": "a"}, "message_not_text"), ({"sender": "a", "message": 12}, "message_not_text"),
    ({"sender": "a", "message": ["x"]}, "message_not_text"),
    ({"sender": "a", "message": " \n\t\x00 "}, "message_empty"),
    ({"sender": "a", "message": "x" * (MAX_MESSAGE_CHARS + 1)}, "message_too_long"),
    ({"sender": "a", "message": "x", "metadata": "auth"}, "bad_metadata"),
    ({"sender": "a", "message": "x", "metadata": {"k": "v" * 20_000}}, "bad_metadata"),
])
def test_bad_bodies_are_refused_in_french(body, code):
    with pytest.raises(InputError) as refused:
        parse_body(body)
    assert refused.value.code == code
    assert any(word in refused.value.message for word in ("votre", "Votre", "invalide"))


def test_the_longest_allowed_message_passes():
    assert parse_body({"sender": "a", "message": "é" * MAX_MESSAGE_CHARS})[1] == "é" * MAX_MESSAGE_CHARS


def test_invisible_characters_are_removed_and_text_is_nfc():
    assert clean_text("\x1b[31m bonjour\u202e") == "[31m bonjour"
    assert clean_text("cafe\u0301") == "café"
    assert clean_text("ligne 1\nligne 2") == "ligne 1\nligne 2"


GOOD_CALL = {"next_action": "validate_cancellation_form", "domain": {},
             "tracker": {"sender_id": "x", "slots": {}, "latest_message": {}, "events": [{}]}}


def test_a_well_formed_action_call_passes():
    assert call_problem(GOOD_CALL) is None
    assert call_problem({"next_action": "a", "tracker": {"sender_id": "x"}}) is None


@pytest.mark.parametrize("call", [
    None, [1], {"tracker": {"sender_id": "x"}}, {"next_action": 5, "tracker": {"sender_id": "x"}},
    {"next_action": "a"}, {"next_action": "a", "tracker": "x"},
    {"next_action": "a", "tracker": {}},
    {"next_action": "a", "tracker": {"sender_id": "x", "slots": [1]}},
    {"next_action": "a", "tracker": {"sender_id": "x", "events": {}}},
    {"next_action": "a", "tracker": {"sender_id": "x", "events": [1]}},
    {"next_action": "a", "tracker": {"sender_id": "x", "latest_message": "oui"}},
    {"next_action": "a", "tracker": {"sender_id": "x"}, "domain": []},
])
def test_malformed_action_calls_are_named(call):
    assert call_problem(call)
