"""A callback request forwarded to the sector office like a request (issue 21), on the
in-memory store: its outbox messages written with it (same transaction), the document
and the e-mail the office reads, the dispatcher's cycle (delivered, retry, dead letter,
operator retry), ``amper outbox list``, the retention purge, forget and export.  Real SMTP
and webhook servers, SQLite and PostgreSQL: tests/integration/test_callback_forwarding.py."""
from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from bot import settings
from bot.adapters.notifications import build_email, render_email, webhook_body
from bot.domain.errors import InvalidInput
from bot.domain.model import RequestStatus
from bot.service_layer import services
from bot.service_layer.dispatch import Dispatcher, DispatchSettings
from tests.fakes import FakeUnitOfWork
from tests.fakes_staff import FakeCallbackRepository
from tests.unit.test_services import NOW
from tests.unit.test_services_staff import rows

SETTINGS = DispatchSettings(max_attempts=2, backoff_base=30, backoff_max=600, jitter=0.0,
                            attempt_timeout=5, batch_size=10)
SECRET = "secret-de-test-0123456789"


@pytest.fixture(scope="module")
def seeded():
    uow = FakeUnitOfWork()
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.set_sector(uow, "Sud", office_email="sud@amper.example",
                        webhook_url="http://127.0.0.1:9/amper", webhook_secret=SECRET)
    services.import_rows(uow, rows())
    return uow.store


@pytest.fixture
def uow(seeded):
    return FakeUnitOfWork(copy.deepcopy(seeded))


def callback(uow, client="1001", sectors=("Nord", "Sud"), **kw):
    values = dict(client_number=client, phone="06 12 34 56 78", best_time="demain matin",
                  topic="facturation", actor="bureau.nord", sectors=list(sectors), now=NOW)
    return services.create_callback(uow, **{**values, **kw})


def messages(uow, reference=None):
    return services.list_outbox(uow, reference=reference)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def dispatcher(uow, clock):
    return Dispatcher(settings=SETTINGS, smtp_env={}, clock=clock, name="test",
                      uow_factory=lambda: uow)


# --- recorded with its messages ----------------------------------------------------------------

def test_a_callback_is_recorded_with_its_messages_to_its_sector_office(uow):
    nord = callback(uow)
    assert nord.reference == "RAP-2026-00001"
    assert [(m.channel, m.idempotency_key, m.status, m.sector) for m in messages(uow)] == [
        ("email", "RAP-2026-00001:email", "pending", "Nord")]
    sud = callback(uow, client="2001", phone="+33 6 12 99 99 99", topic="annulation")
    assert sorted((m.channel, m.idempotency_key) for m in messages(uow, sud.reference)) == [
        ("email", f"{sud.reference}:email"), ("webhook", f"{sud.reference}:webhook")]
    with uow:
        payload = uow.repo.outbox[1]["payload"]
        assert uow.repo.outbox[1]["request_id"] is None
        assert uow.repo.outbox[1]["callback_id"] == nord.id
    assert payload == {
        "kind": "callback", "reference": "RAP-2026-00001", "client_id": "1001",
        "client_name": "Mme Hélène Dupont", "sector": "Nord", "phone": "06 12 34 56 78",
        "best_time": "demain matin", "topic": "facturation", "topic_label": "Facturation",
        "actor": "bureau.nord", "channel": "phone", "created_at": NOW.isoformat(),
        "status": "received",
        "subject": "[RAP-2026-00001] Rappel demandé — Mme Hélène Dupont (client 1001) — "
                   "Facturation"}


def test_a_failing_message_leaves_neither_the_callback_nor_a_message(uow, monkeypatch):
    callback(uow)

    def broken(self, *args, **kwargs):
        raise RuntimeError("panne simulée pendant l'écriture du message")

    monkeypatch.setattr(FakeCallbackRepository, "add_outbox", broken)
    with pytest.raises(RuntimeError):
        callback(uow, client="2001")
    with uow:
        assert uow.callbacks.for_client("2001") == []
    assert [m.reference for m in messages(uow)] == ["RAP-2026-00001"]


