"""The tuning scripts start from what config.yml says, not from the component's defaults."""
from __future__ import annotations

import yaml

from bot.settings import PROJECT_ROOT


def test_a_linear_variant_starts_from_the_pipeline_settings():
    from benchmarks.linear_cv import parse_overrides, pipeline_config
    from bot.nlu.linear_classifier import LinearIntentClassifier

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    [step] = [s for s in config["pipeline"] if s["name"].endswith(".LinearIntentClassifier")]
    settings = pipeline_config()
    assert settings == {k: v for k, v in step.items() if k != "name"}
    defaults = LinearIntentClassifier.get_default_config()
    assert any(defaults.get(k) != v for k, v in settings.items())  # else this test proves nothing
    assert parse_overrides(["C=100", 'vectors=""', "char_ngram=[2,4]"]) == \
        {"C": 100, "vectors": "", "char_ngram": [2, 4]}


def test_the_ensemble_sweep_reads_and_writes_in_the_folder_it_is_given(tmp_path):
    """``--out`` keeps a variant's folds and sweep apart from config.yml's (its own folder)."""
    import json
    import subprocess
    import sys

    def ranked(label):
        return [{"label": label, "confidence": 0.9}, {"label": "greet", "confidence": 0.1}]

    rows = [{"text": "vous prenez les chèques ?", "label": "faq/payment_methods",
             "linear": ranked("faq/payment_methods"), "diet": ranked("faq/payment_methods")},
            {"text": "quel temps demain ?", "label": "out_of_scope",
             "linear": ranked("out_of_scope"), "diet": ranked("out_of_scope")}]
    (tmp_path / "fold0.json").write_text(json.dumps(rows), encoding="utf-8")
    default_sweep = PROJECT_ROOT / "reports" / "tuning" / "ensemble" / "sweep.md"
    before = default_sweep.stat().st_mtime_ns if default_sweep.exists() else None

    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "ensemble_cv.py"),
                           "--sweep-only", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    sweep = (tmp_path / "sweep.md").read_text(encoding="utf-8")
    assert "(2 phrases, cross-validation)" in sweep
    assert "| 0.7 | 0.3 | 0.6 | 100.0% | 0.0% | 0.0% | 100.0% | 100.0% |" in sweep
    after = default_sweep.stat().st_mtime_ns if default_sweep.exists() else None
    assert after == before  # config.yml's sweep untouched

    missing = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "ensemble_cv.py"),
                              "--sweep-only", "--config", str(tmp_path / "nope.yml")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0 and "no such config" in missing.stderr
