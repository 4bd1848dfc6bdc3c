"""The staff's answer panel (GET /api/conseiller/reponse, bot/web/staff_answers.py) against a
fake of our Rasa channel's ``POST /webhooks/rest/answers``; the channel's own side
(bot/entrypoints/rasa_answers.py) on parses shaped like the model's."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web import staff_answers
from bot.web.app import create_app
from bot.web.http import SESSIONS
from tests.integration.web_harness import environment, free_port, store_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TEXTS = {name[len("utter_"):]: " ".join(variants[0]["text"].split())
         for name, variants in DOMAIN["responses"].items() if name.startswith("utter_faq/")}
COOKIE = "amper_session"


def ranked(*pairs, threshold=0.6):
    """A ranking as our Rasa channel answers it: (key, confidence)…, best first."""
    return {"intent": "faq", "intent_confidence": 0.9, "threshold": threshold,
            "answers": [{"key": key, "title": f"Titre {key}", "confidence": c, "text": TEXTS[key]}
                        for key, c in pairs]}


class FakeAnswers:
    """Our channel's answers route: records each text, answers ``ranking`` (or waits)."""

    def __init__(self, ranking=None, delay=0.0, status=200):
        self.texts = []
        self.ranking = ranking or ranked(("faq/client_absent", 0.95), ("faq/change_schedule", 0.02))
        self.delay, self.status = delay, status

    async def handle(self, request):
        self.texts.append((await request.json())["text"])
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self.ranking, status=self.status)


def run(test, rasa=None, rasa_down=False):
    """The fake channel and the gateway (with the route, wired here if the gateway does not
    yet); ``await test(client, rasa, sessions)``."""
    rasa = rasa or FakeAnswers()

    async def main():
        runner = None
        port = free_port()
        if not rasa_down:
            fake = web.Application()
            fake.router.add_post("/webhooks/rest/answers", rasa.handle)
            runner = web.AppRunner(fake)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
        app = create_app(None, f"http://127.0.0.1:{port}/webhooks/rest/webhook")
        sessions = app[SESSIONS]  # (an empty SessionStore passed to create_app is falsy)
        if staff_answers.ANSWERS not in app:
            staff_answers.add_routes(app)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await test(client, rasa, sessions)
        finally:
            await client.close()
            if runner is not None:
                await runner.cleanup()

    asyncio.run(main())
    return rasa


def staff_cookie(sessions, login="bureau.nord"):
    session = sessions.new()
    session.staff = login
    return {"Cookie": f"{COOKIE}={session.id}"}


async def ask(client, sessions, q, headers=None):
    headers = headers if headers is not None else staff_cookie(sessions)
    return await client.get("/api/conseiller/reponse", params={"q": q}, headers=headers)


# -- shapes ----------------------------------------------------------------------------------

def test_the_best_answer_in_full_with_topic_title_confidence_and_rules():
    async def test(client, rasa, sessions):
        response = await ask(client, sessions, "  délai   annulation ")
        assert response.status == 200
        body = await response.json()
        assert body["query"] == "délai annulation" and body["close"] is False
        assert "message" not in body
        [answer] = body["answers"]
        assert answer == {"topic": "faq/client_absent", "title": "Titre faq/client_absent",
                          "text": TEXTS["faq/client_absent"], "confidence": 0.95,
                          "confidence_words": "sûr", "rules": ["48 heures"]}
        assert rasa.texts == ["délai annulation"]
    run(test)


@pytest.mark.parametrize("key, rules", [
    ("faq/client_absent", ["48 heures"]),
    ("faq/change_schedule", ["10 jours"]),
    ("faq/getting_started", ["10 jours"]),
    ("faq/minimum_duration", ["45 minutes"]),
    ("faq/direct_hiring", ["interdit de recruter directement"]),
    ("faq/payment_methods", []),
])
def test_the_rules_are_exact_substrings_of_the_domain_answers(key, rules):
    found = staff_answers.rules_in(TEXTS[key])
    assert found == rules
    assert all(rule in TEXTS[key] for rule in found)


@pytest.mark.parametrize("text, rule", [
    ("prévenez 48 h avant", "48 h"), ("au moins 48h", "48h"), ("10 jours à l'avance", "10 jours"),
    ("45 min au minimum", "45 min"), ("pas d'embauche directe", "embauche directe"),
    ("être salariée directement", "salariée directement"),
    ("embaucher directement l'aide", "embaucher directement")])
def test_each_rule_pattern_matches_its_usual_wordings(text, rule):
    assert staff_answers.rules_in(text) == [rule]


@pytest.mark.parametrize("confidence, words", [(1.0, "sûr"), (0.8, "sûr"), (0.79, "probable"),
                                               (0.5, "probable"), (0.49, "incertain")])
def test_confidence_in_words(confidence, words):
    assert staff_answers.confidence_words(confidence) == words


# -- close, not close, nothing sure ----------------------------------------------------------

