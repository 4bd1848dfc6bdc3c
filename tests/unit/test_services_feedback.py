"""The votes on the chat's answers on the in-memory store: recording (what is kept, what is
refused), the report by intent, the intent of an answer from Rasa's parse, the retention
(purge and the dispatcher's daily purge).  The same on SQLite and PostgreSQL:
tests/integration/test_feedback_store.py."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest

from bot import settings
from bot.domain.errors import InvalidInput, ServiceError
from bot.service_layer import services
from bot.service_layer.dispatch import Dispatcher, DispatchSettings
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, PARIS

TODAY = NOW.date()
RETENTION = settings.RetentionSettings(conversations_days=30, requests_days=400, outbox_days=7,
                                       feedback_days=400)


def vote(uow, intent="faq/tarif_horaire", value="up", **kw):
    services.record_feedback(uow, intent=intent, value=value, **{"now": NOW, **kw})


def rows(uow):
    return sorted(uow.store.feedback_votes.rows)


def test_a_vote_keeps_the_day_the_intent_the_value_and_the_channel_only():
    uow = FakeUnitOfWork()
    vote(uow, value="up")
    vote(uow, "faq/zone", "down", channel="phone", now=NOW + timedelta(days=1, hours=14))
    assert rows(uow) == [(TODAY, "faq/tarif_horaire", 1, "web"),
                         (TODAY + timedelta(days=1), "faq/zone", -1, "phone")]
    assert all(type(row[0]) is date for row in rows(uow))  # the day, never the time
    assert uow.commits == 2


def test_the_day_is_the_day_in_paris():
    uow = FakeUnitOfWork()
    vote(uow, now=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc))  # 0 h 30 in Paris
    assert rows(uow)[0][0] == date(2026, 3, 2)
    with pytest.raises(InvalidInput, match="fuseau horaire"):
        vote(uow, now=datetime(2026, 3, 2, 9, 0))


@pytest.mark.parametrize("given, stored", [
    ("faq/tarif_horaire", "faq/tarif_horaire"), (" greet ", "greet"),
    ("nlu_fallback", "nlu_fallback"), ("a" * 100, "a" * 100), ("a" * 101, "inconnu"),
    ("", "inconnu"), (None, "inconnu"), ("Faq/Tarif", "inconnu"), ("faq tarif", "inconnu"),
    ("faq/tarif;drop", "inconnu"), ("Mme Dupont 1001", "inconnu"), (42, "inconnu"),
])
def test_an_intent_that_is_not_an_intent_name_is_stored_as_unknown(given, stored):
    uow = FakeUnitOfWork()
    vote(uow, given)
    assert rows(uow)[0][1] == stored == services.clean_intent(given)


@pytest.mark.parametrize("value", ["UP", "bof", "", None, 1, "+1"])
def test_a_vote_other_than_up_or_down_is_refused_in_french(value):
    uow = FakeUnitOfWork()
    with pytest.raises(ServiceError, match="Vote inconnu : « up » \\(utile\\) ou « down »"):
        vote(uow, value=value)
    assert rows(uow) == [] and uow.commits == 0


def test_an_unknown_channel_is_refused():
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidInput, match="Canal inconnu"):
        vote(uow, channel="sms")
    assert rows(uow) == []


def test_the_report_counts_by_intent_the_least_useful_first():
    uow = FakeUnitOfWork()
    for intent, value, times in (("greet", "up", 5), ("faq/tarif_horaire", "down", 3),
                                 ("faq/tarif_horaire", "up", 1), ("faq/zone", "down", 3),
                                 ("faq/zone", "up", 4), ("faq/aide", "down", 1)):
        for _ in range(times):
            vote(uow, intent, value)
    report = services.feedback_report(uow)
    assert [(r.intent, r.up, r.down, r.total) for r in report] == [
        ("faq/tarif_horaire", 1, 3, 4), ("faq/zone", 4, 3, 7), ("faq/aide", 0, 1, 1),
        ("greet", 5, 0, 5)]
    assert services.feedback_report(FakeUnitOfWork()) == []


def test_the_report_period_includes_both_days():
    uow = FakeUnitOfWork()
    for days in range(5):
        vote(uow, now=NOW + timedelta(days=days))
    report = services.feedback_report(uow, since=TODAY + timedelta(days=1),
                                      until=TODAY + timedelta(days=3))
    assert [(r.intent, r.up) for r in report] == [("faq/tarif_horaire", 3)]
    assert services.feedback_report(uow, since=TODAY + timedelta(days=4))[0].up == 1
    assert services.feedback_report(uow, until=TODAY)[0].up == 1
    with pytest.raises(InvalidInput, match="Période vide : le 03/03/2026 est après le "
                                           "02/03/2026"):
        services.feedback_report(uow, since=TODAY + timedelta(days=1), until=TODAY)


def test_the_purge_deletes_the_votes_older_than_the_retention():
    uow = FakeUnitOfWork()
    later = NOW + timedelta(days=500)
    for days_before in (401, 400, 10):
        vote(uow, now=later - timedelta(days=days_before))
    dry = services.purge_store(uow, now=later, retention=RETENTION, dry_run=True)
    assert dry.feedback_deleted == 1 and len(rows(uow)) == 3
    assert "votes sur les réponses effacés : 1 (à faire)" in "\n".join(dry.lines_fr())
    report = services.purge(uow, now=later, retention=RETENTION)
    assert report.feedback_deleted == 1
    assert [day for day, *_ in rows(uow)] == [(later - timedelta(days=400)).date(),
                                             (later - timedelta(days=10)).date()]
    assert "votes sur les réponses effacés : 1 (fait)" in "\n".join(report.lines_fr())
    assert services.purge_store(uow, now=later, retention=RETENTION).feedback_deleted == 0


def test_the_retention_of_the_votes_is_a_setting():
    assert settings.retention({}).feedback_days == 400
    assert settings.retention({"AMPER_RETENTION_FEEDBACK_DAYS": " 30 "}).feedback_days == 30
    problems = settings.check({"AMPER_RETENTION_FEEDBACK_DAYS": "0"})
    assert len(problems) == 1 and "AMPER_RETENTION_FEEDBACK_DAYS invalide" in problems[0]


def test_the_dispatchers_daily_purge_deletes_old_votes(monkeypatch):
    monkeypatch.setenv("AMPER_RETENTION_FEEDBACK_DAYS", "30")
    uow = FakeUnitOfWork()
    later = datetime(2026, 6, 1, 3, 0, tzinfo=PARIS)
    vote(uow, "faq/ancien", now=later - timedelta(days=31))
    vote(uow, "faq/recent", now=later - timedelta(days=29))
    dispatcher = Dispatcher(settings=DispatchSettings(), smtp_env={}, clock=lambda: later,
                            uow_factory=lambda: FakeUnitOfWork(uow.store))
    asyncio.run(dispatcher.daily_purge())
    assert [intent for _day, intent, *_ in rows(uow)] == ["faq/recent"]
