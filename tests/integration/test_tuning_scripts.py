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
