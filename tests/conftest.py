"""Shared fixtures: the trained model (built by `make train`); the robustness tally's report."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

MODEL = Path(os.environ.get("AMPER_TEST_MODEL", PROJECT_ROOT / "models" / "amper.tar.gz"))


#: fixtures that need the trained model or start real servers: their tests are ``slow``
SLOW_FIXTURES = {"model_path", "model_runner", "stack", "client", "fixed_agent"}
#: modules whose tests start real servers or programs themselves: all of tests/e2e, the
#: dispatcher against local SMTP and webhook servers (its bookkeeping is tested on the
#: in-memory store in tests/unit/test_dispatch_fake.py, which stays in the fast suite), and
#: the `amper` command run as real processes (~0.5 s each)
SLOW_MODULES = ("tests/e2e/", "tests/integration/test_dispatch.py",
                "tests/integration/test_cli.py")


def pytest_collection_modifyitems(config, items):
    """``slow`` on every test that needs the model or real servers, so that
    ``make test-fast`` (-m "not slow and not postgres") runs without a trained model."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or \
                item.nodeid.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


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


# -- the robustness tally (tests/e2e/conftest.py), also when pytest-xdist runs the tests -------


def _tally():
    from tests.e2e import conftest as e2e

    return e2e.TALLY, e2e.TALLY_NOTES


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the tally over
        tally, notes = _tally()
        session.config.workeroutput["amper_tally"] = json.dumps({"tally": tally, "notes": notes})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    data = json.loads(getattr(node, "workeroutput", {}).get("amper_tally") or "{}")
    tally, notes = _tally()
    for category, row in (data.get("tally") or {}).items():
        mine = tally.setdefault(category, {"tried": 0, "passed": 0, "known": 0, "failed": 0})
        for key, value in row.items():
            mine[key] = mine.get(key, 0) + value
    notes.extend(data.get("notes") or [])


def pytest_terminal_summary(terminalreporter):
    tally, notes = _tally()
    if not tally:
        return
    tr = terminalreporter
    tr.section("robustesse : cas essayés et réussis")
    width = max(len(c) for c in tally)
    tr.write_line(f"{'catégorie'.ljust(width)}  essayés  réussis  connus(xfail)  échecs")
    for category, row in tally.items():
        tr.write_line(f"{category.ljust(width)}  {row['tried']:7d}  {row['passed']:7d}  "
                      f"{row['known']:13d}  {row['failed']:6d}")
    for note in notes:
        tr.write_line(note)
