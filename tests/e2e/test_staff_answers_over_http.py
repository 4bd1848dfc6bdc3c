"""End to end: the staff's answer panel through the gateway, answered by the real Rasa
server's model (our channel's POST /webhooks/rest/answers on loopback).

The expected topic of each query typed like a phone agent would is read from the training
data (data/nlu/faq/*.yml: the topic whose examples use the query's words), not guessed
here; the answer texts and titles must be the domain's and the FAQ registry's."""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.faq.topics import FAQ_TOPICS
from bot.web import staff_answers
from bot.web.app import COOKIE, create_app
from bot.web.http import SESSIONS

ROOT = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret-0123456789-0123456789-abcdef"
QUERIES = ["cesu", "délai annulation", "embaucher l'aide à domicile directement",
           "durée minimum intervention", "factures par mail", "remplaçant intervenant malade",
           "changer horaires", "ménage ponctuel"]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", text).strip()


def _examples() -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "data" / "nlu" / "faq").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            lines = block["examples"].splitlines()
            found[block["intent"]] = [_fold(l[2:]) for l in lines if l.startswith("- ")]
    return found


EXAMPLES = _examples()


def expected_topic(query: str) -> str:
    """The FAQ topic whose training examples carry the query's words: each word (4 letters
    or more, its first 6 compared) gives each topic its share of the examples using it."""
    score = dict.fromkeys(EXAMPLES, 0.0)
    for word in (w[:6] for w in _fold(query).split() if len(w) >= 4):
        counts = {t: sum(word in e for e in examples) for t, examples in EXAMPLES.items()}
        total = sum(counts.values())
        for topic in score:
            score[topic] += counts[topic] / total if total else 0.0
    best, second = sorted(score.items(), key=lambda kv: kv[1], reverse=True)[:2]
    assert best[1] >= 2 * second[1], f"{query!r}: the data do not point at one topic {score}"
    return best[0]


def domain_texts() -> Dict[str, str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name[len("utter_"):]: " ".join(variants[0]["text"].split())
            for name, variants in domain["responses"].items() if name.startswith("utter_faq/")}


def ask_all(stack, queries, login="bureau.nord"):
    """The gateway (in this process, the route wired if the gateway does not yet) in front of
    the real Rasa; each query asked as a staff member; [(status, body)]."""
    async def main():
        app = create_app(None, stack.config.rest_url, secret=SECRET)
        if staff_answers.ANSWERS not in app:
            staff_answers.add_routes(app)
        session = app[SESSIONS].new()
        session.staff = login
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            out = []
            for q in queries:
                response = await client.get("/api/conseiller/reponse", params={"q": q},
                                            headers={"Cookie": f"{COOKIE}={session.id}"})
                out.append((response.status, await response.json()))
            return out
        finally:
            await client.close()

    return asyncio.run(main())


def post_answers(stack, body) -> tuple:
    url = stack.config.rest_url.rsplit("/", 1)[0] + "/answers"
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as problem:
        return problem.code, json.loads(problem.read().decode("utf-8"))


def test_phone_agent_queries_get_the_topic_of_their_words_in_the_training_data(stack):
    texts = domain_texts()
    for query, (status, body) in zip(QUERIES, ask_all(stack, QUERIES)):
        assert status == 200, (query, body)
        expected = expected_topic(query)
        assert body["answers"], (query, body)
        best = body["answers"][0]
        assert best["topic"] == expected, (query, body)
        assert best["text"] == texts[expected]  # the chat's very answer text
        assert best["title"] == FAQ_TOPICS[expected.partition("/")[2]]
        assert best["confidence_words"] in ("sûr", "probable")
        assert all(rule in best["text"] for rule in best["rules"])


def test_the_rules_of_the_answers_are_highlighted(stack):
    results = dict(zip(["délai annulation", "durée minimum intervention",
                        "embaucher l'aide à domicile directement"],
                       ask_all(stack, ["délai annulation", "durée minimum intervention",
                                       "embaucher l'aide à domicile directement"])))
    assert results["délai annulation"][1]["answers"][0]["rules"] == ["48 heures"]
    assert results["durée minimum intervention"][1]["answers"][0]["rules"] == ["45 minutes"]
    assert results["embaucher l'aide à domicile directement"][1]["answers"][0]["rules"]


def test_a_greeting_or_an_unrelated_question_gets_no_faq_answer(stack):
    for status, body in ask_all(stack, ["bonjour", "quel temps fera-t-il demain à Lyon ?"]):
        assert status == 200 and body["answers"] == [] and body["message"]


def test_the_answers_route_stores_nothing_and_checks_its_input(stack):
    db = stack.config.var_dir / "tracker.db"

    def events() -> int:
        if not db.exists():
            return 0
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    before = events()
    status, body = post_answers(stack, {"text": "je peux payer en CESU ?"})
    assert status == 200
    assert body["answers"][0]["key"] == "faq/payment_methods" and len(body["answers"]) <= 3
    assert body["threshold"] == pytest.approx(0.6)  # config.yml's FaqGate threshold
    assert events() == before
    for bad in ([1], {"text": ""}, {"message": "cesu"}, b"{not json"):
        status, body = post_answers(stack, bad)
        assert status == 400 and body["message"], bad
