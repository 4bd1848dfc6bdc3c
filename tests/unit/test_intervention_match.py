"""Matching a parsed French expression against a client's upcoming interventions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import PARIS, When, parse_when
from bot.domain.intervention_match import match_ids, match_interventions, target_of

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=PARIS)  # Wednesday


@dataclass(frozen=True)
class Visit:
    id: str
    start: datetime
    end: datetime


def visit(id_: str, day: int, hour: int, minute: int = 0, minutes: int = 60, month: int = 4) -> Visit:
    start = datetime(2026, month, day, hour, minute, tzinfo=PARIS)
    return Visit(id_, start, start + timedelta(minutes=minutes))


PLANNING = [
    visit("thu-09", 16, 9),            # demain / jeudi, morning
    visit("thu-14", 16, 14),           # demain / jeudi, afternoon
    visit("fri-14", 17, 14),
    visit("tue-09", 21, 9),            # mardi prochain
    visit("thu2-1330", 23, 13, 30, 90),  # next Thursday, 13:30-15:00
    visit("may12-08", 12, 8, month=5),   # le 12
]


def ids(text: str, planning=PLANNING, now: datetime = NOW) -> list[str]:
    return [v.id for v in match_interventions(parse_when(text, now), planning)]


@pytest.mark.parametrize("text,expected", [
    ("demain", ["thu-09", "thu-14"]),
    ("jeudi", ["thu-09", "thu-14"]),
    ("jeudi matin", ["thu-09"]),
    ("demain après-midi", ["thu-14"]),
    ("le 12", ["may12-08"]),
    ("celle du 12", ["may12-08"]),
    ("mardi prochain", ["tue-09"]),
    ("jeudi à 14h", ["thu-14"]),
    ("jeudi 14h", ["thu-14"]),
    ("celle de 9 h", ["thu-09", "tue-09"]),
    ("la semaine prochaine", ["tue-09", "thu2-1330"]),
    ("samedi", []),
    ("après-demain", ["fri-14"]),
    ("le 17/04", ["fri-14"]),
    ("vendredi 17 avril", ["fri-14"]),
])
def test_matches(text, expected):
    assert ids(text) == expected


def test_celle_de_14h_on_any_day_then_running_at_that_time():
    # exact start at 14:00 on Thursday and Friday
    assert ids("celle de 14 h") == ["thu-14", "fri-14"]
    # nothing starts at 14:00 next Thursday, but the 13:30-15:00 visit runs then
    assert ids("jeudi en huit à 14h") == ["thu2-1330"]


def test_ambiguous_weekday_matches_every_candidate():
    now = datetime(2026, 4, 16, 7, 0, tzinfo=PARIS)  # Thursday morning
    when = parse_when("jeudi", now)
    assert when.ambiguous
    assert [v.id for v in match_interventions(when, PLANNING)] == ["thu-09", "thu-14", "thu2-1330"]


def test_ambiguous_hour_matches_either_reading():
    assert ids("demain à 2 h") == ["thu-14"]


def test_replacement_targets_the_old_slot():
    when = parse_when("jeudi à 10 h au lieu de 9 h", NOW)
    assert [v.id for v in match_interventions(target_of(when), PLANNING)] == ["thu-09", "tue-09"]
    assert target_of(parse_when("demain", NOW)) == parse_when("demain", NOW)


def test_nothing_understood_matches_nothing():
    assert ids("bonjour") == []
    assert match_interventions(When(), PLANNING) == []
    # relative forms speak about an intervention already chosen
    assert ids("même jour mais l'après-midi") == ["thu-14", "fri-14", "thu2-1330"]
    assert ids("le lendemain") == []


def test_utc_interventions_are_read_in_paris():
    # 22:30 UTC on 16 April is 00:30 on 17 April in Paris
    late = Visit("late", datetime(2026, 4, 16, 22, 30, tzinfo=timezone.utc),
                 datetime(2026, 4, 16, 23, 30, tzinfo=timezone.utc))
    assert ids("vendredi", [late]) == ["late"]
    assert ids("jeudi", [late]) == []


def test_results_are_chronological_and_ids_helper():
    shuffled = list(reversed(PLANNING))
    assert ids("celle de 14 h", shuffled) == ["thu-14", "fri-14"]
    assert match_ids(parse_when("demain", NOW), shuffled) == ["thu-09", "thu-14"]


def test_naive_intervention_is_refused():
    naive = Visit("x", datetime(2026, 4, 16, 9), datetime(2026, 4, 16, 10))
    with pytest.raises(ValueError):
        match_interventions(parse_when("demain", NOW), [naive])


@settings(max_examples=100, deadline=None)
@given(
    offsets=st.lists(st.integers(0, 24 * 30), min_size=0, max_size=12),
    text=st.sampled_from(["demain", "jeudi", "le 20", "mardi prochain", "à 14h", "celle de 9 h",
                          "la semaine prochaine", "jeudi matin", "lundi à 9h"]),
)
def test_matches_are_a_subset_consistent_with_the_date(offsets, text):
    planning = [
        Visit(str(i), NOW.replace(minute=0) + timedelta(hours=h), NOW.replace(minute=0) + timedelta(hours=h + 1))
        for i, h in enumerate(offsets)
    ]
    when = parse_when(text, NOW)
    found = match_interventions(when, planning)
    assert all(v in planning for v in found)
    days = when.candidate_days()
    for v in found:
        if days:
            assert v.start.astimezone(PARIS).date() in days
