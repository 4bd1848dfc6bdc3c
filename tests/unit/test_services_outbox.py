"""The outbox (forwarding status, claim and retry) and administration (sectors, accounts,
planning) services, against the in-memory store."""
from datetime import timedelta

import pytest

from bot.domain.errors import InvalidInput, RequestNotFound
from bot.service_layer import services
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, cancel, planning, row, uow  # noqa: F401 (fixture)


def claim(uow, owner="d1", now=NOW, lease=timedelta(minutes=2), max_attempts=3, limit=10):
    with uow:
        rows = uow.repo.claim_outbox(now=now, due_before=now, owner=owner, lease_until=now + lease,
                                     limit=limit, max_attempts=max_attempts)
        uow.commit()
    return rows


def fail(uow, message, owner="d1", dead=False):
    with uow:
        kept = uow.repo.outbox_failed(message.id, owner, error="boom", next_attempt_at=NOW,
                                      dead=dead)
        uow.commit()
    return kept


def test_forwarded_only_once_every_message_is_delivered(uow):
    ref = cancel(uow, "S-24H", client="2001").reference
    status = services.forwarding_status(uow, ref)
    assert not status.forwarded and status.label == services.FORWARDING_LABEL_FR
    assert (status.messages, status.delivered, status.stalled) == (2, 0, False)
    email, hook = claim(uow)
    assert (email.channel, email.attempts, email.sector_name) == ("email", 1, "Sud")
    assert hook.webhook_url == "https://sud.example/hook" and hook.reference == ref
    with uow:
        assert uow.repo.outbox_delivered(email.id, NOW) and uow.repo.undelivered_count(
            email.request_id) == 1
        uow.commit()
    assert not services.forwarding_status(uow, ref.lower()).forwarded
    assert fail(uow, hook, owner="someone else") is False  # not the lease holder
    assert fail(uow, hook, dead=True)
    status = services.forwarding_status(uow, ref)
    assert status.stalled and status.last_error == "boom" and not status.forwarded
    with pytest.raises(RequestNotFound):
        services.forwarding_status(uow, ref, client_number="1001")
    assert "en cours" in status.message


def test_a_claim_leases_each_message_once(uow):
    cancel(uow, "I-24H")
    cancel(uow, "I-72H")
    first = claim(uow, owner="d1", limit=1)
    second = claim(uow, owner="d2", lease=timedelta(hours=1))
    assert [m.id for m in first] == [1] and [m.id for m in second] == [2]
    assert claim(uow, owner="d3") == []
    later = NOW + timedelta(minutes=3)  # d1 stopped: its lease expired
    (again,) = claim(uow, owner="d3", now=later)
    assert again.id == 1 and again.attempts == 2 and again.lease_owner == "d3"


def test_an_expired_lease_at_the_last_attempt_is_dead(uow):
    cancel(uow)
    claim(uow, max_attempts=1)
    assert claim(uow, now=NOW + timedelta(minutes=3), max_attempts=1) == []
    (message,) = services.list_outbox(uow, status="dead")
    assert message.attempts == 1 and "dernière tentative" in message.last_error


def test_retry_an_abandoned_message(uow):
    cancel(uow)
    (message,) = claim(uow)
    fail(uow, message, dead=True)
    assert services.retry_outbox(uow, message.id, now=NOW + timedelta(hours=1)) == 1
    (pending,) = services.list_outbox(uow, status="pending")
    assert pending.attempts == 0 and pending.next_attempt_at == NOW + timedelta(hours=1)
    assert pending.as_dict()["next_attempt_at"].startswith("2026-03-02T10:00")
    cancel(uow, "I-5D")
    for m in claim(uow, now=NOW + timedelta(hours=1)):
        fail(uow, m, dead=True)
    assert services.retry_outbox(uow, all_dead=True, now=NOW) == 2


