"""What the conversation store writes: no token, no free reason, no health text (issue 19).

``redact_events`` on event dicts as Rasa serialises them (``Event.as_dict()``)."""
from __future__ import annotations

import json

import pytest

from bot.adapters.tracker_store import (
    MASKED_HEALTH, MASKED_REASON, redact_events, reason_placeholder, scrub_tokens,
)
from bot.chat.understanding import parse_reason
from bot.domain.health_words import HEALTH, mentions_health

JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJDLTEyMyIsInJvbGUiOiJjbGllbnQifQ"
       ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")


def user(text, entities=(), metadata=None, intent="inform"):
    metadata = {"auth": JWT, "lang": "fr"} if metadata is None else metadata
    return {"event": "user", "timestamp": 1.0, "metadata": metadata, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9},
                           "entities": [dict(e) for e in entities], "text": text,
                           "message_id": "m1", "metadata": dict(metadata)},
            "input_channel": "rest", "message_id": "m1"}


def slot(name, value):
    return {"event": "slot", "timestamp": 1.0, "name": name, "value": value}


def action(name, metadata=None):
    return {"event": "action", "timestamp": 1.0, "name": name, "metadata": metadata or {},
            "policy": None, "confidence": None, "action_text": None, "hide_rule_turn": False}


def dumped(events):
    return json.dumps(events, ensure_ascii=False)


# --- tokens ----------------------------------------------------------------------------

def test_the_token_is_dropped_from_every_metadata_and_other_metadata_is_kept():
    events = [
        {"event": "session_started", "timestamp": 1.0, "metadata": {"Auth": JWT, "page": "/x"}},
        action("action_session_start", {"Authorization": "Bearer x", "page": "/x"}),
        slot("session_started_metadata", {"auth": JWT, "JWT": JWT, "page": "/x"}),
        user("bonjour"),
    ]
    out = redact_events(events)
    assert JWT not in dumped(out) and "Bearer" not in dumped(out)
    assert out[0]["metadata"] == {"page": "/x"}
    assert out[1]["metadata"] == {"page": "/x"}
    assert out[2]["value"] == {"page": "/x"}
    assert out[3]["metadata"] == {"lang": "fr"} and out[3]["parse_data"]["metadata"] == {"lang": "fr"}
    assert out[3]["text"] == "bonjour"  # nothing else changes


@pytest.mark.parametrize("key", ["auth", "AUTH", "token", "access_token", "jwt", "Authorization",
                                 "id_token", "x-auth"])
def test_token_like_keys_at_any_depth(key):
    assert scrub_tokens({"a": {"b": [{key: "s3cr3t", "keep": 1}]}}) == {"a": {"b": [{"keep": 1}]}}


def test_a_jwt_pasted_in_a_message_is_masked():
    [out] = redact_events([user(f"mon jeton {JWT} ne marche pas", metadata={})])
    assert JWT not in dumped(out) and out["text"].startswith("mon jeton [jeton masqué]")


def test_the_input_is_not_modified():
    events = [user("je suis hospitalisée"), slot("cancellation_reason", "hospitalisation")]
    before = dumped(events)
    redact_events(events)
    assert dumped(events) == before


# --- the reason ------------------------------------------------------------------------

def test_the_answer_to_the_reason_question_keeps_only_the_validated_category():
    events = [
        slot("requested_slot", "cancellation_reason"),
        user("je suis hospitalisée pour mon cancer", entities=[
            {"entity": "cancellation_reason", "value": "je suis hospitalisée pour mon cancer",
             "start": 0, "end": 36}]),
        slot("cancellation_reason", "je suis hospitalisée pour mon cancer"),  # from_text
        action("validate_cancellation_form"),
        slot("cancellation_reason", "hospitalisation"),
    ]
    out = redact_events(events)
    text = dumped(out)
    assert "cancer" not in text and "hospitalisée" not in text
    assert out[1]["text"] == out[1]["parse_data"]["text"] == "[motif : hospitalisation]"
    assert out[1]["parse_data"]["entities"][0]["value"] == "[motif : hospitalisation]"
    assert out[2]["value"] == MASKED_REASON
    assert out[4]["value"] == "hospitalisation"


def test_a_reason_answer_without_health_words_is_masked_too():
    events = [slot("requested_slot", "cancellation_reason"), user("ma fille vient me chercher"),
              slot("cancellation_reason", "ma fille vient me chercher"),
              slot("cancellation_reason", "personnel")]
    out = redact_events(events)
    assert out[1]["text"] == "[motif : personnel]" and "fille" not in dumped(out)


def test_an_unclear_reason_answer_is_masked_without_category():
    events = [slot("requested_slot", "cancellation_reason"), user("bof c'est compliqué"),
              slot("cancellation_reason", "bof c'est compliqué"), slot("cancellation_reason", None)]
    out = redact_events(events)
    assert out[1]["text"] == MASKED_REASON and "compliqué" not in dumped(out)
    assert out[3]["value"] is None


