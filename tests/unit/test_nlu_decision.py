"""The NLU decision: label distribution -> intent and FAQ answer -> thresholds (FaqGate)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import crossval
from bot.nlu.evaluation import Example
from bot.nlu.faq_gate import FaqGate
from bot.nlu.linear_classifier import LABEL_RANKING, LinearIntentClassifier, rankings_from
from bot.nlu.linear_model import LinearModel, LinearSettings


def test_rankings_give_faq_the_sum_of_its_topics_and_topics_their_share():
    ranking, answers = rankings_from({"faq/a": 0.3, "faq/b": 0.3, "greet": 0.4})
    assert ranking[0] == {"name": "faq", "confidence": pytest.approx(0.6)}
    assert ranking[1] == {"name": "greet", "confidence": pytest.approx(0.4)}
    assert [a["confidence"] for a in answers] == pytest.approx([0.5, 0.5])
    assert rankings_from({"greet": 1.0}) == ([{"name": "greet", "confidence": 1.0}], [])


def test_the_component_writes_short_rankings_and_the_response_selector():
    labels = {f"faq/t{i}": (i + 1) / 100 for i in range(8)}
    labels.update({f"intent{i}": (i + 1) / 1000 for i in range(8)})
    component = LinearIntentClassifier({"ranking_length": 3}, None, None)
    msg = Message(data={"text": "x"})
    component.apply(msg, labels)
    assert [r["label"] for r in msg.get(LABEL_RANKING)] == ["faq/t7", "faq/t6", "faq/t5"]
    assert [r["name"] for r in msg.get("intent_ranking")] == ["faq", "intent7", "intent6"]
    assert msg.get("intent")["name"] == "faq"
    selector = msg.get("response_selector")["faq"]
    assert selector["response"]["intent_response_key"] == "faq/t7"
    assert selector["response"]["utter_action"] == "utter_faq/t7"
    assert len(selector["ranking"]) == 3


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


def test_crossval_applies_the_pipeline_thresholds():
    example = Example("q", "faq/a")
    dist = {"faq/a": 0.55, "faq/b": 0.05, "out_of_scope": 0.4}
    lenient = crossval.Thresholds(intent=0.2, ambiguity=0.0, answer=0.5)
    strict = crossval.Thresholds(intent=0.2, ambiguity=0.0, answer=0.6)
    assert crossval.predictions([example], [dist], lenient)[0].outcome == "faq/a"
    assert crossval.predictions([example], [dist], strict)[0].outcome == "nlu_fallback"
    ambiguous = crossval.Thresholds(intent=0.2, ambiguity=0.3, answer=0.5)
    assert crossval.predictions([example], [dist], ambiguous)[0].outcome == "nlu_fallback"


def test_the_rule_prefers_no_wrong_answer_over_more_right_ones():
    examples = [Example("a", "faq/a"), Example("b", "faq/b"), Example("z", "out_of_scope")]
    dists = [{"faq/a": 0.9, "out_of_scope": 0.1},
             {"faq/a": 0.45, "faq/b": 0.3, "out_of_scope": 0.25},   # wrong if answered at 0.4
             {"out_of_scope": 0.8, "faq/a": 0.2}]
    grid = [crossval.Thresholds(0.1, 0.0, 0.4), crossval.Thresholds(0.1, 0.0, 0.5)]
    chosen, scores = crossval.choose(examples, dists, grid)
    assert chosen.answer == 0.5 and scores.wrong_faq_answer_rate == 0.0
    assert scores.faq_accuracy == pytest.approx(0.5) and crossval.acceptable(scores)


def test_the_linear_model_learns_labels_from_ngrams_alone():
    texts = ["payer par chèque", "régler en espèces", "paiement par virement",
             "où sont mes factures", "télécharger la facture", "facture du mois dernier",
             "bonjour", "salut", "bonsoir à vous"]
    labels = ["faq/payment_methods"] * 3 + ["faq/invoices"] * 3 + ["greet"] * 3
    model = LinearModel(LinearSettings(C=20)).fit(texts, labels)
    dist = model.distributions(["je peux payer par cheque ?", "ma facture svp"])
    assert max(dist[0], key=dist[0].get) == "faq/payment_methods"   # no accent: normalised
    assert max(dist[1], key=dist[1].get) == "faq/invoices"
    assert sum(dist[0].values()) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        LinearModel(LinearSettings(char_ngram=(0, 0), word_ngram=(0, 0))).fit(texts, labels)


def _gate_message(whole, per_clause):
    from bot.nlu.linear_classifier import CLAUSE_DISTRIBUTIONS, DISTRIBUTION

    component = LinearIntentClassifier({}, None, None)
    msg = Message(data={"text": "q"})
    component.apply(msg, whole)
    msg.set(DISTRIBUTION, whole)
    msg.set(CLAUSE_DISTRIBUTIONS, per_clause)
    return msg


WHOLE = {"faq/change_schedule": 0.7, "faq/client_absent": 0.25, "greet": 0.05}
SCHEDULE = {"faq/change_schedule": 0.9, "faq/client_absent": 0.05, "greet": 0.05}
ABSENT = {"faq/change_schedule": 0.1, "faq/client_absent": 0.85, "greet": 0.05}
UNSURE = {"faq/change_schedule": 0.3, "faq/client_absent": 0.5, "greet": 0.2}


@pytest.mark.parametrize("per_clause,pair", [
    ([SCHEDULE, ABSENT], ["faq/change_schedule", "faq/client_absent"]),  # each clause sure
    ([SCHEDULE, UNSURE], None),        # the second clause is not sure of its topic
    ([SCHEDULE, SCHEDULE], None),      # one topic twice
    ([], None),                        # a single clause
])
def test_faq_gate_gives_both_answers_to_a_two_topic_question(per_clause, pair):
    msg = _gate_message(WHOLE, per_clause)
    FaqGate({"threshold": 0.6}).process([msg])
    assert msg.get("faq_pair") == pair
    # a sure single answer (0.7) stays an answer unless the question has two topics
    assert msg.get("intent")["name"] == ("nlu_fallback" if pair else "faq")


def test_two_topics_need_the_whole_message_to_be_an_faq_question_and_can_be_off():
    not_faq = {"request_cancellation": 0.6, "faq/change_schedule": 0.2, "faq/client_absent": 0.2}
    msg = _gate_message(not_faq, [SCHEDULE, ABSENT])
    FaqGate({"threshold": 0.6}).process([msg])
    assert msg.get("faq_pair") is None
    off = _gate_message(WHOLE, [SCHEDULE, ABSENT])
    FaqGate({"threshold": 0.6, "two_topics": False}).process([off])
    assert off.get("faq_pair") is None and off.get("intent")["name"] == "faq"


def test_clauses_are_cut_at_question_marks_commas_and_conjunctions():
    from bot.nlu.two_topics import clauses

    assert clauses("Toujours la même auxiliaire ? Et si elle tombe malade ?") == \
        ["Toujours la même auxiliaire", "si elle tombe malade"]
    assert clauses("je change mes horaires ou j'annule, quels délais") == \
        ["je change mes horaires", "quels délais"]                 # "j'annule" alone says too little
    assert clauses("vous prenez les chèques ?") == []             # one question
    assert clauses('/inform{"a": "b", "c": "d"}') == []           # a button payload
    assert clauses("a, b, c") == []                                 # one-word pieces


def test_the_evaluation_scores_a_double_answer_as_covering_not_as_right():
    from bot.nlu.evaluation import Mixed, Prediction, score, score_mixed

    pair = "faq/change_schedule+faq/client_absent"
    preds = [Prediction(Example("a", "faq/client_absent"), pair, 1.0, None),
             Prediction(Example("b", "faq/invoices"), pair, 1.0, None)]
    s = score(preds)
    assert s.faq_accuracy == 0.0 and s.faq_covered == 0.5 and s.wrong_faq_answer_rate == 0.5
    mixed = [Mixed("x", ("faq/change_schedule", "faq/client_absent"))] * 4
    m = score_mixed(mixed, [pair, "faq/client_absent", "nlu_fallback", "faq/invoices"])
    assert (m.both, m.one, m.clarified, m.wrong) == (0.25, 0.25, 0.25, 0.25)


def test_clauses_are_classified_only_for_an_faq_question():
    """A request with a comma costs no extra encoding: its clauses are never classified."""
    texts = ["vous prenez les chèques", "payer par virement", "où est ma facture",
             "facture du mois", "annulez demain", "je veux annuler mon passage"]
    labels = ["faq/payment_methods", "faq/payment_methods", "faq/invoices", "faq/invoices",
              "request_cancellation", "request_cancellation"]
    model = LinearModel(LinearSettings(C=20)).fit(texts, labels)
    seen = []
    original = model.distributions
    model.distributions = lambda batch: seen.append(list(batch)) or original(batch)
    component = LinearIntentClassifier({}, None, None, model=model)
    component.process([Message(data={"text": "je suis malade, annulez demain"}),
                       Message(data={"text": "vous prenez les chèques, où est ma facture ?"})])
    assert seen[0] == ["je suis malade, annulez demain",
                       "vous prenez les chèques, où est ma facture ?"]
    assert seen[1:] == [["vous prenez les chèques", "où est ma facture"]]  # the FAQ one only
