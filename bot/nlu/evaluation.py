"""Runs a trained model over labelled French phrases and scores what the user would get.

"What the user would get" matters more than raw intent accuracy: an FAQ
question answered with the wrong FAQ entry is the costliest error, a
clarification question is a cheap one.  Used by the test suite and ``make eval``.
"""
from __future__ import annotations

import asyncio
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.faq.topics import RETRIEVAL_INTENT

FALLBACK = "nlu_fallback"
#: joins the two answers given to a two-topic question: "faq/a+faq/b"
PAIR_SEPARATOR = "+"


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # "faq/payment_methods", "greet", "out_of_scope"…

    @property
    def is_faq(self) -> bool:
        return self.label.startswith(RETRIEVAL_INTENT + "/")


@dataclass(frozen=True)
class Prediction:
    example: Example
    outcome: str  # the FAQ key answered, or the intent acted on, or "nlu_fallback"
    intent_confidence: float
    answer_confidence: Optional[float]
    #: on a fallback: the labels offered as "Vouliez-vous dire" buttons (bot.faq.clarify)
    offered: Tuple[str, ...] = ()

    @property
    def correct(self) -> bool:
        return self.outcome == self.example.label

    @property
    def answers(self) -> Tuple[str, ...]:
        """The FAQ entries given: none, one, or two (a two-topic answer)."""
        if not self.outcome.startswith(RETRIEVAL_INTENT + "/"):
            return ()
        return tuple(self.outcome.split(PAIR_SEPARATOR))

    @property
    def faq_answer(self) -> Optional[str]:
        return self.outcome if self.answers else None

    @property
    def covered(self) -> bool:
        """Right entry given, alone or as one of a two-topic answer."""
        return self.example.label in self.answers

    @property
    def wrong_faq_answer(self) -> bool:
        return bool(self.answers) and not self.covered


