"""Booking store: requests, rules applied, outbox, history, constraints, rollback."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.adapters import orm, repository
from bot.domain.model import InterventionStatus, RequestKind, RequestStatus
from bot.domain.rules import Code
from bot.service_layer import services
from bot.domain.errors import (
    AlreadyRequested, InterventionNotFound, InvalidInput, InvalidTransition,
    OutOfNoticeNotConfirmed, RequestNotFound, RuleRefused, StoreUnavailable,
)
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

from .conftest import NOW, PARIS


def cancel(uow, iid="I-72H", client="1001", reason="personnel", **kw):
    kw.setdefault("channel", "web")
    kw.setdefault("actor", client)
    kw.setdefault("now", NOW)
    return services.create_cancellation_request(uow, client_number=client, intervention_id=iid,
                                                reason=reason, **kw)


def counts(uow):
    with uow:
        r = uow.repo
        return r.count(orm.requests), r.count(orm.outbox), r.count(orm.request_history)


def test_free_cancellation_recorded_with_outbox_and_history(seeded, uow):
    result = cancel(uow)
    assert result.created and result.reference == "AMP-2026-000001"
    req = result.request
    assert req.kind == RequestKind.CANCELLATION and req.status == RequestStatus.RECEIVED
    assert req.decision_code == Code.CANCELLATION_FREE and req.billable is False
    assert req.notice == timedelta(hours=72) and req.notice_hours == 72.0
    assert req.sector == "Nord" and req.client_name == "Mme Dupont"
    assert "AMP-2026-000001" in result.message and "bureau de secteur" in result.message
    assert counts(uow) == (1, 1, 1)
    with uow:
        (msg,) = uow.repo.outbox_for_request(req.id)
    assert msg.channel == "email" and msg.status == "pending" and msg.attempts == 0
    assert msg.idempotency_key == "AMP-2026-000001:email"
    assert msg.payload["reference"] == "AMP-2026-000001"
    assert msg.payload["subject"].startswith("[AMP-2026-000001] Annulation — Mme Dupont — ")
    assert msg.payload["decision_message"] == result.decision.message


def test_sector_with_webhook_gets_two_outbox_rows(seeded, uow):
    result = cancel(uow, "S-24H", client="2001", reason="autre")
    assert result.request.billable is True
    with uow:
        rows = uow.repo.outbox_for_request(result.request.id)
    assert sorted(r.channel for r in rows) == ["email", "webhook"]


def test_exemption_pending_and_certificate_instructions(seeded, uow):
    decision = services.preview_cancellation(uow, client_number="1001", intervention_id="I-24H",
                                             reason="hospitalisation", now=NOW)
    assert decision.exemption_pending and "nord@amper.example" in decision.message
    assert counts(uow) == (0, 0, 0)  # a preview records nothing
    req = cancel(uow, "I-24H", reason="maladie").request
    assert req.exemption_pending and req.billable is None and req.out_of_notice
    assert req.reason.value == "maladie"


def test_already_requested_then_allowed_again_after_refusal(seeded, uow):
    first = cancel(uow).request
    with pytest.raises(AlreadyRequested) as info:
        cancel(uow, reason="autre")
    assert info.value.reference == first.reference
    assert first.reference in info.value.message and "déjà en cours" in info.value.message
    with pytest.raises(AlreadyRequested):
        services.preview_cancellation(uow, client_number="1001", intervention_id="I-72H",
                                      reason="autre", now=NOW)
    # a schedule change is another kind: allowed alongside
    services.create_schedule_change_request(
        uow, client_number="1001", intervention_id="I-72H", new_start=NOW + timedelta(days=4),
        new_end=NOW + timedelta(days=4, hours=1), channel="web", actor="1001", now=NOW,
        accept_out_of_notice=True)
    services.change_request_status(uow, first.reference, "refused", actor="bureau.nord", now=NOW)
    again = cancel(uow, now=NOW + timedelta(minutes=5))
    assert again.created and again.reference != first.reference


def test_idempotent_replay(seeded, uow):
    a = cancel(uow, idempotency_key="msg-42")
    b = cancel(uow, idempotency_key="msg-42")
    assert a.created and not b.created and a.reference == b.reference
    assert "déjà enregistrée" in b.message
    assert counts(uow) == (1, 1, 1)
    with pytest.raises(InvalidInput):
        cancel(uow, "I-24H", idempotency_key="msg-42")


def test_refusals_record_nothing(seeded, uow):
    with pytest.raises(RuleRefused) as info:
        cancel(uow, "S-24H", client="1001")  # another client's intervention
    assert info.value.code == Code.INTERVENTION_NOT_OWNED
    with pytest.raises(InterventionNotFound) as nf:
        cancel(uow, "NOPE")
    assert nf.value.message == info.value.message  # nothing revealed
    with pytest.raises(RuleRefused) as info:
        cancel(uow, "I-PAST")
    assert info.value.code == Code.INTERVENTION_PAST
    with pytest.raises(InvalidInput):
        cancel(uow, reason="grippe")
    with pytest.raises(InvalidInput):
        cancel(uow, channel="fax")
    with pytest.raises(InvalidInput):
        cancel(uow, actor="  ")
    assert counts(uow) == (0, 0, 0)


def test_schedule_change(seeded, uow):
    ns, ne = NOW + timedelta(days=16), NOW + timedelta(days=16, hours=1)
    ok = services.create_schedule_change_request(
        uow, client_number="1001", intervention_id="I-15D", new_start=ns, new_end=ne,
        channel="phone", actor="bureau.nord", now=NOW)
    assert ok.request.decision_code == Code.SCHEDULE_CHANGE_OK and not ok.request.out_of_notice
    assert ok.request.new_start == ns and ok.request.new_end == ne
    assert ok.request.new_start.tzinfo is not None and ok.request.channel.value == "phone"
    with pytest.raises(OutOfNoticeNotConfirmed) as info:
        services.create_schedule_change_request(
            uow, client_number="1001", intervention_id="I-5D", new_start=ns, new_end=ne,
            channel="web", actor="1001", now=NOW)
    assert "pourra la refuser" in info.value.message
    late = services.create_schedule_change_request(
        uow, client_number="1001", intervention_id="I-5D", new_start=ns, new_end=ne,
        channel="web", actor="1001", now=NOW, accept_out_of_notice=True)
    assert late.request.out_of_notice and late.request.decision_code == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE
    with pytest.raises(RuleRefused) as info:
        services.create_schedule_change_request(
            uow, client_number="1001", intervention_id="I-24H", new_start=ns,
            new_end=ns + timedelta(minutes=44), channel="web", actor="1001", now=NOW)
    assert info.value.code == Code.SLOT_TOO_SHORT


def test_status_transitions_and_history(seeded, uow):
    ref = cancel(uow).reference
    services.change_request_status(uow, ref, "forwarded", actor="dispatcher",
                                   now=NOW + timedelta(minutes=1))
    services.change_request_status(uow, ref, "forwarded", actor="dispatcher",
                                   now=NOW + timedelta(minutes=2))  # no-op
    services.change_request_status(uow, ref, "acknowledged", actor="bureau.nord",
                                   now=NOW + timedelta(hours=1))
    req = services.change_request_status(uow, ref, "done", actor="bureau.nord",
                                         now=NOW + timedelta(hours=2), note="OK")
    assert [h.to_status.value for h in req.history] == ["received", "forwarded", "acknowledged", "done"]
    assert req.history[-1].note == "OK" and req.history[-1].actor == "bureau.nord"
    assert req.updated_at == NOW + timedelta(hours=2)
    with pytest.raises(InvalidTransition):
        services.change_request_status(uow, ref, "received", actor="x", now=NOW)
    # a done cancellation cancels the intervention
    assert services.get_intervention(uow, "1001", "I-72H").status == InterventionStatus.CANCELLED
    with pytest.raises(RuleRefused) as info:
        cancel(uow)
    assert info.value.code == Code.INTERVENTION_CANCELLED
    assert "I-72H" not in [i.external_id for i in services.upcoming_interventions(uow, "1001", NOW)]


def test_reads(seeded, uow):
    upcoming = services.upcoming_interventions(uow, "1001", NOW)
    assert upcoming[0].external_id == "I-24H" and all(i.start > NOW for i in upcoming)
    assert [i.start for i in upcoming] == sorted(i.start for i in upcoming)
    assert all(i.client_number == "1001" for i in upcoming)
    assert len(services.upcoming_interventions(uow, "1001", NOW, days=4)) == 22
    assert upcoming[0].start.tzinfo is not None and upcoming[0].caregiver == "Marie Curie"
    ref = cancel(uow).reference
    cancel(uow, "S-24H", client="2001")
    assert [r.reference for r in services.list_requests(uow, sector="Sud")] != [ref]
    assert [r.reference for r in services.list_requests(uow, sector="Nord")] == [ref]
    assert len(services.list_requests(uow, status="received")) == 2
    assert services.list_requests(uow, status="done") == []
    with pytest.raises(InvalidInput):
        services.list_requests(uow, status="bogus")
    assert services.get_request(uow, ref.lower()).reference == ref
    with pytest.raises(RequestNotFound):
        services.get_request(uow, ref, client_number="2001")
    with pytest.raises(RequestNotFound):
        services.get_request(uow, "AMP-2026-999999")
    with pytest.raises(InterventionNotFound):
        services.get_intervention(uow, "2001", "I-24H")


def test_datetimes_roundtrip_across_dst(url, uow):
    from .conftest import row
    from datetime import datetime, timezone
    # 02:30 on 25 October 2026 exists twice in Paris; both instants must survive.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc).astimezone(PARIS)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc).astimezone(PARIS)
    services.import_rows(uow, [row("A", first), row("B", second)])
    a = services.get_intervention(uow, "1001", "A")
    b = services.get_intervention(uow, "1001", "B")
    assert a.start.astimezone(timezone.utc) == first.astimezone(timezone.utc)
    assert b.start.astimezone(timezone.utc) == second.astimezone(timezone.utc)
    assert str(a.start.tzinfo) == "Europe/Paris"
    assert a.start.utcoffset() == timedelta(hours=2) and b.start.utcoffset() == timedelta(hours=1)


def test_database_enforces_one_open_request(seeded, uow):
    """Bypass the service's pre-check: the partial unique index itself refuses a duplicate."""
    ref = cancel(uow).reference
    with uow:
        original = uow.session.execute(select(orm.requests).where(
            orm.requests.c.reference == ref)).mappings().one()
        values = dict(original)
        values.pop("id")
        values.update(reference="AMP-2026-999999", idempotency_key=None)
        with pytest.raises(IntegrityError):
            uow.session.execute(orm.requests.insert().values(**values))
    # a closed request does not count
    services.change_request_status(uow, ref, "refused", actor="bureau", now=NOW)
    with uow:
        uow.session.execute(orm.requests.insert().values(**values))
        uow.commit()


