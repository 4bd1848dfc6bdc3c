"""The bare Rasa reference of ``make bench``: our data, Rasa's own cheapest parts, trained in seconds.

What a Rasa bot costs with nothing of ours in its understanding: WhitespaceTokenizer +
CountVectorsFeaturizer + Rasa's LogisticRegressionClassifier, our dialogue policies
(Memoization, Rule, TED: the comparison isolates the NLU's cost), no custom component, no
action server.  Rasa's LogisticRegressionClassifier has no response selector, so each FAQ topic
becomes an intent of its own (``faq/invoices`` -> ``faq_invoices``) answered by a rule with
the very text of our ``utter_faq/invoices``: the same data and the same answers, reshaped
for the bare stack.  Every other intent keeps its examples; its rule (if any) is replaced
by a one-line answer, since the reference runs no action.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from bot.nlu.evaluation import Example, load_examples, write_nlu
from bot.settings import PROJECT_ROOT

CONFIG = {
    "recipe": "default.v1",
    "language": "fr",
    "assistant_id": "amper-bench-reference",
    "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "CountVectorsFeaturizer"},
                 {"name": "LogisticRegressionClassifier"}],
}


def _policies() -> list:
    """Our own dialogue policies (config.yml): the comparison then isolates the NLU's cost."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    policies = []
    for policy in config.get("policies") or []:
        policy = {k: v for k, v in policy.items() if not k.startswith("core_fallback")}
        policies.append(policy)
    return policies


def _examples() -> Dict[str, List[str]]:
    by_intent: Dict[str, List[str]] = {}
    for e in load_examples(PROJECT_ROOT / "data" / "nlu"):
        by_intent.setdefault(e.label.replace("/", "_"), []).append(e.text)
    return by_intent


def _faq_texts() -> Dict[str, str]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name[len("utter_"):].replace("/", "_"): variants[0]["text"]
            for name, variants in (domain.get("responses") or {}).items()
            if name.startswith("utter_faq/")}


def write_project(work: Path) -> Tuple[Path, Path, Path]:
    """(config, domain, data dir) of the reference bot, written under ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    examples, faq = _examples(), _faq_texts()
    responses, rules = {}, []
    for intent in sorted(examples):
        action = f"utter_{intent}"
        text = faq.get(intent, "Bien reçu.")  # FAQ topics: our answer; others: a short reply
        responses[action] = [{"text": text}]
        rules.append({"rule": intent, "steps": [{"intent": intent}, {"action": action}]})
    domain = {"version": "3.1", "intents": sorted(examples), "responses": responses,
              "session_config": {"session_expiration_time": 60,
                                 "carry_over_slots_to_new_session": True}}
    data = work / "data"
    data.mkdir(exist_ok=True)
    config = {**CONFIG, "policies": _policies()}
    (work / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (work / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    write_nlu([Example(t, intent) for intent, texts in examples.items() for t in texts],
              data / "nlu.yml")
    (data / "rules.yml").write_text(yaml.safe_dump({"version": "3.1", "rules": rules},
                                                   allow_unicode=True), encoding="utf-8")
    return work / "config.yml", work / "domain.yml", data


def train(work: Path) -> Tuple[Path, float]:
    """Trains the reference into ``work``; (model path, seconds)."""
    config, domain, data = write_project(work)
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", str(config), "--domain", str(domain),
         "--data", str(data), "--out", str(work), "--fixed-model-name", "reference", "--quiet"],
        cwd=str(work), capture_output=True, text=True,
        env=dict(os.environ, RASA_CACHE_DIRECTORY=str(work / "cache"), RASA_TELEMETRY_ENABLED="false"))
    if proc.returncode != 0:
        raise SystemExit("Erreur : l'entraînement de la référence a échoué.\n" + proc.stdout[-3000:]
                         + proc.stderr[-3000:])
    return work / "reference.tar.gz", time.monotonic() - t0
