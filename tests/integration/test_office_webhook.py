"""POST /webhooks/bureau/decision: the office's own system sends a decision, signed like our
outgoing webhook (bot/adapters/notifications/webhook.py); docs/forwarding.md, section
« Décisions du bureau par webhook (entrant) »."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from bot.adapters.notifications import webhook
from bot.web import office_api
from tests.integration.office_api_fakes import SECRETS, FakeOffice
from tests.integration.web_harness import (  # noqa: F401 - fixtures and helpers
    environment, run, store_url)

PATH = "/webhooks/bureau/decision"
NORD = SECRETS["Nord"]
DOC = Path(__file__).resolve().parents[2] / "docs" / "forwarding.md"


def body_of(**fields) -> bytes:
    return json.dumps({"reference": "AMP-2026-000101", "decision": "accept", **fields},
                      ensure_ascii=False).encode("utf-8")


def signed(body: bytes, secret: str = NORD, timestamp=None, **extra) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": "application/json", "X-Amper-Timestamp": timestamp,
            "X-Amper-Signature": webhook.sign(secret, timestamp, body), **extra}


def office_run(test, fake=None):
    fake = fake or FakeOffice()

    async def wrapped(client, rasa):
        await test(client, fake)
    run(wrapped, **fake.ports())
    return fake


def test_a_signed_decision_is_applied_for_the_request_s_sector():
    async def test(client, fake):
        body = body_of(version=0)
        response = await client.post(PATH, data=body, headers=signed(body))  # no CSRF, no cookie
        assert response.status == 200
        assert "Set-Cookie" not in response.headers
        data = await response.json()
        assert data["applied"] is True and data["request"]["status"] == "done"
        again = await client.post(PATH, data=body, headers=signed(body))   # sent twice
        assert again.status == 200 and (await again.json())["applied"] is False
        named = body_of(reference="AMP-2026-000102", decision="refuse", reason="too_late",
                        note="Nous vous rappelons.", actor="  m.durand ")
        response = await client.post(PATH, data=named, headers=signed(named))
        assert response.status == 200
    fake = office_run(test)
    decided = fake.called("office_decide")
    assert decided[0] == ("office_decide", ("AMP-2026-000101", "accept"), dict(
        actor="système du bureau Nord", sectors=None, version=0, reason=None, note=None))
    assert decided[2] == ("office_decide", ("AMP-2026-000102", "refuse"), dict(
        actor="système du bureau Nord (m.durand)", sectors=None, version=None,
        reason="too_late", note="Nous vous rappelons."))


def test_unsigned_forged_stale_or_altered_calls_are_401_and_never_decide():
    body = body_of()
    good = signed(body)
    cases = {
        "unsigned": (body, {"Content-Type": "application/json"}),
        "no timestamp": (body, {k: v for k, v in good.items() if k != "X-Amper-Timestamp"}),
        "forged": (body, signed(body, secret="x" * 40)),
        "stale": (body, signed(body, timestamp=int(time.time()) - 301)),
        "future": (body, signed(body, timestamp=int(time.time()) + 301)),
        "altered body": (body_of(decision="refuse", reason="other"), good),
        "body-only signature": (body, {**good, "X-Amper-Signature": "sha256=" + __import__(
            "hmac").new(NORD.encode(), body, "sha256").hexdigest()}),
        "unknown request": (body_of(reference="AMP-2026-000999"),
                            signed(body_of(reference="AMP-2026-000999"))),
        "sector without secret": (body_of(reference="AMP-2026-000201"),
                                  signed(body_of(reference="AMP-2026-000201"), secret="")),
        "not ascii": (body, {**good, "X-Amper-Signature": "sha256=é"}),
    }

    async def test(client, fake):
        for name, (data, headers) in cases.items():
            response = await client.post(PATH, data=data, headers=headers)
            assert response.status == 401, name
            assert (await response.json())["error"].startswith("Signature absente, périmée"), name
    fake = office_run(test)
    assert fake.called("office_decide") == [] and fake.called("office_request") == []


def test_bad_bodies_are_400_in_french():
    async def test(client, fake):
        for data, content_type, message in (
                (b"{pas du json", "application/json", "Requête illisible"),
                (b"[1, 2]", "application/json", "Requête illisible"),
                (b"\xff\xfe", "application/json", "Requête illisible"),
                (body_of(), "text/plain", "Format refusé"),
                (json.dumps({"decision": "accept"}).encode(), "application/json",
                 "Corps invalide")):
            response = await client.post(PATH, data=data, headers={"Content-Type": content_type})
            assert response.status == 400, data
            assert (await response.json())["error"].startswith(message), data
        for fields, message in (({"decision": "valider"}, "Décision inconnue"),
                                ({"actor": "x" * 61}, "Corps invalide"),
                                ({"actor": "a\nb"}, "Corps invalide"),
                                ({"note": 5}, "Précision invalide"),
                                ({"decision": "refuse"}, "Choisissez le motif du refus.")):
            body = body_of(**fields)
            response = await client.post(PATH, data=body, headers=signed(body))
            assert response.status == 400, fields
            assert (await response.json())["error"].startswith(message), fields
    office_run(test)


def test_a_decision_taken_meanwhile_is_a_409():
    async def test(client, fake):
        fake.items["AMP-2026-000101"].update(version=2, decided_by="bureau.nord",
                                             decided_label="lundi 7 décembre à 10 h 02")
        body = body_of(version=1)
        response = await client.post(PATH, data=body, headers=signed(body))
        assert response.status == 409
        data = await response.json()
        assert data["error"].startswith("Cette demande a déjà été acceptée par bureau.nord")
        assert data["request"]["version"] == 2
    office_run(test)


def test_the_check_is_the_outgoing_webhook_s():
    """One scheme both ways: the gateway checks with the very function the dispatcher's
    receivers are told to use."""
    assert office_api.verify_signature is webhook.verify_signature
    assert office_api.SIGNATURE_HEADER == webhook.SIGNATURE_HEADER == "X-Amper-Signature"


def test_the_documented_example_is_true():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Décisions du bureau par webhook (entrant)", 1)[1]
    section = section.split("\n## ", 1)[0]
    secret = re.search(r"secret\n?`([^`]+)`", section).group(1)
    timestamp = re.search(r"^TS=(\d+)$", section, re.M).group(1)
    body = re.search(r"^BODY='(.+)'$", section, re.M).group(1).encode("utf-8")
    shown = re.search(r"# SIG = (sha256=[0-9a-f]{64})", section).group(1)
    assert webhook.sign(secret, timestamp, body) == shown
    assert webhook.verify_signature(secret, timestamp, body, shown, now=int(timestamp))
    document = json.loads(body)
    assert set(document) <= {"reference", "decision", "reason", "note", "actor", "version"}
    assert document["decision"] in office_api.DECISIONS
    for code in ("200", "400", "401", "404", "409"):
        assert f"| `{code}` |" in section


def test_a_body_too_large_is_refused_before_anything_is_read_or_checked():
    async def test(client, fake):
        body = body_of(note="x" * 20_000)
        response = await client.post(PATH, data=body, headers=signed(body))
        assert response.status == 413
        assert (await response.json())["error"].startswith("Requête trop volumineuse")
    fake = office_run(test)
    assert fake.called("office_webhook_secret") == [] and fake.called("office_decide") == []