def test_failure_after_request_insert_leaves_nothing(seeded, uow, monkeypatch):
    real = repository.SqlAlchemyRepository.add_outbox
    calls = []

    def failing(self, request_id, channel, *args, **kwargs):
        real(self, request_id, channel, *args, **kwargs)
        calls.append(channel)
        if channel.value == "webhook":
            raise RuntimeError("panne simulée")

    monkeypatch.setattr(repository.SqlAlchemyRepository, "add_outbox", failing)
    with pytest.raises(RuntimeError):
        cancel(uow, "S-24H", client="2001")
    assert [c.value for c in calls] == ["email", "webhook"]
    assert counts(uow) == (0, 0, 0)
    with uow:
        assert uow.repo.count(orm.reference_counters) in (0, 1)
    monkeypatch.undo()
    # and the reference number was not consumed
    assert cancel(uow, "S-24H", client="2001").reference == "AMP-2026-000001"


def test_accounts(url, uow):
    from .conftest import row
    services.import_rows(uow, [row("A", NOW + timedelta(days=1))])
    services.set_account(uow, "client1001", "secret-1", "client", "1001")
    services.set_account(uow, "bureau.nord", "secret-2", "staff")
    account = services.authenticate(uow, "client1001", "secret-1")
    assert account.client_number == "1001" and account.role.value == "client"
    assert services.authenticate(uow, "client1001", "wrong") is None
    assert services.authenticate(uow, "nobody", "x") is None
    assert services.authenticate(uow, "bureau.nord", "secret-2").role.value == "staff"
    with pytest.raises(InvalidInput):
        services.set_account(uow, "client9", "pw", "client", "9999")
    with uow:
        stored = uow.repo.get_account("client1001")[1]
    assert stored.startswith("scrypt$") and "secret-1" not in stored


