"""The staff case of ``make bench`` (bot/entrypoints/bench_answers.py): what the page's
debounce lets out of a typed question, and the report's section."""
from __future__ import annotations

import random

from bot.entrypoints import bench_answers as bench
from bot.entrypoints.bench_report import Row


def test_a_query_leaves_only_after_a_pause_longer_than_the_debounce():
    for seed in range(20):
        question = bench.QUESTIONS[seed % len(bench.QUESTIONS)]
        sent, typed = bench.debounced(question, random.Random(seed))
        assert sent[-1][1] == question          # the whole question is always asked
        assert sent[-1][0] == typed + bench.DEBOUNCE
        assert len(sent) < len(question) / 2    # far fewer queries than keystrokes
        times = [at for at, _ in sent]
        assert times == sorted(times)
        assert all(question.startswith(text) for _, text in sent)


def test_typing_runs_at_about_eight_characters_a_second():
    question = "embaucher l'aide à domicile directement"
    _, typed = bench.debounced(question, random.Random(1))
    assert 0.8 * len(question) / 8 < typed < 2.0 * len(question) / 8


def test_the_section_gives_the_ratio_to_the_faq_turn_and_the_goal():
    rows = [Row("conseiller", 1, bench.FAQ_KIND, 10, 0, 50.0, 100.0, 120.0, 5.0),
            Row("conseiller", 10, bench.FAQ_KIND, 10, 0, 500.0, 900.0, 950.0, 9.0)]
    typing = {1: bench.Typing(latencies=[0.02] * 20, by_source={"rasa": [0.02] * 20},
                              keystrokes=90, seconds=20.0),
              10: bench.Typing(latencies=[0.03] * 17 + [0.2] * 3, keystrokes=900, seconds=20.0,
                               by_source={"cache": [0.03] * 17, "rasa": [0.2] * 3})}
    text = "\n".join(bench.section(rows, typing))
    assert "| 1 | 90 | 20 (+0 erreurs) | 0 / 20 / 0 | 20 ms | 20 ms | 20 ms | 100 ms | 0.20 × | ✓ |" in text
    assert "| 10 | 900 | 20 (+0 erreurs) | 17 / 3 / 0 | 30 ms | 200 ms | 200 ms | 900 ms | 0.22 × | ✗ |" in text
    assert "une seule conversation : 1 : 0.20 ×; 10 : 2.00 ×." in text
