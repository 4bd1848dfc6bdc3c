"""make bench's bare Rasa reference: same data and answers, reshaped; its cost table."""
from __future__ import annotations

import yaml

from bot.entrypoints.bench_reference import write_project
from bot.entrypoints.bench_report import Row, reference_table
from bot.settings import PROJECT_ROOT


def test_the_reference_answers_each_faq_topic_with_our_text(tmp_path):
    config, domain_path, data = write_project(tmp_path)
    config = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert [c["name"] for c in config["pipeline"]] == [
        "WhitespaceTokenizer", "CountVectorsFeaturizer", "LogisticRegressionClassifier"]
    assert not any("bot." in str(c) for c in config["pipeline"] + config["policies"])
    ours = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    assert domain["responses"]["utter_faq_invoices"][0]["text"] == ours["utter_faq/invoices"][0]["text"]
    assert "faq_invoices" in domain["intents"] and "faq" not in domain["intents"]
    assert not any("action_" in str(r) for r in yaml.safe_load((data / "rules.yml").read_text())["rules"])
    nlu = (data / "nlu.yml").read_text(encoding="utf-8")
    assert "- intent: faq_invoices" in nlu and "- intent: faq/" not in nlu


def _row(server, level, p50, p95, rate):
    return Row(server, level, "faq", 10, 0, p50, p95, p95, rate)


def test_the_cost_table_compares_throughput_and_memory_with_the_goals():
    rows = [_row("nous", 1, 40, 60, 20), _row("référence", 1, 10, 20, 80),
            _row("nous", 10, 400, 600, 25), _row("référence", 10, 100, 200, 45)]
    text = "\n".join(reference_table(rows, {"nous": {"rasa": 1200}, "référence": {"rasa": 600}}, 12))
    assert "| p95 à 1 conversation(s) | 60 ms | 20 ms | 3.0 × |" in text
    assert "| 25.0 | 45.0 | 0.56 (objectif ≥ 0,5 : ✓) |" in text
    assert "1200 Mo | 600 Mo | 2.0 × (objectif < 1 536 Mo : ✓)" in text
    slow = [_row("nous", 10, 400, 600, 20), _row("référence", 10, 100, 200, 45)]
    assert "0.44 (objectif ≥ 0,5 : ✗)" in "\n".join(reference_table(slow, {}, None))
