"""Shared fixtures: the trained model (built by `make train`)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

MODEL = Path(os.environ.get("AMPER_TEST_MODEL", PROJECT_ROOT / "models" / "amper.tar.gz"))


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make train` (make test does it).")
    return MODEL


@pytest.fixture(scope="session")
def model_runner(model_path):
    from bot.nlu.evaluation import ModelRunner

    runner = ModelRunner(model_path)
    yield runner
    runner.close()
