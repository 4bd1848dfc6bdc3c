"""Two gateways sharing one Redis (docs/deploy.md « Shared state of the gateways »): a login,
a conversation, the rate limit, the link guard and the staff answer cache are the same on
both.  Needs AMPER_TEST_REDIS_URL (a throwaway server: scripts/with-redis.sh, make test)."""
from __future__ import annotations

import asyncio
import hashlib
import os

import pytest

from bot.service_layer.demo import DEMO_PASSWORD
from bot.web import link
from bot.web.app import COOKIE
from bot.web.http import REDIS, SESSIONS
from bot.web.sessions import IDLE_SECONDS

from tests.integration.test_gateway_cluster import (
    Instance, gateways, instances, say, web_settings)
from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    csrf_of, environment, login, post, store_url)

pytestmark = pytest.mark.redis
LINK_SECRET = "l" * 40


@pytest.fixture
def redis_url():
    url = os.environ.get("AMPER_TEST_REDIS_URL", "").strip()
    if not url:
        if os.environ.get("AMPER_REQUIRE_REDIS") == "1":
            pytest.fail("AMPER_REQUIRE_REDIS=1 mais AMPER_TEST_REDIS_URL n'est pas défini "
                        "(lancez via scripts/with-redis.sh)")
        pytest.skip("AMPER_TEST_REDIS_URL non défini : cas Redis ignorés")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


def share_cookie(source, target) -> str:
    """The session cookie of ``source`` given to ``target`` (same visitor, other gateway)."""
    session_id = next(c.value for c in source.session.cookie_jar if c.key == COOKIE)
    target.session.cookie_jar.clear()
    target.session.cookie_jar.update_cookies({COOKIE: session_id}, target.make_url("/"))
    return session_id


def test_a_login_and_its_conversation_are_shared_by_the_gateways(redis_url):
    fake = Instance("A")

    async def main():
        async with instances(fake) as urls, gateways(urls, 2, redis_url=redis_url) as [a, b]:
            csrf = (await (await login(a, await csrf_of(a))).json())["csrf"]
            session_id = share_cookie(a, b)
            on_b = await (await b.get("/api/session")).json()
            assert on_b["client"] == 1001 and on_b["csrf"] == csrf
            first = await say(a, "bonjour", csrf, message_id="m-shared-001")
            assert first.status == 200
            retried = await say(b, "bonjour", csrf, message_id="m-shared-001")
            assert await retried.json() == await first.json()  # from the stored replies
            history = (await (await b.get("/api/session")).json())["history"]
            assert [e["text"] for e in history] == ["bonjour", "A : bonjour"]
            # the key is the id's hash, its TTL the idle timeout
            redis = a.app[REDIS]
            key = f"amper:session:{hashlib.sha256(session_id.encode()).hexdigest()}"
            assert IDLE_SECONDS - 60 < await redis.ttl(key) <= IDLE_SECONDS
            assert not [k async for k in redis.scan_iter() if session_id.encode() in k]
            # a logout on one gateway ends the session on the other
            assert (await post(b, "/api/logout", {}, csrf)).status == 200
            assert not await a.app[SESSIONS].check_alive(session_id)  # the office stream stops
            assert (await (await a.get("/api/session")).json())["client"] is None
    asyncio.run(main())
    assert len(fake.bodies) == 1


def test_two_messages_at_once_on_two_gateways_are_both_kept(redis_url):
    slow = Instance("A")
    original = slow.webhook

    async def late(request):
        await asyncio.sleep(0.3)
        return await original(request)
    slow.webhook = late

    async def main():
        async with instances(slow) as urls, gateways(urls, 2, redis_url=redis_url) as [a, b]:
            csrf = await csrf_of(a)
            share_cookie(a, b)
            one, two = await asyncio.gather(say(a, "un", csrf, "m-first-0001"),
                                            say(b, "deux", csrf, "m-second-001"))
            assert one.status == two.status == 200
            history = (await (await a.get("/api/session")).json())["history"]
            assert sorted(e["text"] for e in history if e["from"] == "user") == ["deux", "un"]
            assert len(history) == 4
    asyncio.run(main())


def test_the_login_rate_limit_counts_over_both_gateways(redis_url):
    async def main():
        async with instances(Instance("A")) as urls, \
                gateways(urls, 2, redis_url=redis_url) as [a, b]:
            csrfs = {a: await csrf_of(a), b: await csrf_of(b)}
            for n in range(5):
                gateway = (a, b)[n % 2]
                response = await login(gateway, csrfs[gateway], "client1001", "mauvais")
                assert response.status == 401
            for gateway in (a, b):
                blocked = await login(gateway, csrfs[gateway], "client1001", DEMO_PASSWORD)
                assert blocked.status == 429 and "tentatives" in (await blocked.json())["error"]
    asyncio.run(main())


def test_a_link_used_on_one_gateway_is_refused_on_the_other(redis_url):
    async def main():
        async with instances(Instance("A")) as urls, gateways(
                urls, 2, redis_url=redis_url,
                web_settings=web_settings(link_secret=LINK_SECRET)) as [a, b]:
            token = link.make_link_token("1001", secret=LINK_SECRET)
            arrived = await a.get(f"/connexion?jeton={token}", allow_redirects=False)
            assert arrived.status == 303
            replayed = await b.get(f"/connexion?jeton={token}", allow_redirects=False)
            assert replayed.status == 400 and "déjà été utilisé" in await replayed.text()
            assert (await (await a.get("/api/session")).json())["client"] == 1001
    asyncio.run(main())


def test_the_staff_answer_cache_is_shared(redis_url):
    fake = Instance("A")

    async def main():
        async with instances(fake) as urls, gateways(urls, 2, redis_url=redis_url) as [a, b]:
            assert (await login(a, await csrf_of(a), "accueil", DEMO_PASSWORD)).status == 200
            share_cookie(a, b)
            first = await a.get("/api/conseiller/reponse", params={"q": "Absent ?"})
            second = await b.get("/api/conseiller/reponse", params={"q": "absent"})
            assert first.status == second.status == 200
            assert (await first.json())["answers"] == (await second.json())["answers"]
    asyncio.run(main())
    assert fake.texts == ["Absent ?"]


def test_ready_with_redis(redis_url):
    async def main():
        async with instances(Instance("A")) as urls, \
                gateways(urls, redis_url=redis_url) as [client]:
            response = await client.get("/ready")
            assert response.status == 200 and await response.json() == {"ready": True}
    asyncio.run(main())


def test_a_staff_members_callers_are_shared_by_the_gateways(redis_url):
    fake = Instance("A")

    async def main():
        async with instances(fake) as urls, gateways(urls, 2, redis_url=redis_url) as [a, b]:
            response = await login(a, await csrf_of(a), "accueil", DEMO_PASSWORD)
            csrf = (await response.json())["csrf"]
            share_cookie(a, b)
            assert (await a.get("/api/conseiller/clients/1001")).status == 200
            said = await post(b, "/api/conseiller/messages",
                              {"client": "1001", "message": "annuler jeudi", "id": "m-caller-01"},
                              csrf)
            assert said.status == 200
            opened = await (await a.get("/api/conseiller/clients/1001")).json()
            assert [e["text"] for e in opened["history"]] == ["annuler jeudi",
                                                             "A : annuler jeudi"]
            other = await post(b, "/api/conseiller/messages",
                               {"client": "1002", "message": "x"}, csrf)
            assert other.status == 404  # a file not opened in this session
    asyncio.run(main())
    [body] = fake.bodies
    assert body["sender"].startswith("web-") and "auth" in body["metadata"]
