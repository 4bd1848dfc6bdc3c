"""The office's API on the real store (SQLite, demo data) through the real ports: requests
made by the service layer, decided over HTTP by the page and by the signed webhook, seen
live by the stream, exported as CSV."""
from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import time

import pytest

from bot import settings
from bot.adapters.notifications import webhook
from bot.service_layer import services
from bot.service_layer.services import office
from bot.service_layer.demo import DEMO_PASSWORD
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.test_office_events import next_block, until_event
from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    csrf_of, environment, login, post, run, store_url)

FAST = dataclasses.replace(settings.web({}), inbox_poll=0.05)
SECRET_NORD = "secret-du-bureau-nord-" + "x" * 10


def cancel(url, number, intervention):
    return services.create_cancellation_request(
        SqlAlchemyUnitOfWork(url), client_number=number, intervention_id=intervention,
        reason="personnel", channel="web", actor=f"client{number}").reference


@pytest.fixture(scope="module")
def made(store_url):
    """Two Nord requests and one Sud request; Nord's webhook secret set."""
    found = {"nord": cancel(store_url, "1001", "DEMO-1001-B5"),
             "nord2": cancel(store_url, "1002", "DEMO-1002-B5"),
             "sud": cancel(store_url, "1011", "DEMO-1011-B5")}
    services.set_sector(SqlAlchemyUnitOfWork(store_url), "Nord",
                        webhook_url="http://127.0.0.1:9/amper", webhook_secret=SECRET_NORD)
    return found


async def office_login(client, name="bureau.nord"):
    response = await login(client, await csrf_of(client), name, DEMO_PASSWORD)
    assert response.status == 200
    data = await response.json()
    assert data["office"] is (name != "accueil")
    return data["csrf"]


def test_an_office_decides_a_request_of_its_sector_over_http(made):
    async def test(client, rasa):
        csrf = await office_login(client)
        listed = await (await client.get("/api/bureau/demandes")).json()
        references = [r["reference"] for r in listed["requests"]]
        assert made["nord"] in references and made["sud"] not in references
        assert listed["open"] >= 2
        hidden = await client.get(f"/api/bureau/demandes/{made['sud']}")
        assert hidden.status == 404
        item = (await (await client.get(f"/api/bureau/demandes/{made['nord']}")).json())["request"]
        assert "accept" in item["decisions"] and item["history"]
        path = f"/api/bureau/demandes/{made['nord']}/decision"
        medical = await post(client, path, {"decision": "refuse", "reason": "other",
                                            "note": "Elle est hospitalisée", "version": 0}, csrf)
        assert medical.status == 400
        assert (await medical.json())["error"] == ("La précision ne doit contenir aucune "
                                                   "information médicale.")
        accepted = await post(client, path, {"decision": "accept",
                                             "version": item["version"]}, csrf)
        assert accepted.status == 200
        data = await accepted.json()
        assert data["applied"] is True and data["request"]["status"] == "done"
        assert data["request"]["decided_by"] == "bureau.nord"
        again = await post(client, path, {"decision": "accept", "version": item["version"]},
                           csrf)
        assert again.status == 200 and (await again.json())["applied"] is False
        late = await post(client, path, {"decision": "refuse", "reason": "too_late",
                                         "version": item["version"]}, csrf)
        assert late.status == 409
        conflict = await late.json()
        assert "bureau.nord" in conflict["error"]
        assert conflict["request"]["reference"] == made["nord"]
        exported = await client.get("/api/bureau/export.csv?statut=all")
        rows = list(csv.reader(io.StringIO((await exported.read()).decode("utf-8-sig"),
                                           newline=""), delimiter=";"))
        mine = next(r for r in rows if r[0] == made["nord"])
        assert mine[rows[0].index("Décidée par")] == "bureau.nord"
        assert mine[rows[0].index("Client n°")] == "1001"
        summary = await (await client.get("/api/bureau/synthese")).json()
        assert summary["total"] >= 1 and summary["label"]
        assert (await client.get("/api/bureau/synthese.csv")).status == 200
        await office_login(client, "accueil")
        assert (await client.get("/api/bureau/demandes")).status == 403
    run(test)


def test_the_office_s_system_decides_by_the_signed_webhook(made):
    async def test(client, rasa):
        body = json.dumps({"reference": made["nord2"], "decision": "refuse",
                           "reason": "slot_unavailable", "actor": "m.durand"}).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Amper-Timestamp": timestamp,
                   "X-Amper-Signature": webhook.sign(SECRET_NORD, timestamp, body)}
        forged = await client.post("/webhooks/bureau/decision", data=body, headers={
            **headers, "X-Amper-Signature": "sha256=" + "0" * 64})
        assert forged.status == 401
        response = await client.post("/webhooks/bureau/decision", data=body, headers=headers)
        assert response.status == 200, await response.text()
        data = await response.json()
        assert data["applied"] is True and data["request"]["status"] == "refused"
        assert data["request"]["decided_by"] == "système du bureau Nord (m.durand)"
        sud = json.dumps({"reference": made["sud"], "decision": "accept"}).encode()
        unsigned = await client.post("/webhooks/bureau/decision", data=sud, headers={
            "Content-Type": "application/json", "X-Amper-Timestamp": timestamp,
            "X-Amper-Signature": webhook.sign(SECRET_NORD, timestamp, sud)})
        assert unsigned.status == 401   # Sud has no secret: nobody may decide for it
    run(test)
    item = office.office_request(SqlAlchemyUnitOfWork(), made["sud"], None)
    assert item.status.value == "received"


def test_a_new_request_is_heard_live_by_its_office(made, store_url):
    async def test(client, rasa):
        await office_login(client)
        stream = await client.get("/api/bureau/evenements")
        assert "ok" in await next_block(stream)
        reference = await asyncio.to_thread(cancel, store_url, "1003", "DEMO-1003-B5")
        event = await until_event(stream)
        assert event["changed"] == [reference] and event["open"] >= 1
        stream.close()
    run(test, web_settings=FAST)
