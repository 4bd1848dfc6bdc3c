"""E-mail wording, webhook body and signature, settings, backoff and the dispatch report
(no server, no store)."""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import smtplib
import socket
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from bot.adapters import notifications as n
from bot.domain.model import Channel, ReasonCategory, Request, RequestKind, RequestStatus
from bot.service_layer.dispatch import (DispatchConfigError, DispatchReport, DispatchSettings,
                                        backoff_delay)
from bot.service_layer.outbox_report import seconds_fr
from bot.service_layer.services import outbox_payload

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 5, 9, 0, tzinfo=PARIS)       # jeudi 5 mars 2026, 9 h
CREATED = datetime(2026, 3, 4, 10, 30, tzinfo=PARIS)


def make_request(**changes) -> Request:
    values = dict(
        reference="AMP-2026-000123", kind=RequestKind.CANCELLATION, client_number="1001",
        intervention_external_id="I-42", channel=Channel.WEB, actor="client1001",
        decision_code="cancellation_exemption_pending", billable=None, exemption_pending=True,
        out_of_notice=True, notice=timedelta(hours=22, minutes=30),
        status=RequestStatus.RECEIVED, created_at=CREATED, updated_at=CREATED,
        reason=ReasonCategory.HOSPITALISATION, sector="Nord", client_name="M. Dupont",
        intervention_start=START, intervention_end=START + timedelta(hours=1),
        caregiver="Marie Curie", service="Aide au lever")
    values.update(changes)
    return Request(**values)


def cancellation_payload(**changes):
    return outbox_payload(make_request(**changes), "Annulation enregistrée, non facturée si "
                                                  "vous envoyez un justificatif médical.")


def schedule_change_payload(out_of_notice=True):
    new = START + timedelta(days=1, hours=5)
    return outbox_payload(make_request(
        kind=RequestKind.SCHEDULE_CHANGE, decision_code="schedule_change_out_of_notice",
        billable=None, exemption_pending=False, out_of_notice=out_of_notice, reason=None,
        new_start=new, new_end=new + timedelta(hours=1), channel=Channel.PHONE,
        actor="bureau.nord"))


# --- e-mail ---------------------------------------------------------------------------------

def test_subject_matches_the_office_convention():
    assert n.email_subject(cancellation_payload()) == \
        "[AMP-2026-000123] Annulation — M. Dupont — jeudi 5 mars 9 h"
    assert n.email_subject(schedule_change_payload()) == \
        "[AMP-2026-000123] Changement d'horaire — M. Dupont — jeudi 5 mars 9 h — hors délai"
    assert not n.email_subject(schedule_change_payload(out_of_notice=False)).endswith("hors délai")


def test_subject_is_rebuilt_when_the_payload_has_none():
    payload = cancellation_payload()
    del payload["subject"]
    assert n.email_subject(payload) == "[AMP-2026-000123] Annulation — M. Dupont — jeudi 5 mars 9 h"


def test_cancellation_body_has_everything_the_office_needs():
    subject, body = n.render_email(cancellation_payload())
    for expected in (
        "Référence : AMP-2026-000123", "Type : Annulation",
        "Enregistrée le : mercredi 4 mars 2026 à 10 h 30",
        "Canal : site web (le client lui-même)", "Auteur : client1001",
        "Nom : M. Dupont", "Numéro client : 1001", "Secteur : Nord",
        "Identifiant : I-42", "Créneau : jeudi 5 mars, 9 h–10 h", "Prestation : Aide au lever",
        "Intervenant(e) : Marie Curie", "Motif : hospitalisation",
        "Code : cancellation_exemption_pending",
        "Préavis restant à l'enregistrement : 22 h 30",
        "Facturation : exonération en attente du justificatif médical",
        "Exonération en attente de justificatif : oui",
        "Hors délai (moins de 48 h) : oui",
        "Message donné au client : « Annulation enregistrée",
    ):
        assert expected in body, expected
    assert body.endswith("\n") and "\r" not in body


def test_schedule_change_body():
    _, body = n.render_email(schedule_change_payload())
    assert "Nouvel horaire demandé : vendredi 6 mars, 14 h–15 h" in body
    assert "Hors délai (moins de 10 jours) : oui — le bureau peut refuser" in body
    assert "Facturation : sans objet (changement d'horaire)" in body
    assert "téléphone (saisie par le bureau pour le client)" in body and "Motif" not in body


@pytest.mark.parametrize("reason, words", [
    ("personnel", "raison personnelle"), ("hospitalisation", "hospitalisation"),
    ("maladie", "maladie"), ("autre", "autre raison"), (None, "non précisé"),
])
def test_reason_wording(reason, words):
    payload = cancellation_payload()
    payload["reason_category"] = reason
    assert f"\n  Motif : {words}\n" in n.render_email(payload)[1]


