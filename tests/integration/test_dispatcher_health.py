"""The readiness of ``amper serve dispatcher`` (bot/entrypoints/dispatcher_serve.py): the
booking store answers and the last pass over the outbox is recent; said in French."""
from __future__ import annotations

import asyncio
import time

from bot.adapters import db
from bot.entrypoints.dispatcher_serve import NO_PASS_YET, STORE_DOWN, WatchedDispatcher


def _dispatcher(monkeypatch, url):
    monkeypatch.setenv("AMPER_DATABASE_URL", url)
    return WatchedDispatcher.from_env(url)


def test_ready_after_a_recent_pass_only(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'amper.db'}"
    db.upgrade(url)
    dispatcher = _dispatcher(monkeypatch, url)
    assert asyncio.run(dispatcher.problems()) == [NO_PASS_YET]
    asyncio.run(dispatcher._batch(None))  # an empty outbox: a pass all the same
    assert asyncio.run(dispatcher.problems()) == []
    dispatcher.last_pass = time.monotonic() - dispatcher.stale_after() - 5
    [stale] = asyncio.run(dispatcher.problems())
    assert stale.startswith("Dernier passage sur la file des messages il y a ")
    db.dispose_engine(url)


def test_not_ready_when_the_store_is_unreachable(monkeypatch):
    monkeypatch.setenv("AMPER_DB_CONNECT_TIMEOUT", "1")
    dispatcher = _dispatcher(monkeypatch, "postgresql+psycopg2://amper@127.0.0.1:1/amper")
    dispatcher.last_pass = time.monotonic()
    assert asyncio.run(dispatcher.problems()) == [STORE_DOWN]
