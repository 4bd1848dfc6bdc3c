"""The office's live list (GET /api/bureau/evenements, Server-Sent Events): the changes of
the office's sectors only, pings, the limit of streams, visitors leaving, the store down."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging

import pytest

from bot import settings
from bot.web import office_events
from bot.web.sessions import SessionStore
from tests.integration.office_api_fakes import FakeOffice, as_office
from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    environment, post, run, store_url)

FAST = dataclasses.replace(settings.web({}), inbox_poll=0.05)
EVENTS = "/api/bureau/evenements"


@pytest.fixture(autouse=True)
def fast_checks(monkeypatch):
    monkeypatch.setattr(office_events, "CHECK_SECONDS", 0.05)


def office_run(test, fake=None):
    fake = fake or FakeOffice()
    sessions = SessionStore()

    async def wrapped(client, rasa):
        await asyncio.wait_for(test(client, sessions, fake), 20)
    run(wrapped, sessions=sessions, web_settings=FAST, **fake.ports())
    return fake


async def next_block(response, timeout=5.0) -> str:
    """The next event or comment of the stream (lines up to a blank line)."""
    lines = []
    while True:
        line = (await asyncio.wait_for(response.content.readline(), timeout)).decode("utf-8")
        if line in ("\n", ""):
            if lines or line == "":
                return "".join(lines)
            continue
        lines.append(line)


async def until_event(response) -> dict:
    while True:
        block = await next_block(response)
        if block.startswith("event: demandes\n"):
            return json.loads(block.split("data: ", 1)[1])


def hub(client):
    return client.server.app[office_events.HUB]


def test_the_office_hears_the_changes_of_its_sectors_only():
    async def test(client, sessions, fake):
        await as_office(client, sessions)
        response = await client.get(EVENTS)
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Accel-Buffering"] == "no"
        assert (await next_block(response)) == "retry: 3000\n: ok\n"
        fake.change("Sud", "AMP-2026-000201")       # another sector's: not told
        await asyncio.sleep(0.2)
        fake.change("Nord", "AMP-2026-000102")
        fake.change("Sud", "AMP-2026-000201")
        assert await until_event(response) == {"open": 2, "changed": ["AMP-2026-000102"]}
        fake.items["AMP-2026-000101"]["open"] = False
        fake.change("Nord", "AMP-2026-000101")
        assert await until_event(response) == {"open": 1, "changed": ["AMP-2026-000101"]}
        assert fake.called("office_open_count")[-1] == ("office_open_count", (["Nord"],), {})
        response.close()
    office_run(test)


def test_an_idle_stream_is_pinged(monkeypatch):
    monkeypatch.setattr(office_events, "PING_SECONDS", 0.2)

    async def test(client, sessions, fake):
        await as_office(client, sessions)
        response = await client.get(EVENTS)
        assert "ok" in await next_block(response)
        assert await next_block(response) == ": ping\n"
        response.close()
    office_run(test)


def test_the_stream_ends_at_logout_and_never_keeps_the_session_alive():
    async def test(client, sessions, fake):
        csrf = await as_office(client, sessions)
        response = await client.get(EVENTS)
        assert "ok" in await next_block(response)
        cookie = next(c for c in client.session.cookie_jar if c.key == "amper_session")
        seen = sessions.get(cookie.value).last_seen
        await asyncio.sleep(0.3)
        assert sessions._sessions[cookie.value].last_seen == seen  # not touched by the stream
        await post(client, "/api/logout", {}, csrf)
        assert await next_block(response) == ""  # the server ended the stream
        fake.change("Nord", "AMP-2026-000102")
        await asyncio.sleep(0.2)
        assert hub(client).subscribers == []
    office_run(test)


def test_streams_are_bounded_per_session_and_freed_when_the_visitor_leaves(caplog):
    caplog.set_level(logging.INFO)

    async def test(client, sessions, fake):
        await as_office(client, sessions)
        streams = [await client.get(EVENTS) for _ in range(office_events.PER_SESSION)]
        assert {s.status for s in streams} == {200}
        for stream in streams:
            await next_block(stream)
        refused = await client.get(EVENTS)
        assert refused.status == 429
        assert (await refused.json())["error"].startswith("Trop d'onglets du bureau ouverts")
        for stream in streams:
            stream.close()
        for _ in range(100):
            if not hub(client).subscribers:
                break
            await asyncio.sleep(0.05)
        assert hub(client).subscribers == []
        again = await client.get(EVENTS)
        assert again.status == 200 and "ok" in await next_block(again)
        again.close()
    office_run(test)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_poller_looks_only_while_someone_listens_and_survives_a_store_down(caplog):
    caplog.set_level(logging.INFO)

    async def test(client, sessions, fake):
        await asyncio.sleep(0.3)
        assert fake.called("office_changes") == []       # nobody listens yet
        await as_office(client, sessions)
        response = await client.get(EVENTS)
        await next_block(response)
        fake.changes_fail = True
        await asyncio.sleep(0.3)
        fake.change("Nord", "AMP-2026-000101")
        fake.changes_fail = False
        assert (await until_event(response))["changed"] == ["AMP-2026-000101"]
        response.close()
    office_run(test)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
                and r.name == "bot.web.office_events"]
    assert warnings == ["live list of the sector offices: store unavailable (ServiceError)"]


def test_the_gateway_stops_without_waiting_for_an_open_stream():
    import time

    started = {}

    async def test(client, sessions, fake):
        await as_office(client, sessions)
        response = await client.get(EVENTS)
        await next_block(response)
        started["at"] = time.monotonic()   # the client closes with the stream open
    office_run(test)
    assert time.monotonic() - started["at"] < 5