@pytest.mark.parametrize("billable, expected", [
    (True, "facturée (annulation à moins de 48 h)"),
    (False, "non facturée (préavis de 48 h respecté)"),
])
def test_billing_consequence(billable, expected):
    payload = cancellation_payload(billable=billable, exemption_pending=False)
    assert n.billing_consequence(payload) == expected


def test_email_message_headers_and_stable_message_id():
    payload = cancellation_payload()
    msg = n.build_email(payload, to="nord@amper.fr", mail_from="assistant@amper.fr",
                        idempotency_key="AMP-2026-000123:email")
    again = n.build_email(payload, to="nord@amper.fr", mail_from="assistant@amper.fr",
                          idempotency_key="AMP-2026-000123:email")
    assert msg["Message-ID"] == again["Message-ID"]
    assert msg["Message-ID"].startswith("<AMP-2026-000123.email.")
    assert msg["Message-ID"].endswith("@amper.fr>")
    assert n.message_id("AMP-2026-000124:email") != n.message_id("AMP-2026-000123:email")
    assert msg["X-Amper-Reference"] == "AMP-2026-000123"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert "Motif : hospitalisation" in msg.get_content()
    assert msg["Subject"] == "[AMP-2026-000123] Annulation — M. Dupont — jeudi 5 mars 9 h"


def test_hostile_or_broken_payloads_never_inject_or_crash():
    payload = cancellation_payload(client_name="M. X\r\nBcc: pirate@example.com")
    msg = n.build_email(payload, to="nord@amper.fr", mail_from="assistant@amper.fr",
                        idempotency_key="k")
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]
    subject, body = n.render_email({"reference": None, "kind": "??", "notice_hours": "x",
                                    "intervention_start": "pas une date", "created_at": 12})
    assert subject.startswith("[?] Demande") and "Créneau : non précisé" in body
    assert "Préavis restant à l'enregistrement : inconnu" in body
    with pytest.raises(n.DeliveryError):
        n.render_email(["pas", "un", "objet"])


# --- webhook --------------------------------------------------------------------------------

def test_signature_is_hmac_sha256_of_timestamp_dot_raw_body():
    body = b'{"reference":"AMP-2026-000123"}'
    expected = "sha256=" + hmac.new(b"s3cret-partag\xc3\xa9", b"1772620265." + body,
                                    hashlib.sha256).hexdigest()
    assert n.sign("s3cret-partagé", "1772620265", body) == expected
    assert n.sign("s3cret-partagé", 1772620265, body) == expected
    at = 1772620265 + 10
    assert n.verify_signature("s3cret-partagé", "1772620265", body, expected, now=at)
    assert not n.verify_signature("s3cret-partagé", "1772620265", body + b" ", expected, now=at)
    assert not n.verify_signature("autre-secret", "1772620265", body, expected, now=at)
    assert not n.verify_signature("s3cret-partagé", "1772620266", body, expected, now=at)
    assert not n.verify_signature("s3cret-partagé", "1772620265", body, None, now=at)
    assert not n.verify_signature("s3cret-partagé", None, body, expected, now=at)
    assert not n.verify_signature("s3cret-partagé", "-1", body, expected, now=at)
    assert not n.verify_signature("s3cret-partagé", "1772620265", body, "sha256=00", now=at)


def test_a_body_signed_without_its_timestamp_is_refused():
    body = b'{"reference":"AMP-2026-000123"}'
    old_style = "sha256=" + hmac.new(b"secret-0123456789", body, hashlib.sha256).hexdigest()
    assert not n.verify_signature("secret-0123456789", "1772620265", body, old_style,
                                  now=1772620265)


def test_a_replayed_delivery_is_refused_once_its_timestamp_is_stale():
    sent = datetime(2026, 3, 4, 10, 31, 5, tzinfo=timezone.utc)
    body = n.webhook_body(cancellation_payload(), "AMP-2026-000123:webhook", sent)
    headers = n.webhook_headers("secret-0123456789", body, "AMP-2026-000123:webhook", sent)
    check = lambda now: n.verify_signature(  # noqa: E731 - exactly what a receiver receives
        "secret-0123456789", headers["X-Amper-Timestamp"], body, headers["X-Amper-Signature"],
        now=now)
    assert check(sent) and check(sent + timedelta(seconds=299))
    assert check(sent - timedelta(seconds=60))                  # receiver's clock a bit late
    assert not check(sent + timedelta(seconds=301))              # same bytes, replayed later
    assert not check(sent - timedelta(seconds=301))
    assert n.verify_signature("secret-0123456789", headers["X-Amper-Timestamp"], body,
                              headers["X-Amper-Signature"], now=sent + timedelta(seconds=400),
                              tolerance=600)