def test_a_first_message_that_gives_the_reason_is_masked_by_the_following_slot():
    events = [user("annulez demain, je pars en voyage", intent="request_cancellation"),
              action("cancellation_form"), slot("cancellation_reason", "personnel")]
    assert redact_events(events)[0]["text"] == reason_placeholder("personnel") == "[motif : personnel]"


def test_a_button_entity_gives_the_category():
    events = [user('/inform{"cancellation_reason":"maladie"}',
                   entities=[{"entity": "cancellation_reason", "value": "maladie"}])]
    assert redact_events(events)[0]["text"] == "[motif : maladie]"


def test_a_later_message_that_only_repeats_the_slot_is_not_taken_for_the_reason():
    events = [slot("cancellation_reason", "personnel"), slot("requested_slot", "cancellation_confirmed"),
              user("oui"), slot("cancellation_reason", "personnel"), slot("requested_slot", None)]
    assert redact_events(events)[2]["text"] == "oui"


@pytest.mark.parametrize("value", ["hospitalisation", "maladie", "personnel", "autre", None])
def test_categories_are_kept(value):
    assert redact_events([slot("cancellation_reason", value)])[0]["value"] == value


def test_free_text_in_the_reason_slot_is_never_stored():
    assert redact_events([slot("cancellation_reason", "chimio lundi")])[0]["value"] == MASKED_REASON


# --- health ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "je suis hospitalisée", "Ma mère est à l'HÔPITAL", "je suis malade", "chimio jeudi",
    "j'ai un cancer", "je me fais opérer mardi", "on m'a opéré", "aux urgences cette nuit",
])
def test_any_message_that_mentions_health_is_masked_whatever_the_slot(text):
    events = [slot("requested_slot", "intervention_id"), user(text),
              slot("intervention_id", text)]
    out = redact_events(events)
    assert out[1]["text"] == out[1]["parse_data"]["text"] == MASKED_HEALTH
    assert out[2]["value"] == MASKED_HEALTH
    assert text not in dumped(out)


@pytest.mark.parametrize("text", ["bonjour", "annulez mardi 10 h", "quels sont vos tarifs ?",
                                  "je pars en vacances"])
def test_other_messages_are_kept(text):
    assert redact_events([user(text)])[0]["text"] == text


def test_the_health_words_are_the_ones_the_reason_is_read_with():
    for text in ("hospitalisé", "clinique", "grippe", "covid", "opéré"):
        assert parse_reason(text) in ("hospitalisation", "maladie") and mentions_health(text)
    from bot.chat import understanding
    from bot.domain import health_words

    # one list, imported by the reader of reasons, not copied
    patterns = dict(understanding._REASON_PATTERNS)
    assert patterns["hospitalisation"] is health_words.HOSPITALISATION
    assert patterns["maladie"] is health_words.ILLNESS
    assert HEALTH.pattern.count("hospitali") == 1


def test_only_new_events_are_returned_with_the_earlier_ones_as_context():
    events = [slot("requested_slot", "cancellation_reason"), user("je suis souffrante"),
              slot("cancellation_reason", "maladie")]
    out = redact_events(events, start=1)
    assert len(out) == 2 and out[0]["text"] == "[motif : maladie]"


def test_slots_our_actions_fill_are_kept_even_when_they_name_the_category():
    """The recap is said again on the next turn, read back from the store."""
    recap = "Annulation du mardi 10 h, motif hospitalisation : gratuite sur justificatif médical."
    events = [slot("requested_slot", "intervention_id"), user("mardi, je suis à l'hôpital"),
              slot("intervention_id", "I-1"), slot("cancellation_reason", "hospitalisation"),
              slot("request_summary", recap), slot("decision_code", "cancellation_exemption")]
    out = redact_events(events)
    assert out[1]["text"] == "[motif : hospitalisation]"
    assert [e["value"] for e in out[2:]] == ["I-1", "hospitalisation", recap,
                                             "cancellation_exemption"]


def test_a_validated_id_inside_a_masked_text_is_kept():
    events = [user("I-1 car je suis malade"), slot("intervention_id", "I-1"),
              slot("new_date", "je suis malade")]
    out = redact_events(events)
    assert out[0]["text"] == MASKED_HEALTH
    assert out[1]["value"] == "I-1" and out[2]["value"] == MASKED_HEALTH


def test_entity_added_events_are_masked():
    events = [{"event": "entities", "timestamp": 1.0,
               "entities": [{"entity": "x", "value": "mon cancer"}]}]
    assert "cancer" not in dumped(redact_events(events))


def test_a_copy_saved_after_its_message_is_still_masked():
    """Rasa may store the message first (HTTP API) and the slots it filled later."""
    events = [slot("requested_slot", "intervention_id"), user("opérée jeudi, annulez"),
              slot("intervention_id", "opérée jeudi, annulez"), slot("intervention_id", None)]
    out = redact_events(events, start=2)
    assert out[0]["value"] == MASKED_HEALTH and out[1]["value"] is None
