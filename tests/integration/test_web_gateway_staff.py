"""The staff's API (/api/conseiller/…, docs/staff-contract.md) on the gateway, with the
store's answers replaced by small fakes (the services have their own tests) and a fake Rasa."""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace as Item

from bot.chat.identity import verify_token
from bot.domain.errors import ServiceError
from bot.service_layer import services
from bot.service_layer.demo import DEMO_PASSWORD
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    SECRET, FakeRasa, csrf_of, environment, login, post, run, store_url)

START = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)
CLIENT = Item(number="1001", name="Jeanne Martin", phone="06 00 00 10 01", sector="Nord")


class ClientNotFound(ServiceError):
    pass


def caller_file(number, sectors):
    if number != "1001" or "Nord" not in sectors:
        raise ClientNotFound("Client introuvable dans vos secteurs.")
    line = Item(external_id="DEMO-1001-B1", start=START, end=START.replace(hour=10),
                caregiver="Marie Lambert", service="Aide au lever")
    cancel = Item(text="Annulation facturée (moins de 48 h avant)", billed=True)
    change = Item(text="Changement hors délai (moins de 10 jours avant)", in_time=False)
    return Item(client=CLIENT, interventions=[(line, cancel, change)], requests=[])


STAFF_PORTS = dict(
    staff_sectors=lambda login: ["Nord"] if login == "bureau.nord" else ["Sud"],
    search_clients=lambda query, sectors: [CLIENT] if "Nord" in sectors else [],
    caller_file=caller_file,
    create_callback=lambda **f: Item(reference="RAP-2026-00001", **f),
    unanswered_groups=lambda: [Item(
        id=1, example="Avez-vous un parking ?", count=2, first=date(2026, 12, 1),
        last=date(2026, 12, 6), kinds={"fallback": 1, "thumbs_down": 1},
        questions=[Item(id=7, text="Avez-vous un parking ?", asked_on=date(2026, 12, 6),
                        topic=None)])],
    label_unanswered=lambda ids, topic, by: len(ids),
    export_labelled_nlu=lambda: 'version: "3.1"\nnlu: []\n',
)


async def staff_login(client, name="bureau.nord"):
    response = await login(client, await csrf_of(client), name, DEMO_PASSWORD)
    assert response.status == 200
    return await response.json()


def test_a_staff_login_gives_the_login_and_sectors():
    async def test(client, rasa):
        data = await staff_login(client)
        assert data["client"] is None and data["staff"] == "bureau.nord"
        assert data["sectors"] == ["Nord"]
        session = await (await client.get("/api/session")).json()
        assert session["staff"] == "bureau.nord" and session["sectors"] == ["Nord"]
    run(test, **STAFF_PORTS)


def test_every_staff_route_refuses_visitors_and_clients():
    routes = [("GET", "/api/conseiller/clients?q=mar"), ("GET", "/api/conseiller/clients/1001"),
              ("POST", "/api/conseiller/messages"), ("POST", "/api/conseiller/rappels"),
              ("GET", "/api/conseiller/questions"), ("POST", "/api/conseiller/questions/label"),
              ("GET", "/api/conseiller/questions/export")]

    async def test(client, rasa):
        async def statuses():
            csrf = (await (await client.get("/api/session")).json())["csrf"]
            found = []
            for method, path in routes:
                if method == "GET":
                    response = await client.get(path)
                else:
                    response = await post(client, path, {"client": "1001", "message": "x"},
                                          csrf)
                found.append((response.status, (await response.json())["error"]))
            return found
        assert {s for s, _ in await statuses()} == {401}
        await login(client, await csrf_of(client))  # client1001
        refused = await statuses()
        assert refused == [(403, "Réservé aux conseillers.")] * len(routes)
    rasa = run(test, **STAFF_PORTS)
    assert rasa.bodies == []


def test_search_and_file_stay_within_the_sectors():
    async def test(client, rasa):
        await staff_login(client, "bureau.sud")
        found = await (await client.get("/api/conseiller/clients?q=martin")).json()
        assert found == {"clients": []}
        hidden = await client.get("/api/conseiller/clients/1001")
        assert hidden.status == 404
        assert (await hidden.json())["error"] == "Client introuvable dans vos secteurs."
        for query in ("", "x" * 101):
            assert (await client.get(f"/api/conseiller/clients?q={query}")).status == 400
    run(test, **STAFF_PORTS)


def test_the_caller_s_file_and_a_chat_on_their_behalf():
    async def test(client, rasa):
        data = await staff_login(client)
        csrf = data["csrf"]
        # no chat before the file is opened (that is where the sectors are checked)
        early = await post(client, "/api/conseiller/messages",
                           {"client": "1001", "message": "annuler"}, csrf)
        assert early.status == 404
        found = await (await client.get("/api/conseiller/clients?q=martin")).json()
        assert found["clients"][0]["number"] == "1001"
        file = await (await client.get("/api/conseiller/clients/1001")).json()
        line = file["interventions"][0]
        assert line["cancel_rule"].startswith("Annulation facturée") and line["cancel_billed"]
        assert not line["change_in_time"] and line["when"] == "mardi 8 décembre"
        assert file["history"] == []
        answer = await post(client, "/api/conseiller/messages",
                            {"client": "1001", "message": line["cancel"], "label": "Annuler",
                             "id": "caller-0001"}, csrf)
        assert answer.status == 200
        file = await (await client.get("/api/conseiller/clients/1001")).json()
        assert [e["text"] for e in file["history"]][0] == "Annuler"
        # the staff member's own chat is another conversation
        own = await (await client.get("/api/session")).json()
        assert own["history"] == []
    rasa = run(test, **STAFF_PORTS)
    [body] = rasa.bodies
    identity = verify_token(body["metadata"]["auth"], SECRET)
    assert identity.client_number == "1001" and identity.role == "staff"
    assert identity.actor == "bureau.nord" and identity.channel == "phone"
    assert body["sender"].startswith("web-")


