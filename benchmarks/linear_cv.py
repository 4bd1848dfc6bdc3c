"""Cross-validates the linear classifier alone, in seconds, to tune its features.

    .venv/bin/python benchmarks/linear_cv.py                       # as in config.yml
    .venv/bin/python benchmarks/linear_cv.py --set 'vectors=""'      # without word vectors
    .venv/bin/python benchmarks/linear_cv.py --set C=100 --set char_ngram=[2,4]

Each ``--set`` overrides one of the classifier's settings in config.yml.

Same stratified folds as benchmarks/ensemble_cv.py (seed 42) on data/nlu; spaCy
tokenises as in the pipeline; only ``LinearIntentClassifier`` is trained, so a variant
costs ~2 minutes instead of ~65 for the whole pipeline.  Scores what the user would get
with the linear model deciding alone, at the pipeline's thresholds (FallbackClassifier
0.3 / ambiguity 0.1, FaqGate 0.6) and over a small grid of thresholds.  The held-out test
sets are never used here.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.evaluation import Example, Prediction, folds, load_examples, score  # noqa: E402
from benchmarks.ensemble_cv import replay  # noqa: E402

INTENT_THRESHOLDS = (0.3, 0.4, 0.5)
ANSWER_THRESHOLDS = (0.4, 0.5, 0.6, 0.7)


def tokenised(texts):
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.nlu.utils.spacy_utils import SpacyNLP
    from rasa.shared.nlu.training_data.message import Message

    nlp = SpacyNLP.create({"model": "fr_core_news_sm"}, None, None, None)
    tokenizer = SpacyTokenizer(SpacyTokenizer.get_default_config())
    messages = [Message(data={"text": t}) for t in texts]
    nlp.process(messages, nlp.provide())
    tokenizer.process(messages)
    return messages


def pipeline_config() -> dict:
    """LinearIntentClassifier's settings in config.yml (what a variant starts from)."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for step in config.get("pipeline") or []:
        if str(step.get("name", "")).endswith(".LinearIntentClassifier"):
            return {k: v for k, v in step.items() if k != "name"}
    raise SystemExit("config.yml has no LinearIntentClassifier")


def rank_held_out(config_overrides: dict, train: list, test_texts: list,
                  tokens: Optional[dict] = None) -> list:
    """The linear classifier trained on ``train`` (Examples), then its ranking of each text.

    ``tokens`` maps a text to its tokenised Message (spaCy runs once per text)."""
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.linear_classifier import LINEAR_RANKING, LinearIntentClassifier

    class InMemory(LinearIntentClassifier):
        def _persist(self) -> None:
            pass

    if tokens is None:
        texts = list(dict.fromkeys([e.text for e in train] + list(test_texts)))
        tokens = dict(zip(texts, tokenised(texts)))
    train_messages = []
    for e in train:
        m = Message(data=dict(tokens[e.text].data))
        m.set("intent", e.label)
        train_messages.append(m)
    config = {**LinearIntentClassifier.get_default_config(), **pipeline_config(), **config_overrides}
    classifier = InMemory(config, None, None)
    classifier.train(TrainingData(training_examples=train_messages))
    test_messages = [Message(data=dict(tokens[t].data)) for t in test_texts]
    classifier.process(test_messages)
    return [m.get(LINEAR_RANKING) for m in test_messages]


def run(config_overrides: dict, k: int) -> list:
    examples = load_examples(ROOT / "data" / "nlu")
    texts = list(dict.fromkeys(e.text for e in examples))
    tokens = dict(zip(texts, tokenised(texts)))
    parts = folds(examples, k)
    rows = []
    for i, part in enumerate(parts):
        train = [e for j, p in enumerate(parts) if j != i for e in p]
        rankings = rank_held_out(config_overrides, train, [e.text for e in part], tokens)
        for e, ranking in zip(part, rankings):
            rows.append({"text": e.text, "label": e.label, "linear": ranking, "diet": []})
    return rows


def report(rows: list) -> str:
    out = []
    for it, at in itertools.product(INTENT_THRESHOLDS, ANSWER_THRESHOLDS):
        s = score([Prediction(Example(r["text"], r["label"]), replay(r, 1.0, it, at), 0.0, None)
                   for r in rows])
        mark = " <- pipeline thresholds" if (it, at) == (0.3, 0.6) else ""
        out.append(f"  thr {it}/{at}: FAQ right {s.faq_accuracy:.1%}, wrong {s.wrong_faq_answer_rate:.1%}, "
                   f"OOS not answered {s.oos_rejection_rate:.1%}, intent {s.intent_accuracy:.1%}{mark}")
    return "\n".join(out)


def parse_overrides(items: list) -> dict:
    """["C=50", 'vectors=""'] -> {"C": 50, "vectors": ""} (each value is JSON)."""
    overrides = {}
    for item in items:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    return overrides


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)
    started = time.time()
    rows = run(overrides, args.folds)
    print(f"linear classifier alone, {args.folds}-fold CV, {len(rows)} phrases, "
          f"overrides {overrides or 'none'} ({time.time() - started:.0f} s)")
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
