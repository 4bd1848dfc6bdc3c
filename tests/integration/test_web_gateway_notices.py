"""The office's decisions told to the client in the chat (issue 22): at the page's next load
and before the answer to their next message, once each; never to a visitor or a staff
member; a store failure never stops the chat.  The ``client_notices`` port is faked here;
the real store is in tests/integration/test_office_store.py and the whole path in
tests/browser/test_office_inbox.py."""
from __future__ import annotations

from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    csrf_of, environment, login, post, run, store_url)

SENTENCE = ("Votre demande AMP-2026-000001 du lundi 7 décembre (annulation de l'intervention "
            "du mardi 8 décembre, 9 h–10 h) a été acceptée par le bureau de secteur.")


class Notices:
    """The port: the sentences waiting for each client, given once."""

    def __init__(self, fail=False):
        self.waiting, self.asked, self.fail = {}, [], fail

    def __call__(self, client_number):
        self.asked.append(client_number)
        if self.fail:
            raise RuntimeError("store down")
        return self.waiting.pop(client_number, [])


def test_the_outcome_is_said_first_at_the_next_load_then_never_again():
    notices = Notices()

    async def test(client, rasa):
        csrf = await csrf_of(client)
        assert (await login(client, csrf)).status == 200
        csrf = (await (await client.get("/api/session")).json())["csrf"]
        notices.waiting["1001"] = [SENTENCE]
        history = (await (await client.get("/api/session")).json())["history"]
        assert [e["text"] for e in history if e.get("notice")] == [SENTENCE]
        again = (await (await client.get("/api/session")).json())["history"]
        assert [e["text"] for e in again if e.get("notice")] == [SENTENCE]  # kept, not repeated
    run(test, client_notices=notices)
    assert set(notices.asked) == {"1001"}


def test_the_outcome_comes_before_the_answer_to_the_next_message():
    notices = Notices()

    async def test(client, rasa):
        csrf = await csrf_of(client)
        await login(client, csrf)
        csrf = (await (await client.get("/api/session")).json())["csrf"]
        notices.waiting["1001"] = [SENTENCE]
        answer = await post(client, "/api/messages", {"message": "bonjour", "id": "m-00000001"},
                            csrf)
        texts = [m["text"] for m in (await answer.json())["messages"]]
        assert texts == [SENTENCE, "Bonjour !"]
        retry = await post(client, "/api/messages", {"message": "bonjour", "id": "m-00000001"},
                           csrf)
        assert [m["text"] for m in (await retry.json())["messages"]] == texts  # same reply
        other = await post(client, "/api/messages", {"message": "merci", "id": "m-00000002"},
                           csrf)
        assert [m["text"] for m in (await other.json())["messages"]] == ["Bonjour !"]
    run(test, client_notices=notices)


def test_a_visitor_or_a_staff_member_is_never_asked_for():
    notices = Notices()

    async def test(client, rasa):
        csrf = await csrf_of(client)
        await post(client, "/api/messages", {"message": "bonjour"}, csrf)
        assert (await login(client, csrf, name="accueil")).status == 200
        await client.get("/api/session")
    run(test, client_notices=notices)
    assert notices.asked == []


def test_a_store_failure_does_not_stop_the_chat():
    async def test(client, rasa):
        csrf = await csrf_of(client)
        await login(client, csrf)
        session = await client.get("/api/session")
        assert session.status == 200
        csrf = (await session.json())["csrf"]
        answer = await post(client, "/api/messages", {"message": "bonjour"}, csrf)
        assert answer.status == 200
        assert [m["text"] for m in (await answer.json())["messages"]] == ["Bonjour !"]
    run(test, client_notices=Notices(fail=True))
