"""The sector office's API (/api/bureau/…, docs/office-contract.md) on the gateway, the
store's office ports replaced by a fake (tests/integration/office_api_fakes.py): who may
call it, the sectors, filters, decisions (CSRF, 409, 400 in French) and the CSV files."""
from __future__ import annotations

import csv
import io
from datetime import date

from bot.web.sessions import SessionStore
from tests.integration.office_api_fakes import HEALTH_NOTE, FakeOffice, as_office, become
from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    environment, post, run, store_url)

ROUTES = [("GET", "/api/bureau/demandes"), ("GET", "/api/bureau/demandes/AMP-2026-000101"),
          ("POST", "/api/bureau/demandes/AMP-2026-000101/decision"),
          ("GET", "/api/bureau/export.csv"), ("GET", "/api/bureau/synthese?mois=2026-12"),
          ("GET", "/api/bureau/synthese.csv?mois=2026-12"), ("GET", "/api/bureau/evenements")]
DECIDE = "/api/bureau/demandes/{}/decision"


def office_run(test, fake=None, **kwargs):
    fake = fake or FakeOffice()
    sessions = SessionStore()

    async def wrapped(client, rasa):
        await test(client, sessions, fake)
    run(wrapped, sessions=sessions, **fake.ports(), **kwargs)
    return fake


async def statuses(client, csrf):
    found = []
    for method, path in ROUTES:
        if method == "GET":
            response = await client.get(path)
        else:
            response = await post(client, path, {"decision": "accept"}, csrf)
        found.append((response.status, (await response.json())["error"]))
    return found


def test_every_route_refuses_visitors_clients_and_phone_line_staff():
    async def test(client, sessions, fake):
        csrf = await become(client, sessions)
        assert await statuses(client, csrf) == [
            (401, "Connectez-vous avec un compte de bureau de secteur.")] * len(ROUTES)
        csrf = await become(client, sessions, client_number="1001")
        assert await statuses(client, csrf) == [
            (403, "Réservé aux bureaux de secteur.")] * len(ROUTES)
        csrf = await become(client, sessions, staff="accueil", sectors=["Nord", "Sud"])
        assert await statuses(client, csrf) == [
            (403, "Réservé aux bureaux de secteur.")] * len(ROUTES)
    fake = office_run(test)
    assert [c[0] for c in fake.calls if c[0] != "office_changes"] == []


def test_the_list_of_the_office_s_sectors_with_its_filters():
    async def test(client, sessions, fake):
        await as_office(client, sessions)
        response = await client.get("/api/bureau/demandes")
        assert response.status == 200
        data = await response.json()
        assert [r["reference"] for r in data["requests"]] == ["AMP-2026-000101",
                                                              "AMP-2026-000102"]
        assert data["open"] == 2
        assert [r["code"] for r in data["refusal_reasons"]] == [
            "slot_unavailable", "too_late", "already_done", "duplicate", "other"]
        assert data["refusal_reasons"][1]["label"] == "délai de prévenance dépassé"
        assert fake.called("office_inbox")[-1] == ("office_inbox", (["Nord"],), dict(
            status="open", kind=None, date_from=None, date_to=None, client=None))
        response = await client.get("/api/bureau/demandes?statut=closed&type=cancellation"
                                    "&du=2026-12-01&au=2026-12-31&client=%C3%A9l%C3%A8ne")
        assert response.status == 200
        assert fake.called("office_inbox")[-1][2] == dict(
            status="closed", kind="cancellation", date_from=date(2026, 12, 1),
            date_to=date(2026, 12, 31), client="élène")
        for query, message in (("du=2026-13-01", "Date invalide"), ("au=demain", "Date invalide"),
                               ("client=" + "x" * 101, "Filtre invalide"),
                               ("statut=perdu", "Statut inconnu")):
            response = await client.get("/api/bureau/demandes?" + query)
            assert response.status == 400, query
            assert (await response.json())["error"].startswith(message)
    office_run(test)


def test_one_request_of_another_sector_is_answered_like_an_unknown_one():
    async def test(client, sessions, fake):
        await as_office(client, sessions)
        response = await client.get("/api/bureau/demandes/AMP-2026-000101")
        assert response.status == 200
        data = await response.json()
        assert data["request"]["reference"] == "AMP-2026-000101"
        assert data["request"]["history"][0]["what"] == "reçue"
        answers = []
        for reference in ("AMP-2026-000201", "AMP-2026-000999", "pas-une-reference"):
            response = await client.get(f"/api/bureau/demandes/{reference}")
            answers.append((response.status, await response.json()))
        assert answers == [(404, {"error": "Demande introuvable dans vos secteurs."})] * 3
    fake = office_run(test)
    assert ("office_request", ("AMP-2026-000201", ["Nord"]), {}) in fake.calls


def test_a_decision_needs_the_csrf_token_and_goes_to_the_port_with_the_actor():
    async def test(client, sessions, fake):
        csrf = await as_office(client, sessions)
        path = DECIDE.format("AMP-2026-000101")
        refused = await post(client, path, {"decision": "accept", "version": 0}, "faux")
        assert refused.status == 403 and fake.called("office_decide") == []
        response = await post(client, path, {"decision": "accept", "version": 0,
                                             "note": "  À bientôt  "}, csrf)
        assert response.status == 200
        data = await response.json()
        assert data["applied"] is True and data["request"]["status"] == "done"
        assert data["message"] == "Décision enregistrée : le client en est informé."
        assert fake.called("office_decide") == [("office_decide", (
            "AMP-2026-000101", "accept"), dict(actor="bureau.nord", sectors=["Nord"],
                                               version=0, reason=None, note="À bientôt"))]
        again = await post(client, path, {"decision": "accept", "version": 0}, csrf)
        assert again.status == 200 and (await again.json())["applied"] is False
    office_run(test)


