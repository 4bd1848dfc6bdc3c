"""Understanding on phrasings the model never saw (tests/nlu/heldout.yml).

Thresholds, and why:
- a wrong FAQ answer states a wrong fact with assurance: at most 1 % of all
  messages, and never for an out-of-scope message;
- an FAQ question sent to clarification costs the client one click: we accept
  a little of that, so the FAQ answer accuracy bar is 93 % (the held-out set has
  ~15 phrasings per topic: one miss per topic is tolerated, two are not);
- top-level intent accuracy (faq vs. requests vs. small talk vs. out of scope): 90 %.
`make eval` prints the current figures; the README records them.
"""
from __future__ import annotations

import pytest

from bot.nlu.evaluation import load_examples, score
from bot.settings import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"


@pytest.fixture(scope="module")
def heldout_predictions(model_runner):
    return model_runner.predict(load_examples(HELDOUT))


@pytest.fixture(scope="module")
def scores(heldout_predictions):
    return score(heldout_predictions)


def _errors(scores, predicate=lambda p: True):
    return "\n".join(
        f"  {p.example.label:28} -> {p.outcome:28} {p.example.text}"
        for p in scores.errors if predicate(p)
    )


def test_faq_answers_are_right(scores):
    assert scores.faq_total >= 100
    assert scores.faq_accuracy >= 0.93, _errors(scores, lambda p: p.example.is_faq)


def test_wrong_faq_answers_are_rare(scores):
    assert scores.wrong_faq_answer_rate <= 0.01, _errors(scores, lambda p: p.wrong_faq_answer)


def test_intent_accuracy(scores):
    assert scores.intent_accuracy >= 0.90, _errors(scores)


def test_out_of_scope_never_gets_an_faq_answer(heldout_predictions):
    oos = [p for p in heldout_predictions if p.example.label == "out_of_scope"]
    assert len(oos) >= 30
    answered = [p for p in oos if p.faq_answer]
    assert not answered, "\n".join(f"{p.example.text} -> {p.outcome}" for p in answered)


def test_every_faq_topic_is_recognised_on_new_phrasings(heldout_predictions):
    from bot.topics import FAQ_TOPICS

    for topic in FAQ_TOPICS:
        label = f"faq/{topic}"
        mine = [p for p in heldout_predictions if p.example.label == label]
        assert len(mine) >= 12, label
        right = sum(p.correct for p in mine)
        assert right / len(mine) >= 0.85, f"{label}: {right}/{len(mine)}"
