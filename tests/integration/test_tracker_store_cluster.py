"""The conversations shared by several Rasa instances (docs/deploy.md): our tracker store
built by Rasa from the rendered endpoints (bot/entrypoints/endpoints.py) on PostgreSQL
(scripts/with-postgres.sh), and its readiness probe."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.adapters.tracker_store import AmperSQLTrackerStore
from bot.entrypoints.endpoints import endpoints_config


def _store_from_endpoints(tracker_url: str):
    """As ``rasa run`` builds it from the endpoints file ``amper serve rasa`` writes."""
    section = endpoints_config(actions_url="http://127.0.0.1:5055/webhook",
                               tracker_url=tracker_url)["tracker_store"]
    store = TrackerStore.create(EndpointConfig.from_dict(section), Domain.empty())
    while not isinstance(store, AmperSQLTrackerStore):  # Rasa's AwaitableTrackerStore
        store = store._tracker_store
    return store


def _turn(tracker, text):
    tracker.update(UserUttered(text, metadata={"request_id": "req-0123456789"}))
    tracker.update(ActionExecuted("action_listen"))


@pytest.mark.postgres
def test_two_instances_share_a_conversation_on_postgresql(pg_database):
    first, second = _store_from_endpoints(pg_database), _store_from_endpoints(pg_database)
    assert first.engine.dialect.name == "postgresql" and first.engine.pool._pre_ping
    assert first.reachable() and second.reachable()
    tracker = DialogueStateTracker("client-pg", [])
    _turn(tracker, "bonjour")
    asyncio.run(first.save(tracker))  # one turn on one instance…
    again = asyncio.run(second.retrieve("client-pg"))  # …the next one on the other
    _turn(again, "je suis hospitalisée")
    asyncio.run(second.save(again))
    back = asyncio.run(first.retrieve("client-pg"))
    users = [e for e in back.events if isinstance(e, UserUttered)]
    assert [e.text for e in users] == ["bonjour", "[texte masqué : santé]"]  # redacted at rest
    assert users[0].metadata == {"request_id": "req-0123456789"}
    for store in (first, second):
        store.engine.dispose()


@pytest.mark.postgres
def test_a_lost_postgresql_connection_is_not_an_error_on_the_next_turn(pg_database):
    from sqlalchemy import create_engine

    store = _store_from_endpoints(pg_database)
    tracker = DialogueStateTracker("client-pg", [])
    _turn(tracker, "bonjour")
    asyncio.run(store.save(tracker))
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the server drops every other connection (a restart)
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    admin.dispose()
    assert store.reachable()
    assert asyncio.run(store.retrieve("client-pg")) is not None
    store.engine.dispose()


def test_a_removed_sqlite_file_is_not_reachable(tmp_path):
    store = _store_from_endpoints(f"sqlite:///{tmp_path / 't.db'}")
    assert store.reachable()
    for path in tmp_path.glob("t.db*"):
        path.unlink()
    assert not store.reachable()  # a kept connection would go on writing into nothing
