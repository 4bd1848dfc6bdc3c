"""Understanding on phrasings the model never saw (tests/nlu/heldout.yml).

These bars are regression guards set just under what the current model measures
(`make eval` prints the figures; the README records them), NOT the product goals.
The held-out phrasings were written to be genuinely different from the training
ones (other vocabulary, other structure); a unit test refuses near-copies of them
in the training data (tests/unit/test_nlu_data.py).

Measured history (`python -m bot.entrypoints.evaluate --skip-cv`):
- 2026-11-26 morning, DIET + ResponseSelector alone: FAQ right 65 %, wrong FAQ
  answers 4.7 % of all messages, intent 73 %, out-of-scope not answered 97.5 %.
- 2026-11-26 11:16, twice the training data and the linear classifier mixed with
  DIET (bot/nlu/linear_classifier.py, weight and thresholds by cross-validation):
  FAQ right 72.2 %, right at once or among the two clarification buttons 88.0 %,
  wrong FAQ answers 1.2 % (3 of 254), intent 79.1 %, out-of-scope not answered
  100 %, worst topic 7/13 (client_absent).
- 2026-11-26 13:19, +450 FAQ phrasings written by helpers who saw neither held-out
  set (new vocabulary and sentence shapes): FAQ right 85.0 %, within one click 94.0 %,
  wrong FAQ answers 0.4 % (1 of 254), intent 83.5 %, out-of-scope not answered 100 %.
  Blind set: FAQ right 97.3 %, within one click 98.2 %, wrong 1.5 % (2 of 134).
- 2026-11-26 13:53, +250 formal/oral/third-party FAQ phrasings and +237 basics, requests
  and out-of-scope phrasings (same blind protocol; lines within difflib 0.85 of a
  held-out phrase removed): FAQ right 87.2 %, within one click 97.0 %, wrong 0.4 %,
  intent 85.4 %. Blind set: FAQ right 97.3 %, wrong 1.5 %, intent 93.3 % (was 95.5 %).
- 2026-11-26 16:51, +220 FAQ phrasings on the topic boundaries and +192 basics and
  out-of-scope phrasings (blind protocol, aimed at cross-validation errors), and the
  linear weight 0.5 -> 0.7 chosen by 5-fold cross-validation on the 2,945 phrases before
  (reports/tuning/ensemble/sweep.md: most right answers with <= 1 % wrong; 0.5 held
  1.4 % wrong). FAQ right 82.7 % (more clarifications), within one click 98.5 %, wrong
  0.0 %, intent 85.0 %. Blind set: FAQ right 96.4 %, wrong 1.5 %, intent 97.8 % (its
  "tu es un robot ou un humain" moved from out_of_scope to bot_challenge, where it belongs).
- 2026-11-27 03:21, a multilingual sentence embedding (Google's USE v3, shipped in a
  package: bot/nlu/sentence_encoder.py) added to the linear classifier's features, C 20 -> 50,
  both chosen by 5-fold cross-validation of the whole decision (FAQ right 86.7 -> 90.9 %,
  wrong 0.8 -> 0.9 %; no held-out set involved): FAQ right 91.7 %, within one click 99.2 %,
  wrong 0.0 %, intent 91.7 %.  Blind set: FAQ right 97.3 %, within one click 98.2 %,
  wrong 1.5 % (the same 2 phrases), intent 98.5 %.  Bars raised: FAQ right 0.80 -> 0.89,
  one click 0.97 -> 0.98, intent 0.83 -> 0.89, blind FAQ right 0.95 -> 0.96.
- 2026-11-27 04:03, +278 FAQ phrasings (then faq_more_5/6.yml, now in data/nlu/faq/<topic>.yml; blind protocol, aimed at the
  cross-validation errors of the 03:21 model; 2 lines near a held-out phrase removed):
  FAQ right 91.0 %, within one click 99.2 %, wrong 0.0 %, intent 92.9 %.  Blind set: FAQ
  right 97.3 %, within one click 97.3 %, wrong 1.5 %, intent 98.5 %.  No gain on the
  first-try figure; kept for the intents and the wider coverage of phrasings.
- 2026-12-06, issue 17: the linear classifier alone (n-grams + E5 + USE), +580 heading-style
  FAQ and out-of-scope phrasings, two-topic questions answered twice: FAQ right 92.5 %
  (94.0 % counting the right answer given with a second one), wrong 0.0 %, intent 93.7 %.
  Blind set: right 94.5 % (96.4 %), wrong 0.7 %.  Web-style set: right 87.3 % (89.0 %),
  wrong 0.8 %, out-of-scope 98.6 %.  Two-topic questions: both answers 79 %, none wrong.
The goals (issue 6: >= 97 % right, < 1 % wrong, >= 95 % rejected) are not all met;
raise these bars as the model improves.  Lower one only for a trade chosen on
cross-validation (never on these sets), recorded above: at 16:51 the FAQ-right bar went
from 0.85 to 0.80 while the wrong-answer bar went from 1.2 % to 0.8 % and the one-click
bar from 0.95 to 0.97.
"""
from __future__ import annotations

import pytest

from bot.nlu.evaluation import load_examples, score
from bot.settings import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"

