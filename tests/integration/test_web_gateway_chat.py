"""The gateway's chat (retries, history, feedback), « Mon planning », the signed link and the
visitor's address behind a proxy; against a fake Rasa (tests/integration/web_harness.py)."""
from __future__ import annotations

import asyncio
import dataclasses

from bot import settings
from bot.web import link
from bot.web.app import COOKIE
from bot.web.sessions import RateLimiter

from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    FakeRasa, csrf_of, environment, login, post, run, store_url)

LINK_SECRET = "l" * 40


def web_settings(**changes):
    return dataclasses.replace(settings.web({}), **changes)


# --- a message is sent once, whatever the retries --------------------------------------------

def test_a_retry_of_the_same_message_is_not_sent_twice():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        body = {"message": "Bonjour", "id": "message-0001"}
        first = await (await post(client, "/api/messages", body, csrf)).json()
        again = await (await post(client, "/api/messages", body, csrf)).json()
        assert first == again and first["messages"][0]["id"] == "message-0001-0"
        other = await post(client, "/api/messages", {**body, "id": "message-0002"}, csrf)
        assert other.status == 200
    rasa = run(test)
    assert [b["message"] for b in rasa.bodies] == ["Bonjour", "Bonjour"]  # 0001 once, 0002 once


def test_a_retry_while_the_first_is_waiting_joins_it():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        body = {"message": "Bonjour", "id": "message-0003"}
        first, second = await asyncio.gather(post(client, "/api/messages", body, csrf),
                                             post(client, "/api/messages", body, csrf))
        assert first.status == second.status == 200
        assert await first.json() == await second.json()
    rasa = run(test, rasa=FakeRasa(delay=0.3))
    assert len(rasa.bodies) == 1


def test_a_failed_message_can_be_sent_again():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        body = {"message": "Bonjour", "id": "message-0004"}
        down = await post(client, "/api/messages", body, csrf)
        assert down.status == 503 and "ne répond pas" in (await down.json())["error"]
        assert (await (await client.get("/api/session")).json())["history"] == []
    run(test, rasa_down=True)


def test_bad_ids_and_labels_are_refused_in_french():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        for body in ({"message": "x", "id": "court"}, {"message": "x", "id": "a b c d e f g h"},
                     {"message": "x", "id": 12345678}, {"message": "x", "label": ["x"]},
                     {"message": "x", "label": "x" * 201}):
            response = await post(client, "/api/messages", body, csrf)
            assert response.status == 400, body
            assert "Requête invalide" in (await response.json())["error"]
    rasa = run(test)
    assert rasa.bodies == []


def test_the_channel_s_french_refusal_is_passed_on():
    refusal = {"error": "message_empty", "message": "Votre message est vide."}

    async def test(client, rasa):
        response = await post(client, "/api/messages", {"message": "\u200e"},
                              await csrf_of(client))
        assert response.status == 400
        assert (await response.json())["error"] == "Votre message est vide."
    run(test, rasa=FakeRasa(replies=refusal, status=400))


# --- the conversation survives a reload, not a logout ----------------------------------------

def test_history_shows_labels_and_answers_and_ends_at_logout():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        await post(client, "/api/messages", {"message": "/cancel", "label": "Annuler",
                                             "id": "message-0005"}, csrf)
        history = (await (await client.get("/api/session")).json())["history"]
        assert [(e["from"], e["text"]) for e in history] == [("user", "Annuler"),
                                                              ("bot", "Bonjour !")]
        assert history[1]["buttons"][0]["payload"] == "/cancel"
        assert history[1]["feedback"] is None
        # the login keeps what the page shows; the logout forgets it
        data = await (await login(client, csrf)).json()
        assert len((await (await client.get("/api/session")).json())["history"]) == 2
        await post(client, "/api/logout", {}, data["csrf"])
        assert (await (await client.get("/api/session")).json())["history"] == []
    rasa = run(test)
    assert rasa.bodies[0]["message"] == "/cancel"


# --- feedback --------------------------------------------------------------------------------

def test_a_vote_is_stored_once_with_the_question_s_intent():
    votes = []

    async def test(client, rasa):
        csrf = await csrf_of(client)
        answer = (await (await post(client, "/api/messages", {"message": "tarif ?"},
                                    csrf)).json())["messages"][0]["id"]
        first = await post(client, "/api/feedback", {"answer": answer, "value": "down"}, csrf)
        assert (await first.json()) == {"ok": True, "feedback": "down"}
        second = await post(client, "/api/feedback", {"answer": answer, "value": "up"}, csrf)
        assert (await second.json())["feedback"] == "down"
        history = (await (await client.get("/api/session")).json())["history"]
        assert history[-1]["feedback"] == "down"
        for body, status in (({"answer": "inconnue", "value": "up"}, 404),
                             ({"answer": answer, "value": "bof"}, 400), ({"value": "up"}, 400)):
            assert (await post(client, "/api/feedback", body, csrf)).status == status
        assert (await client.post("/api/feedback", json={"answer": answer, "value": "up"})
                ).status == 403  # no CSRF token
    run(test, rasa=FakeRasa(headers={"X-Amper-Intent": "faq/tarifs"}),
        record_feedback=lambda intent, value: votes.append((intent, value)))
    assert votes == [("faq/tarifs", "down")]