def test_known_signature_vector():
    # Fixed vectors (also computed with `openssl dgst -sha256 -hmac`): a receiver written
    # from docs/forwarding.md must find the same values.
    assert n.sign("secret", "1700000000", b"{}") == \
        "sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"


def test_webhook_body_headers_and_document():
    sent = datetime(2026, 3, 4, 10, 31, 5, tzinfo=timezone.utc)
    payload = cancellation_payload()
    body = n.webhook_body(payload, "AMP-2026-000123:webhook", sent)
    headers = n.webhook_headers("secret-0123456789", body, "AMP-2026-000123:webhook", sent)
    assert headers["Idempotency-Key"] == "AMP-2026-000123:webhook"
    assert headers["X-Amper-Timestamp"] == str(int(sent.timestamp()))
    assert n.verify_signature("secret-0123456789", headers["X-Amper-Timestamp"], body,
                              headers["X-Amper-Signature"], now=sent)
    doc = json.loads(body.decode("utf-8"))
    assert doc["event"] == "request.recorded" and doc["schema_version"] == 1
    assert doc["idempotency_key"] == "AMP-2026-000123:webhook"
    assert doc["sent_at"] == "2026-03-04T11:31:05+01:00"
    assert doc["request"]["reference"] == "AMP-2026-000123"
    assert doc["request"]["kind"] == "cancellation" and doc["request"]["reason_category"] == "hospitalisation"
    assert doc["client"] == {"number": "1001", "name": "M. Dupont", "sector": "Nord"}
    assert doc["intervention"]["id"] == "I-42"
    assert doc["intervention"]["start"] == "2026-03-05T09:00:00+01:00"
    assert doc["decision"]["exemption_pending"] is True and doc["decision"]["billable"] is None
    assert doc["decision"]["notice_hours"] == 22.5
    assert "M. Dupont".encode("utf-8") in body  # UTF-8, not \\u escapes


# --- settings ---------------------------------------------------------------------------------

def test_smtp_settings_from_environment():
    s = n.SmtpSettings.from_env({"AMPER_SMTP_HOST": "smtp.amper.fr", "AMPER_MAIL_FROM": "a@amper.fr"})
    assert (s.port, s.tls, s.user) == (587, "starttls", None)
    s = n.SmtpSettings.from_env({"AMPER_SMTP_HOST": "smtp.amper.fr", "AMPER_SMTP_TLS": "TLS",
                                 "AMPER_SMTP_USER": "u", "AMPER_SMTP_PASSWORD": "p"})
    assert (s.port, s.tls, s.user, s.password) == (465, "tls", "u", "p")
    for env, expected in [
        ({}, "AMPER_SMTP_HOST"),
        ({"AMPER_SMTP_HOST": "h", "AMPER_SMTP_TLS": "ssl3"}, "AMPER_SMTP_TLS invalide"),
        ({"AMPER_SMTP_HOST": "h", "AMPER_SMTP_PORT": "99999"}, "AMPER_SMTP_PORT invalide"),
        ({"AMPER_SMTP_HOST": "h", "AMPER_SMTP_PORT": "abc"}, "AMPER_SMTP_PORT invalide"),
        ({"AMPER_SMTP_HOST": "h", "AMPER_MAIL_FROM": "pas une adresse"}, "AMPER_MAIL_FROM invalide"),
    ]:
        with pytest.raises(n.NotificationConfigError) as error:
            n.SmtpSettings.from_env(env)
        assert expected in error.value.message


def test_smtp_errors_are_explained_in_french():
    s = n.SmtpSettings(host="smtp.amper.fr", port=587, timeout=5)
    assert "introuvable : « smtp.amper.fr »" in n.smtp_error_message(socket.gaierror(-2, "x"), s)
    assert "connexion refusée par smtp.amper.fr:587" in n.smtp_error_message(ConnectionRefusedError(), s)
    assert "ne répond pas (délai de 5 s dépassé)" in n.smtp_error_message(socket.timeout(), s)
    auth = smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid")
    assert "identifiants SMTP refusés par smtp.amper.fr:587 (code 535)" in n.smtp_error_message(auth, s)
    refused = smtplib.SMTPRecipientsRefused({"x@amper.fr": (550, b"no such user")})
    assert "adresse du bureau refusée" in n.smtp_error_message(refused, s)


