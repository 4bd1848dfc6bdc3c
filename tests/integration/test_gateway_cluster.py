"""The gateway in front of several Rasa instances (docs/deploy.md « Conversations across
instances », « Request id », the gateway's /ready): two fake Rasa instances on loopback.

Also the helpers of the Redis-backed tests (test_gateway_cluster_redis.py): the fake
instances and the gateways started together.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import List, Optional

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import settings
from bot.service_layer.demo import DEMO_PASSWORD
from bot.web import wording
from bot.web.app import create_app
from bot.web.rasa_pool import RasaPool

from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    csrf_of, environment, free_port, login, post, store_url)

RANKING = {"threshold": 0.6, "answers": [
    {"key": "faq/client_absent", "title": "Si je suis absent", "confidence": 0.95,
     "text": "Prévenez AMPER au moins 48 heures avant."}]}


class Instance:
    """One fake Rasa: our channel's webhook and answers routes, and its readiness.
    ``mode``: "ok", "500" (fails after receiving), "drop" (closes the connection after
    receiving), "down" (nothing listens: connection refused)."""

    def __init__(self, name: str, mode: str = "ok", ready: Optional[bool] = True) -> None:
        self.name, self.mode, self.is_ready = name, mode, ready
        self.bodies: List[dict] = []
        self.request_ids: List[Optional[str]] = []
        self.texts: List[str] = []
        self.url = ""

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        self.request_ids.append(request.headers.get("X-Request-Id"))
        if self.mode == "500":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "drop":
            request.transport.close()
            await asyncio.sleep(0.5)
        return web.json_response([{"recipient_id": body["sender"],
                                   "text": f"{self.name} : {body['message']}"}])

    async def answers(self, request: web.Request) -> web.Response:
        self.texts.append((await request.json())["text"])
        if self.mode == "500":
            return web.json_response({"error": "boom"}, status=500)
        return web.json_response(RANKING)

    async def ready(self, request: web.Request) -> web.Response:
        if self.is_ready is None:  # an instance without the readiness route yet
            raise web.HTTPNotFound()
        return web.json_response({"ready": self.is_ready}, status=200 if self.is_ready else 503)

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6")


@contextlib.asynccontextmanager
async def instances(*fakes: Instance):
    """The fake instances on free loopback ports (``url`` set on each)."""
    runners = []
    try:
        for fake in fakes:
            port = free_port()
            fake.url = f"http://127.0.0.1:{port}"
            if fake.mode == "down":
                continue
            app = web.Application()
            app.router.add_post("/webhooks/rest/webhook", fake.webhook)
            app.router.add_post("/webhooks/rest/answers", fake.answers)
            app.router.add_get("/webhooks/rest/ready", fake.ready)
            app.router.add_get("/", fake.root)
            runner = web.AppRunner(app)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, "127.0.0.1", port).start()
        yield [fake.url for fake in fakes]
    finally:
        for runner in runners:
            await runner.cleanup()


@contextlib.asynccontextmanager
async def gateways(urls, count: int = 1, **options):
    """``count`` gateways (test clients) over the same Rasa ``urls`` and ``options``."""
    settings_, timeout = options.pop("web_settings", None), options.pop("timeout", 2.0)
    clients = [TestClient(TestServer(create_app(settings_, urls, timeout=timeout, **options)))
               for _ in range(count)]
    try:
        for client in clients:
            await client.start_server()
        yield clients
    finally:
        for client in clients:
            await client.close()


def web_settings(**changes):
    return dataclasses.replace(settings.web({}), **changes)


async def say(client, text, csrf, message_id=None):
    body = {"message": text} if message_id is None else {"message": text, "id": message_id}
    return await post(client, "/api/messages", body, csrf)


# --- rendezvous hashing ----------------------------------------------------------------------

def test_the_order_of_the_instances_is_stable_and_spread():
    pool = RasaPool(["http://a:5005", "http://b:5005/", "http://c:5005/webhooks/rest/webhook"], 1)
    assert pool.bases == ["http://a:5005", "http://b:5005", "http://c:5005"]
    firsts = [pool.order(f"web-{i}")[0] for i in range(300)]
    assert all(pool.order(f"web-{i}")[0] == first for i, first in enumerate(firsts))
    assert all(firsts.count(base) > 60 for base in pool.bases)
    # without c, the conversations of a and b stay where they were
    smaller = RasaPool(["http://a:5005", "http://b:5005"], 1)
    assert all(smaller.order(f"web-{i}")[0] == first
               for i, first in enumerate(firsts) if first != "http://c:5005")


def test_a_conversation_stays_on_its_instance_and_conversations_spread():
    first, second = Instance("A"), Instance("B")

    async def main():
        async with instances(first, second) as urls, gateways(urls) as [client]:
            for _ in range(12):  # twelve visitors, three messages each
                client.session.cookie_jar.clear()
                csrf = await csrf_of(client)
                for n in range(3):
                    assert (await say(client, f"question {n}", csrf)).status == 200
    asyncio.run(main())
    for fake, other in ((first, second), (second, first)):
        senders = {b["sender"] for b in fake.bodies}
        assert not senders & {b["sender"] for b in other.bodies}
        assert all(sum(b["sender"] == s for b in fake.bodies) == 3 for s in senders)
    assert first.bodies and second.bodies  # 12 visitors on 2 instances: both used


def test_an_instance_down_sends_its_conversations_to_the_other():
    down, alive = Instance("A", mode="down"), Instance("B")

    async def main():
        async with instances(down, alive) as urls, gateways(urls) as [client]:
            for _ in range(6):
                client.session.cookie_jar.clear()
                csrf = await csrf_of(client)
                response = await say(client, "bonjour", csrf)
                assert response.status == 200
                assert (await response.json())["messages"][0]["text"] == "B : bonjour"
    asyncio.run(main())
    assert len(alive.bodies) == 6


def test_every_instance_down_is_the_french_503_with_the_phone():
    async def main():
        async with instances(Instance("A", "down"), Instance("B", "down")) as urls, \
                gateways(urls) as [client]:
            response = await say(client, "bonjour", await csrf_of(client))
            assert response.status == 503
            assert "ne répond pas" in (await response.json())["error"]
    asyncio.run(main())


def test_a_turn_lost_in_flight_is_not_sent_elsewhere_and_the_retry_is_recorded_once():
    for mode in ("500", "drop"):
        first, second = Instance("A", mode=mode), Instance("B", mode=mode)

        async def main():
            async with instances(first, second) as urls, gateways(urls) as [client]:
                csrf = await csrf_of(client)
                response = await say(client, "annuler mardi", csrf, message_id="m-lost-0001")
                assert response.status == 503
                assert (await response.json())["error"] == wording.TURN_LOST
                assert len(first.bodies) + len(second.bodies) == 1  # never sent elsewhere
                for fake in (first, second):
                    fake.mode = "ok"
                again = await say(client, "annuler mardi", csrf, message_id="m-lost-0001")
                assert again.status == 200
                twice = await say(client, "annuler mardi", csrf, message_id="m-lost-0001")
                assert await twice.json() == await again.json()
                history = (await (await client.get("/api/session")).json())["history"]
                assert [e["text"] for e in history if e["from"] == "user"] == ["annuler mardi"]
        asyncio.run(main())
        senders = [b["sender"] for b in first.bodies + second.bodies]
        assert len(senders) == 2 and len(set(senders)) == 1
        assert bool(first.bodies) != bool(second.bodies)  # the same instance both times


def test_the_staff_panel_goes_to_the_instance_that_answers():
    broken, alive = Instance("A", mode="500"), Instance("B")

    async def main():
        async with instances(broken, alive) as urls, gateways(urls) as [client]:
            csrf = await csrf_of(client)
            assert (await login(client, csrf, "accueil", DEMO_PASSWORD)).status == 200
            for query in ("absent", "annulation", "cesu", "horaires"):
                response = await client.get("/api/conseiller/reponse", params={"q": query})
                assert response.status == 200
                assert (await response.json())["answers"][0]["topic"] == "faq/client_absent"
    asyncio.run(main())
    assert alive.texts == ["absent", "annulation", "cesu", "horaires"]


# --- request id ------------------------------------------------------------------------------

def test_the_request_id_of_a_trusted_proxy_goes_to_rasa_and_back(caplog):
    fake = Instance("A")

    async def main():
        async with instances(fake) as urls, gateways(
                urls, web_settings=web_settings(trusted_proxies=("127.0.0.1",))) as [client]:
            csrf = await csrf_of(client)
            response = await post(client, "/api/messages", {"message": "secret 1234"}, csrf,
                                  headers={"X-Request-Id": "nginx-req-0001"})
            assert response.status == 200 and response.headers["X-Request-Id"] == "nginx-req-0001"
            bad = await post(client, "/api/messages", {"message": "x"}, csrf,
                             headers={"X-Request-Id": "mauvais id !"})
            assert bad.headers["X-Request-Id"] != "mauvais id !"
    with caplog.at_level(logging.INFO, logger="bot.web.access"):
        asyncio.run(main())
    assert fake.request_ids[0] == "nginx-req-0001"
    assert fake.bodies[0]["metadata"]["request_id"] == "nginx-req-0001"
    assert fake.request_ids[1] == fake.bodies[1]["metadata"]["request_id"] != "mauvais id !"
    lines = [r for r in caplog.records if r.name == "bot.web.access"]
    assert [r.getMessage().split()[:3] for r in lines] == [
        ["GET", "/api/session", "200"], ["POST", "/api/messages", "200"],
        ["POST", "/api/messages", "200"]]
    assert all("secret" not in r.getMessage() for r in caplog.records)


def test_an_untrusted_request_id_is_replaced():
    fake = Instance("A")

    async def main():
        async with instances(fake) as urls, gateways(urls) as [client]:
            response = await client.get("/api/session", headers={"X-Request-Id": "forged-000001"})
            assert response.headers["X-Request-Id"] != "forged-000001"
            assert len(response.headers["X-Request-Id"]) >= 8
            missing = await client.get("/nulle-part")
            assert missing.status == 404 and "X-Request-Id" in missing.headers
    asyncio.run(main())


# --- /ready ----------------------------------------------------------------------------------

def test_ready_needs_the_store_and_one_ready_instance():
    async def main():
        async with instances(Instance("A", ready=False), Instance("B", ready=None)) as urls, \
                gateways(urls) as [client]:
            response = await client.get("/ready")
            assert response.status == 200 and await response.json() == {"ready": True}
            assert "Set-Cookie" not in response.headers
        async with instances(Instance("A", ready=False), Instance("B", mode="down")) as urls, \
                gateways(urls, store_ready=_store_down) as [client]:
            response = await client.get("/ready")
            data = await response.json()
            assert response.status == 503 and data["ready"] is False
            assert data["problems"] == [wording.NOT_READY_STORE, wording.NOT_READY_RASA]
            health = await client.get("/health")
            assert health.status == 200 and "Set-Cookie" not in health.headers
    asyncio.run(main())


def _store_down():
    raise OSError("base indisponible")


def test_redis_down_is_a_french_503_never_a_traceback():
    async def main():
        async with instances(Instance("A")) as urls, gateways(
                urls, redis_url=f"redis://127.0.0.1:{free_port()}/0") as [client]:
            response = await client.get("/api/session")
            assert response.status == 503
            assert await response.json() == {"error": wording.STATE_UNAVAILABLE}
            assert (await client.get("/health")).status == 200
            ready = await client.get("/ready")
            assert ready.status == 503
            assert (await ready.json())["problems"] == [wording.NOT_READY_REDIS]
    asyncio.run(main())
