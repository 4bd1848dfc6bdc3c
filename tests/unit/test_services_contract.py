"""The repository port's contract, run on the in-memory fake and on a real SQLite store (a
file in tmp_path, migrations applied): what the fake imitates -- reference numbering,
uniqueness (Conflict), idempotency keys, the outbox lease cycle, the planning upsert -- must
behave the same on both, so that tests/unit/test_services*.py cannot pass on a fake that
drifted from the database."""
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.adapters import db
from bot.adapters.ports import OUTBOX_ROW_FIELDS
from bot.domain.errors import Conflict
from bot.domain.model import OutboxChannel, OutboxStatus, RequestKind, RequestStatus
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, cancel, planning, seed


def _sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'amper.db'}"
    db.upgrade(url)
    return SqlAlchemyUnitOfWork(url)


@pytest.fixture(params=["fake", "sqlite"])
def store(request, tmp_path):
    """An empty store with the test planning, on each implementation."""
    uow = seed(FakeUnitOfWork() if request.param == "fake" else _sqlite(tmp_path))
    yield uow
    if request.param == "sqlite":
        db.dispose_engine(uow.url)


def test_references_count_per_year_and_a_rollback_gives_the_number_back(store):
    with store:
        assert [store.repo.next_reference(2026) for _ in range(2)] == ["AMP-2026-000001",
                                                                       "AMP-2026-000002"]
    with store:  # not committed
        assert store.repo.next_reference(2026) == "AMP-2026-000001"
        assert store.repo.next_reference(2027) == "AMP-2027-000001"
        store.commit()
    with store:
        assert store.repo.next_reference(2026) == "AMP-2026-000002"


def _request_values(repo, reference, key=None, status=RequestStatus.RECEIVED, iid="I-72H"):
    return dict(reference=reference, kind=RequestKind.CANCELLATION.value,
                client_id=repo.client_id("1001"),
                intervention_id=repo.get_intervention(iid).id, channel="web", actor="1001",
                decision_code="x", billable=False, exemption_pending=False,
                out_of_notice=False, notice_seconds=0, status=status.value,
                idempotency_key=key, created_at=NOW, updated_at=NOW)


@pytest.mark.parametrize("clash", ["reference", "idempotency key", "open request"])
def test_a_uniqueness_rule_raises_conflict(store, clash):
    with store:
        store.repo.add_request(**_request_values(store.repo, "AMP-2026-000001", key="k1"))
        store.commit()
    with store:
        values = {"reference": dict(iid="I-5D"), "idempotency key": dict(iid="I-5D", key="k1"),
                  "open request": dict(key="k2")}[clash]
        reference = "AMP-2026-000001" if clash == "reference" else "AMP-2026-000002"
        with pytest.raises(Conflict):
            store.repo.add_request(**_request_values(store.repo, reference, **values))
    with store:  # a closed request does not count
        store.repo.add_request(**_request_values(store.repo, "AMP-2026-000003",
                                                 status=RequestStatus.REFUSED))
        assert store.repo.find_request_by_key("k1").reference == "AMP-2026-000001"
        open_one = store.repo.find_open_request(store.repo.get_intervention("I-72H").id,
                                                RequestKind.CANCELLATION)
        assert open_one.reference == "AMP-2026-000001"


def test_idempotent_requests_and_their_outbox(store):
    first = cancel(store, "S-24H", client="2001", idempotency_key="m1")
    again = cancel(store, "S-24H", client="2001", idempotency_key="m1")
    assert (first.created, again.created) == (True, False)
    assert again.request == replace(first.request, history=())  # a replay reads no history
    with store:
        rows = store.repo.list_outbox(references=[first.reference])
        with pytest.raises(Conflict):
            store.repo.add_outbox(first.request.id, OutboxChannel.EMAIL, {}, NOW,
                                  rows[0].idempotency_key)
    assert [r.idempotency_key for r in rows] == [f"{first.reference}:email",
                                                 f"{first.reference}:webhook"]
    assert all(hasattr(r, name) for r in rows for name in OUTBOX_ROW_FIELDS)
    assert rows[0].payload["reference"] == first.reference and rows[0].created_at == NOW