# --- « Mon planning » ------------------------------------------------------------------------

def test_planning_needs_a_login_then_lists_lines_with_their_payloads():
    async def test(client, rasa):
        refused = await client.get("/api/planning")
        assert refused.status == 401 and "Connectez-vous" in (await refused.json())["error"]
        await login(client, await csrf_of(client))
        data = await (await client.get("/api/planning")).json()
        assert data["interventions"], data
        line = data["interventions"][0]
        assert set(line) == {"id", "when", "date", "hours", "caregiver", "service", "cancel",
                             "change"}
        assert line["hours"].startswith("de ") and " h" in line["hours"]
        assert line["cancel"] == ('/request_cancellation{"intervention_id": "%s"}' % line["id"])
        assert line["change"].startswith("/request_schedule_change{")
        assert data["requests"] == []
    run(test)


def test_planning_text_is_data_never_markup():
    from types import SimpleNamespace as Item
    from datetime import datetime, timezone

    start = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)
    evil = Item(external_id='X"1', start=start, end=start.replace(hour=10),
                caregiver="<img src=x onerror=alert(1)>", service="<script>")

    async def test(client, rasa):
        await login(client, await csrf_of(client))
        response = await client.get("/api/planning")
        assert response.content_type == "application/json"
        [line] = (await response.json())["interventions"]
        assert line["caregiver"] == "<img src=x onerror=alert(1)>"
        assert line["when"] == "mardi 8 décembre" and line["hours"] == "de 9 h à 11 h"
        assert line["cancel"] == '/request_cancellation{"intervention_id": "X\\"1"}'
    run(test, planning=lambda number: ([evil], []))


# --- the signed link (/connexion?jeton=…) -----------------------------------------------------

def test_a_signed_link_logs_the_client_in_once():
    async def test(client, rasa):
        token = link.make_link_token("1001", secret=LINK_SECRET)
        arrived = await client.get(f"/connexion?jeton={token}", allow_redirects=False)
        assert arrived.status == 303 and arrived.headers["Location"] == "/"
        assert arrived.headers["Referrer-Policy"] == "no-referrer"
        assert COOKIE in arrived.cookies
        assert (await (await client.get("/api/session")).json())["client"] == 1001
        replayed = await client.get(f"/connexion?jeton={token}", allow_redirects=False)
        assert replayed.status == 400 and "déjà été utilisé" in await replayed.text()
        forged = link.make_link_token("1002", secret="f" * 40)
        refused = await client.get(f"/connexion?jeton={forged}", allow_redirects=False)
        assert refused.status == 400
        unknown = link.make_link_token("999999", secret=LINK_SECRET)
        nobody = await client.get(f"/connexion?jeton={unknown}", allow_redirects=False)
        assert nobody.status == 400 and "aucun client" in await nobody.text()
    run(test, web_settings=web_settings(link_secret=LINK_SECRET))


def test_without_a_link_secret_links_are_refused():
    async def test(client, rasa):
        token = link.make_link_token("1001", secret=LINK_SECRET)
        response = await client.get(f"/connexion?jeton={token}", allow_redirects=False)
        assert response.status == 404 and "pas activée" in await response.text()
        assert (await (await client.get("/api/session")).json())["client"] is None
    run(test, web_settings=web_settings())


# --- the visitor's address behind a proxy; probes -------------------------------------------

def test_forwarded_addresses_count_only_from_trusted_proxies():
    async def attempts(client, forwarded_for, count):
        csrf = await csrf_of(client)
        statuses = []
        for i in range(count):
            response = await post(client, "/api/login", {"login": f"x{i}", "password": "no"},
                                  csrf, headers={"X-Forwarded-For": forwarded_for})
            statuses.append(response.status)
        return statuses

    async def untrusted(client, rasa):
        # a forged header does not give a fresh address: the 6th try is refused
        statuses = [*await attempts(client, "203.0.113.1", 3),
                    *await attempts(client, "203.0.113.2", 3)]
        assert statuses[-1] == 429

    async def trusted(client, rasa):
        statuses = [*await attempts(client, "203.0.113.1, 198.51.100.7", 5),
                    *await attempts(client, "203.0.113.1, 198.51.100.8", 1)]
        assert statuses == [401] * 6  # two visitors behind the proxy, five tries each
        assert (await attempts(client, "198.51.100.7", 1)) == [429]

    run(untrusted, limiter=RateLimiter())
    run(trusted, limiter=RateLimiter(),
        web_settings=web_settings(trusted_proxies=("127.0.0.1",)))


def test_health_creates_no_session():
    async def test(client, rasa):
        response = await client.get("/health")
        assert response.status == 200 and (await response.json()) == {"status": "ok"}
        assert "Set-Cookie" not in response.headers
    run(test)


def test_static_files_are_cached_for_an_hour_and_pages_never():
    async def test(client, rasa):
        script = await client.get("/static/chat.js")
        assert script.status == 200
        assert script.headers["Cache-Control"] == "public, max-age=3600"
        assert "Set-Cookie" not in script.headers
        page = await client.get("/")
        assert page.headers["Cache-Control"] == "no-store"
        missing = await client.get("/static/nothing.js")
        assert missing.status == 404 and missing.headers["Cache-Control"] == "no-store"
    run(test)