def test_a_close_runner_up_is_shown_second():
    rasa = FakeAnswers(ranked(("faq/change_schedule", 0.7), ("faq/client_absent", 0.56),
                              ("faq/getting_started", 0.02)))

    async def test(client, rasa, sessions):
        body = await (await ask(client, sessions, "changer")).json()
        assert body["close"] is True
        assert [a["topic"] for a in body["answers"]] == ["faq/change_schedule", "faq/client_absent"]
        assert [a["confidence_words"] for a in body["answers"]] == ["probable", "probable"]
        assert body["answers"][1]["rules"] == ["48 heures"]
    run(test, rasa)


@pytest.mark.parametrize("second, close", [(0.55, True), (0.5499, False)])
def test_a_gap_of_exactly_015_is_close(second, close):
    panel = staff_answers.panel(ranked(("faq/change_schedule", 0.7), ("faq/client_absent", second)))
    assert panel["close"] is close and len(panel["answers"]) == (2 if close else 1)


def test_a_distant_runner_up_is_not_shown():
    rasa = FakeAnswers(ranked(("faq/change_schedule", 0.75), ("faq/client_absent", 0.59)))

    async def test(client, rasa, sessions):
        body = await (await ask(client, sessions, "changer")).json()
        assert body["close"] is False and len(body["answers"]) == 1
    run(test, rasa)


def test_nothing_sure_enough_gives_no_answer_and_says_so():
    rasa = FakeAnswers(ranked(("faq/change_schedule", 0.55), ("faq/client_absent", 0.5),
                              threshold=0.6))

    async def test(client, rasa, sessions):
        response = await ask(client, sessions, "bonjour")
        body = await response.json()
        assert response.status == 200
        assert body["answers"] == [] and body["close"] is False
        assert "Pas de réponse assez sûre" in body["message"]
    run(test, rasa)


def test_the_gate_threshold_comes_from_rasa():
    rasa = FakeAnswers(ranked(("faq/change_schedule", 0.55), threshold=0.5))

    async def test(client, rasa, sessions):
        body = await (await ask(client, sessions, "horaires")).json()
        assert [a["topic"] for a in body["answers"]] == ["faq/change_schedule"]
    run(test, rasa)


# -- speed: cache and coalescing -------------------------------------------------------------

def test_a_query_differing_in_case_accents_spaces_or_punctuation_is_served_from_the_cache():
    async def test(client, rasa, sessions):
        headers = staff_cookie(sessions)
        for q in ("Délai d'annulation ?", "delai  d annulation", "DÉLAI D'ANNULATION!!"):
            response = await ask(client, sessions, q, headers)
            body = await response.json()
            assert response.status == 200 and body["query"] == " ".join(q.split())
            assert body["answers"][0]["topic"] == "faq/client_absent"
        assert rasa.texts == ["Délai d'annulation ?"]
        assert client.app[staff_answers.ANSWERS].hits == 2
    run(test)


def test_identical_queries_in_flight_are_sent_to_rasa_once():
    rasa = FakeAnswers(delay=0.3)

    async def test(client, rasa, sessions):
        responses = await asyncio.gather(*(ask(client, sessions, q) for q in
                                           ["cesu"] * 4 + ["CESU ?"] * 2))
        assert [r.status for r in responses] == [200] * 6
        assert rasa.texts == ["cesu"]
        assert client.app[staff_answers.ANSWERS].joined == 5
        await ask(client, sessions, "autre question")
        assert rasa.texts == ["cesu", "autre question"]
    run(test, rasa)


def test_the_cache_is_bounded_and_expires():
    now = [0.0]
    cache = staff_answers.AnswerCache(size=2, seconds=10, clock=lambda: now[0])
    for key in ("a", "b", "c"):
        cache.put(key, {"answers": []})
    assert cache.get("a") is None and cache.get("b") is not None and len(cache) == 2
    now[0] = 11
    assert cache.get("b") is None


def test_normalised_keys():
    assert staff_answers.normalise("  Délai d'ANNULATION… ? ") == "delai d annulation"
    assert staff_answers.normalise("?!…") == ""


def test_answers_url_is_next_to_the_webhook():
    assert (staff_answers.answers_url("http://127.0.0.1:5005/webhooks/rest/webhook")
            == "http://127.0.0.1:5005/webhooks/rest/answers")


# -- bad queries, Rasa's problems, roles -----------------------------------------------------

@pytest.mark.parametrize("q, message", [("", staff_answers.EMPTY_QUERY),
                                        ("   ", staff_answers.EMPTY_QUERY),
                                        ("?!", staff_answers.EMPTY_QUERY),
                                        ("x" * 301, staff_answers.QUERY_TOO_LONG)])
def test_a_bad_query_gets_a_french_400(q, message):
    async def test(client, rasa, sessions):
        response = await ask(client, sessions, q)
        assert response.status == 400
        assert (await response.json()) == {"error": message}
        assert rasa.texts == []
    run(test)