def test_store_unreachable_raises_store_unavailable(tmp_path):
    uow = SqlAlchemyUnitOfWork("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable) as info:
        services.list_requests(uow)
    assert "n'a pas pu être enregistrée" in info.value.message
    blocked = tmp_path / "file"
    blocked.write_text("x")
    uow = SqlAlchemyUnitOfWork(f"sqlite:///{tmp_path}/file/amper.db")
    with pytest.raises((StoreUnavailable, OSError)):
        services.list_requests(uow)


def test_a_sqlite_file_keeps_its_connections_in_a_pool(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.pool import QueuePool

    from bot.adapters.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    assert isinstance(engine.pool, QueuePool)
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is first  # reused, PRAGMAs not run again
    memory = make_engine("sqlite://")
    with memory.begin() as conn:  # an in-memory database stays one database
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with memory.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()
    memory.dispose()


def test_what_a_client_is_told_about_their_requests(seeded, uow):
    """« Où en est ma demande ? »: the client's own requests, newest first, each with the
    words the client may read; someone else's reference is "not found"."""
    first = cancel(uow, "I-72H").reference
    second = cancel(uow, "I-5D", now=NOW + timedelta(minutes=1)).reference
    change = services.create_schedule_change_request(
        uow, client_number="1001", intervention_id="I-15D", new_start=NOW + timedelta(days=16),
        new_end=NOW + timedelta(days=16, hours=1), channel="web", actor="1001",
        now=NOW + timedelta(minutes=2)).reference
    other = cancel(uow, "S-24H", client="2001", now=NOW + timedelta(minutes=3)).reference

    def told(**kw):
        return [(s.request.reference, s.label)
                for s in services.client_request_statuses(uow, "1001", **kw)]

    waiting = services.FORWARDING_LABEL_FR  # recorded, the office does not have it yet
    assert told() == [(change, waiting), (second, waiting), (first, waiting)]
    assert told(limit=2) == [(change, waiting), (second, waiting)]

    # the e-mail to the office delivered: forwarded, though the status is still "received"
    with uow:
        (message,) = uow.repo.outbox_for_request(uow.repo.get_request(first).id)
        uow.repo.outbox_delivered(message.id, NOW + timedelta(minutes=5))
        uow.commit()
    assert told(reference=first) == [(first, "transmise au bureau de secteur")]
    # the list reads every request's outbox at once: each label stays with its own request
    assert told() == [(change, waiting), (second, waiting), (first, "transmise au bureau de secteur")]
    services.change_request_status(uow, first, "acknowledged", actor="bureau.nord")
    services.change_request_status(uow, second, "refused", actor="bureau.nord")
    assert told(reference=first.lower()) == [(first, "prise en compte par le bureau de secteur")]
    assert told()[1] == (second, "refusée")

    for reference in (other, "AMP-2026-999999"):
        with pytest.raises(RequestNotFound):
            told(reference=reference)
    assert services.client_request_statuses(uow, "9999") == []


def test_a_group_cancellation_is_all_or_nothing(seeded, uow):
    """One request per intervention in one transaction: a refused one rolls back the others
    (requests, outbox, history and the reference counter)."""
    cancel(uow, iid="I-5D")
    before = counts(uow)
    with pytest.raises(AlreadyRequested):
        services.create_cancellation_requests(
            uow, client_number="1001", intervention_ids=["I-24H", "I-72H", "I-5D"],
            reason="personnel", channel="web", actor="1001", now=NOW, idempotency_key="g")
    assert counts(uow) == before
    results = services.create_cancellation_requests(
        uow, client_number="1001", intervention_ids=["I-24H", "I-72H"], reason="personnel",
        channel="web", actor="1001", now=NOW, idempotency_key="g")
    assert [r.reference for r in results] == ["AMP-2026-000002", "AMP-2026-000003"]
    assert counts(uow) == (before[0] + 2, before[1] + 2, before[2] + 2)
