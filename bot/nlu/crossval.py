"""Cross-validation of the whole NLU decision in seconds, without training Rasa.

The pipeline's decision is: the linear model's label distribution
(``bot.nlu.linear_model``), turned into intent and FAQ-answer rankings exactly as
the Rasa component does (``rankings_from``), then the FallbackClassifier's
thresholds and our FaqGate's (``outcome_with_thresholds``).  This module runs that
very decision on k stratified folds of data/nlu, with the sentence embeddings
cached, so a variant of the features costs a minute instead of a Rasa training per
fold.  The held-out test sets are never used here (only to score a final model).

The selection rule, fixed before any result was seen (issue 17): among the
thresholds that keep wrong FAQ answers ≤ 1 % of all messages and reject ≥ 95 % of
out-of-scope messages, the one with the most FAQ questions answered right.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from bot.nlu import sentence_encoder, two_topics
from bot.nlu.evaluation import (PAIR_SEPARATOR, Example, Prediction, Scores, folds,
                                outcome_with_thresholds, score)
from bot.nlu.linear_classifier import rankings_from, selector_output
from bot.nlu.linear_model import LinearModel, LinearSettings
from bot.faq.topics import RETRIEVAL_INTENT

MAX_WRONG = 0.01
MIN_OOS_REJECTED = 0.95

INTENT_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
AMBIGUITY_THRESHOLDS = (0.0, 0.05, 0.1)
ANSWER_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class Thresholds:
    intent: float
    ambiguity: float
    answer: float

    def __str__(self) -> str:
        return f"intention {self.intent:.2f} / ambiguïté {self.ambiguity:.2f} / réponse {self.answer:.2f}"


def parse_of(distribution: Dict[str, float]) -> Dict:
    """The parse the Rasa component would write for this distribution (before thresholds)."""
    ranking, topics = rankings_from(distribution)
    parse = {"intent": dict(ranking[0]), "intent_ranking": ranking}
    if topics:
        parse["response_selector"] = selector_output(topics, RETRIEVAL_INTENT)
    return parse


def predictions(examples: Sequence[Example], distributions: Sequence[Dict[str, float]],
                thresholds: Thresholds,
                clause_distributions: Optional[Sequence[List[Dict[str, float]]]] = None
                ) -> List[Prediction]:
    """What the pipeline does with each distribution; with ``clause_distributions``, also
    FaqGate's two-topic answers (bot.nlu.two_topics, at the answer threshold)."""
    out = []
    clause_distributions = clause_distributions or [[] for _ in examples]
    for example, distribution, per_clause in zip(examples, distributions, clause_distributions):
        parse = parse_of(distribution)
        pair = two_topics.pair_from(distribution, per_clause, thresholds.answer)
        outcome = (PAIR_SEPARATOR.join(pair) if pair else
                   outcome_with_thresholds(parse, thresholds.intent, thresholds.answer,
                                           thresholds.ambiguity))
        top = parse["intent_ranking"][0]["confidence"]
        out.append(Prediction(example, outcome, top, None))
    return out


def acceptable(s: Scores) -> bool:
    return s.wrong_faq_answer_rate <= MAX_WRONG and s.oos_rejection_rate >= MIN_OOS_REJECTED


def choose(examples: Sequence[Example], distributions: Sequence[Dict[str, float]],
           grid: Optional[Iterable[Thresholds]] = None,
           clause_distributions: Optional[Sequence[List[Dict[str, float]]]] = None
           ) -> Tuple[Thresholds, Scores]:
    """The rule: most FAQ answers right among acceptable thresholds (else fewest wrong)."""
    grid = grid or [Thresholds(i, a, r) for i in INTENT_THRESHOLDS
                    for a in AMBIGUITY_THRESHOLDS for r in ANSWER_THRESHOLDS]
    best = None
    for t in grid:
        s = score(predictions(examples, distributions, t, clause_distributions))
        key = (acceptable(s), s.faq_accuracy if acceptable(s) else -s.wrong_faq_answer_rate,
               s.oos_rejection_rate)
        if best is None or key > best[0]:
            best = (key, t, s)
    return best[1], best[2]


def classifier_config(config_path) -> Dict:
    """LinearIntentClassifier's settings in a config.yml (what a variant starts from)."""
    import yaml
    from pathlib import Path

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    for step in config.get("pipeline") or []:
        if str(step.get("name", "")).endswith(".LinearIntentClassifier"):
            return {k: v for k, v in step.items() if k != "name"}
    raise SystemExit(f"{config_path}: no LinearIntentClassifier in the pipeline")


def embed_all(texts: Sequence[str], settings: LinearSettings, threads: int) -> Dict:
    cache = sentence_encoder.default_cache()
    return {name: sentence_encoder.encode(texts, name, threads=threads, cache=cache)
            for name in settings.encoders}


def out_of_fold(examples: Sequence[Example], settings: LinearSettings, k: int = 5,
                threads: int = 1
                ) -> Tuple[List[Example], List[Dict[str, float]], List[List[Dict[str, float]]]]:
    """Each example's label distribution, and its clauses' (bot.nlu.two_topics), from a
    model that never saw it (k folds)."""
    parts = folds(examples, k)
    ordered = [e for part in parts for e in part]
    embedded = embed_all([e.text for e in ordered], settings, threads)
    index = {}
    for i, e in enumerate(ordered):
        index.setdefault(e.text, i)
    distributions: List[Dict[str, float]] = []
    per_clause: List[List[Dict[str, float]]] = []
    start = 0
    for i, part in enumerate(parts):
        train = [e for j, p in enumerate(parts) if j != i for e in p]
        rows = [index[e.text] for e in train]
        model = LinearModel(settings).fit([e.text for e in train], [e.label for e in train],
                                          {n: m[rows] for n, m in embedded.items()})
        test_rows = list(range(start, start + len(part)))
        distributions += model.distributions([e.text for e in part],
                                             {n: m[test_rows] for n, m in embedded.items()})
        cut = [two_topics.clauses(e.text) for e in part]
        flat = [c for pieces in cut for c in pieces]
        found = iter(model.distributions(flat, embed_all(flat, settings, threads)) if flat else [])
        per_clause += [[next(found) for _ in pieces] for pieces in cut]
        start += len(part)
    return ordered, distributions, per_clause


def top1_accuracy(examples: Sequence[Example], distributions: Sequence[Dict[str, float]]) -> float:
    """FAQ questions whose right entry has the highest probability (no threshold)."""
    faq = [(e, d) for e, d in zip(examples, distributions) if e.is_faq]
    return sum(max(d, key=d.get) == e.label for e, d in faq) / len(faq) if faq else 0.0