# Bars: just under the figures measured with the model of 2026-12-06 (docs/measurements.md).
# "Right" means the one right answer alone: a single-topic question given two answers (the
# right one and another, bot/nlu/two_topics.py) counts as not right here, as right in one click.
FAQ_RIGHT, ONE_CLICK, WRONG, INTENT = 0.92, 0.99, 0.008, 0.93
FRESH_FAQ_RIGHT = 0.94
WEB_FAQ_RIGHT, WEB_WRONG, WEB_OOS = 0.87, 0.01, 0.98
MIXED_BOTH, MIXED_WRONG = 0.75, 0.0


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
    assert scores.faq_accuracy >= FAQ_RIGHT, _errors(scores, lambda p: p.example.is_faq)


def test_most_faq_questions_reach_the_right_answer_in_one_click(scores):
    """Answered right at once, or the right topic is one of the two buttons offered."""
    assert scores.faq_right_in_one_click >= ONE_CLICK, _errors(
        scores, lambda p: p.example.is_faq and p.example.label not in p.offered)


def test_wrong_faq_answers_are_rare(scores):
    assert scores.wrong_faq_answer_rate <= WRONG, _errors(scores, lambda p: p.wrong_faq_answer)


def test_intent_accuracy(scores):
    assert scores.intent_accuracy >= INTENT, _errors(scores)


def test_out_of_scope_rarely_gets_an_faq_answer(heldout_predictions):
    oos = [p for p in heldout_predictions if p.example.label == "out_of_scope"]
    assert len(oos) >= 30
    answered = [p for p in oos if p.faq_answer]
    assert len(answered) / len(oos) <= 0.05, "\n".join(f"{p.example.text} -> {p.outcome}" for p in answered)


def test_every_faq_topic_is_recognised_on_new_phrasings(heldout_predictions):
    from bot.faq.topics import FAQ_TOPICS

    for topic in FAQ_TOPICS:
        label = f"faq/{topic}"
        mine = [p for p in heldout_predictions if p.example.label == label]
        assert len(mine) >= 12, label
        right = sum(p.correct for p in mine)
        assert right / len(mine) >= 0.5, f"{label}: {right}/{len(mine)}"


# -- the second held-out set, written blind (tests/nlu/heldout_fresh.yml) ----------------------
# Same rule: regression guards just under the measured figures (history in docs/measurements.md).

FRESH = PROJECT_ROOT / "tests" / "nlu" / "heldout_fresh.yml"


@pytest.fixture(scope="module")
def fresh_scores(model_runner):
    return score(model_runner.predict(load_examples(FRESH)))


def test_blind_set_faq_answers(fresh_scores):
    assert fresh_scores.faq_total >= 100
    assert fresh_scores.faq_accuracy >= FRESH_FAQ_RIGHT, _errors(fresh_scores, lambda p: p.example.is_faq)
    assert fresh_scores.faq_right_in_one_click >= 0.99, _errors(fresh_scores, lambda p: p.example.is_faq)


def test_blind_set_wrong_answers_and_out_of_scope(fresh_scores):
    assert fresh_scores.wrong_faq_answer_rate <= 0.025, _errors(fresh_scores, lambda p: p.wrong_faq_answer)
    assert fresh_scores.oos_total >= 20
    assert fresh_scores.oos_rejection_rate >= 0.95, _errors(fresh_scores, lambda p: p.example.label == "out_of_scope")


# -- the third held-out set: short website-heading style, written blind from the FAQ page alone
# (tests/nlu/heldout_web.yml, issue 17); the two-topic questions (tests/nlu/mixed_topics.yml).

WEB = PROJECT_ROOT / "tests" / "nlu" / "heldout_web.yml"
MIXED = PROJECT_ROOT / "tests" / "nlu" / "mixed_topics.yml"


@pytest.fixture(scope="module")
def web_scores(model_runner):
    return score(model_runner.predict(load_examples(WEB)))


def test_web_style_set_faq_answers(web_scores):
    assert web_scores.faq_total >= 170
    assert web_scores.faq_accuracy >= WEB_FAQ_RIGHT, _errors(web_scores, lambda p: p.example.is_faq)
    assert web_scores.wrong_faq_answer_rate <= WEB_WRONG, _errors(web_scores, lambda p: p.wrong_faq_answer)


def test_web_style_set_out_of_scope(web_scores):
    assert web_scores.oos_total >= 60
    assert web_scores.oos_rejection_rate >= WEB_OOS, _errors(
        web_scores, lambda p: p.example.label == "out_of_scope")


def test_two_topic_questions_get_both_answers_or_a_question(model_runner):
    from bot.nlu.evaluation import Example, load_mixed, score_mixed

    mixed = load_mixed(MIXED)
    assert len(mixed) >= 20
    outcomes = [p.outcome for p in model_runner.predict([Example(m.text, m.topics[0]) for m in mixed])]
    s = score_mixed(mixed, outcomes)
    detail = "\n".join(f"  {m.topics} -> {o}  {m.text}" for m, o in zip(mixed, outcomes))
    assert s.both >= MIXED_BOTH, detail
    assert s.wrong <= MIXED_WRONG, detail
