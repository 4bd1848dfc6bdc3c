"""Golden phrases and properties of the French date/time parser."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.dates import (
    PARIS,
    Ambiguity,
    DateRange,
    PartOfDay,
    When,
    clarification_question,
    normalise,
    parse_when,
)

# Wednesday 15 April 2026, 10:00 (summer time)
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=PARIS)
# Friday 27 March 2026, 18:00: summer time starts on Sunday 29 March
NOW_DST = datetime(2026, 3, 27, 18, 0, tzinfo=PARIS)
# Wednesday 30 December 2026, 9:00
NOW_YEAR_END = datetime(2026, 12, 30, 9, 0, tzinfo=PARIS)

D = date
T = time


def p(text: str, now: datetime = NOW) -> When:
    return parse_when(text, now)


# ---------------------------------------------------------------------------
# golden phrases, resolved without question
# ---------------------------------------------------------------------------

GOLDEN = [
    # text, dates, start times, end times, duration
    ("demain", (D(2026, 4, 16),), (), (), None),
    ("après-demain", (D(2026, 4, 17),), (), (), None),
    ("lundi", (D(2026, 4, 20),), (), (), None),
    ("mardi prochain", (D(2026, 4, 21),), (), (), None),
    ("jeudi 15h30", (D(2026, 4, 16),), (T(15, 30),), (), None),
    ("jeudi à 15 h 30", (D(2026, 4, 16),), (T(15, 30),), (), None),
    ("le 12", (D(2026, 5, 12),), (), (), None),
    ("le 12/01", (D(2027, 1, 12),), (), (), None),
    ("le 3 décembre", (D(2026, 12, 3),), (), (), None),
    ("dans 10 jours", (D(2026, 4, 25),), (), (), None),
    ("à 14h", (), (T(14, 0),), (), None),
    ("de 9h à 10h", (), (T(9, 0),), (T(10, 0),), None),
    ("une heure", (), (), (), timedelta(hours=1)),
    ("45 minutes", (), (), (), timedelta(minutes=45)),
    # SMS style, missing accents
    ("apres demain", (D(2026, 4, 17),), (), (), None),
    ("apres-demain", (D(2026, 4, 17),), (), (), None),
    ("2main", (D(2026, 4, 16),), (), (), None),
    ("jeudi 15h", (D(2026, 4, 16),), (T(15, 0),), (), None),
    ("15h30", (), (T(15, 30),), (), None),
    ("le 12 janv", (D(2027, 1, 12),), (), (), None),
    ("le 3 decembre", (D(2026, 12, 3),), (), (), None),
    ("ds 10 jours", (D(2026, 4, 25),), (), (), None),
    ("a 14h", (), (T(14, 0),), (), None),
    ("jeu 15h", (D(2026, 4, 16),), (T(15, 0),), (), None),
    ("JEUDI 15H30", (D(2026, 4, 16),), (T(15, 30),), (), None),
    ("dem 9h", (D(2026, 4, 16),), (T(9, 0),), (), None),
    # more forms
    ("1h30", (), (), (), timedelta(hours=1, minutes=30)),
    ("une heure et demie", (), (), (), timedelta(hours=1, minutes=30)),
    ("pendant 2h", (), (), (), timedelta(hours=2)),
    ("une demi-heure", (), (), (), timedelta(minutes=30)),
    ("jusqu'à 11h", (), (), (T(11, 0),), None),
    ("jusqu'a 11h", (), (), (T(11, 0),), None),
    ("entre 14h et 15h30", (), (T(14, 0),), (T(15, 30),), None),
    ("jeudi 8h30-10h", (D(2026, 4, 16),), (T(8, 30),), (T(10, 0),), None),
    ("de 11h à 1h", (), (T(11, 0),), (T(13, 0),), None),
    ("le 12 à 14h pour 1h", (D(2026, 5, 12),), (T(14, 0),), (), timedelta(hours=1)),
    ("à 9h pendant 2 heures", (), (T(9, 0),), (), timedelta(hours=2)),
    ("midi", (), (T(12, 0),), (), None),
    ("à midi et demi", (), (T(12, 30),), (), None),
    ("10h moins le quart", (), (T(9, 45),), (), None),
    ("quinze heures trente", (), (T(15, 30),), (), None),
    ("à neuf heures", (), (T(9, 0),), (), None),
    ("8h du soir", (), (T(20, 0),), (), None),
    ("jeudi après-midi à 3h", (D(2026, 4, 16),), (T(15, 0),), (), None),
    ("celle de 14 h", (), (T(14, 0),), (), None),
    ("RDV le 20/4 a 9h", (D(2026, 4, 20),), (T(9, 0),), (), None),
    ("mardi 21 avril à 9h", (D(2026, 4, 21),), (T(9, 0),), (), None),
    ("le 1er mai", (D(2026, 5, 1),), (), (), None),
    ("le premier juin", (D(2026, 6, 1),), (), (), None),
    ("mardi de la semaine prochaine", (D(2026, 4, 21),), (), (), None),
    ("la semaine prochaine, jeudi", (D(2026, 4, 23),), (), (), None),
    ("jeudi en huit", (D(2026, 4, 23),), (), (), None),
    ("ce vendredi", (D(2026, 4, 17),), (), (), None),
    ("le 3 décembre 2026", (D(2026, 12, 3),), (), (), None),
    ("dans 2 semaines", (D(2026, 4, 29),), (), (), None),
    ("Je ne serai pas là jeudi", (D(2026, 4, 16),), (), (), None),
    ("non, plutôt vendredi", (D(2026, 4, 17),), (), (), None),
]


@pytest.mark.parametrize("text,dates,starts,ends,duration", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden(text, dates, starts, ends, duration):
    w = p(text)
    assert w.dates == dates
    assert w.start_times == starts
    assert w.end_times == ends
    assert w.duration == duration
    assert not w.ambiguous, w.ambiguities
    assert not w.past


def test_ce_soir_is_today_evening_without_time():
    w = p("ce soir")
    assert w.dates == (D(2026, 4, 15),)
    assert w.part_of_day is PartOfDay.EVENING
    assert w.start_times == ()


def test_morning_and_afternoon_are_parts_of_day_not_times():
    assert p("jeudi matin").part_of_day is PartOfDay.MORNING
    w = p("demain l'aprem")
    assert (w.dates, w.part_of_day, w.start_times) == ((D(2026, 4, 16),), PartOfDay.AFTERNOON, ())


def test_la_semaine_prochaine_is_a_range_to_ask_about():
    w = p("la semaine prochaine")
    assert w.dates == ()
    assert w.period == DateRange(D(2026, 4, 20), D(2026, 4, 26))
    assert w.ambiguities == (Ambiguity.PERIOD_WITHOUT_DAY,)
    assert clarification_question(w, NOW) == (
        "Quel jour exactement, entre le lundi 20 avril et le dimanche 26 avril ?"
    )


def test_replacement_gives_new_and_old_time():
    w = p("à 10 h au lieu de 9 h")
    assert w.start_time == T(10, 0)
    assert w.old_time == T(9, 0)
    assert w.replaces.dates == ()


def test_replacement_with_days_and_old_first():
    w = p("au lieu de mardi, jeudi à 15h")
    assert w.dates == (D(2026, 4, 16),)
    assert w.start_time == T(15, 0)
    assert w.replaces.dates == (D(2026, 4, 21),)


def test_same_day_afternoon_leaves_the_time_to_ask():
    w = p("même jour mais l'après-midi")
    assert w.same_day and w.reference_day_offset == 0
    assert w.part_of_day is PartOfDay.AFTERNOON
    assert w.start_times == () and not w.has_time
    assert w.dates == ()


def test_reference_relative_forms():
    w = p("le lendemain à la même heure")
    assert w.reference_day_offset == 1 and w.same_time
    assert p("une heure plus tard").shift == timedelta(hours=1)
    assert p("30 minutes plus tôt").shift == timedelta(minutes=-30)


def test_end_time_from_duration():
    w = p("jeudi à 15 h 30 pour 1 h")
    assert w.end_time == T(16, 30)


# ---------------------------------------------------------------------------
# ambiguity and past: asked back, never guessed
# ---------------------------------------------------------------------------

AMBIGUOUS = [
    ("le 15", (D(2026, 4, 15), D(2026, 5, 15)), Ambiguity.DAY_IS_TODAY),
    ("mercredi", (D(2026, 4, 15), D(2026, 4, 22)), Ambiguity.WEEKDAY_IS_TODAY),
    ("vendredi prochain", (D(2026, 4, 17), D(2026, 4, 24)), Ambiguity.NEXT_WEEKDAY),
    ("le 3 avril", (D(2026, 4, 3), D(2027, 4, 3)), Ambiguity.RECENTLY_PASSED),
    ("jeudi 17", (D(2026, 4, 16), D(2026, 4, 17)), Ambiguity.WEEKDAY_MISMATCH),
    ("lundi ou mardi", (D(2026, 4, 20), D(2026, 4, 21)), Ambiguity.SEVERAL_DATES),
]


@pytest.mark.parametrize("text,dates,reason", AMBIGUOUS, ids=[a[0] for a in AMBIGUOUS])
def test_ambiguous_dates_give_candidates(text, dates, reason):
    w = p(text)
    assert w.ambiguous and reason in w.ambiguities
    assert w.dates == dates
    assert w.date is None
    assert clarification_question(w, NOW).startswith("Vous parlez du ")


def test_weekday_of_today_question():
    now = datetime(2026, 3, 5, 9, 0, tzinfo=PARIS)  # a Thursday
    w = parse_when("jeudi", now)
    assert clarification_question(w, now) == "Vous parlez du jeudi 5 mars ou du jeudi 12 mars ?"


@pytest.mark.parametrize("text,candidates", [
    ("à 3h", (T(3, 0), T(15, 0))),
    ("à 2h", (T(2, 0), T(14, 0))),
    ("à une heure", (T(1, 0), T(13, 0))),
])
def test_hour_that_may_be_morning_or_afternoon(text, candidates):
    w = p(text)
    assert w.start_times == candidates
    assert Ambiguity.HOUR_AM_PM in w.ambiguities
    assert w.start_time is None
    assert clarification_question(w, NOW) == (
        f"Vous voulez dire {candidates[0].hour} h ou {candidates[1].hour} h ?"
    )


def test_hour_made_clear_by_part_of_day():
    assert p("à 3h de l'après-midi").start_times == (T(15, 0),)
    assert p("à 6h du matin").start_times == (T(6, 0),)
    assert not p("à 3h de l'après-midi").ambiguous


def test_several_times():
    w = p("à 9h ou 10h")
    assert w.start_times == (T(9, 0), T(10, 0))
    assert Ambiguity.SEVERAL_TIMES in w.ambiguities


@pytest.mark.parametrize("text,day", [
    ("hier", D(2026, 4, 14)),
    ("avant-hier", D(2026, 4, 13)),
    ("lundi dernier", D(2026, 4, 13)),
    ("le 3 mars 2025", D(2025, 3, 3)),
    ("le 12/01/2026", D(2026, 1, 12)),
    ("il y a 3 jours", D(2026, 4, 12)),
])
def test_past_dates_are_flagged(text, day):
    w = p(text)
    assert w.past
    assert w.dates == (day,)
    assert "est déjà passé" in clarification_question(w, NOW)


def test_time_already_passed_today_is_past():
    w = p("aujourd'hui à 8h")
    assert w.past
    assert clarification_question(w, NOW) == (
        "Le mercredi 15 avril à 8 h est déjà passé : de quel jour parlez-vous ?"
    )
    assert not p("aujourd'hui à 16h").past
    assert not p("ce matin").past  # 10:00: the morning is not over


def test_recently_passed_is_not_past_but_ambiguous():
    w = p("le 3 avril")
    assert not w.past
    assert clarification_question(w, NOW) == (
        "Vous parlez du vendredi 3 avril ou du samedi 3 avril 2027 ?"
    )


@pytest.mark.parametrize("text", [
    "", "bonjour", "je voudrais annuler", "merci beaucoup", "oui", "stop",
    "mon numéro est 06 12 34 56 78", "j'ai 85 ans", "mon code postal est 75012",
    "il y a 2 interventions", "j'ai 2 aides à domicile", "au 2e étage", "les 3 prochaines",
])
def test_no_date_at_all(text):
    w = p(text)
    assert w.is_empty
    assert clarification_question(w, NOW) is None


# ---------------------------------------------------------------------------
# a DST week and the end of a year
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,dates,starts", [
    ("demain", (D(2026, 3, 28),), ()),
    ("après-demain", (D(2026, 3, 29),), ()),
    ("lundi", (D(2026, 3, 30),), ()),
    ("mardi prochain", (D(2026, 3, 31),), ()),
    ("jeudi 15h30", (D(2026, 4, 2),), (T(15, 30),)),
    ("dans 10 jours", (D(2026, 4, 6),), ()),
    ("le 12", (D(2026, 4, 12),), ()),
    ("lundi à 9h", (D(2026, 3, 30),), (T(9, 0),)),
])
def test_dst_week(text, dates, starts):
    w = parse_when(text, NOW_DST)
    assert (w.dates, w.start_times) == (dates, starts)
    assert not w.ambiguous


def test_dst_offsets_follow_the_wall_clock():
    before = parse_when("demain à 9h", NOW_DST).starts()[0]
    after = parse_when("lundi à 9h", NOW_DST).starts()[0]
    assert before.utcoffset() == timedelta(hours=1)
    assert after.utcoffset() == timedelta(hours=2)
    assert (before.hour, after.hour) == (9, 9)


def test_dst_week_next_week_and_tonight():
    w = parse_when("la semaine prochaine", NOW_DST)
    assert w.period == DateRange(D(2026, 3, 30), D(2026, 4, 5))
    w = parse_when("ce soir", NOW_DST)
    assert w.dates == (D(2026, 3, 27),) and w.part_of_day is PartOfDay.EVENING


def test_now_in_another_timezone_is_read_in_paris():
    # 23:30 UTC on 14 April is already 15 April in Paris
    now_utc = datetime(2026, 4, 14, 23, 30, tzinfo=timezone.utc)
    assert parse_when("demain", now_utc).dates == (D(2026, 4, 16),)


@pytest.mark.parametrize("text,dates", [
    ("demain", (D(2026, 12, 31),)),
    ("après-demain", (D(2027, 1, 1),)),
    ("lundi", (D(2027, 1, 4),)),
    ("le 12", (D(2027, 1, 12),)),
    ("le 12/01", (D(2027, 1, 12),)),
    ("le 12 janv", (D(2027, 1, 12),)),
    ("dans 10 jours", (D(2027, 1, 9),)),
    ("le 31", (D(2026, 12, 31),)),
    ("mardi prochain", (D(2027, 1, 5),)),
])
def test_year_end(text, dates):
    w = parse_when(text, NOW_YEAR_END)
    assert w.dates == dates
    assert not w.ambiguous and not w.past


def test_year_end_ambiguities():
    w = parse_when("la semaine prochaine", NOW_YEAR_END)
    assert w.period == DateRange(D(2027, 1, 4), D(2027, 1, 10))
    w = parse_when("le 3 décembre", NOW_YEAR_END)
    assert w.dates == (D(2026, 12, 3), D(2027, 12, 3))
    assert w.ambiguities == (Ambiguity.RECENTLY_PASSED,)
    w = parse_when("le 30", NOW_YEAR_END)
    assert w.dates == (D(2026, 12, 30), D(2027, 1, 30))
    assert w.ambiguities == (Ambiguity.DAY_IS_TODAY,)


def test_29_february_never_jumps_years():
    assert parse_when("le 29/02", datetime(2026, 2, 25, 10, 0, tzinfo=PARIS)).is_empty
    assert parse_when("le 29 février", datetime(2027, 11, 2, 10, 0, tzinfo=PARIS)).dates == (D(2028, 2, 29),)


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        parse_when("demain", datetime(2026, 4, 15, 10, 0))


def test_normalise():
    assert normalise("Après-Demain à 15H30") == "apres demain a 15h 30"
    assert normalise("l’aprèm") == "l apres midi"


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]

nows = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 1),
).map(lambda d: d.replace(tzinfo=PARIS))


@settings(max_examples=150, deadline=None)
@given(now=nows, wd=st.integers(0, 6))
def test_weekday_is_within_the_next_seven_days_and_on_that_weekday(now, wd):
    w = parse_when(WEEKDAYS[wd], now)
    today = now.date()
    assert w.dates
    for d in w.dates:
        assert d.weekday() == wd
        assert 0 <= (d - today).days <= 7
    assert (len(w.dates) > 1) == (today.weekday() == wd)


@settings(max_examples=150, deadline=None)
@given(now=nows, day=st.integers(1, 28))
def test_day_of_month_is_the_next_one(now, day):
    w = parse_when(f"le {day}", now)
    today = now.date()
    assert all(d.day == day and d >= today for d in w.dates)
    assert 0 <= (w.dates[0] - today).days <= 31


@settings(max_examples=150, deadline=None)
@given(now=nows, day=st.integers(1, 28), month=st.integers(1, 12))
def test_day_month_is_never_silently_past(now, day, month):
    w = parse_when(f"le {day} {MONTHS[month - 1]}", now)
    today = now.date()
    assert all((d.day, d.month) == (day, month) for d in w.dates)
    assert w.dates[-1] >= today
    if len(w.dates) == 1:
        assert w.dates[0] >= today and not w.ambiguous
    else:
        assert w.ambiguities == (Ambiguity.RECENTLY_PASSED,)


@settings(max_examples=100, deadline=None)
@given(now=nows, n=st.integers(0, 60))
def test_in_n_days(now, n):
    assert parse_when(f"dans {n} jours", now).dates == (now.date() + timedelta(days=n),)


@settings(max_examples=100, deadline=None)
@given(now=nows, hour=st.integers(7, 23), minute=st.integers(0, 59))
def test_written_times_roundtrip(now, hour, minute):
    for text in (f"à {hour}h{minute:02d}", f"à {hour} h {minute:02d}", f"{hour}:{minute:02d}"):
        w = parse_when(text, now)
        assert w.start_times == (T(hour, minute),), text


FRAGMENTS = [
    "demain", "apres-demain", "jeudi", "mardi prochain", "le 12", "le 3 mars", "12/01",
    "à 14h", "15 h 30", "de 9h à 10h", "une heure", "45 minutes", "l'après-midi", "ce soir",
    "au lieu de", "9 h", "semaine prochaine", "hier", "dans 10 jours", "midi", "et", "ou",
    "bonjour", "annuler", "2", "le", "de", "à", "pour", "même jour", "jusqu'à", "3h",
]


@settings(max_examples=200, deadline=None)
@given(now=nows, words=st.lists(st.sampled_from(FRAGMENTS), max_size=6))
def test_never_crashes_and_never_naive(now, words):
    w = parse_when(" ".join(words), now)
    for start in w.starts():
        assert start.tzinfo is not None and start.utcoffset() is not None
    today = now.date()
    if not w.past and Ambiguity.RECENTLY_PASSED not in w.ambiguities:
        assert all(d >= today for d in w.dates)
    if w.dates and not w.ambiguous and not w.past:
        assert len(w.dates) == 1


@settings(max_examples=200, deadline=None)
@given(now=nows, text=st.text(max_size=40))
def test_arbitrary_text_never_crashes(now, text):
    parse_when(text, now)


def test_two_weekday_dates_keep_both_without_a_mismatch():
    # each weekday names its own date (Monday 2 March 2026)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
    when = parse_when("du mardi 3 au jeudi 5 mars", now)
    assert when.dates == (date(2026, 3, 3), date(2026, 3, 5))
    assert Ambiguity.WEEKDAY_MISMATCH not in when.ambiguities
    # a single weekday still picks among the dates, and a wrong one is still flagged
    assert parse_when("jeudi, le 5 ou le 6 mars", now).dates == (date(2026, 3, 5),)
    assert Ambiguity.WEEKDAY_MISMATCH in parse_when("mardi 4 mars", now).ambiguities


# ---------------------------------------------------------------------------
# numbers in words are read whole: "dix sept" is 17, never "dix" then "sept" (September)
# ---------------------------------------------------------------------------

COMPOUND_NUMBERS = [
    # text, dates, start times (NOW: Wednesday 15 April 2026, 10:00)
    ("à dix-sept heures", (), (T(17, 0),)),
    ("à dix sept heures", (), (T(17, 0),)),
    ("dix-sept h 15", (), (T(17, 15),)),
    ("vers dix-huit heures trente", (), (T(18, 30),)),
    ("à dix heures vingt-sept", (), (T(10, 27),)),
    ("à dix-neuf heures", (), (T(19, 0),)),
    ("le dix sept", (D(2026, 4, 17),), ()),
    ("le dix-sept à 14h", (D(2026, 4, 17),), (T(14, 0),)),
    ("le dix-huit", (D(2026, 4, 18),), ()),
    ("le vingt et un", (D(2026, 4, 21),), ()),
    ("dans vingt sept jours", (D(2026, 5, 12),), ()),
    ("dans vingt et un jours", (D(2026, 5, 6),), ()),
    ("dans dix-sept semaines", (D(2026, 8, 12),), ()),
    ("le vingt-sept mai", (D(2026, 5, 27),), ()),
    ("le trente et un mai", (D(2026, 5, 31),), ()),
    ("le dix sept septembre", (D(2026, 9, 17),), ()),
    # "sept" the month, after a whole number or digits
    ("le dix sept sept", (D(2026, 9, 17),), ()),
    ("le dix septembre", (D(2026, 9, 10),), ()),
    ("le 10 sept", (D(2026, 9, 10),), ()),
    ("le 17 sept.", (D(2026, 9, 17),), ()),
    ("rendez-vous le 10 sept à 14h", (D(2026, 9, 10),), (T(14, 0),)),
    ("jeudi 3 sept", (D(2026, 9, 3),), ()),
    ("mardi 8 sept à dix-sept heures", (D(2026, 9, 8),), (T(17, 0),)),
]


@pytest.mark.parametrize("text,dates,starts", COMPOUND_NUMBERS,
                         ids=[c[0] for c in COMPOUND_NUMBERS])
def test_compound_numbers_are_one_number(text, dates, starts):
    w = p(text)
    assert (w.dates, w.start_times) == (dates, starts)
    assert not w.ambiguous, w.ambiguities
    assert w.duration is None and not w.past


def test_vingt_sept_mars_is_the_27th_of_march():
    assert p("le vingt-sept mars", NOW_YEAR_END).dates == (D(2027, 3, 27),)
    w = p("le vingt sept mars")  # 27 March 2026 has just passed on 15 April
    assert w.dates == (D(2026, 3, 27), D(2027, 3, 27))
    assert w.ambiguities == (Ambiguity.RECENTLY_PASSED,)


def test_weekday_that_disagrees_with_sept_still_gives_september():
    w = p("mardi 3 sept")  # 3 September 2026 is a Thursday
    assert w.dates == (D(2026, 4, 21), D(2026, 9, 3))
    assert w.ambiguities == (Ambiguity.WEEKDAY_MISMATCH,)


@pytest.mark.parametrize("words,digits", [
    ("le dix", "le 10"), ("du deux au cinq", "du 2 au 5"), ("jeudi le trente", "jeudi le 30"),
    ("le dix sept au matin", "le 17 au matin"), ("au vingt-huit", "au 28"),
])
def test_a_day_in_words_after_an_article_reads_like_digits(words, digits):
    assert p(words) == p(digits)
    assert p(words).has_date


@pytest.mark.parametrize("text,dates", [
    ("j'ai dix-sept ans", ()), ("dix sept", ()), ("vingt sept", ()), ("le quarante", ()),
    ("demain un rendez-vous", (D(2026, 4, 16),)),  # in words, a day needs "le"/"du"/"au"
])
def test_numbers_in_words_that_are_no_day(text, dates):
    assert p(text).dates == dates


# ---------------------------------------------------------------------------
# the lexicon: every word of every table is read by the grammar and gives its value
# ---------------------------------------------------------------------------

from bot.domain.dates import lexicon as lx  # noqa: E402
from bot.domain.dates.scan import Mark, Piece, Scan  # noqa: E402

NEXT_THURSDAY = D(2026, 4, 16)  # NOW is Wednesday 15 April 2026, 10:00


def _in_minutes(minutes: int) -> tuple:
    return (T((10 * 60 + minutes) // 60 % 24, minutes % 60),)


def _lexicon_cases() -> list:
    """(phrase, When attribute, expected value), one or more per word of each table."""
    cases: list = []
    add = cases.append
    for word, n in lx.NUMBERS.items():  # read whole: "dix sept" is never "dix" + "sept" (Sept.)
        add((f"dans {word} jours", "dates", (NOW.date() + timedelta(days=n),)))
        if n <= 23:
            hours = (T(n),) if n == 0 or n >= 7 else (T(n), T(n + 12))  # 1-6: am or pm
            add((f"a {word} heures", "start_times", hours))
        if 1 <= n <= 31:
            add((f"le {word} mai", "dates", (D(2026, 5, n),)))
            add((f"le {word}", "dates", p(f"le {n}").dates))
    for word in lx.FIRST_DAY:
        add((f"le {word} mai", "dates", (D(2026, 5, 1),)))
    for word, wd in {**lx.WEEKDAYS, **lx.WEEKDAY_ABBREVIATIONS}.items():
        first = NOW.date() + timedelta(days=(wd - 2) % 7 or 7)
        add((f"{word} 15h", "dates", (NOW.date(), first) if wd == NOW.weekday() else (first,)))
    for word, month in lx.MONTHS.items():
        add((f"le 3 {word} 2027", "dates", (D(2027, month, 3),)))
    for word in lx.DAY_ARTICLES:
        add((f"{word} 20", "dates", (D(2026, 4, 20),)))
    for word in lx.DEMONSTRATIVES:
        add((f"{word} mercredi", "dates", (NOW.date(),)))
    for word, hint in lx.WEEKDAY_HINTS.items():
        day = NEXT_THURSDAY + timedelta(weeks=hint.weeks)
        both = (day, day + timedelta(days=7)) if hint.may_be_next_week else (day,)
        add((f"jeudi {word}", "dates", both))
    for word, said in lx.RELATIVE_DAYS.items():
        add((word, "dates", (NOW.date() + timedelta(days=said.offset),)))
        add((word, "part_of_day", said.part))
        add((word, "start_times", (T(said.hour),) if said.hour is not None else ()))
    for word, sign in lx.DELAY_DIRECTIONS.items():
        for unit_word, unit in lx.CALENDAR_UNITS.items():
            if unit is not lx.CalendarUnit.MONTH:
                days = 2 * sign * (7 if unit is lx.CalendarUnit.WEEK else 1)
                add((f"{word} 2 {unit_word}", "dates", (NOW.date() + timedelta(days=days),)))
    add(("dans 2 mois", "dates", (D(2026, 6, 15),)))
    for word, period in lx.PERIODS.items():
        add((word, "period", p(next(w for w, k in lx.PERIODS.items() if k is period)).period))
        add((word, "ambiguities", (Ambiguity.PERIOD_WITHOUT_DAY,)))
    for word in lx.PERIOD_LINKS:
        add((f"mardi {word} la semaine prochaine", "dates", (D(2026, 4, 21),)))
    for word in lx.REFERENCE_ARTICLES:
        for ref, offset in lx.REFERENCE_DAYS.items():
            add((f"{word} {ref}", "reference_day_offset", offset))
    for word in lx.SAME_TIME:
        add((f"a la {word}", "same_time", True))
    for part, (words, leads) in lx.PARTS_OF_DAY.items():
        for word in words:
            add((f"jeudi {word}", "part_of_day", part))
            for lead in leads:
                add((f"jeudi {lead} {word}", "part_of_day", part))
    for word, minutes in lx.TIME_UNITS.items():
        add((f"dans 2 {word}", "start_times", _in_minutes(2 * minutes)))
    for word, minutes in lx.DELAY_COUNTS.items():
        add((f"dans {word} heure", "start_times", _in_minutes(minutes)))
    for word, hour in lx.NAMED_HOURS.items():
        add((f"a {word}", "start_times", (T(hour),)))
    for word, minutes in lx.MINUTE_WORDS.items():
        add((f"a 10 h {word}", "start_times", (T(10 + minutes // 60, minutes % 60),)))
        add((f"midi {word}", "start_times", (T(12 + minutes // 60, minutes % 60),)))
    for n in lx.NOON_MINUTE_NUMBERS:
        word = next(w for w, v in lx.NUMBERS.items() if v == n)
        add((f"midi {word}", "start_times", (T(12, n),)))
    for word, minutes in lx.FRACTIONS_OF_HOUR.items():
        add((word, "duration", timedelta(minutes=minutes)))
    for word, sign in lx.SHIFT_DIRECTIONS.items():
        add((f"45 minutes plus {word}", "shift", timedelta(minutes=45 * sign)))
    for word, opener in lx.RANGE_JOINERS.items():
        add((f"{opener or 'de'} 9h {word} 10h", "end_times", (T(10),)))
    for word in lx.RANGE_OPENERS:
        add((f"{word} 9h a 10h", "start_times", (T(9),)))
    for word in lx.END_CUES:
        add((f"{word} 11h", "end_times", (T(11),)))
    # "jusqu'à 2 h" is an end (END_CUES); "de 2 h", "pour 2 h" are durations (hour up to 3)
    for word in lx.TIME_CUES - {"jusqua", "de", "pour"}:
        add((f"{word} 2h", "start_times", (T(2), T(14))))
    for word in lx.DURATION_CUES:
        add((f"{word} 9h", "duration", timedelta(hours=9)))
    for word in lx.YEARS:
        add((f"le 12 {word}", "dates", ()))
    return sorted(cases, key=repr)  # the same order in every process (sets above; xdist)


@pytest.mark.parametrize("text,attribute,expected", _lexicon_cases(), ids=lambda v: str(v)[:40])
def test_every_lexicon_word_is_read_and_gives_its_value(text, attribute, expected):
    assert getattr(p(text), attribute) == expected


def test_month_and_weekday_words_are_forms_of_the_right_name():
    # independent of the tables: the names as the assistant writes them (bot.domain.fr_format)
    from bot.domain.fr_format import DAYS, MONTHS as MONTH_NAMES
    for word, month in lx.MONTHS.items():
        assert normalise(MONTH_NAMES[month - 1]).startswith(word), word
    for word, wd in {**lx.WEEKDAYS, **lx.WEEKDAY_ABBREVIATIONS}.items():
        assert DAYS[wd].startswith(word), word
    some = ("seize", "quarante deux", "cinquante neuf")
    assert [lx.NUMBERS[w] for w in some] == [16, 42, 59]


@pytest.mark.parametrize("canonical,variant", [
    (canonical, variant) for canonical, variants in lx.SPELLINGS.items() for variant in variants
])
def test_every_spelling_variant_becomes_its_canonical_form(canonical, variant):
    assert normalise(f"x {variant} x") == normalise(f"x {canonical} x")
    assert variant != canonical


def test_forms_that_agree_since_the_word_lists_are_shared():
    # the old grammar had one unit and one minute word missing from a second copy of the list
    assert p("dans 10 mins").start_times == p("dans 10 min").start_times == (T(10, 10),)
    assert p("midi moins quart").start_times == p("midi moins le quart").start_times == (T(11, 45),)


# ---------------------------------------------------------------------------
# the scan: masked text and the pieces beside it
# ---------------------------------------------------------------------------

def test_scan_keeps_one_piece_per_mask_in_text_order():
    scan = Scan("a b c d")
    scan.take(re.compile(r"\bc\b"), lambda m: Piece(Mark.DURATION, 3))
    scan.take(re.compile(r"\ba\b"), lambda m: Piece(Mark.DATE))
    scan.take(re.compile(r"\bd\b"), lambda m: None)  # None leaves the text
    assert scan.text.split() == ["DATE", "b", "DUR", "d"]
    assert [piece for piece, _ in scan.masks()] == [Piece(Mark.DATE), Piece(Mark.DURATION, 3)]
    assert scan.mark_before(scan.text.index("b")) is Mark.DATE
    assert scan.mark_after(scan.text.index("b") + 1) is Mark.DURATION
    assert scan.mark_before(scan.text.index("d")) is Mark.DURATION


def test_the_last_shift_said_wins_whichever_pass_found_its_duration():
    # "une heure" is found by the hours pass, "30 minutes" earlier by the minutes pass
    assert p("une heure plus tard, enfin non, 30 minutes plus tôt").shift == timedelta(minutes=-30)
    assert p("30 minutes plus tôt, enfin non, une heure plus tard").shift == timedelta(hours=1)