def test_a_refused_callback_writes_no_message(uow):
    with pytest.raises(InvalidInput):
        callback(uow, phone="12")
    with pytest.raises(services.ClientNotFound):
        callback(uow, client="2001", sectors=["Nord"])  # another sector's client
    assert messages(uow) == []


def test_a_forgotten_clients_reference_is_never_given_again(uow):
    assert callback(uow, client="1002").reference == "RAP-2026-00001"
    assert callback(uow, client="1001").reference == "RAP-2026-00002"
    services.forget_client(uow, "1001", apply=True)
    third = callback(uow, client="1002")
    assert third.reference == "RAP-2026-00003"  # not 00002 again: the office has seen it
    assert [m.idempotency_key for m in messages(uow)] == ["RAP-2026-00001:email",
                                                          "RAP-2026-00003:email"]


# --- what the office reads -------------------------------------------------------------------

def _payload(uow, reference):
    with uow:
        return next(m["payload"] for m in uow.repo.outbox.values()
                    if m["idempotency_key"] == f"{reference}:email")


def test_the_email_says_who_to_call_back_when_and_about_what(uow):
    ref = callback(uow, best_time="après 16 h", topic="changement").reference
    subject, body = render_email(_payload(uow, ref))
    assert subject == f"[{ref}] Rappel demandé — Mme Hélène Dupont (client 1001) — " \
                      "Changement d'horaire"
    for line in ("Un client demande à être rappelé.", f"Référence : {ref}",
                 "Type : Rappel demandé", "Enregistrée le : lundi 2 mars 2026",
                 "Canal : téléphone (saisie par le bureau pour le client)",
                 "Auteur : bureau.nord", "  Nom : Mme Hélène Dupont",
                 "  Numéro client : 1001", "  Secteur : Nord",
                 "  Numéro à rappeler : 06 12 34 56 78", "  Moment préféré : après 16 h",
                 "  Sujet : Changement d'horaire"):
        assert line in body
    assert "INTERVENTION" not in body and "DÉCISION" not in body
    mail = build_email(_payload(uow, ref), to="nord@amper.example",
                       mail_from="assistant@amper.example", idempotency_key=f"{ref}:email")
    assert mail["X-Amper-Reference"] == ref and mail["Subject"] == subject


def test_the_webhook_document_of_a_callback(uow):
    ref = callback(uow, client="2001", phone="0612999999").reference
    document = json.loads(webhook_body(_payload(uow, ref), f"{ref}:webhook", NOW))
    assert document == {
        "event": "callback.recorded", "schema_version": 1,
        "idempotency_key": f"{ref}:webhook", "sent_at": NOW.isoformat(timespec="seconds"),
        "callback": {
            "reference": ref, "kind": "callback", "kind_label": "Rappel demandé",
            "subject": f"[{ref}] Rappel demandé — M. André Dupont (client 2001) — Facturation",
            "created_at": NOW.isoformat(), "channel": "phone", "actor": "bureau.nord",
            "phone": "06 12 99 99 99", "best_time": "demain matin", "topic": "facturation",
            "topic_label": "Facturation"},
        "client": {"number": "2001", "name": "M. André Dupont", "sector": "Sud"}}


# --- the dispatcher's cycle ------------------------------------------------------------------

def test_delivered_messages_forward_the_callback(uow):
    ref = callback(uow, client="2001").reference
    d = dispatcher(uow, Clock(NOW))
    email, hook = d.claim()
    assert (email.reference, email.callback_id, email.request_id) == (ref, 1, None)
    assert email.label == f"message 1 ({ref}, e-mail)" and hook.channel == "webhook"
    assert d.record_delivered(email) is False  # the webhook is still to go
    with uow:
        assert uow.callbacks.get(ref).status == RequestStatus.RECEIVED
    assert d.record_delivered(hook) is True
    with uow:
        assert uow.callbacks.get(ref).status == RequestStatus.FORWARDED
    assert {m.status for m in messages(uow, ref)} == {"delivered"}


