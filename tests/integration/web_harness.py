"""The web gateway under test: a fake Rasa (its REST webhook) and the gateway on free
loopback ports, a demo store; shared by the gateway's test modules."""
from __future__ import annotations

import asyncio
import json
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters import db
from bot.service_layer.demo import DEMO_PASSWORD, load_demo_data
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from bot.web.app import create_app

SECRET = "s" * 32


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'amper.db'}"
    db.upgrade(url)
    load_demo_data(SqlAlchemyUnitOfWork(url))
    yield url
    db.dispose_engine(url)


@pytest.fixture(autouse=True)
def environment(store_url, monkeypatch):
    monkeypatch.setenv("AMPER_DATABASE_URL", store_url)
    monkeypatch.setenv("AMPER_SECRET", SECRET)
    monkeypatch.setenv("AMPER_OFFICE_PHONE", "01 99 88 77 66")


class FakeRasa:
    """Rasa's REST webhook: records each body, answers with ``replies`` (or waits)."""

    def __init__(self, replies=None, delay=0.0, status=200, headers=None):
        self.bodies = []
        self.status, self.headers = status, headers or {}
        self.replies = replies if replies is not None else [
            {"recipient_id": "x", "text": "Bonjour !",
             "buttons": [{"title": "Annuler", "payload": "/cancel"}]}]
        self.delay = delay

    async def handle(self, request):
        self.bodies.append(await request.json())
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self.replies, status=self.status, headers=self.headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(test, *, rasa=None, rasa_down=False, timeout=5.0, limiter=None, sessions=None,
        web_settings=None, **ports):
    """Start the fake Rasa and the gateway, then ``await test(client, rasa)``."""
    rasa = rasa or FakeRasa()

    async def main():
        runner = None
        if rasa_down:
            url = f"http://127.0.0.1:{free_port()}/webhooks/rest/webhook"
        else:
            fake = web.Application()
            fake.router.add_post("/webhooks/rest/webhook", rasa.handle)
            runner = web.AppRunner(fake)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        app = create_app(web_settings, url, timeout=timeout, limiter=limiter, sessions=sessions,
                         **ports)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await test(client, rasa)
        finally:
            await client.close()
            if runner is not None:
                await runner.cleanup()

    asyncio.run(main())
    return rasa


async def csrf_of(client) -> str:
    response = await client.get("/api/session")
    assert response.status == 200
    return (await response.json())["csrf"]


async def post(client, path, body, csrf, **kwargs):
    headers = {"X-CSRF-Token": csrf, **kwargs.pop("headers", {})}
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return await client.post(path, data=body, headers=headers, **kwargs)


async def login(client, csrf, name="client1001", password=DEMO_PASSWORD):
    return await post(client, "/api/login", {"login": name, "password": password}, csrf)
