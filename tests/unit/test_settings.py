"""bot/settings.py: one home for the environment, every variable documented and checked."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import settings
from bot.entrypoints import cli

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_without_any_variable():
    assert settings.database({}).url.startswith("sqlite:///") and settings.database({}).url.endswith(
        "var/amper.db")
    assert settings.database({}).connect_timeout == 5
    assert settings.servers({}) == settings.ServerSettings(rasa_port=5005, actions_port=5055,
                                                           debug=False)
    assert settings.secret({}) == ""
    assert settings.encoder({}) == settings.EncoderSettings(threads=None,
                                                            cache=".cache/embeddings")
    assert settings.check({}) == []


def test_values_are_read_and_typed():
    env = {"AMPER_RASA_PORT": " 6005 ", "AMPER_DEBUG": "oui", "AMPER_DB_CONNECT_TIMEOUT": "12",
           "AMPER_ENCODER_THREADS": "2", "AMPER_EMBEDDING_CACHE": "",
           "AMPER_DATABASE_URL": "postgresql+psycopg2://u@localhost/amper"}
    assert settings.servers(env).rasa_port == 6005 and settings.servers(env).debug is True
    assert settings.database(env) == settings.DatabaseSettings(
        url="postgresql+psycopg2://u@localhost/amper", connect_timeout=12)
    assert settings.encoder(env) == settings.EncoderSettings(threads=2, cache="")


@pytest.mark.parametrize("name, value, words", [
    ("AMPER_RASA_PORT", "cinquante", "AMPER_RASA_PORT invalide"),
    ("AMPER_ACTIONS_PORT", "70000", "entre 1 et 65535"),
    ("AMPER_DB_CONNECT_TIMEOUT", "0", "AMPER_DB_CONNECT_TIMEOUT invalide"),
    ("AMPER_DEBUG", "peut-être", "1 ou 0 attendu"),
    ("AMPER_SECRET", "court", "AMPER_SECRET trop court"),
    ("AMPER_DATABASE_URL", "var/amper.db", "sqlite:///var/amper.db"),
    ("AMPER_ENCODER_THREADS", "-1", "AMPER_ENCODER_THREADS invalide"),
])
def test_each_bad_value_is_named_in_french(name, value, words):
    problems = settings.check({name: value})
    assert len(problems) == 1 and words in problems[0], problems


def test_every_problem_is_reported_at_once():
    problems = settings.check({"AMPER_RASA_PORT": "x", "AMPER_SECRET": "court"})
    assert len(problems) == 2
    assert "README" in settings.report(problems)


def test_the_cli_stops_at_start_with_the_french_message(monkeypatch, capsys):
    monkeypatch.setenv("AMPER_ACTIONS_PORT", "port")
    assert cli.main(["sector", "list"]) == 2
    err = capsys.readouterr().err
    assert "Erreur de configuration" in err and "AMPER_ACTIONS_PORT invalide" in err


def test_only_the_settings_module_reads_the_environment():
    """(a program may still set a variable for itself or its children: --database-url)"""
    readers = []
    for path in sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("actions").rglob("*.py")]):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?:\.get|getenv)\(\s*[\"'](AMPER_\w+)|environ\[\s*[\"'](AMPER_\w+)[\"']\](?!\s*=[^=])",
                                 text):
            readers.append(f"{path.relative_to(ROOT)} reads {match.group(1) or match.group(2)}")
    allowed = {"bot/settings.py"}
    assert [r for r in readers if r.split(" ")[0] not in allowed] == []


def test_every_variable_is_in_the_readme_table():
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `"))
    names = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("actions").rglob("*.py")]:
        names |= set(re.findall(r"\bAMPER_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    # the test suite's and the benchmarks' (given by scripts/with-*.sh), documented with them
    names -= {"AMPER_TEST_POSTGRES_URL", "AMPER_TEST_REDIS_URL"}
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert missing == [], f"variables missing from the README configuration table: {missing}"
