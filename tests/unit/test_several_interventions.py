"""Reading a request for several interventions: "all of them" and date ranges (pure)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.chat import wording
from bot.chat.understanding import as_period, wants_all
from bot.domain.dates import Ambiguity, parse_when
from bot.domain.model import Intervention

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))  # Friday


@pytest.mark.parametrize("text", [
    "annulez toute la semaine prochaine", "toutes", "Toutes les 3", "les deux",
    "je veux tout annuler", "l'ensemble svp", "tous mes passages",
])
def test_all_of_them(text):
    assert wants_all(text)


@pytest.mark.parametrize("text", [
    "annuler la semaine prochaine", "tout de suite svp", "pas du tout", "tout à fait",
    "toutes sauf mardi", "tous excepté jeudi", "celle de jeudi", "",
    '/inform{"intervention_id":"toutes"}',
])
def test_not_all_of_them(text):
    assert not wants_all(text)


def _period(text):
    when = as_period(parse_when(text, NOW), text, NOW)
    return when.period and (when.period.first, when.period.last), when


@pytest.mark.parametrize("text, first, last", [
    ("du 3 au 10 décembre", date(2026, 12, 3), date(2026, 12, 10)),
    ("entre le 3 et le 10 décembre", date(2026, 12, 3), date(2026, 12, 10)),
    ("du lundi au jeudi", date(2026, 11, 30), date(2026, 12, 3)),
    ("du 28 novembre au 2 décembre", date(2026, 11, 28), date(2026, 12, 2)),
    ("jusqu'au 15 décembre", date(2026, 11, 27), date(2026, 12, 15)),
    ("jusqu'à mardi", date(2026, 11, 27), date(2026, 12, 1)),
])
def test_ranges_are_periods(text, first, last):
    bounds, when = _period(text)
    assert bounds == (first, last)
    assert when.dates == () and when.ambiguities == (Ambiguity.PERIOD_WITHOUT_DAY,)


@pytest.mark.parametrize("text", [
    "lundi et mardi",        # two days, not the days between
    "lundi ou mardi",
    "le 3 décembre",
    "jusqu'à 11 h mardi",    # an end time
    "du 3 janvier au 30 juin",  # too long to be a request here
])
def test_not_ranges(text):
    bounds, _ = _period(text)
    assert bounds is None


def _i(iid, day, hour):
    start = datetime(2026, 12, day, hour, tzinfo=NOW.tzinfo)
    return Intervention(id=1, external_id=iid, client_number="1", client_name="X",
                        sector="Nord", caregiver="Marie", start=start,
                        end=start.replace(hour=hour + 1), service="Ménage")


def test_group_recap_says_each_consequence_and_the_billed_count():
    items = [_i("A", 1, 9), _i("B", 3, 9), _i("C", 5, 14)]
    recap = wording.group_recap(items, ["cancellation_billable", "cancellation_free",
                                        "cancellation_billable"], "personnel")
    lines = recap.split("\n")
    assert lines[0] == "Récapitulatif : annulation de 3 interventions, motif : raison personnelle."
    assert lines[1].startswith("- mardi 1er décembre") and "facturée" in lines[1]
    assert "gratuite" in lines[2] and "facturée" in lines[3]
    assert lines[4] == "2 sur 3 seront facturées (prévenues moins de 48 h avant)."
