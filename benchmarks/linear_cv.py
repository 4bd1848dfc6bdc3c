"""Compares feature variants of the NLU decision by 5-fold cross-validation, in minutes.

    .venv/bin/python benchmarks/linear_cv.py                          # config.yml as it is
    .venv/bin/python benchmarks/linear_cv.py --variants issue17       # the issue 17 table
    .venv/bin/python benchmarks/linear_cv.py --set C=10 --set min_df=2

Each variant starts from the LinearIntentClassifier settings in config.yml; ``--set``
overrides one of them (YAML value).  For each variant: out-of-fold label distributions
(bot.nlu.crossval, same stratified folds, seed 42, embeddings cached), then the
thresholds chosen by the rule fixed beforehand (most FAQ answers right with ≤ 1 % wrong
and ≥ 95 % out-of-scope rejected).  The held-out test sets are never used here.
Writes reports/tuning/linear_cv.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu import crossval  # noqa: E402
from bot.nlu.evaluation import load_examples  # noqa: E402
from bot.nlu.linear_model import LinearSettings  # noqa: E402

E5, USE = "e5_small", "use_multilingual_v3"
NO_NGRAMS = {"char_ngram": [0, 0], "word_ngram": [0, 0]}

#: issue 17, step 1: E5 alone, E5 + USE, each with and without the TF-IDF n-grams
ISSUE17 = {
    "E5 seul": {"sentence_encoders": {E5: 1.0}, **NO_NGRAMS},
    "E5 + USE": {"sentence_encoders": {E5: 1.0, USE: 1.0}, **NO_NGRAMS},
    "n-grammes seuls": {"sentence_encoders": {}},
    "n-grammes + USE": {"sentence_encoders": {USE: 1.0}},
    "n-grammes + E5": {"sentence_encoders": {E5: 1.0}},
    "n-grammes + E5 ×3": {"sentence_encoders": {E5: 3.0}},
    "n-grammes + E5 + USE": {"sentence_encoders": {E5: 1.0, USE: 1.0}},
    "n-grammes + E5 ×3 + USE (config.yml)": {},
}


def pipeline_config() -> dict:
    """LinearIntentClassifier's settings in config.yml (what a variant starts from)."""
    return crossval.classifier_config(ROOT / "config.yml")


def parse_overrides(pairs: List[str]) -> Dict[str, object]:
    import yaml

    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", choices=["config", "issue17"], default="config")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "tuning" / "linear_cv.md")
    args = parser.parse_args(argv)
    base = {**pipeline_config(), **parse_overrides(args.set)}
    variants = {"config.yml" + (" " + " ".join(args.set) if args.set else ""): {}}
    if args.variants == "issue17":
        variants = ISSUE17
    examples = load_examples(ROOT / "data" / "nlu")
    threads = os.cpu_count() or 1
    rows = ["| variante | FAQ juste | FAQ fausse (tous messages) | hors sujet rejeté | "
            "bonne entrée en tête | seuils choisis | s |", "|---|---|---|---|---|---|---|"]
    for name, overrides in variants.items():
        settings = LinearSettings.from_config({**base, **overrides})
        t0 = time.monotonic()
        ordered, dists, clauses = crossval.out_of_fold(examples, settings, args.folds, threads)
        thresholds, s = crossval.choose(ordered, dists, clause_distributions=clauses)
        secs = time.monotonic() - t0
        mark = "" if crossval.acceptable(s) else " (règle non tenue)"
        rows.append(f"| {name} | {pct(s.faq_accuracy)}{mark} | {pct(s.wrong_faq_answer_rate)} | "
                    f"{pct(s.oos_rejection_rate)} | {pct(crossval.top1_accuracy(ordered, dists))} | "
                    f"{thresholds} | {secs:.0f} |")
        print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Validation croisée ({args.folds} plis, {len(examples)} phrases de data/nlu)\n\n"
        f"Commande : `.venv/bin/python benchmarks/linear_cv.py "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}`\n\n" + "\n".join(rows) + "\n",
        encoding="utf-8")
    print(f"Rapport : {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
