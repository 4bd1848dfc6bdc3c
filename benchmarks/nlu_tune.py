"""Chooses NLU features, epochs and thresholds by cross-validation on the training data.

    .venv/bin/python benchmarks/nlu_tune.py --folds 3 --configs base,vectors

For each candidate pipeline, trains an NLU-only model per fold (stratified by
label, fixed seed) and scores the held-back fold with bot.nlu.evaluation, then
sweeps the fallback thresholds on the same predictions.  The held-out test set
(tests/nlu/heldout.yml) is never used here.
"""
from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.evaluation import (  # noqa: E402
    ModelRunner, Prediction, folds, load_examples, outcome_with_thresholds, score, write_nlu,
)

VECTORS = {"name": "bot.nlu.word_vectors.WordVectorFeaturizer"}


def candidates(base: dict) -> dict:
    pipe = base["pipeline"]

    def with_vectors(p):
        out = []
        for c in p:
            out.append(c)
            if c["name"] == "SpacyTokenizer":
                out.append(dict(VECTORS))
        return out

    def epochs(p, n):
        p = copy.deepcopy(p)
        for c in p:
            if c["name"] in ("DIETClassifier", "ResponseSelector"):
                c["epochs"] = n
        return p

    def slim(p, layers=1, size=128, char=(2, 4), max_features=None):
        p = copy.deepcopy(p)
        for c in p:
            if c["name"] == "DIETClassifier":
                c["number_of_transformer_layers"] = layers
                c["transformer_size"] = size
            if c["name"] == "CountVectorsFeaturizer" and c.get("analyzer") == "char_wb":
                c["min_ngram"], c["max_ngram"] = char
                if max_features:
                    c["max_features"] = max_features
        return p

    return {
        "base": pipe,
        "vectors": with_vectors(pipe),
        "slim": slim(pipe),
        "slim_vectors": with_vectors(slim(pipe)),
        "slim0_vectors": with_vectors(slim(pipe, layers=0)),
        "vectors_e60": epochs(with_vectors(pipe), 60),
        "vectors_e150": epochs(with_vectors(pipe), 150),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--configs", default="base,vectors")
    ap.add_argument("--work", type=Path, default=ROOT / "reports" / "tuning")
    args = ap.parse_args()
    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    examples = load_examples(ROOT / "data" / "nlu")
    parts = folds(examples, args.folds)
    cands = candidates(base)
    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.configs.split(","):
        parses = []  # (example, parse)
        train_secs = 0.0
        for i in range(args.folds):
            fold_dir = args.work / name / f"fold{i}"
            fold_dir.mkdir(parents=True, exist_ok=True)
            train = [e for j, p in enumerate(parts) if j != i for e in p]
            write_nlu(train, fold_dir / "train.yml")
            cfg = dict(base, pipeline=cands[name])
            (fold_dir / "config.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
            t0 = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(fold_dir / "config.yml"),
                 "--nlu", str(fold_dir / "train.yml"), "--out", str(fold_dir), "--fixed-model-name", "m",
                 "--quiet"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            train_secs += time.monotonic() - t0
            runner = ModelRunner(fold_dir / "m.tar.gz")
            parses += [(e, runner.parse(e.text)) for e in parts[i]]
            runner.close()
        print(f"\n== {name}: {args.folds} folds, {train_secs / args.folds:.0f} s training per fold")
        best = None
        for it in (0.3, 0.4, 0.5, 0.6, 0.7):
            for at in (0.3, 0.4, 0.5, 0.6, 0.7):
                preds = [Prediction(e, outcome_with_thresholds(p, it, at, 0.1), 0.0, None) for e, p in parses]
                s = score(preds)
                row = (it, at, s)
                print(f"  intent>={it:.1f} answer>={at:.1f}: faq_right={s.faq_accuracy:.3f} "
                      f"wrong_faq={s.wrong_faq_answer_rate:.4f} intent_acc={s.intent_accuracy:.3f} "
                      f"oos_rejected={s.oos_rejection_rate:.3f} macroF1={s.macro_f1:.3f}")
                # best: most FAQ answers right while wrong FAQ answers stay <= 1 %
                if s.wrong_faq_answer_rate <= 0.01 and (best is None or s.faq_accuracy > best[2].faq_accuracy):
                    best = row
        if best:
            print(f"  -> best under 1 % wrong answers: intent>={best[0]} answer>={best[1]} "
                  f"faq_right={best[2].faq_accuracy:.3f}")
        results[name] = best
    return 0


if __name__ == "__main__":
    sys.exit(main())
