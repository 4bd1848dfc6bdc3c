"""A callback request forwarded to the sector office like a request (issue 21), on SQLite
and PostgreSQL: its messages in the same transaction as its row, the outbox CHECK (a message
is about exactly one request or callback), the dispatcher delivering it by e-mail to a
local SMTP sink and by signed webhook to a local receiver (retries, dead letter, operator
retry: the fixtures of test_dispatch.py), ``amper outbox list``, the purge and forget.

The real-server tests are ``slow`` (as all of test_dispatch.py); the store tests are fast.
The same behaviours on the in-memory store: tests/unit/test_callback_forwarding.py."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import List

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.adapters.orm import callbacks as callbacks_table, outbox
from bot.adapters.planning_import import PlanningRow
from bot.adapters.staff_repository import SqlAlchemyCallbackRepository
from bot.domain.model import RequestStatus
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.fakes_office import FakeClock
from tests.integration.test_dispatch import (  # noqa: F401 (fixtures)
    PARIS, SECRET, all_delivered, amper, drain, hook, make_requests, office, outbox_rows,
    run_once, smtp,
)

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

#: Nord: e-mail only; Sud: e-mail + webhook (the ``office`` fixture)
CLIENTS = (("C1", "Mme Jeanne Martin", "Nord"), ("C2", "M. Paul Durand", "Sud"),
           ("C3", "Mme Lise Petit", "Sud"))


def make_clients(url) -> None:
    start = datetime.now(PARIS).replace(second=0, microsecond=0) + timedelta(days=5)
    services.import_rows(SqlAlchemyUnitOfWork(url), [
        PlanningRow(line=i + 2, intervention_id=f"I-{number}", client_id=number,
                    client_name=name, sector=sector, caregiver="Marie Curie",
                    start=start, end=start + timedelta(hours=1), service="Ménage")
        for i, (number, name, sector) in enumerate(CLIENTS)])


def callback(url, client="C2", **kw):
    values = dict(client_number=client, phone="06 12 34 56 78", best_time="demain matin",
                  topic="facturation", actor="bureau.sud", sectors=["Nord", "Sud"])
    return services.create_callback(SqlAlchemyUnitOfWork(url), **{**values, **kw})


def keys(url, reference=None) -> List[str]:
    return sorted(m.idempotency_key for m in
                  services.list_outbox(SqlAlchemyUnitOfWork(url), reference=reference))


def count(url, table) -> int:
    uow = SqlAlchemyUnitOfWork(url)
    with uow:
        return uow.session.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def configured(url):
    """The sectors of the ``office`` fixture, without servers (no delivery here)."""
    uow = SqlAlchemyUnitOfWork(url)
    services.configure_sector(uow, "Nord", office_email="nord@amper.example")
    services.configure_sector(uow, "Sud", office_email="sud@amper.example",
                              webhook_url="http://127.0.0.1:9/amper", webhook_secret=SECRET)
    make_clients(url)
    return url


# --- the transactional outbox ---------------------------------------------------------------------

def test_a_callback_and_its_messages_are_one_transaction(configured, monkeypatch):
    sud = callback(configured).reference
    nord = callback(configured, client="C1").reference
    assert keys(configured, sud) == [f"{sud}:email", f"{sud}:webhook"]
    assert keys(configured, nord) == [f"{nord}:email"]
    (message,) = services.list_outbox(SqlAlchemyUnitOfWork(configured), reference=nord)
    assert (message.reference, message.sector, message.status) == (nord, "Nord", "pending")

    def broken(self, *args, **kwargs):
        raise RuntimeError("panne simulée pendant l'écriture du message")

    monkeypatch.setattr(SqlAlchemyCallbackRepository, "add_outbox", broken)
    with pytest.raises(RuntimeError):
        callback(configured, client="C3")
    assert count(configured, callbacks_table) == 2 and count(configured, outbox) == 3
    monkeypatch.undo()
    assert callback(configured, client="C3").reference == "RAP-%d-00003" % datetime.now(
        PARIS).year  # the rolled-back number given back


def test_a_message_is_about_exactly_one_request_or_callback(configured):
    ref = make_requests(configured, 1, prefix="Q")[0]
    callback(configured)
    uow = SqlAlchemyUnitOfWork(configured)
    with uow:
        request_id = uow.repo.get_request(ref).id
        callback_id = uow.session.execute(select(callbacks_table.c.id)).scalar_one()
    now = datetime.now(PARIS)
    base = dict(channel="email", payload={}, status="pending", attempts=0, next_attempt_at=now,
                created_at=now)
    for n, ids in enumerate([dict(), dict(request_id=request_id, callback_id=callback_id)]):
        with uow, pytest.raises(IntegrityError):
            uow.session.execute(insert(outbox).values(idempotency_key=f"x{n}", **base, **ids))


def test_a_forgotten_clients_reference_is_never_given_again(configured):
    first = callback(configured, client="C1").reference
    second = callback(configured, client="C2").reference
    report = services.forget_client(SqlAlchemyUnitOfWork(configured), "C2", apply=True)
    assert (report.callbacks, report.callback_messages) == (1, 2)
    third = callback(configured, client="C3").reference
    assert third not in (first, second) and third > second
    assert keys(configured) == [f"{first}:email", f"{third}:email", f"{third}:webhook"]


# --- privacy: purge and forget ----------------------------------------------------------------------

def test_purge_empties_a_delivered_callbacks_message_forget_deletes_them(configured):
    ref = callback(configured).reference
    kept = callback(configured, client="C1").reference
    uow = SqlAlchemyUnitOfWork(configured)
    delivered = datetime.now(PARIS)
    with uow:
        for m in uow.repo.list_outbox(reference=ref):
            uow.repo.outbox_delivered(m.id, delivered)
        uow.commit()
    retention = settings.RetentionSettings(conversations_days=30, requests_days=400,
                                           outbox_days=7)
    report = services.purge_store(uow, now=delivered + timedelta(days=8), retention=retention)
    assert report.payloads_emptied == 2
    with uow:
        payloads = {m.idempotency_key: m.payload for m in uow.repo.list_outbox()}
    assert payloads[f"{ref}:email"] == {} == payloads[f"{ref}:webhook"]
    assert payloads[f"{kept}:email"]["phone"] == "06 12 34 56 78"

    data = services.export_client(uow, "C1")
    assert [(m["reference"], m["channel"]) for m in data["outbox"]] == [(kept, "email")]
    assert data["outbox"][0]["payload"]["kind"] == "callback"
    report = services.forget_client(uow, "C2", apply=True)
    assert (report.callbacks, report.callback_messages) == (1, 2)
    assert keys(configured) == [f"{kept}:email"]


def test_purge_deletes_old_callbacks_once_their_messages_are_delivered_or_dead(configured):
    now = datetime.now(PARIS)
    old = now - timedelta(days=100)
    done = callback(configured, client="C1", now=old).reference     # Nord: e-mail
    dead = callback(configured, client="C2", now=old).reference     # Sud: e-mail + webhook
    waiting = callback(configured, client="C3", now=old).reference  # one leased, one pending
    young = callback(configured, client="C1", now=now - timedelta(days=89)).reference
    uow = SqlAlchemyUnitOfWork(configured)
    with uow:
        for ref in (done, dead, young):
            for m in uow.repo.list_outbox(reference=ref):
                if ref == dead and m.channel == "webhook":
                    assert uow.repo.stop_outbox([m.id], "refusé") == 1
                else:
                    assert uow.repo.outbox_delivered(m.id, old)
        (leased,) = uow.repo.claim_outbox(now=now, due_before=now, owner="test",
                                          lease_until=now + timedelta(minutes=5), limit=1,
                                          max_attempts=10)
        uow.commit()
    assert leased.reference == waiting
    retention = settings.RetentionSettings(conversations_days=30, requests_days=400,
                                           outbox_days=7)
    assert retention.callbacks_days == 90
    dry = services.purge_store(uow, now=now, retention=retention, dry_run=True)
    assert (dry.callbacks_deleted, dry.payloads_emptied) == (2, 1)  # young's e-mail emptied
    assert count(configured, callbacks_table) == 4 and count(configured, outbox) == 6
    report = services.purge_store(uow, now=now, retention=retention)
    assert (report.callbacks_deleted, report.payloads_emptied) == (2, 1)
    assert count(configured, callbacks_table) == 2
    assert keys(configured) == sorted([f"{waiting}:email", f"{waiting}:webhook",
                                       f"{young}:email"])
    assert services.purge_store(uow, now=now, retention=retention).callbacks_deleted == 0
    with uow:
        for m in uow.repo.list_outbox(reference=waiting):
            assert (uow.repo.outbox_delivered(m.id, now) if m.status == "sending"
                    else uow.repo.stop_outbox([m.id], "abandonné") == 1)
        uow.commit()
    assert services.purge_store(uow, now=now, retention=retention).callbacks_deleted == 1
    assert keys(configured) == [f"{young}:email"]
    later = services.purge_store(uow, now=now + timedelta(days=2), retention=retention)
    assert later.callbacks_deleted == 1 and count(configured, outbox) == 0
    fresh = callback(configured, client="C1").reference  # a purged number is never given again
    assert fresh not in (done, dead, waiting, young) and fresh > young


def test_amper_purge_says_the_callbacks_retention_and_count(configured, monkeypatch, capsys,
                                                           tmp_path):
    from bot.entrypoints import cli

    ref = callback(configured, now=datetime.now(PARIS) - timedelta(days=31)).reference
    uow = SqlAlchemyUnitOfWork(configured)
    with uow:
        for m in uow.repo.list_outbox(reference=ref):
            uow.repo.outbox_delivered(m.id, datetime.now(PARIS))
        uow.commit()
    monkeypatch.setenv("AMPER_DATABASE_URL", configured)
    monkeypatch.setenv("AMPER_RETENTION_CALLBACKS_DAYS", "30")
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"  # missing: no conversation
    assert cli.main(["purge", "--dry-run", "--tracker-url", tracker]) == 0
    out = capsys.readouterr().out
    assert "demandes de rappel 30 j après leur prise." in out
    assert "  - demandes de rappel effacées : 1 (à faire)" in out.splitlines()
    assert cli.main(["purge", "--tracker-url", tracker]) == 0
    assert "  - demandes de rappel effacées : 1 (fait)" in capsys.readouterr().out.splitlines()
    assert count(configured, callbacks_table) == 0 and count(configured, outbox) == 0


# --- delivery to real servers on loopback (slow) ------------------------------------------------------

@pytest.mark.slow
def test_a_callback_is_delivered_by_email_and_signed_webhook(office, smtp, hook):
    make_clients(office)
    ref = callback(office).reference
    nord = callback(office, client="C1", topic="annulation", best_time="après 16 h").reference
    request = make_requests(office, 1, prefix="M")[0]  # a request in the same passes
    hook.plans[f"{ref}:webhook"] = ["fail", "close"]
    smtp.fail_next = 1

    drain(office, smtp.env(), lambda: all_delivered(office), clock=FakeClock())

    assert hook.overlaps == 0 and hook.bad_signatures == 0
    assert hook.accept_count[f"{ref}:webhook"] == 1
    document = hook.accepted[f"{ref}:webhook"]
    assert document["event"] == "callback.recorded" and document["schema_version"] == 1
    assert document["callback"]["reference"] == ref
    assert document["callback"]["phone"] == "06 12 34 56 78"
    assert document["callback"]["topic_label"] == "Facturation"
    assert document["client"] == {"number": "C2", "name": "M. Paul Durand", "sector": "Sud"}
    assert hook.accepted[f"{request}:webhook"]["event"] == "request.recorded"
    assert smtp.references() == {ref: 1, nord: 1, request: 1}
    mail = {m[0]["X-Amper-Reference"]: m[0] for m in smtp.by_message_id().values()}
    assert mail[nord]["To"] == "nord@amper.example"
    assert mail[nord]["Subject"] == (f"[{nord}] Rappel demandé — Mme Jeanne Martin (client C1) "
                                     "— Annulation")
    body = mail[nord].get_content()
    assert "Numéro à rappeler : 06 12 34 56 78" in body and "Moment préféré : après 16 h" in body
    uow = SqlAlchemyUnitOfWork(office)
    with uow:
        assert {uow.callbacks.get(r).status for r in (ref, nord)} == {RequestStatus.FORWARDED}


@pytest.mark.slow
def test_a_callback_dead_letter_then_operator_retry(office, smtp, hook):
    make_clients(office)
    ref = callback(office).reference
    key = f"{ref}:webhook"
    hook.plans[key] = ["fail"] * 50
    clock = FakeClock()
    drain(office, smtp.env(), lambda: any(m.status == "dead" for m in outbox_rows(office)),
          clock=clock)
    (dead,) = services.list_outbox(SqlAlchemyUnitOfWork(office), status="dead")
    assert (dead.reference, dead.channel, dead.attempts) == (ref, "webhook", 6)
    assert "500" in dead.last_error
    uow = SqlAlchemyUnitOfWork(office)
    with uow:
        assert uow.callbacks.get(ref).status == RequestStatus.RECEIVED  # not all delivered
    listed = amper(office, "outbox", "list", "--status", "dead")
    assert listed.returncode == 0 and f"{dead.id:>6}  {ref}  webhook" in listed.stdout
    hook.plans[key] = []
    assert amper(office, "outbox", "retry", str(dead.id)).returncode == 0
    run_once(office, smtp.env(), clock=clock)
    assert all_delivered(office) and hook.accept_count[key] == 1
    with uow:
        assert uow.callbacks.get(ref).status == RequestStatus.FORWARDED