def test_a_missing_query_gets_a_french_400():
    async def test(client, rasa, sessions):
        response = await client.get("/api/conseiller/reponse", headers=staff_cookie(sessions))
        assert response.status == 400 and (await response.json())["error"] == staff_answers.EMPTY_QUERY
    run(test)


def test_300_characters_are_accepted():
    async def test(client, rasa, sessions):
        assert (await ask(client, sessions, "a" * 300)).status == 200
    run(test)


def test_rasa_down_is_a_french_503_and_not_cached():
    async def test(client, rasa, sessions):
        response = await ask(client, sessions, "cesu")
        assert response.status == 503
        assert "ne répond pas" in (await response.json())["error"]
        assert len(client.app[staff_answers.ANSWERS]) == 0
    run(test, rasa_down=True)


def test_rasa_refusing_the_text_passes_its_french_reason_on():
    rasa = FakeAnswers({"error": "text_too_long", "message": "Votre message est trop long."},
                       status=400)

    async def test(client, rasa, sessions):
        response = await ask(client, sessions, "cesu")
        assert response.status == 400
        assert (await response.json()) == {"error": "Votre message est trop long."}
    run(test, rasa)


def test_without_a_login_it_is_401():
    async def test(client, rasa, sessions):
        response = await ask(client, sessions, "cesu", headers={})
        assert response.status == 401
        assert (await response.json()) == {"error": "Connectez-vous avec un compte conseiller."}
        assert rasa.texts == []
    run(test)


def test_a_client_session_is_refused_403():
    async def test(client, rasa, sessions):
        session = sessions.new()
        session.client_number, session.login = "1001", "client1001"
        response = await ask(client, sessions, "cesu", headers={"Cookie": f"{COOKIE}={session.id}"})
        assert response.status == 403
        assert (await response.json()) == {"error": "Réservé aux conseillers."}
        assert rasa.texts == []
    run(test)


# -- the channel's side: the ranking from a parse --------------------------------------------

def parse_like_the_model(**overrides):
    parse = {"text": "délai annulation",
             "intent": {"name": "faq", "confidence": 0.9},
             "intent_ranking": [{"name": "faq", "confidence": 0.9},
                                {"name": "greet", "confidence": 0.1}],
             "response_selector": {"all_retrieval_intents": ["faq"], "faq": {
                 "response": {"confidence": 0.8, "intent_response_key": "faq/client_absent"},
                 "ranking": [{"confidence": 0.8, "intent_response_key": "faq/client_absent"},
                             {"confidence": 0.15, "intent_response_key": "faq/change_schedule"},
                             {"confidence": 0.04, "intent_response_key": "faq/invoices"},
                             {"confidence": 0.01, "intent_response_key": "faq/gone"}]}}}
    parse.update(overrides)
    return parse


def responses():
    return {f"utter_{key}": [{"text": text}] for key, text in TEXTS.items()}


def test_the_channel_ranks_answers_by_their_own_probability():
    from bot.entrypoints.rasa_answers import ranked_answers
    from bot.faq.topics import FAQ_TOPICS

    found = ranked_answers(parse_like_the_model(), responses())
    assert [(a["key"], a["confidence"]) for a in found] == [
        ("faq/client_absent", 0.72), ("faq/change_schedule", 0.135), ("faq/invoices", 0.036)]
    assert found[0]["text"] == TEXTS["faq/client_absent"]
    assert found[0]["title"] == FAQ_TOPICS["client_absent"]


def test_the_channel_keeps_the_faq_probability_behind_a_fallback():
    from bot.entrypoints.rasa_answers import answers_of, ranked_answers

    parse = parse_like_the_model(
        intent={"name": "nlu_fallback", "confidence": 0.4},
        intent_ranking=[{"name": "nlu_fallback", "confidence": 0.4},
                        {"name": "faq", "confidence": 0.5}])
    assert ranked_answers(parse, responses())[0]["confidence"] == 0.4

    class Agent:
        domain = type("D", (), {"responses": responses()})()
        processor = None
    out = answers_of(parse, Agent())
    assert out["intent"] == "nlu_fallback" and out["intent_confidence"] == 0.4
    assert out["threshold"] == 0.5  # no gate in this "model": the gate's default


@pytest.mark.parametrize("body, code", [([], "body_not_object"), ({}, "text_not_text"),
                                        ({"text": 3}, "text_not_text"),
                                        ({"text": " \u202e "}, "text_empty"),
                                        ({"text": "/"}, "text_empty"),
                                        ({"text": "x" * 1001}, "text_too_long")])
def test_the_channel_checks_its_input_in_french(body, code):
    from bot.entrypoints.rasa_answers import text_of
    from bot.entrypoints.rasa_channel import InputError

    with pytest.raises(InputError) as problem:
        text_of(body)
    assert problem.value.code == code and problem.value.message


def test_the_channel_cleans_the_text():
    from bot.entrypoints.rasa_answers import text_of

    assert text_of({"text": " /cesu\u200f "}) == "cesu"
