"""The votes on the chat's answers in the real store, on SQLite and PostgreSQL (``url``
fixture): the table holds a day, an intent, +1/-1 and a channel and nothing else, refuses
other values, counts and purges like the in-memory fake (tests/unit/test_services_feedback.py)
and commits or rolls back with the unit of work."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.adapters import orm
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.fakes import FakeUnitOfWork
from tests.integration.conftest import NOW

TODAY = NOW.date()
RETENTION = settings.RetentionSettings(conversations_days=30, requests_days=400, outbox_days=7,
                                       feedback_days=400)
#: (days after NOW, intent, vote, channel)
VOTES = [(0, "faq/tarif_horaire", "down", "web"), (0, "faq/tarif_horaire", "up", "web"),
         (1, "faq/tarif_horaire", "down", "phone"), (2, "greet", "up", "web"),
         (3, "faq/zone", "down", "web"), (3, "faq/zone", "up", "web"),
         (3, "faq/zone", "up", "web"), (4, "Pas un nom", "down", "web")]


def _table(url):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(
            sa.select(orm.feedback).order_by(orm.feedback.c.id))]
    engine.dispose()
    return found


def _record(uow, votes=VOTES):
    for days, intent, value, channel in votes:
        services.record_feedback(uow, intent=intent, value=value, channel=channel,
                                 now=NOW + timedelta(days=days, hours=13))


def _report(uow, **period):
    return [(r.intent, r.up, r.down, r.total)
            for r in services.feedback_report(uow, **period)]


def test_a_vote_is_a_day_an_intent_a_value_and_a_channel(url, uow):
    _record(uow, VOTES[2:3])
    assert _table(url) == [{"id": 1, "day": TODAY + timedelta(days=1),
                            "intent": "faq/tarif_horaire", "value": -1, "channel": "phone"}]
    assert set(orm.feedback.c.keys()) == {"id", "day", "intent", "value", "channel"}


@pytest.mark.parametrize("values", [dict(value=2), dict(value=0), dict(channel="sms")])
def test_the_table_refuses_other_values(url, uow, values):
    with uow, pytest.raises(IntegrityError):
        uow.session.execute(sa.insert(orm.feedback).values(**{
            "day": TODAY, "intent": "greet", "value": 1, "channel": "web", **values}))
        uow.session.flush()


def test_the_store_counts_and_purges_like_the_fake(url, uow):
    fake = FakeUnitOfWork()
    for store in (uow, fake):
        _record(store)
    for period in ({}, {"since": TODAY + timedelta(days=1)}, {"until": TODAY + timedelta(days=2)},
                   {"since": TODAY + timedelta(days=3), "until": TODAY + timedelta(days=3)},
                   {"since": TODAY + timedelta(days=9)}):
        assert _report(uow, **period) == _report(fake, **period), period
    assert _report(uow) == [("faq/tarif_horaire", 1, 2, 3), ("inconnu", 0, 1, 1),
                            ("faq/zone", 2, 1, 3), ("greet", 1, 0, 1)]
    later = NOW + timedelta(days=402)  # the votes of days 0 and 1 are over 400 days old
    for store in (uow, fake):
        assert services.purge_store(store, now=later, retention=RETENTION,
                                    dry_run=True).feedback_deleted == 3
    assert len(_table(url)) == 8  # a dry run changes nothing
    for store in (uow, fake):
        assert services.purge(store, now=later, retention=RETENTION).feedback_deleted == 3
    assert _report(uow) == _report(fake) == [("inconnu", 0, 1, 1), ("faq/zone", 2, 1, 3),
                                             ("greet", 1, 0, 1)]
    assert min(row["day"] for row in _table(url)) == TODAY + timedelta(days=2)


def test_a_vote_not_committed_is_not_kept(url):
    uow = SqlAlchemyUnitOfWork(url)
    with uow:
        uow.feedback.add(TODAY, "greet", 1, "web")
        assert [c.up for c in uow.feedback.counts()] == [1]
    assert _table(url) == []
    with uow:
        uow.feedback.add(date(2026, 1, 31), "greet", -1, "web")
        uow.commit()
    with uow:
        assert uow.feedback.purge_before(date(2026, 1, 31)) == 0
        assert uow.feedback.purge_before(date(2026, 2, 1)) == 1
    assert len(_table(url)) == 1  # rolled back
