"""The web gateway (bot/web/) against a fake Rasa that records what it receives.

Each test runs its own event loop (``asyncio.run``): a fake Rasa REST channel on a free
loopback port, the gateway under aiohttp's test client, and a SQLite store with the demo
accounts (``amper demo-data``).
"""
from __future__ import annotations

import json

import pytest

from bot.chat.identity import verify_token
from bot.service_layer.demo import DEMO_PASSWORD
from bot.web.app import COOKIE
from bot.web import wording
from bot.web.sessions import RateLimiter, SessionStore

from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    SECRET, FakeRasa, csrf_of, environment, login, post, run, store_url)


# --- session, cookie, headers ----------------------------------------------------------------

def test_session_gives_a_csrf_token_and_a_protected_cookie():
    async def test(client, rasa):
        response = await client.get("/api/session")
        data = await response.json()
        assert response.status == 200 and data["client"] is None and len(data["csrf"]) >= 32
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie and "Secure" not in cookie
        assert len(response.cookies[COOKIE].value) >= 43  # 256 random bits, base64
        # the same session on the next request
        again = await client.get("/api/session")
        assert (await again.json())["csrf"] == data["csrf"]
        https = await client.get("/api/session", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in https.headers["Set-Cookie"]
    run(test)


def test_security_headers_on_every_response():
    async def test(client, rasa):
        for response in [await client.get("/api/session"), await client.get("/nowhere"),
                         await client.post("/api/messages", json={"message": "x"})]:
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
            assert "unsafe-inline" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"]
        missing = await client.get("/nowhere")
        assert missing.status == 404 and "error" in await missing.json()
    run(test)


# --- messages --------------------------------------------------------------------------------

def test_a_message_goes_to_rasa_with_a_derived_sender_and_no_identity():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        response = await post(client, "/api/messages",
                              {"message": "Bonjour", "sender": "victim", "metadata":
                               {"auth": "forged"}}, csrf)
        assert response.status == 200
        [answer] = (await response.json())["messages"]
        assert answer.pop("id")  # for the thumbs up or down
        assert answer == {"text": "Bonjour !",
                          "buttons": [{"title": "Annuler", "payload": "/cancel"}]}
        # a button click: the payload as the message
        await post(client, "/api/messages", {"message": "/cancel"}, csrf)
    rasa = run(test)
    first, second = rasa.bodies
    assert first["message"] == "Bonjour" and second["message"] == "/cancel"
    assert first["sender"].startswith("web-") and len(first["sender"]) == 36
    assert first["sender"] == second["sender"] != "victim"
    assert "auth" not in first["metadata"] and "forged" not in json.dumps(rasa.bodies)


def test_two_browsers_have_two_senders():
    senders = []

    async def test(client, rasa):
        await post(client, "/api/messages", {"message": "un"}, await csrf_of(client))
        client.session.cookie_jar.clear()
        await post(client, "/api/messages", {"message": "deux"}, await csrf_of(client))
    rasa = run(test)
    senders = [b["sender"] for b in rasa.bodies]
    assert len(set(senders)) == 2


def test_html_in_a_reply_stays_json_data():
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    rasa = FakeRasa(replies=[{"text": evil}])

    async def test(client, rasa):
        response = await post(client, "/api/messages", {"message": evil},
                              await csrf_of(client))
        assert response.content_type == "application/json"
        assert [m["text"] for m in (await response.json())["messages"]] == [evil]
    run(test, rasa=rasa)
    assert rasa.bodies[0]["message"] == evil


@pytest.mark.parametrize("body, content_type, status, words", [
    ({"message": ""}, "application/json", 400, "vide"),
    ({"message": "   "}, "application/json", 400, "vide"),
    ({"message": 12}, "application/json", 400, "vide"),
    ({}, "application/json", 400, "vide"),
    ({"message": "a" * 2001}, "application/json", 400, "trop long"),
    ("{pas du json", "application/json", 400, "illisible"),
    ("[1, 2]", "application/json", 400, "objet JSON"),
    (b"\xff\xfe", "application/json", 400, "illisible"),
    ("message=bonjour", "application/x-www-form-urlencoded", 400, "JSON"),
    ({"message": "a" * 17000}, "application/json", 413, "trop volumineuse"),
])
def test_bad_messages_get_a_french_error_never_a_500(body, content_type, status, words):
    async def test(client, rasa):
        data = json.dumps(body) if isinstance(body, dict) else body
        response = await post(client, "/api/messages", data, await csrf_of(client),
                              headers={"Content-Type": content_type})
        assert response.status == status
        assert words in (await response.json())["error"]
    assert run(test).bodies == []


def test_a_message_of_2000_characters_goes_through():
    async def test(client, rasa):
        response = await post(client, "/api/messages", {"message": "é" * 2000},
                              await csrf_of(client))
        assert response.status == 200
    assert len(run(test).bodies) == 1


def test_rasa_down_gives_a_french_503_with_the_phone():
    async def test(client, rasa):
        response = await post(client, "/api/messages", {"message": "Bonjour"},
                              await csrf_of(client))
        assert response.status == 503
        message = (await response.json())["error"]
        assert message.startswith("L'assistant ne répond pas pour le moment")
        assert "01 99 88 77 66" in message
    run(test, rasa_down=True, timeout=0.5)


def test_rasa_too_slow_is_a_turn_lost_in_flight_the_page_retries():
    """Sent, then no answer in time: Rasa may have processed it, so it is not sent elsewhere;
    the page offers « Réessayer » (same message id)."""
    async def test(client, rasa):
        response = await post(client, "/api/messages", {"message": "Bonjour"},
                              await csrf_of(client))
        assert response.status == 503
        assert (await response.json())["error"] == wording.TURN_LOST
    assert len(run(test, rasa=FakeRasa(delay=2.0), timeout=0.5).bodies) == 1


# --- CSRF ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/messages", "/api/login", "/api/logout"])
def test_a_post_without_the_right_csrf_token_is_refused(path):
    async def test(client, rasa):
        no_session = await client.post(path, json={"message": "x"})
        assert no_session.status == 403 and "jeton" in (await no_session.json())["error"]
        await csrf_of(client)
        for headers in ({}, {"X-CSRF-Token": "faux"}):
            response = await client.post(path, json={"message": "x", "login": "client1001",
                                                      "password": DEMO_PASSWORD},
                                         headers=headers)
            assert response.status == 403 and "jeton" in (await response.json())["error"]
        assert (await (await client.get("/api/session")).json())["client"] is None
    assert run(test).bodies == []


# --- login, logout ---------------------------------------------------------------------------

def test_login_rotates_the_session_and_the_token_names_the_client():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        before = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
        await post(client, "/api/messages", {"message": "avant"}, csrf)
        response = await login(client, csrf)
        data = await response.json()
        assert response.status == 200 and data["client"] == 1001 and data["csrf"] != csrf
        after = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
        assert after != before
        assert (await (await client.get("/api/session")).json())["client"] == 1001
        # the old CSRF token no longer works; the new one does
        assert (await post(client, "/api/messages", {"message": "x"}, csrf)).status == 403
        assert (await post(client, "/api/messages", {"message": "après"},
                           data["csrf"])).status == 200
        # the session id known before the login opens nothing
        client.session.cookie_jar.update_cookies({COOKIE: before})
        assert (await (await client.get("/api/session")).json())["client"] is None
    rasa = run(test)
    before, after = rasa.bodies
    assert "auth" not in before["metadata"] and before["sender"] != after["sender"]
    identity = verify_token(after["metadata"]["auth"], SECRET)
    assert identity.client_number == "1001" and identity.role == "client"
    assert verify_token(after["metadata"]["auth"], "t" * 32) is None


@pytest.mark.parametrize("name, password", [
    ("client1001", "mauvais"), ("personne", DEMO_PASSWORD), ("bureau.nord", "mauvais")])
def test_a_refused_login_says_so_in_french(name, password):
    async def test(client, rasa):
        csrf = await csrf_of(client)
        response = await login(client, csrf, name, password)
        assert response.status == 401
        assert (await response.json())["error"] == "Identifiant ou mot de passe incorrect."
        assert (await (await client.get("/api/session")).json())["client"] is None
    run(test)


@pytest.mark.parametrize("body", [{}, {"login": "client1001"}, {"login": 1, "password": "x"},
                                  {"login": "x" * 101, "password": "x"}])
def test_login_with_missing_fields_is_a_400(body):
    async def test(client, rasa):
        response = await post(client, "/api/login", body, await csrf_of(client))
        assert response.status == 400 and "identifiant" in (await response.json())["error"]
    run(test)


def test_login_failures_are_rate_limited_per_login_and_per_address():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        for _ in range(5):
            assert (await login(client, csrf, "client1001", "mauvais")).status == 401
        blocked = await login(client, csrf, "client1001", DEMO_PASSWORD)
        assert blocked.status == 429 and "tentatives" in (await blocked.json())["error"]
        # the same address, another login: still blocked (per address)
        assert (await login(client, csrf, "client1002", DEMO_PASSWORD)).status == 429
    run(test)


def test_the_rate_limit_per_login_and_its_window():
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    limiter.fail("login:a", "addr:1")
    limiter.fail("login:a", "addr:2")
    assert limiter.blocked("login:a", "addr:3") and not limiter.blocked("login:b", "addr:3")
    now[0] = 61.0
    assert not limiter.blocked("login:a", "addr:1")


def test_logout_ends_the_identity_and_the_session():
    async def test(client, rasa):
        csrf = (await (await login(client, await csrf_of(client))).json())["csrf"]
        await post(client, "/api/messages", {"message": "connecté"}, csrf)
        response = await post(client, "/api/logout", {}, csrf)
        data = await response.json()
        assert response.status == 200 and data["client"] is None and data["csrf"] != csrf
        await post(client, "/api/messages", {"message": "déconnecté"}, data["csrf"])
        assert (await (await client.get("/api/session")).json())["client"] is None
    rasa = run(test)
    connected, disconnected = rasa.bodies
    assert "auth" in connected["metadata"] and "auth" not in disconnected["metadata"]
    assert connected["sender"] != disconnected["sender"]


def test_sessions_expire_after_idle_time():
    now = [0.0]
    store = SessionStore(idle_seconds=100, clock=lambda: now[0])
    session = store.new()
    now[0] = 99.0
    assert store.get(session.id) is session
    now[0] = 200.0
    assert store.get(session.id) is None and len(store) == 0
    assert store.get("") is None and store.get("inconnu") is None
    forgotten = store.new()
    now[0] = 400.0
    store.new()  # a new session prunes the idle ones, unread
    assert len(store) == 1 and forgotten.id not in store._sessions


# --- amper serve gateway ---------------------------------------------------------------------

def test_serve_gateway_runs_on_the_configured_address(monkeypatch, capsys):
    from aiohttp import web as aiohttp_web

    from bot.entrypoints import cli

    started = {}
    monkeypatch.setattr(aiohttp_web, "run_app", lambda app, **kw: started.update(app=app, **kw))
    monkeypatch.setenv("AMPER_WEB_PORT", "8123")
    monkeypatch.setenv("AMPER_RASA_PORT", "6123")
    assert cli.main(["serve", "gateway"]) == 0
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    assert "127.0.0.1:6123/webhooks/rest/webhook" in capsys.readouterr().out


def test_serve_gateway_refuses_to_start_without_a_secret(monkeypatch, capsys):
    from bot.entrypoints import cli

    monkeypatch.delenv("AMPER_SECRET")
    assert cli.main(["serve", "gateway"]) == 1
    assert "AMPER_SECRET n'est pas défini" in capsys.readouterr().err


def test_web_settings_defaults_and_bad_port():
    from bot import settings

    assert settings.web({}) == settings.WebSettings(
        host="127.0.0.1", port=8000, embed_origins=(), trusted_proxies=(), link_secret="",
        demo_port=8001, public_url="http://127.0.0.1:8000")
    assert settings.web({"AMPER_WEB_PORT": "9000"}).public_url == "http://127.0.0.1:9000"
    assert settings.web({"AMPER_WEB_PUBLIC_URL": "https://assistant.amper.fr/"}).public_url \
        == "https://assistant.amper.fr"
    assert "AMPER_WEB_PUBLIC_URL invalide" in settings.check(
        {"AMPER_WEB_PUBLIC_URL": "https://amper.fr/bureau"})[0]
    assert settings.web({"AMPER_WEB_HOST": "0.0.0.0", "AMPER_WEB_PORT": "80"}).port == 80
    assert "AMPER_WEB_PORT invalide" in settings.check({"AMPER_WEB_PORT": "huit"})[0]


def test_the_session_store_stays_bounded():
    store = SessionStore(max_sessions=3)
    first, *others = [store.new() for _ in range(5)]
    assert len(store) == 3 and store.get(first.id) is None and store.get(others[-1].id)
