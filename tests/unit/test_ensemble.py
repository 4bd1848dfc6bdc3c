"""The NLU decision: mixing the linear classifier with DIET, and the FAQ answer threshold."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.faq_gate import FaqGate
from bot.nlu.linear_classifier import (
    DIET_RANKING, LINEAR_RANKING, EnsembleCombiner, combine, diet_distribution, rankings_from)

DIET_PARSE = {
    "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.9},
                       {"name": "faq", "confidence": 0.8}, {"name": "greet", "confidence": 0.2}],
    "response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/invoices", "confidence": 0.75},
        {"intent_response_key": "faq/payment_methods", "confidence": 0.25}]}},
}


def test_diet_distribution_spreads_the_faq_intent_over_its_answers():
    assert diet_distribution(DIET_PARSE, "faq") == pytest.approx(
        {"faq/invoices": 0.6, "faq/payment_methods": 0.2, "greet": 0.2})


def test_combine_is_a_weighted_mean_over_the_union_of_labels():
    mixed = combine({"faq/invoices": 0.5, "thanks": 0.5}, {"faq/invoices": 1.0}, 0.7)
    assert mixed == pytest.approx({"faq/invoices": 0.65, "thanks": 0.35})
    assert combine({"a": 1.0}, {"b": 1.0}, 1.0) == {"a": 1.0, "b": 0.0}


def test_rankings_give_faq_the_sum_of_its_topics_and_topics_their_share():
    ranking, answers = rankings_from({"faq/a": 0.3, "faq/b": 0.3, "greet": 0.4})
    assert ranking[0] == {"name": "faq", "confidence": pytest.approx(0.6)}
    assert ranking[1] == {"name": "greet", "confidence": pytest.approx(0.4)}
    assert [a["confidence"] for a in answers] == pytest.approx([0.5, 0.5])
    assert rankings_from({"greet": 1.0}) == ([{"name": "greet", "confidence": 1.0}], [])


def _message(linear, intent="faq", **data):
    msg = Message(data={"text": "x", "intent": {"name": intent, "confidence": 1.0}, **data})
    msg.set(LINEAR_RANKING, [{"label": k, "confidence": v} for k, v in linear.items()])
    return msg


def test_the_combiner_can_overrule_a_confident_diet():
    msg = _message({"faq/payment_methods": 0.9, "faq/direct_hiring": 0.1},
                   intent_ranking=[{"name": "faq", "confidence": 1.0}],
                   response_selector={"faq": {
                       "response": {"intent_response_key": "faq/direct_hiring", "confidence": 1.0,
                                    "responses": [{"text": "stale"}]},
                       "ranking": [{"intent_response_key": "faq/direct_hiring", "confidence": 1.0}]}})
    EnsembleCombiner({"linear_weight": 0.7, "retrieval_intent": "faq"}).process([msg])
    response = msg.get("response_selector")["faq"]["response"]
    assert response["intent_response_key"] == "faq/payment_methods"
    assert response["utter_action"] == "utter_faq/payment_methods"
    assert response["responses"] == []  # no stale text of the other topic
    assert response["confidence"] == pytest.approx(0.63)
    assert msg.get("intent")["name"] == "faq"
    assert msg.get(DIET_RANKING)[0] == {"label": "faq/direct_hiring", "confidence": 1.0}


def test_the_combiner_keeps_short_rankings_in_the_parse():
    labels = {f"faq/t{i}": (i + 1) / 100 for i in range(8)}
    labels.update({f"intent{i}": (i + 1) / 1000 for i in range(8)})
    labels = dict(sorted(labels.items(), key=lambda kv: kv[1], reverse=True))  # as the classifier
    msg = _message(labels, intent_ranking=[{"name": "faq", "confidence": 1.0}],
                   response_selector={"faq": {"response": {"intent_response_key": "faq/t0",
                                                           "confidence": 1.0},
                                              "ranking": [{"intent_response_key": "faq/t0",
                                                           "confidence": 1.0}]}})
    EnsembleCombiner({"linear_weight": 0.5, "retrieval_intent": "faq",
                      "ranking_length": 3}).process([msg])
    assert [r["label"] for r in msg.get(LINEAR_RANKING)] == ["faq/t7", "faq/t6", "faq/t5"]
    assert len(msg.get(DIET_RANKING)) == 1
    assert [r["name"] for r in msg.get("intent_ranking")] == ["faq", "intent7", "intent6"]
    topics = msg.get("response_selector")["faq"]["ranking"]
    assert [t["intent_response_key"] for t in topics] == ["faq/t0", "faq/t7", "faq/t6"]  # DIET is sure of t0


def test_the_combiner_leaves_messages_without_a_linear_ranking_alone():
    msg = Message(data={"text": "/inform", "intent": {"name": "inform", "confidence": 1.0}})
    EnsembleCombiner({"linear_weight": 0.7, "retrieval_intent": "faq"}).process([msg])
    assert msg.get("intent") == {"name": "inform", "confidence": 1.0}


@pytest.mark.parametrize("intent_conf,answer_conf,falls_back", [
    (1.0, 0.39, True), (0.5, 0.9, False), (0.5, 0.7, True), (1.0, 0.4, False)])
def test_faq_gate_thresholds_the_probability_of_the_answer_itself(intent_conf, answer_conf, falls_back):
    msg = Message(data={"text": "q", "intent": {"name": "faq", "confidence": intent_conf},
                        "intent_ranking": [{"name": "faq", "confidence": intent_conf}],
                        "response_selector": {"faq": {"response": {
                            "intent_response_key": "faq/invoices", "confidence": answer_conf}}}})
    FaqGate({"threshold": 0.4, "retrieval_intent": "faq"}).process([msg])
    assert (msg.get("intent")["name"] == "nlu_fallback") is falls_back


def test_faq_gate_resolves_a_button_payload_without_the_classifiers():
    msg = Message(data={"text": "faq:invoices", "intent": {"name": "greet", "confidence": 1.0}})
    FaqGate({"threshold": 0.4, "retrieval_intent": "faq"}).process([msg])
    assert msg.get("intent")["name"] == "faq"
    assert msg.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/invoices"
