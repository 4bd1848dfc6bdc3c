"""Our SQL tracker store: Rasa's behaviour, SQLite in WAL mode with a kept connection."""
from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.adapters.tracker_store import AmperSQLTrackerStore


def _store(path):
    return AmperSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path), host=None)


def _turn(tracker, text):
    tracker.update(UserUttered(text))
    tracker.update(ActionExecuted("action_listen"))


def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path):
    store = _store(tmp_path / "t.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_saved_turns_come_back_in_order_and_survive_a_new_store(tmp_path):
    store = _store(tmp_path / "t.db")
    tracker = DialogueStateTracker("client-1", [])
    for i in range(5):
        _turn(tracker, f"message {i}")
        asyncio.run(store.save(tracker))  # only the new events are written each time
    again = asyncio.run(_store(tmp_path / "t.db").retrieve("client-1"))
    texts = [e.text for e in again.events if isinstance(e, UserUttered)]
    assert texts == [f"message {i}" for i in range(5)]
    assert asyncio.run(store.retrieve("nobody")) is None


def test_rows_are_the_ones_rasas_store_writes(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SlotSet

    tracker = DialogueStateTracker("client-1", [])
    ours, rasas = _store(tmp_path / "ours.db"), SQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"), host=None)
    for i in range(3):
        tracker.update(UserUttered(f"message {i}", intent={"name": "greet", "confidence": 0.9},
                                   parse_data={"intent": {"name": "greet", "confidence": 0.9},
                                               "text": f"message {i}"}))
        tracker.update(SlotSet("x", i))
        tracker.update(ActionExecuted("action_listen"))
        for store in (ours, rasas):
            asyncio.run(store.save(tracker))
    columns = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")

    def rows(store):
        with store.session_scope() as session:
            return [tuple(getattr(r, c) for c in columns)
                    for r in session.query(store.SQLEvent).order_by(store.SQLEvent.id)]

    assert rows(ours) == rows(rasas)
    assert len(rows(ours)) == 9
    assert [r[3] for r in rows(ours)][0] == "greet"


@pytest.mark.postgres
def test_postgresql_keeps_rasas_engine_and_works(pg_database):
    from sqlalchemy.engine import make_url

    url = make_url(pg_database)
    store = AmperSQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=url.host,
                                 port=url.port, db=url.database, username=url.username,
                                 password=url.password)
    assert store.engine.dialect.name == "postgresql"
    assert store.engine.pool.__class__.__name__ == "QueuePool"  # Rasa's own settings
    tracker = DialogueStateTracker("client-pg", [])
    _turn(tracker, "bonjour")
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("client-pg"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["bonjour"]
    store.engine.dispose()