def test_callback_questions_label_and_export():
    async def test(client, rasa):
        csrf = (await staff_login(client))["csrf"]
        body = {"client": "1001", "phone": "06 00 00 10 01", "best_time": "demain matin",
                "topic": "facturation"}
        assert (await post(client, "/api/conseiller/rappels", body, csrf)).status == 404
        await client.get("/api/conseiller/clients/1001")
        made = await (await post(client, "/api/conseiller/rappels", body, csrf)).json()
        assert made["reference"] == "RAP-2026-00001" and "RAP-2026-00001" in made["message"]
        bad = await post(client, "/api/conseiller/rappels", {**body, "phone": 6}, csrf)
        assert bad.status == 400
        groups = (await (await client.get("/api/conseiller/questions")).json())["groups"]
        assert groups[0]["count"] == 2 and groups[0]["questions"][0]["at"] == "2026-12-06"
        labelled = await post(client, "/api/conseiller/questions/label",
                              {"ids": [7], "topic": "faq/payment_methods"}, csrf)
        assert (await labelled.json()) == {"labelled": 1}
        for wrong in ({"ids": [], "topic": "x"}, {"ids": ["7"], "topic": "x"}, {"ids": [7]}):
            assert (await post(client, "/api/conseiller/questions/label", wrong,
                               csrf)).status == 400
        export = await client.get("/api/conseiller/questions/export")
        assert export.content_type == "text/yaml"
        assert "questions-etiquetees.yml" in export.headers["Content-Disposition"]
        assert (await export.text()).startswith('version: "3.1"')
    run(test, **STAFF_PORTS)


def test_client_questions_that_fell_short_are_kept_for_the_staff():
    kept = []

    async def test(client, rasa):
        csrf = await csrf_of(client)
        await post(client, "/api/messages", {"message": "Avez-vous un parking ?"}, csrf)
        await post(client, "/api/messages", {"message": "/inform{\"x\": 1}"}, csrf)
    run(test, rasa=FakeRasa(headers={"X-Amper-Intent": "nlu_fallback"}),
        record_unanswered=lambda text, kind: kept.append((text, kind)), **STAFF_PORTS)
    assert kept == [("Avez-vous un parking ?", "fallback")]

    async def thumbs(client, rasa):
        csrf = await csrf_of(client)
        answer = (await (await post(client, "/api/messages", {"message": "Et le tarif ?"},
                                    csrf)).json())["messages"][0]["id"]
        await post(client, "/api/feedback", {"answer": answer, "value": "down"}, csrf)
    kept.clear()
    run(thumbs, rasa=FakeRasa(headers={"X-Amper-Intent": "faq/payment_methods"}),
        record_unanswered=lambda text, kind: kept.append((text, kind)),
        record_feedback=lambda intent, value: None, **STAFF_PORTS)
    assert kept == [("Et le tarif ?", "thumbs_down")]


def test_the_staff_routes_on_the_demo_store():
    """The same routes with the real services on a SQLite store with the demo data."""
    async def test(client, rasa):
        data = await staff_login(client)
        assert data["sectors"] == ["Nord"]
        found = (await (await client.get("/api/conseiller/clients?q=1001")).json())["clients"]
        assert [c["number"] for c in found] == ["1001"] and found[0]["sector"] == "Nord"
        assert (await (await client.get("/api/conseiller/clients?q=1011")).json()) == \
            {"clients": []}  # a Sud client
        assert (await client.get("/api/conseiller/clients/1011")).status == 404
        file = await (await client.get("/api/conseiller/clients/1001")).json()
        assert file["client"]["name"] and file["interventions"] and file["requests"] == []
        late = file["interventions"][-1]
        made = services.create_cancellation_request(
            SqlAlchemyUnitOfWork(), client_number="1001", intervention_id=late["id"],
            reason="personnel", channel="phone", actor="bureau.nord")
        file = await (await client.get("/api/conseiller/clients/1001")).json()
        [listed] = file["requests"]
        assert listed["reference"] == made.request.reference
        assert listed["kind"] == "Annulation" and listed["status"]
        for line in file["interventions"]:
            assert line["cancel_rule"].startswith("Annulation")
            assert line["change_rule"].startswith("Changement")
        made = await post(client, "/api/conseiller/rappels",
                          {"client": "1001", "phone": "06 12 34 56 78",
                           "best_time": "demain matin", "topic": "facturation"}, data["csrf"])
        assert made.status == 200 and (await made.json())["reference"].startswith("RAP-")
        wrong = await post(client, "/api/conseiller/rappels",
                           {"client": "1001", "phone": "12", "best_time": "x",
                            "topic": "facturation"}, data["csrf"])
        assert wrong.status == 400 and (await wrong.json())["error"]
        assert (await (await client.get("/api/conseiller/questions")).json())["groups"] == []
    run(test)