def test_a_request_changed_meanwhile_is_a_409_with_the_request_as_it_is_now():
    async def test(client, sessions, fake):
        csrf = await as_office(client, sessions)
        fake.items["AMP-2026-000101"].update(version=3, decided_by="bureau.sud",
                                             decided_label="lundi 7 décembre à 10 h 02")
        response = await post(client, DECIDE.format("AMP-2026-000101"),
                              {"decision": "refuse", "reason": "too_late", "version": 2}, csrf)
        assert response.status == 409
        data = await response.json()
        assert data["error"] == ("Cette demande a déjà été acceptée par bureau.sud "
                                 "(lundi 7 décembre à 10 h 02).")
        assert data["request"]["reference"] == "AMP-2026-000101"
        assert data["request"]["version"] == 3
    office_run(test)


def test_bad_decisions_reasons_and_notes_are_400_in_french():
    cases = [({"decision": "valider"}, "Décision inconnue"),
             ({}, "Décision inconnue"),
             ({"decision": "accept", "version": "2"}, "Version invalide"),
             ({"decision": "accept", "version": True}, "Version invalide"),
             ({"decision": "refuse", "reason": 3}, "Motif invalide"),
             ({"decision": "refuse"}, "Choisissez le motif du refus."),
             ({"decision": "refuse", "reason": "pas-de-motif"}, "Choisissez le motif du refus."),
             ({"decision": "accept", "note": "x" * 201}, "Précision invalide"),
             ({"decision": "accept", "note": ["x"]}, "Précision invalide"),
             ({"decision": "accept", "note": HEALTH_NOTE},
              "La précision ne doit contenir aucune information médicale.")]

    async def test(client, sessions, fake):
        csrf = await as_office(client, sessions)
        for body, message in cases:
            response = await post(client, DECIDE.format("AMP-2026-000102"), body, csrf)
            assert response.status == 400, body
            assert (await response.json())["error"].startswith(message), body
        response = await post(client, DECIDE.format("AMP-2026-000102"), "pas du json", csrf,
                              headers={"Content-Type": "application/json"})
        assert response.status == 400
        assert (await response.json())["error"].startswith("Requête illisible")
        other = await post(client, DECIDE.format("AMP-2026-000201"), {"decision": "accept"},
                           csrf)
        assert other.status == 404
        assert (await other.json())["error"] == "Demande introuvable dans vos secteurs."
    fake = office_run(test)
    assert fake.items["AMP-2026-000201"]["status"] == "forwarded"
    assert all(not c[2]["note"] or len(c[2]["note"]) <= 200 for c in fake.called("office_decide"))


def read_csv(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_list_as_csv(monkeypatch):
    from datetime import datetime

    from bot.domain import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 7, 23, 30, tzinfo=clock.PARIS))

    async def test(client, sessions, fake):
        await as_office(client, sessions, "bureau.nord", ("Nord", "Île-de-France"))
        response = await client.get("/api/bureau/export.csv?statut=all&client=martin")
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            'attachment; filename="demandes-nord-ile-de-france-2026-12-07.csv"')
        assert response.headers["Cache-Control"] == "no-store"
        rows = read_csv(await response.read())
        assert rows[0][:3] == ["Référence", "Type", "Statut"]
        assert [r[0] for r in rows[1:]] == ["AMP-2026-000101", "AMP-2026-000102"]
        assert rows[2][5] == "'=Hélène; \"Lulu\""   # a formula-looking name stays text
        assert fake.called("office_inbox")[-1][2]["status"] == "all"
        assert (await client.get("/api/bureau/export.csv?du=hier")).status == 400
    office_run(test)


def test_the_month_s_summary_as_json_and_csv(monkeypatch):
    from datetime import datetime

    from bot.domain import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 30, 12, tzinfo=clock.PARIS))

    async def test(client, sessions, fake):
        await as_office(client, sessions)
        data = await (await client.get("/api/bureau/synthese?mois=2026-12")).json()
        assert data["label"] == "décembre 2026" and data["total"] == 2
        assert fake.called("month_summary")[-1] == ("month_summary", (["Nord"], 2026, 12), {})
        assert (await client.get("/api/bureau/synthese")).status == 200
        assert fake.called("month_summary")[-1][1] == (["Nord"], 2026, 11)   # this month
        for bad in ("2026-13", "décembre", "2026-1", "1999-12"):
            response = await client.get(f"/api/bureau/synthese?mois={bad}")
            assert response.status == 400
            assert (await response.json())["error"].startswith("Mois invalide")
        response = await client.get("/api/bureau/synthese.csv?mois=2026-12")
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            'attachment; filename="synthese-nord-2026-12.csv"')
        rows = read_csv(await response.read())
        assert rows[0] == ["Synthèse du mois : décembre 2026"]
        assert ["Total", "", "2"] in rows
        assert ["AMP-2026-000101", "Jeanne Martin (n° 1001)", "08/12/2026 09:00",
                "07/12/2026 11:15"] in rows
        assert (await client.get("/api/bureau/synthese.csv?mois=x")).status == 400
    office_run(test)


def test_a_store_down_is_a_503_in_french():
    from bot.domain.errors import StoreUnavailable

    fake = FakeOffice()

    def down(*args, **kwargs):
        raise StoreUnavailable("La base des demandes ne répond pas. Réessayez dans un instant.")
    fake.office_inbox = down

    async def test(client, sessions, fake):
        await as_office(client, sessions)
        response = await client.get("/api/bureau/demandes")
        assert response.status == 503
        assert (await response.json())["error"].startswith("La base des demandes")
    office_run(test, fake)