def test_retries_dead_letter_and_operator_retry_as_for_a_request(uow):
    ref = callback(uow).reference
    clock = Clock(NOW)
    d = dispatcher(uow, clock)
    (first,) = d.claim()
    assert d.record_failure(first, "connexion refusée") == "failed"
    clock.now += timedelta(seconds=30)
    (second,) = d.claim()
    assert second.attempts == 2 and d.record_failure(second, "boom") == "dead"
    (dead,) = services.list_outbox(uow, status="dead")
    assert (dead.reference, dead.last_error) == (ref, "boom")
    assert services.list_outbox(uow, reference=ref.lower()) == [dead]
    assert services.retry_outbox(uow, dead.id, now=clock.now) == 1
    (again,) = d.claim()
    assert again.attempts == 1 and d.record_delivered(again) is True


def test_a_callback_and_a_request_in_the_same_pass(uow):
    services.create_cancellation_request(uow, client_number="1002", intervention_id="I-1002-0",
                                         reason="personnel", channel="web", actor="client1002",
                                         now=NOW)
    ref = callback(uow).reference
    d = dispatcher(uow, Clock(NOW))
    claimed = d.claim()
    assert sorted(m.reference[:3] for m in claimed) == ["AMP", "RAP"]
    for message in claimed:
        assert d.record_delivered(message) is True
    with uow:
        assert uow.callbacks.get(ref).status == RequestStatus.FORWARDED


# --- privacy ---------------------------------------------------------------------------------

RETENTION = settings.RetentionSettings(conversations_days=30, requests_days=400, outbox_days=7)


def test_the_purge_empties_a_delivered_callbacks_message_after_the_retention(uow):
    ref = callback(uow).reference
    callback(uow, client="1002")  # not delivered: kept whole
    d = dispatcher(uow, Clock(NOW))
    (mine,) = [m for m in d.claim() if m.reference == ref]
    d.record_delivered(mine)
    report = services.purge_store(uow, now=NOW + timedelta(days=6), retention=RETENTION)
    assert report.payloads_emptied == 0
    report = services.purge_store(uow, now=NOW + timedelta(days=8), retention=RETENTION)
    assert report.payloads_emptied == 1
    with uow:
        payloads = {m["idempotency_key"]: m["payload"] for m in uow.repo.outbox.values()}
    assert payloads[f"{ref}:email"] == {} and payloads["RAP-2026-00002:email"]["phone"]


def test_forget_deletes_the_callbacks_and_their_messages_export_gives_them(uow):
    ref = callback(uow, client="2001").reference
    other = callback(uow, client="1001").reference
    data = services.export_client(uow, "2001", now=NOW)
    assert sorted((m["reference"], m["channel"]) for m in data["outbox"]) == [
        (ref, "email"), (ref, "webhook")]
    assert data["outbox"][0]["payload"]["phone"] == "06 12 34 56 78"
    dry = services.forget_client(uow, "2001")
    assert (dry.callbacks, dry.callback_messages) == (1, 2) and len(messages(uow)) == 3
    report = services.forget_client(uow, "2001", apply=True)
    assert (report.callbacks, report.callback_messages) == (1, 2)
    assert "demandes de rappel effacées : 1 (et leurs 2 messages au bureau)" in \
        "\n".join(report.lines_fr())
    assert [m.reference for m in messages(uow)] == [other]


def _two_days_later_delivered(uow):
    """A callback taken two days after NOW, its message delivered then."""
    later = NOW + timedelta(days=2)
    ref = callback(uow, client="1001", now=later).reference
    with uow:
        (message,) = [m.id for m in uow.repo.list_outbox(reference=ref)]
        uow.repo.outbox_delivered(message, later)
        uow.commit()
    return ref