def test_the_outbox_lease_cycle(store):
    cancel(store, "I-24H")
    cancel(store, "I-72H", now=NOW + timedelta(seconds=1))
    lease = NOW + timedelta(minutes=2)

    def claim(owner, now=NOW, limit=10):
        with store:
            rows = store.repo.claim_outbox(now=now, due_before=now + timedelta(seconds=1),
                                           owner=owner, lease_until=lease, limit=limit,
                                           max_attempts=2)
            store.commit()
        return [(r.id, r.status, r.attempts, r.lease_owner) for r in rows]

    assert claim("a", limit=1) == [(1, "sending", 1, "a")]
    assert claim("b") == [(2, "sending", 1, "b")]
    assert claim("c") == []
    with store:
        assert store.repo.outbox_failed(2, "a", error="x", next_attempt_at=NOW, dead=False) \
            is False
        assert store.repo.outbox_failed(2, "b", error="e" * 3000, next_attempt_at=NOW,
                                        dead=False, count_attempt=False)
        assert store.repo.outbox_delivered(1, NOW) and not store.repo.outbox_delivered(1, NOW)
        store.commit()
    assert claim("c") == [(2, "sending", 1, "c")]  # the attempt was given back, then counted
    assert claim("d", now=lease + timedelta(seconds=1)) == [(2, "sending", 2, "d")]
    assert claim("e", now=lease + timedelta(minutes=5)) == []  # expired at the last attempt
    with store:
        (dead,) = store.repo.list_outbox(status=OutboxStatus.DEAD.value)
        assert dead.id == 2 and dead.lease_owner is None and "tentative" in dead.last_error
        assert store.repo.undelivered_count(dead.request_id) == 1
        assert store.repo.requeue_outbox(now=NOW) == 1
        (pending,) = store.repo.list_outbox(status="pending")
        assert (pending.attempts, pending.next_attempt_at) == (0, NOW)


def test_the_planning_upsert_and_the_reads(store):
    report = services.import_rows(store, planning()[:2])
    assert (report.interventions_created, report.interventions_unchanged) == (0, 2)
    assert not services.store_is_empty(store)
    upcoming = services.upcoming_interventions(store, "1001", NOW, days=4)
    assert [(i.external_id, i.start, i.sector) for i in upcoming] == [
        ("I-24H", NOW + timedelta(hours=24), "Nord"), ("I-72H", NOW + timedelta(hours=72), "Nord")]
    ref = cancel(store).reference
    services.change_request_status(store, ref, "done", actor="bureau", now=NOW)
    (listed,) = services.list_requests(store, client_number="1001")
    history = services.request_as_dict(services.get_request(store, ref))["history"]
    assert listed.status == RequestStatus.DONE and history[1]["to_status"] == "done"
    assert [s.name for s in services.list_sectors(store)] == ["Nord", "Sud"]


def test_one_scenario_gives_the_same_answers_on_both(tmp_path):
    """Requests of each kind, a group, a replay, status changes: every request and outbox
    message as the CLI shows them (``--json``) is the same on the fake and on SQLite."""

    def scenario(uow):
        seed(uow)
        cancel(uow, "I-24H", reason="maladie")
        cancel(uow, "S-24H", client="2001", idempotency_key="k")
        cancel(uow, "S-24H", client="2001", idempotency_key="k")
        services.create_cancellation_requests(
            uow, client_number="1001", intervention_ids=["I-72H", "I-5D"], reason="autre",
            channel="phone", actor="bureau.nord", now=NOW, idempotency_key="g")
        services.create_schedule_change_request(
            uow, client_number="2001", intervention_id="S-15D", new_start=NOW + timedelta(days=20),
            new_end=NOW + timedelta(days=20, hours=2), channel="web", actor="2001", now=NOW)
        services.change_request_status(uow, "AMP-2026-000002", "acknowledged", actor="bureau",
                                       now=NOW + timedelta(hours=1), note="vu")
        services.change_request_status(uow, "AMP-2026-000003", "done", actor="bureau", now=NOW)
        requests = [services.request_as_dict(services.get_request(uow, r.reference))
                    for r in services.list_requests(uow)]
        outbox = [m.as_dict() for m in services.list_outbox(uow)]
        statuses = [(s.request.reference, s.label)
                    for s in services.client_request_statuses(uow, "1001")]
        with uow:
            payloads = [m.payload for m in uow.repo.list_outbox()]
        return (requests, outbox, payloads, statuses,
                services.upcoming_interventions(uow, "1001", NOW))

    sqlite = _sqlite(tmp_path)
    try:
        assert scenario(FakeUnitOfWork()) == scenario(sqlite)
    finally:
        db.dispose_engine(sqlite.url)
