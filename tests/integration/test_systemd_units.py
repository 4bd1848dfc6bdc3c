"""The reference systemd units of deploy/systemd parse cleanly (systemd-analyze verify, with
the paths pointed at this checkout), and every one starts an `amper serve` that exists."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from bot.settings import PROJECT_ROOT

UNITS = sorted((PROJECT_ROOT / "deploy" / "systemd").glob("*.service"))
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze absent")


def _local(unit, tmp_path, text=None):
    text = (text or unit.read_text(encoding="utf-8"))
    text = text.replace("/opt/amper/.venv/bin/amper", str(PROJECT_ROOT / ".venv" / "bin" / "amper"))
    text = text.replace("/etc/amper/amper.env", str(PROJECT_ROOT / "deploy" / "amper.env.example"))
    text = text.replace("/opt/amper", str(PROJECT_ROOT))
    name = unit.name.replace("@.service", "@5005.service")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _verify(path):
    done = subprocess.run([ANALYZE, "verify", "--man=no", str(path)], capture_output=True,
                          text=True, timeout=60)
    return (done.stdout + done.stderr).strip()


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_parses_and_runs_an_amper_server(unit, tmp_path):
    assert _verify(_local(unit, tmp_path)) == ""
    command = re.search(r"^ExecStart=\S+ serve (\w+)$", unit.read_text(), re.M).group(1)
    assert command in {"rasa", "actions", "gateway", "dispatcher"}


def test_a_broken_unit_is_caught(tmp_path):
    unit = UNITS[0]
    broken = unit.read_text().replace("Restart=on-failure", "Restart=sometimes")
    assert "restart" in _verify(_local(unit, tmp_path, broken)).lower()


def test_the_units_commands_exist():
    """Every `amper serve X` a unit starts is a command of this checkout."""
    done = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "amper"), "serve", "--help"],
                          capture_output=True, text=True, timeout=120)
    for unit in UNITS:
        command = re.search(r"^ExecStart=\S+ serve (\w+)$", unit.read_text(), re.M).group(1)
        assert command in done.stdout, (command, done.stdout)
