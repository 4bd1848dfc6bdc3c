"""``amper feedback report`` in French, run in-process (``cli.main``) on SQLite and
PostgreSQL, and the purge's line about the votes."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.entrypoints import cli
from bot.service_layer import services
from tests.integration.conftest import NOW


@pytest.fixture
def votes(url, uow, monkeypatch):
    monkeypatch.setenv("AMPER_DATABASE_URL", url)
    for days, intent, value in ((0, "faq/tarif_horaire", "down"), (0, "faq/tarif_horaire", "up"),
                                (0, "faq/tarif_horaire", "down"), (5, "greet", "up"),
                                (5, "faq/zone_d_intervention", "down")):
        services.record_feedback(uow, intent=intent, value=value, now=NOW + timedelta(days=days))
    return url


def test_the_report_is_a_french_table_the_least_useful_first(votes, capsys):
    assert cli.main(["feedback", "report"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("Votes sur les réponses (toute la période conservée), les moins utiles "
                        "d'abord :")
    assert [line.split() for line in lines[1:]] == [
        ["intention", "utile", "pas", "utile", "total"],
        ["faq/tarif_horaire", "1", "2", "3"], ["faq/zone_d_intervention", "0", "1", "1"],
        ["greet", "1", "0", "1"], ["total", "2", "3", "5"]]


def test_the_report_of_a_period_and_in_json(votes, capsys):
    assert cli.main(["feedback", "report", "--since", "2026-03-07", "--until", "2026-03-07",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"intent": "faq/zone_d_intervention", "up": 0, "down": 1, "total": 1},
        {"intent": "greet", "up": 1, "down": 0, "total": 1}]
    assert cli.main(["feedback", "report", "--until", "2026-03-01"]) == 0
    assert capsys.readouterr().out == "Aucun vote sur les réponses (jusqu'au 01/03/2026).\n"
    assert cli.main(["feedback", "report", "--since", "2026-03-03"]) == 0
    assert "(depuis le 03/03/2026)" in capsys.readouterr().out


def test_wrong_dates_are_said_in_french(votes, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["feedback", "report", "--since", "02/03/2026"])
    assert stop.value.code == 2
    assert "date invalide (« 02/03/2026 ») : AAAA-MM-JJ attendu" in capsys.readouterr().err
    assert cli.main(["feedback", "report", "--since", "2026-03-07", "--until",
                     "2026-03-02"]) == 1
    assert "Période vide : le 07/03/2026 est après le 02/03/2026." in capsys.readouterr().err


def test_the_purge_says_how_many_votes_it_deletes(votes, capsys, tmp_path):
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    assert cli.main(["purge", "--dry-run", "--tracker-url", tracker]) == 0
    assert "votes sur les réponses effacés : 0 (à faire)" in capsys.readouterr().out
