from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.fr_format import (
    format_date, format_datetime, format_duration, format_slot, format_time,
)

PARIS = ZoneInfo("Europe/Paris")


def test_words():
    d = datetime(2026, 3, 5, 9, tzinfo=PARIS)
    assert format_date(d) == "jeudi 5 mars"
    assert format_date(d, with_year=True) == "jeudi 5 mars 2026"
    assert format_datetime(d) == "jeudi 5 mars à 9 h"
    assert format_time(d.replace(hour=15, minute=30)) == "15 h 30"
    assert format_time(d.replace(hour=0, minute=5)) == "0 h 05"
    assert format_slot(d, d.replace(hour=10)) == "jeudi 5 mars, 9 h–10 h"
    assert format_date(datetime(2026, 3, 1, tzinfo=PARIS)) == "dimanche 1er mars"
    assert format_date(datetime(2026, 8, 15, tzinfo=PARIS)) == "samedi 15 août"


def test_converts_to_paris():
    utc = datetime(2026, 7, 1, 7, 30, tzinfo=timezone.utc)
    assert format_datetime(utc) == "mercredi 1er juillet à 9 h 30"


def test_slot_over_midnight():
    s = datetime(2026, 3, 5, 23, tzinfo=PARIS)
    assert format_slot(s, s + timedelta(hours=2)) == "jeudi 5 mars, 23 h – vendredi 6 mars, 1 h"


def test_durations():
    assert format_duration(timedelta(minutes=45)) == "45 minutes"
    assert format_duration(timedelta(minutes=90)) == "1 h 30"
    assert format_duration(timedelta(hours=2)) == "2 h"
    assert format_duration(timedelta(days=2)) == "2 jours"
    assert format_duration(timedelta(days=1, hours=3)) == "1 jour et 3 h"


def test_naive_refused():
    with pytest.raises(ValueError):
        format_date(datetime(2026, 3, 5))