@pytest.mark.parametrize("address, valid", [
    ("bureau.nord@amper.fr", True), ("a+b@sous.domaine.example", True),
    ("assistant@localhost", True), ("pas-une-adresse", False), ("a@b", False),
    ("a b@amper.fr", False), ("a@amper.fr\nBcc: x@y.fr", False), ("<a@amper.fr>", False),
    ("x" * 250 + "@amper.fr", False), (None, False),
])
def test_email_validation(address, valid):
    assert n.is_valid_email(address) is valid


@pytest.mark.parametrize("url, valid", [
    ("https://bureau.amper.fr/hook", True), ("http://127.0.0.1:8080/x", True),
    ("http://localhost/x", True), ("http://[::1]:9000/x", True),
    ("http://bureau.amper.fr/hook", False), ("http://10.0.0.5/hook", False),
    ("http://127.0.0.1.example.com/x", False), ("http://localhost.evil.fr/x", False),
    ("ftp://bureau.amper.fr", False), ("https://", False), ("https://u:p@h.fr/", False),
    ("https://h.fr/a b", False), ("https://h.fr:99999/", False), ("", False),
])
def test_webhook_url_validation(url, valid):
    assert n.is_valid_webhook_url(url) is valid


def test_plain_http_is_refused_in_french():
    from bot.adapters.notifications.webhook import webhook_url_problem

    assert "https:// obligatoire" in webhook_url_problem("http://bureau.amper.fr/hook")
    assert webhook_url_problem("https://bureau.amper.fr/hook") is None
    import asyncio  # an address stored before https became mandatory: never posted in clear

    with pytest.raises(n.NotificationConfigError) as waiting:
        asyncio.run(n.post_webhook(None, "http://bureau.amper.fr/hook", "secret-0123456789",
                                   cancellation_payload(), "AMP-2026-000123:webhook", timeout=1))
    assert "adresse du webhook refusée" in waiting.value.message


# --- backoff ----------------------------------------------------------------------------------

@given(attempts=st.integers(min_value=1, max_value=200), seed=st.integers(0, 2**32))
def test_backoff_is_exponential_capped_and_jittered(attempts, seed):
    s = DispatchSettings(backoff_base=30, backoff_max=3600, jitter=0.5)
    nominal = min(3600, 30 * 2 ** (attempts - 1))
    delay = backoff_delay(attempts, s, random.Random(seed))
    assert nominal * 0.5 <= delay <= nominal


def test_backoff_without_jitter_doubles():
    s = DispatchSettings(backoff_base=2, backoff_max=100, jitter=0)
    assert [backoff_delay(a, s) for a in range(1, 9)] == [2, 4, 8, 16, 32, 64, 100, 100]


def test_dispatch_settings_from_environment():
    s = DispatchSettings.from_env({"AMPER_OUTBOX_MAX_ATTEMPTS": "3",
                                   "AMPER_OUTBOX_ATTEMPT_TIMEOUT": "10"})
    assert s.max_attempts == 3 and s.lease_seconds == 80
    assert DispatchSettings.from_env({}).max_attempts == 10
    for env, expected in [({"AMPER_OUTBOX_MAX_ATTEMPTS": "0"}, "AMPER_OUTBOX_MAX_ATTEMPTS invalide"),
                          ({"AMPER_OUTBOX_BACKOFF_BASE": "vite"}, "AMPER_OUTBOX_BACKOFF_BASE invalide"),
                          ({"AMPER_OUTBOX_LEASE": "5", "AMPER_OUTBOX_ATTEMPT_TIMEOUT": "10"},
                           "AMPER_OUTBOX_LEASE doit dépasser")]:
        with pytest.raises(DispatchConfigError) as error:
            DispatchSettings.from_env(env)
        assert expected in error.value.message


# --- the report of a pass -----------------------------------------------------------------------

def test_report_counts_the_outcomes_and_sums_up_in_french():
    report = DispatchReport()
    assert report.ok and report.summary_fr() == "Aucun message à envoyer."
    report.count(["delivered", "failed", "dead", "waiting", "lost", "delivered"])
    assert (report.delivered, report.failed, report.dead, report.waiting) == (2, 1, 1, 1)
    assert report.total == 5 and not report.ok   # a lost lease is the other dispatcher's
    assert report.summary_fr() == ("2 message(s) remis, 1 en échec (nouvel essai prévu), "
                                   "1 abandonné(s), 1 en attente de configuration.")


@pytest.mark.parametrize("seconds, text", [
    (0.4, "moins d'une seconde"), (2.5, "2,5 s"), (45, "45 s"), (720, "12 min"),
    (5400, "90 min"), (9000, "2,5 h"),
])
def test_delays_are_told_in_french(seconds, text):
    assert seconds_fr(seconds) == text
