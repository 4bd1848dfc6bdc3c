"""The sector office's store (issue 22) on SQLite and PostgreSQL, beside the fake: the same
decisions, inbox, notices and changes on all three; then what only a real database shows:
two decisions at once on one request give one (the optimistic lock), and the client's
e-mail goes through the outbox to the client's address once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.domain.errors import DecisionConflict
from bot.domain.model import InterventionStatus, RequestStatus
from bot.service_layer import services
from bot.service_layer.services import office
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.fakes import FakeUnitOfWork
from tests.integration.conftest import NOW, STORES, empty_store, row

LATER = NOW + timedelta(hours=1)


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    uow = empty_store(request, tmp_path)
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.set_sector(uow, "Sud", office_email="sud@amper.example",
                        webhook_url="https://sud.example/hook", webhook_secret="s3cret")
    services.import_rows(uow, [
        row("N-1", NOW + timedelta(hours=24), name="Mme Hélène Dupont"),
        row("N-2", NOW + timedelta(days=15), name="Mme Hélène Dupont"),
        row("N-3", NOW + timedelta(hours=72), name="Mme Hélène Dupont"),
        row("S-1", NOW + timedelta(days=3), client="2001", name="M. Martin", sector="Sud")])
    with uow:
        uow.staff.set_client_contact("1001", None, "helene@example.org")
        uow.commit()
    return uow


def cancel(uow, iid, client="1001", reason="personnel"):
    return services.create_cancellation_request(
        uow, client_number=client, intervention_id=iid, actor=client, channel="web",
        reason=reason, now=NOW).request.reference


def move(uow, iid="N-2"):
    start = NOW + timedelta(days=16)
    return services.create_schedule_change_request(
        uow, client_number="1001", intervention_id=iid, new_start=start,
        new_end=start + timedelta(hours=1), channel="web", actor="1001", now=NOW).request


def test_decisions_inbox_notices_and_changes_behave_alike(store):
    cursor, _ = office.office_changes(store, None, now=NOW)
    late = cancel(store, "N-1", reason="maladie")
    free = cancel(store, "N-3")
    changed = move(store)
    south = cancel(store, "S-1", client="2001")
    assert [r.reference for r in office.office_inbox(store, ["Nord"])] == [
        late, free, changed.reference]
    assert [r.reference for r in office.office_inbox(store, ["Nord"], client="HELENE")] == [
        late, free, changed.reference]
    assert office.office_inbox(store, ["Nord"], client="martin") == []
    assert office.office_open_count(store, ["Nord", "Sud"]) == 4
    _, seen = office.office_changes(store, cursor, now=NOW + timedelta(seconds=1))
    assert seen == {"Nord": [late, free, changed.reference], "Sud": [south]}

    accepted = office.decide(store, free, "accept", actor="bureau.nord", sectors=["Nord"],
                             version=0, now=LATER).request
    assert (accepted.status, accepted.outcome, accepted.version) == (RequestStatus.DONE,
                                                                   "accepted", 1)
    assert accepted.decided_at == LATER and accepted.history[-1].decision == "accept"
    assert services.get_intervention(store, "1001", "N-3").status == InterventionStatus.CANCELLED
    office.decide(store, changed.reference, "accept", actor="bureau.nord", sectors=["Nord"],
                  now=LATER)
    moved = services.get_intervention(store, "1001", "N-2")
    assert (moved.start, moved.end) == (changed.new_start, changed.new_end)
    office.decide(store, late, "grant_exemption", actor="bureau.nord", sectors=["Nord"],
                  now=LATER)
    with pytest.raises(DecisionConflict):
        office.decide(store, late, "accept", actor="bureau.sud", sectors=None, version=0,
                      now=LATER)
    told = office.client_notices(store, "1001", now=LATER + timedelta(minutes=1))
    assert len(told) == 3 and office.client_notices(store, "1001") == []
    with store:
        mails = store.repo.list_outbox(references=[late, free, changed.reference])
    assert sorted(m.idempotency_key for m in mails if m.channel == "client_email") == sorted(
        f"{ref}:decision:1" for ref in (late, free, changed.reference))
    assert {m.client_email for m in mails} == {"helene@example.org"}
    summary = office.month_summary(store, ["Nord"], NOW.year, NOW.month)
    assert summary["total"] == 3
    assert office.webhook_secret(store, south) == ("Sud", "s3cret")


def test_two_decisions_at_once_give_one(store):
    if isinstance(store, FakeUnitOfWork):
        pytest.skip("the fake has no concurrency")
    reference = cancel(store, "N-3")
    start = threading.Barrier(2)
    results, conflicts = [], []

    def decide(actor, decision, reason):
        start.wait()
        try:
            results.append(office.decide(SqlAlchemyUnitOfWork(store.url), reference, decision,
                                         actor=actor, sectors=["Nord"], version=0,
                                         reason=reason, now=LATER))
        except DecisionConflict as conflict:
            conflicts.append(conflict)

    threads = [threading.Thread(target=decide, args=("bureau.a", "accept", None)),
               threading.Thread(target=decide, args=("bureau.b", "refuse", "duplicate"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 1 and len(conflicts) == 1
    winner = results[0].request
    assert conflicts[0].message.startswith("Cette demande a déjà été "
                                           f"{'acceptée' if winner.outcome == 'accepted' else 'refusée'}"
                                           f" par {winner.decided_by}")
    final = services.get_request(store, reference)
    assert final.version == 1 and [h.decision for h in final.history] == [None, winner.history[-1].decision]