def outcome_of(parse: Dict[str, Any]) -> Tuple[str, float, Optional[float]]:
    """What the assistant acts on for this parse result (after our FAQ gate)."""
    intent = parse.get("intent") or {}
    if parse.get("faq_pair"):
        return PAIR_SEPARATOR.join(parse["faq_pair"]), float(intent.get("confidence") or 0.0), None
    name = intent.get("name") or FALLBACK
    confidence = float(intent.get("confidence") or 0.0)
    if name == RETRIEVAL_INTENT:
        response = ((parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get("response") or {}
        key = response.get("intent_response_key") or RETRIEVAL_INTENT
        # what FaqGate thresholds: P(faq) x P(this answer | faq)
        return key, confidence, confidence * float(response.get("confidence") or 0.0)
    return name, confidence, None


def outcome_with_thresholds(
    parse: Dict[str, Any], intent_threshold: float, answer_threshold: float, ambiguity: float
) -> str:
    """Re-applies the fallback rules with other thresholds (for tuning).

    The FallbackClassifier and our FaqGate keep the original ranking, so a single
    model run can be scored at every threshold.
    """
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK]
    if not ranking:
        return outcome_of(parse)[0]
    top = ranking[0]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top["confidence"] < intent_threshold or top["confidence"] - second < ambiguity:
        return FALLBACK
    if top["name"] != RETRIEVAL_INTENT:
        return top["name"]
    response = ((parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get("response") or {}
    if top["confidence"] * float(response.get("confidence") or 0.0) < answer_threshold:
        return FALLBACK
    return response.get("intent_response_key") or RETRIEVAL_INTENT


def load_examples(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        label = message.get("intent_response_key") or message.get("intent")
        examples.append(Example(message.get("text"), label))
    return examples


def offered_labels(parse: Dict[str, Any]) -> Tuple[str, ...]:
    """The labels behind the two clarification buttons the assistant would show."""
    from bot.faq.clarify import best_guesses
    from bot.faq.topics import topic_from_payload

    labels = []
    for guess in best_guesses(parse):
        topic = topic_from_payload(guess.payload)
        labels.append(f"{RETRIEVAL_INTENT}/{topic}" if topic else guess.payload.lstrip("/"))
    return tuple(labels)


class ModelRunner:
    """Loads a trained Rasa model once and parses phrases with it."""

    def __init__(self, model_path: Path) -> None:
        from rasa.core.agent import Agent

        self._loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(model_path))

    def parse(self, text: str) -> Dict[str, Any]:
        return self._loop.run_until_complete(self.agent.parse_message(text))

    def predict(self, examples: Iterable[Example]) -> List[Prediction]:
        predictions = []
        for example in examples:
            parse = self.parse(example.text)
            outcome, intent_conf, answer_conf = outcome_of(parse)
            offered = offered_labels(parse) if outcome == FALLBACK else ()
            predictions.append(Prediction(example, outcome, intent_conf, answer_conf, offered))
        return predictions

    def close(self) -> None:
        self._loop.close()


@dataclass
class Scores:
    total: int
    intent_accuracy: float          # top-level intent right (faq/* counted as faq)
    faq_total: int
    faq_accuracy: float             # FAQ questions answered with the right entry
    faq_fallback_rate: float        # FAQ questions sent to clarification
    faq_right_in_one_click: float   # right answer at once (alone or with another), or on a button
    faq_covered: float              # right answer given, alone or in a two-topic answer
    wrong_faq_answer_rate: float    # all messages answered with a wrong FAQ entry
    oos_total: int
    oos_rejection_rate: float       # out-of-scope messages not answered with an FAQ entry
    macro_f1: float
    errors: List[Prediction] = field(default_factory=list)


def _top(label: str) -> str:
    return label.split("/", 1)[0]


def score(predictions: Sequence[Prediction]) -> Scores:
    total = len(predictions)
    faq = [p for p in predictions if p.example.is_faq]
    oos = [p for p in predictions if p.example.label == "out_of_scope"]
    intent_ok = sum(_top(p.outcome) == _top(p.example.label) for p in predictions)
    return Scores(
        total=total,
        intent_accuracy=intent_ok / total if total else 0.0,
        faq_total=len(faq),
        faq_accuracy=sum(p.correct for p in faq) / len(faq) if faq else 0.0,
        faq_fallback_rate=sum(p.outcome == FALLBACK for p in faq) / len(faq) if faq else 0.0,
        faq_right_in_one_click=(sum(p.covered or (p.outcome == FALLBACK and p.example.label in p.offered)
                                    for p in faq) / len(faq)) if faq else 0.0,
        faq_covered=sum(p.covered for p in faq) / len(faq) if faq else 0.0,
        wrong_faq_answer_rate=sum(p.wrong_faq_answer for p in predictions) / total if total else 0.0,
        oos_total=len(oos),
        oos_rejection_rate=sum(p.faq_answer is None for p in oos) / len(oos) if oos else 0.0,
        macro_f1=macro_f1([(p.example.label, p.outcome) for p in predictions]),
        errors=[p for p in predictions if not p.correct],
    )


def macro_f1(pairs: Sequence[Tuple[str, str]]) -> float:
    """Macro-averaged F1 over the true labels (fallback counts as a miss)."""
    labels = sorted({t for t, _ in pairs})
    tp, fp, fn = Counter(), Counter(), Counter()
    for truth, pred in pairs:
        if truth == pred:
            tp[truth] += 1
        else:
            fn[truth] += 1
            fp[pred] += 1
    f1s = []
    for label in labels:
        p_den, r_den = tp[label] + fp[label], tp[label] + fn[label]
        precision = tp[label] / p_den if p_den else 0.0
        recall = tp[label] / r_den if r_den else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def write_nlu(examples: Iterable[Example], path: Path) -> None:
    """Writes labelled examples as a Rasa NLU training file (retrieval labels kept whole)."""
    by_label: Dict[str, List[str]] = defaultdict(list)
    for e in examples:
        by_label[e.label].append(e.text)
    lines = ['version: "3.1"', "nlu:"]
    for label, texts in sorted(by_label.items()):
        lines.append(f"- intent: {label}")
        lines.append("  examples: |")
        lines += [f"    - {json.dumps(t, ensure_ascii=False)[1:-1]}" for t in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def folds(examples: Sequence[Example], k: int, seed: int = 42) -> List[List[Example]]:
    """k parts stratified by label, shuffled with a fixed seed."""
    rng = random.Random(seed)
    by_label: Dict[str, List[Example]] = defaultdict(list)
    for e in examples:
        by_label[e.label].append(e)
    parts: List[List[Example]] = [[] for _ in range(k)]
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        for i, e in enumerate(items):
            parts[i % k].append(e)
    return parts


@dataclass(frozen=True)
class Mixed:
    """A question mixing two FAQ topics (tests/nlu/mixed_topics.yml)."""
    text: str
    topics: Tuple[str, ...]


def load_mixed(path: Path) -> List[Mixed]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Mixed(item["text"], tuple(item["topics"])) for item in data.get("mixed") or []]


@dataclass
class MixedScores:
    total: int
    both: float      # both topics answered
    one: float       # exactly one of the two answered (nothing wrong)
    clarified: float  # no answer, "Vouliez-vous dire"
    wrong: float     # an answer to neither topic


def score_mixed(items: Sequence[Mixed], outcomes: Sequence[str]) -> MixedScores:
    both = one = clarified = wrong = 0
    for item, outcome in zip(items, outcomes):
        given = set(outcome.split(PAIR_SEPARATOR)) if outcome.startswith(RETRIEVAL_INTENT + "/") else set()
        if not given:
            clarified += 1
        elif not given <= set(item.topics):
            wrong += 1
        elif given == set(item.topics):
            both += 1
        else:
            one += 1
    n = len(items) or 1
    return MixedScores(len(items), both / n, one / n, clarified / n, wrong / n)