def test_the_purge_deletes_a_callback_after_its_retention_once_its_messages_are_done(uow):
    delivered = callback(uow).reference                # Nord: an e-mail, delivered
    dead = callback(uow, client="2001").reference      # Sud: e-mail delivered, webhook dead
    pending = callback(uow, client="1002").reference   # failed once, to be tried again
    leased = callback(uow, client="1010").reference    # being sent
    d = dispatcher(uow, Clock(NOW))
    for message in d.claim():
        if message.reference == pending:
            assert d.record_failure(message, "connexion refusée") == "failed"
        elif message.reference == dead and message.channel == "webhook":
            with uow:
                assert uow.repo.stop_outbox([message.id], "refusé") == 1
                uow.commit()
        elif message.reference != leased:
            d.record_delivered(message)
    young = _two_days_later_delivered(uow)
    assert {m.reference: m.status for m in messages(uow) if m.channel == "webhook"} == {
        dead: "dead"}
    assert settings.retention({}).callbacks_days == 90

    early = services.purge_store(uow, now=NOW + timedelta(days=89), retention=RETENTION,
                                 dry_run=True)
    assert (early.callbacks_deleted, early.payloads_emptied) == (0, 3)  # 3 delivered
    dry = services.purge_store(uow, now=NOW + timedelta(days=91), retention=RETENTION,
                               dry_run=True)
    assert (dry.callbacks_deleted, dry.payloads_emptied) == (2, 1)  # the deleted ones not counted
    assert "  - demandes de rappel effacées : 2 (à faire)" in dry.lines_fr()
    assert len(messages(uow)) == 6  # nothing changed
    report = services.purge_store(uow, now=NOW + timedelta(days=91), retention=RETENTION)
    assert (report.callbacks_deleted, report.payloads_emptied) == (2, 1)
    assert "  - demandes de rappel effacées : 2 (fait)" in report.lines_fr()
    with uow:
        assert [uow.callbacks.get(r) is None for r in (delivered, dead, pending, leased, young)
                ] == [True, True, False, False, False]
    assert sorted(m.reference for m in messages(uow)) == sorted([pending, leased, young])
    assert services.purge_store(uow, now=NOW + timedelta(days=91),
                                retention=RETENTION).callbacks_deleted == 0
    # once the pending message is done, its callback goes at the next purge
    with uow:
        (mine,) = uow.repo.list_outbox(reference=pending)
        uow.repo.stop_outbox([mine.id], "abandonné")
        uow.commit()
    assert services.purge_store(uow, now=NOW + timedelta(days=91),
                                retention=RETENTION).callbacks_deleted == 1
    # a callback is never given its reference again
    assert callback(uow, now=NOW + timedelta(days=91)).reference == "RAP-2026-00006"


def test_the_retention_of_callbacks_is_a_setting(monkeypatch):
    assert settings.retention({"AMPER_RETENTION_CALLBACKS_DAYS": " 30 "}).callbacks_days == 30
    problems = settings.check({"AMPER_RETENTION_CALLBACKS_DAYS": "0"})
    assert len(problems) == 1 and "AMPER_RETENTION_CALLBACKS_DAYS invalide" in problems[0]


def test_the_dispatchers_daily_purge_deletes_old_callbacks(uow, monkeypatch, caplog):
    import asyncio
    import logging

    monkeypatch.setenv("AMPER_RETENTION_CALLBACKS_DAYS", "30")
    ref = callback(uow).reference
    d = dispatcher(uow, Clock(NOW))
    for message in d.claim():
        d.record_delivered(message)
    d.clock = Clock(NOW + timedelta(days=31))
    with caplog.at_level(logging.INFO, logger="amper.dispatch"):
        asyncio.run(d.daily_purge())
    with uow:
        assert uow.callbacks.get(ref) is None
    assert messages(uow) == []
    assert "1 demande(s) de rappel effacée(s)" in caplog.text