def test_retry_refuses_what_cannot_be_retried(uow):
    cancel(uow)
    for bad in (dict(), dict(message_id=1, all_dead=True), dict(message_id=99)):
        with pytest.raises(InvalidInput):
            services.retry_outbox(uow, now=NOW, **bad)
    (message,) = claim(uow)
    with pytest.raises(InvalidInput, match="en cours d'envoi"):
        services.retry_outbox(uow, message.id, now=NOW)
    # its dispatcher stopped: the lease expired, the message is made due, attempts kept
    assert services.retry_outbox(uow, message.id, now=NOW + timedelta(minutes=3)) == 1
    (pending,) = services.list_outbox(uow)
    assert (pending.status, pending.attempts) == ("pending", 1)
    with uow:
        uow.repo.outbox_delivered(message.id, NOW)
        uow.commit()
    with pytest.raises(InvalidInput, match="déjà été remis"):
        services.retry_outbox(uow, message.id, now=NOW)
    with pytest.raises(InvalidInput):
        services.list_outbox(uow, status="lost")


# --- sectors, accounts, planning ----------------------------------------------------------------

def test_sectors(uow):
    services.set_sector(uow, " Est ", office_email="est@amper.example")
    updated = services.set_sector(uow, "Est", office_phone="01 00 00 00 00")
    assert (updated.office_email, updated.office_phone) == ("est@amper.example", "01 00 00 00 00")
    assert [s.name for s in services.list_sectors(uow)] == ["Est", "Nord", "Sud"]
    for bad in (dict(name=""), dict(name="X", office_email="nope"),
                dict(name="X", webhook_url="ftp://x")):
        with pytest.raises(InvalidInput):
            services.set_sector(uow, **bad)


def test_configure_sector_checks_strictly(uow):
    with pytest.raises(InvalidInput, match="Secret de webhook manquant"):
        services.configure_sector(uow, "Nord", office_email="nord@amper.fr",
                                  webhook_url="https://nord.example/hook")
    # Sud has a secret already: a new address keeps it
    sud = services.configure_sector(uow, "Sud", office_email="sud@amper.fr",
                                    webhook_url="https://sud.example/new")
    assert (sud.webhook_url, sud.webhook_secret) == ("https://sud.example/new", "s3cret")
    for bad in (dict(office_email="nope"), dict(office_email="a@b.fr", office_phone="abc"),
                dict(office_email="a@b.fr", webhook_secret="x" * 20),
                dict(office_email="a@b.fr", webhook_url="https://h.example", webhook_secret="x")):
        with pytest.raises(InvalidInput):
            services.configure_sector(uow, "Nord", **bad)


def test_accounts_and_authentication(uow):
    services.set_account(uow, "client1001", "secret-1", "client", "1001")
    staff = services.set_account(uow, "bureau.nord", "secret-2", "staff")
    assert staff.client_number is None and staff.role.value == "staff"
    account = services.authenticate(uow, " client1001 ", "secret-1")
    assert account.client_number == "1001" and account.role.value == "client"
    assert services.authenticate(uow, "client1001", "wrong") is None
    assert services.authenticate(uow, "nobody", "x") is None
    for bad in (("c9", "pw", "client", "9999"), ("c9", "pw", "client", None),
                ("c9", "pw", "admin", None), ("", "pw", "staff", None)):
        with pytest.raises(InvalidInput):
            services.set_account(uow, *bad)
    assert uow.store.accounts["client1001"]["password_hash"].startswith("scrypt$")


def test_planning_import_reports_and_the_empty_store():
    uow = FakeUnitOfWork()
    assert services.store_is_empty(uow)
    report = services.import_rows(uow, planning())
    assert (report.rows, report.interventions_created, report.clients_created,
            report.sectors_created, report.caregivers_created) == (7, 7, 2, 2, 1)
    moved = [row("I-24H", NOW + timedelta(hours=25)), row("I-72H", NOW + timedelta(hours=72)),
             row("I-NEW", NOW + timedelta(days=2), name="Mme Dupont-Durand")]
    report = services.import_rows(uow, moved)
    assert (report.interventions_created, report.interventions_updated,
            report.interventions_unchanged, report.clients_updated) == (1, 1, 1, 1)
    assert not services.store_is_empty(uow)
    assert services.get_intervention(uow, "1001", "I-24H").start == NOW + timedelta(hours=25)
