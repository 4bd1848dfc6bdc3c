"""The clarification action: both answers to a two-topic question, else the usual questions."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionClarify


def _tracker(parse, earlier=()):
    events = [{"event": "user", "parse_data": p} for p in (*earlier, parse)]
    return Tracker("s", {}, parse, events, False, None, {}, "action_listen")


def _run(parse, earlier=()):
    dispatcher = CollectingDispatcher()
    ActionClarify().run(dispatcher, _tracker(parse, earlier), {})
    return dispatcher.messages


def test_a_two_topic_question_gets_both_answers():
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.5},
             "faq_pair": ["faq/change_schedule", "faq/client_absent"]}
    messages = _run(parse)
    assert "deux sujets" in messages[0]["text"]
    assert [m.get("response") for m in messages[1:]] == ["utter_faq/change_schedule",
                                                         "utter_faq/client_absent"]


def test_without_a_pair_the_first_miss_offers_the_best_guesses():
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.3},
             "intent_ranking": [{"name": "faq", "confidence": 0.5}],
             "response_selector": {"faq": {"ranking": [
                 {"intent_response_key": "faq/invoices", "confidence": 0.6},
                 {"intent_response_key": "faq/payment_methods", "confidence": 0.4}]}}}
    [message] = _run(parse)
    assert message["text"] == "Vouliez-vous dire :"
    assert [b["payload"] for b in message["buttons"]] == ["faq:invoices", "faq:payment_methods", "/deny"]
