"""The tuning script starts from what config.yml says, not from the component's defaults."""
from __future__ import annotations

import yaml

from bot.settings import PROJECT_ROOT


def test_a_linear_variant_starts_from_the_pipeline_settings():
    from benchmarks.linear_cv import ISSUE17, parse_overrides, pipeline_config
    from bot.nlu.linear_classifier import LinearIntentClassifier
    from bot.nlu.linear_model import LinearSettings

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    [step] = [s for s in config["pipeline"] if s["name"].endswith(".LinearIntentClassifier")]
    settings = pipeline_config()
    assert settings == {k: v for k, v in step.items() if k != "name"}
    defaults = LinearIntentClassifier.get_default_config()
    assert any(defaults.get(k) != v for k, v in settings.items())  # else this test proves nothing
    assert parse_overrides(["C=100", 'min_df=2', "char_ngram=[2,4]"]) == \
        {"C": 100, "min_df": 2, "char_ngram": [2, 4]}
    for overrides in ISSUE17.values():  # every variant of the table is a valid configuration
        LinearSettings.from_config({**settings, **overrides})
