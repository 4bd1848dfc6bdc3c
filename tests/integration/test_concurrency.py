"""Real concurrency: threads, each with its own unit of work (own connection/transaction)."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bot.adapters import db, orm
from bot.adapters.repository import SqlAlchemyRepository
from bot.service_layer import services
from bot.domain.errors import AlreadyRequested
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

from .conftest import NOW

WORKERS = 8


def _race(url, n, call):
    barrier = threading.Barrier(n)

    def work(i):
        uow = SqlAlchemyUnitOfWork(url)
        barrier.wait(timeout=30)
        try:
            return call(uow, i)
        except AlreadyRequested as error:
            return error

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(work, range(n)))


def _open_requests(url):
    uow = SqlAlchemyUnitOfWork(url)
    with uow:
        return uow.repo.count(orm.requests), uow.repo.count(orm.outbox)


def test_concurrent_cancellations_give_one_request(seeded):
    def call(uow, i):
        return services.create_cancellation_request(
            uow, client_number="1001", intervention_id="I-72H", reason="personnel",
            channel="web", actor=f"worker-{i}", now=NOW)

    results = _race(seeded, WORKERS, call)
    created = [r for r in results if not isinstance(r, AlreadyRequested)]
    refused = [r for r in results if isinstance(r, AlreadyRequested)]
    assert len(created) == 1 and len(refused) == WORKERS - 1
    assert all(e.reference == created[0].reference for e in refused)
    assert all("déjà en cours" in e.message for e in refused)
    assert _open_requests(seeded) == (1, 1)


def test_concurrent_replays_of_the_same_request(seeded):
    def call(uow, i):
        return services.create_cancellation_request(
            uow, client_number="1001", intervention_id="I-72H", reason="personnel",
            channel="web", actor="1001", now=NOW, idempotency_key="same-message")

    results = _race(seeded, WORKERS, call)
    assert not any(isinstance(r, AlreadyRequested) for r in results)
    assert len({r.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert _open_requests(seeded) == (1, 1)


def test_concurrent_references_are_unique_and_consecutive(seeded):
    def call(uow, i):
        return services.create_cancellation_request(
            uow, client_number="1001", intervention_id=f"I-MANY-{i}", reason="autre",
            channel="web", actor="1001", now=NOW + timedelta(seconds=i))

    results = _race(seeded, 16, call)
    references = sorted(r.reference for r in results)
    assert references == [f"AMP-2026-{n:06d}" for n in range(1, 17)]
    assert _open_requests(seeded) == (16, 16)


def test_a_replay_that_commits_between_the_two_checks_is_still_a_replay(seeded, monkeypatch):
    """The interleaving that failed CI once on PostgreSQL (read committed): transaction B finds
    no request with its key, then the first copy A commits, then B's open-request check sees
    A's row. B must answer as a replay, not "already requested". Forced here, not left to luck.
    On SQLite every writer starts with BEGIN IMMEDIATE, so A would wait for B: nothing to race."""
    if db.is_sqlite(seeded):
        pytest.skip("SQLite : les écritures sont sérialisées (BEGIN IMMEDIATE)")
    original = SqlAlchemyRepository.find_request_by_key
    first = threading.Event()

    def call(i):
        return services.create_cancellation_request(
            SqlAlchemyUnitOfWork(seeded), client_number="1001", intervention_id="I-72H",
            reason="personnel", channel="web", actor="1001", now=NOW,
            idempotency_key="same-message")

    def key_check_then_commit_elsewhere(self, key):
        found = original(self, key)
        if not first.is_set():
            first.set()
            with ThreadPoolExecutor(max_workers=1) as pool:  # A, on its own connection
                assert pool.submit(call, "A").result(timeout=30).created
        return found

    monkeypatch.setattr(SqlAlchemyRepository, "find_request_by_key",
                        key_check_then_commit_elsewhere)
    replay = call("B")
    assert first.is_set() and not replay.created
    assert _open_requests(seeded) == (1, 1)


def test_overlapping_group_cancellations_record_one_group_whole(seeded):
    """Two conversations cancel overlapping weeks at the same time: each group is recorded
    whole or not at all, and no intervention gets two open cancellations."""
    groups = [["I-24H", "I-72H", "I-5D"], ["I-5D", "I-15D"]]

    def call(uow, i):
        return services.create_cancellation_requests(
            uow, client_number="1001", intervention_ids=groups[i % 2], reason="personnel",
            channel="web", actor="1001", now=NOW, idempotency_key=f"group-{i}")

    results = _race(seeded, 2 * (WORKERS // 2), call)
    recorded = [r for r in results if not isinstance(r, AlreadyRequested)]
    assert len(recorded) == 1  # the first group to commit takes I-5D; all others refused
    winner = [r.request.intervention_external_id for r in recorded[0]]
    assert winner in groups
    uow = SqlAlchemyUnitOfWork(seeded)
    with uow:
        rows = uow.repo.list_requests()
    assert sorted(r.intervention_external_id for r in rows) == sorted(winner)
    assert _open_requests(seeded) == (len(winner), len(winner))
