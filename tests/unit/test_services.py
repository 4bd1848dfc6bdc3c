"""The service layer against the in-memory store (tests/fakes.py): no database, no Rasa.

The same use cases run on SQLite and PostgreSQL in tests/integration/test_store.py; here they
are quick enough to cover every branch.  tests/unit/test_services_contract.py keeps the fake
honest."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.planning_import import PlanningRow
from bot.domain.errors import (
    AlreadyRequested, Conflict, InterventionNotFound, InvalidInput, InvalidTransition,
    OutOfNoticeNotConfirmed, RequestNotFound, RuleRefused,
)
from bot.domain.model import InterventionStatus, RequestKind, RequestStatus
from bot.domain.rules import Code
from bot.service_layer import services
from tests.fakes import FakeRepository, FakeUnitOfWork

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # Monday 2 March 2026, 9 h


def row(iid, start, *, client="1001", name="Mme Dupont", sector="Nord",
        caregiver="Marie Curie", hours=1.0):
    return PlanningRow(line=2, intervention_id=iid, client_id=client, client_name=name,
                       sector=sector, caregiver=caregiver, start=start,
                       end=start + timedelta(hours=hours), service="Aide au lever")


def planning():
    rows = [row("I-24H", NOW + timedelta(hours=24)), row("I-72H", NOW + timedelta(hours=72)),
            row("I-5D", NOW + timedelta(days=5)), row("I-15D", NOW + timedelta(days=15)),
            row("I-PAST", NOW - timedelta(days=1))]
    rows += [row(iid, NOW + offset, client="2001", name="M. Martin", sector="Sud")
             for iid, offset in (("S-24H", timedelta(hours=24)), ("S-15D", timedelta(days=15)))]
    return rows


def seed(uow):
    """The store of tests/integration/conftest.py's ``seeded`` (fewer interventions)."""
    services.set_sector(uow, "Nord", office_email="nord@amper.example",
                        office_phone="01 02 03 04 05")
    services.set_sector(uow, "Sud", office_email="sud@amper.example",
                        webhook_url="https://sud.example/hook", webhook_secret="s3cret")
    services.import_rows(uow, planning())
    return uow


@pytest.fixture
def uow():
    return seed(FakeUnitOfWork())


def cancel(uow, iid="I-72H", client="1001", **kw):
    """A cancellation by the client on the web, at NOW, for a personal reason, unless said."""
    return services.create_cancellation_request(uow, **{
        "client_number": client, "intervention_id": iid, "actor": client, "channel": "web",
        "reason": "personnel", "now": NOW, **kw})


def change(uow, iid="I-15D", start=NOW + timedelta(days=16), minutes=60, **kw):
    kw.setdefault("now", NOW)
    return services.create_schedule_change_request(
        uow, client_number=kw.pop("client", "1001"), intervention_id=iid, new_start=start,
        new_end=start + timedelta(minutes=minutes), channel="web", actor="1001", **kw)


def counts(uow):
    store = uow.store
    return len(store.requests), len(store.outbox), len(store.request_history)


# --- cancellations -----------------------------------------------------------------------------

def test_a_cancellation_in_notice_is_free_with_its_message_and_history(uow):
    result = cancel(uow)
    assert result.created and result.reference == "AMP-2026-000001" and uow.committed
    req = result.request
    assert (req.kind, req.status, req.decision_code) == (
        RequestKind.CANCELLATION, RequestStatus.RECEIVED, Code.CANCELLATION_FREE)
    assert req.billable is False and not req.out_of_notice and req.notice_hours == 72.0
    assert (req.sector, req.client_name, req.caregiver) == ("Nord", "Mme Dupont", "Marie Curie")
    assert "AMP-2026-000001" in result.message
    assert counts(uow) == (1, 1, 1)
    (message,) = services.list_outbox(uow)
    assert (message.channel, message.status, message.idempotency_key) == (
        "email", "pending", "AMP-2026-000001:email")
    (stored,) = uow.store.outbox.values()
    assert stored["payload"]["subject"].startswith("[AMP-2026-000001] Annulation — Mme Dupont — ")
    assert stored["payload"]["decision_message"] == result.decision.message
    assert "group_references" not in stored["payload"]


def test_a_late_cancellation_is_billed(uow):
    req = cancel(uow, "I-24H").request
    assert req.decision_code == Code.CANCELLATION_BILLABLE
    assert req.billable is True and req.out_of_notice and not req.exemption_pending


@pytest.mark.parametrize("reason", ["hospitalisation", "maladie"])
def test_a_late_cancellation_for_health_awaits_a_certificate(uow, reason):
    decision = services.preview_cancellation(uow, client_number="1001", intervention_id="I-24H",
                                             reason=reason, now=NOW)
    assert decision.exemption_pending and "nord@amper.example" in decision.message
    assert counts(uow) == (0, 0, 0)  # a preview records nothing
    req = cancel(uow, "I-24H", reason=reason).request
    assert req.decision_code == Code.CANCELLATION_EXEMPTION_PENDING
    assert req.exemption_pending and req.billable is None and req.reason.value == reason


def test_a_sector_with_a_webhook_gets_two_messages(uow):
    ref = cancel(uow, "S-24H", client="2001", reason="autre").reference
    assert [m.channel for m in services.list_outbox(uow, reference=ref)] == ["email", "webhook"]


@pytest.mark.parametrize("what, code", [
    (dict(iid="S-24H"), Code.INTERVENTION_NOT_OWNED),  # another client's intervention
    (dict(iid="NOPE"), "intervention_not_found"),
    (dict(iid="I-PAST"), Code.INTERVENTION_PAST),
    (dict(reason="grippe"), "invalid_input"),
    (dict(channel="fax"), "invalid_input"),
    (dict(actor="  "), "invalid_input"),
    (dict(now=datetime(2026, 3, 2, 9)), "invalid_input"),  # no time zone
], ids=lambda v: "-".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else v)
def test_refusals_record_nothing(uow, what, code):
    commits = uow.commits
    with pytest.raises((RuleRefused, InterventionNotFound, InvalidInput)) as info:
        cancel(uow, **what)
    assert info.value.code == code
    assert counts(uow) == (0, 0, 0) and uow.commits == commits


def test_another_clients_intervention_is_as_unknown_as_a_missing_one(uow):
    with pytest.raises(RuleRefused) as other:
        services.preview_cancellation(uow, client_number="1001", intervention_id="S-24H",
                                      reason="autre", now=NOW)
    with pytest.raises(InterventionNotFound) as missing:
        services.get_intervention(uow, "1001", "S-24H")
    assert other.value.message == missing.value.message  # nothing revealed


def test_already_requested_until_the_first_is_closed(uow):
    first = cancel(uow).request
    with pytest.raises(AlreadyRequested) as info:
        cancel(uow, reason="autre")
    assert info.value.reference == first.reference and "déjà en cours" in info.value.message
    with pytest.raises(AlreadyRequested):
        services.preview_cancellation(uow, client_number="1001", intervention_id="I-72H",
                                      reason="autre", now=NOW)
    change(uow, "I-72H", NOW + timedelta(days=4), accept_out_of_notice=True)  # another kind
    services.change_request_status(uow, first.reference, "refused", actor="bureau", now=NOW)
    again = cancel(uow, now=NOW + timedelta(minutes=5))
    assert again.created and again.reference == "AMP-2026-000003"


def test_an_idempotency_key_replays_the_first_request(uow):
    first = cancel(uow, idempotency_key="msg-42")
    replay = cancel(uow, idempotency_key="msg-42", now=NOW + timedelta(minutes=1))
    assert not replay.created and replay.reference == first.reference
    assert replay.decision is None and "déjà enregistrée" in replay.message
    assert counts(uow) == (1, 1, 1) and not uow.committed
    with pytest.raises(InvalidInput):
        cancel(uow, "I-24H", idempotency_key="msg-42")  # the key of another request


def test_a_lost_race_is_answered_from_what_was_stored(uow, monkeypatch):
    """Another transaction commits the same cancellation between the check and the insert:
    the store's Conflict makes the service look again and answer AlreadyRequested."""
    winner = cancel(uow).reference
    real = FakeRepository.find_open_request
    calls = []

    def not_yet_visible(self, intervention_id, kind):
        calls.append(kind)
        return None if len(calls) == 1 else real(self, intervention_id, kind)

    monkeypatch.setattr(FakeRepository, "find_open_request", not_yet_visible)
    with pytest.raises(AlreadyRequested) as info:
        cancel(uow, actor="bureau", channel="phone")
    assert info.value.reference == winner and counts(uow) == (1, 1, 1)


def test_units_of_work_on_one_store_see_each_others_commits(uow):
    other = FakeUnitOfWork(uow.store)
    ref = cancel(other).reference
    assert services.get_request(uow, ref).reference == ref and uow.store is other.store


def test_a_failure_midway_records_nothing_and_gives_the_number_back(uow, monkeypatch):
    def broken(self, *args, **kwargs):
        raise Conflict()

    monkeypatch.setattr(FakeRepository, "add_outbox", broken)
    with pytest.raises(Exception):
        cancel(uow, "S-24H", client="2001")
    assert counts(uow) == (0, 0, 0) and uow.store.counters == {}
    monkeypatch.undo()
    assert cancel(uow, "S-24H", client="2001").reference == "AMP-2026-000001"


# --- schedule changes --------------------------------------------------------------------------

def test_a_schedule_change_ten_days_ahead_is_recorded(uow):
    req = change(uow, "I-15D", NOW + timedelta(days=16)).request
    assert req.decision_code == Code.SCHEDULE_CHANGE_OK and not req.out_of_notice
    assert req.new_start == NOW + timedelta(days=16) and req.new_end.tzinfo is not None
    assert req.kind == RequestKind.SCHEDULE_CHANGE and req.reason is None


def test_out_of_notice_only_once_the_client_was_told(uow):
    with pytest.raises(OutOfNoticeNotConfirmed) as info:
        change(uow, "I-5D")
    assert "pourra la refuser" in info.value.message and counts(uow) == (0, 0, 0)
    decision = services.preview_schedule_change(
        uow, client_number="1001", intervention_id="I-5D", new_start=NOW + timedelta(days=16),
        new_end=NOW + timedelta(days=16, hours=1), now=NOW)
    assert decision.out_of_notice and decision.allowed
    req = change(uow, "I-5D", accept_out_of_notice=True).request
    assert req.out_of_notice and req.decision_code == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE


def test_a_slot_under_45_minutes_is_refused(uow):
    with pytest.raises(RuleRefused) as info:
        change(uow, "I-15D", minutes=44)
    assert info.value.code == Code.SLOT_TOO_SHORT and counts(uow) == (0, 0, 0)
    with pytest.raises(InvalidInput):
        change(uow, "I-15D", start=datetime(2026, 3, 20, 9))  # no time zone


# --- group cancellations -----------------------------------------------------------------------

def cancel_group(uow, ids, key="g", **kw):
    return services.create_cancellation_requests(
        uow, client_number=kw.pop("client", "1001"), intervention_ids=ids, reason="personnel",
        channel="web", actor="1001", now=NOW, idempotency_key=key, **kw)


def test_a_group_cancellation_is_all_or_nothing(uow):
    cancel(uow, "I-5D")
    with pytest.raises(AlreadyRequested):
        cancel_group(uow, ["I-24H", "I-72H", "I-5D"])
    assert counts(uow) == (1, 1, 1) and uow.store.counters == {2026: 1}
    with pytest.raises(RuleRefused):
        cancel_group(uow, ["I-24H", "S-24H"])  # another client's
    results = cancel_group(uow, ["I-24H", "I-72H"])
    assert [r.reference for r in results] == ["AMP-2026-000002", "AMP-2026-000003"]
    assert [r.request.billable for r in results] == [True, False]
    payloads = [m["payload"] for m in uow.store.outbox.values()][1:]
    assert all(p["group_references"] == ["AMP-2026-000002", "AMP-2026-000003"] for p in payloads)
    replay = cancel_group(uow, ["I-24H", "I-72H"])
    assert [r.created for r in replay] == [False, False]
    assert [r.reference for r in replay] == ["AMP-2026-000002", "AMP-2026-000003"]
    assert uow.store.find_request_by_key("g:I-24H").reference == "AMP-2026-000002"


@pytest.mark.parametrize("ids", [[], ["I-24H", "I-24H"],
                                 [f"I-{i}" for i in range(services.MAX_GROUP + 1)]])
def test_a_group_needs_one_to_ten_different_interventions(uow, ids):
    with pytest.raises(InvalidInput):
        cancel_group(uow, ids)


# --- request status --------------------------------------------------------------------------

def test_status_transitions_and_history(uow):
    ref = cancel(uow).reference
    for minutes, status in ((1, "forwarded"), (2, "forwarded"), (60, "acknowledged")):
        services.change_request_status(uow, ref, status, actor="bureau.nord",
                                       now=NOW + timedelta(minutes=minutes))
    req = services.change_request_status(uow, ref.lower(), "done", actor="bureau.nord",
                                         now=NOW + timedelta(hours=2), note="  OK ")
    assert [h.to_status.value for h in req.history] == ["received", "forwarded",
                                                        "acknowledged", "done"]
    assert req.history[-1].note == "OK" and req.history[-1].from_status.value == "acknowledged"
    assert req.updated_at == NOW + timedelta(hours=2)
    with pytest.raises(InvalidTransition):
        services.change_request_status(uow, ref, "received", actor="x", now=NOW)
    with pytest.raises(InvalidInput):
        services.change_request_status(uow, ref, "lost", actor="x", now=NOW)
    with pytest.raises(RequestNotFound):
        services.change_request_status(uow, "AMP-2026-999999", "done", actor="x", now=NOW)
    # a done cancellation cancels its intervention
    assert services.get_intervention(uow, "1001", "I-72H").status == InterventionStatus.CANCELLED
    with pytest.raises(RuleRefused) as info:
        cancel(uow)
    assert info.value.code == Code.INTERVENTION_CANCELLED
    assert "I-72H" not in [i.external_id for i in services.upcoming_interventions(uow, "1001", NOW)]


def test_a_done_schedule_change_keeps_the_intervention(uow):
    ref = change(uow).reference
    services.change_request_status(uow, ref, "done", actor="bureau", now=NOW)
    assert services.get_intervention(uow, "1001", "I-15D").status == InterventionStatus.SCHEDULED


# --- reading -------------------------------------------------------------------------------------

def test_reads(uow):
    upcoming = services.upcoming_interventions(uow, "1001", NOW)
    assert [i.external_id for i in upcoming] == ["I-24H", "I-72H", "I-5D", "I-15D"]
    assert [i.external_id for i in services.upcoming_interventions(uow, "1001", NOW, days=4)] \
        == ["I-24H", "I-72H"]
    assert len(services.upcoming_interventions(uow, "1001", NOW, limit=1)) == 1
    ref = cancel(uow).reference
    other = cancel(uow, "S-24H", client="2001", now=NOW + timedelta(minutes=1)).reference
    assert [r.reference for r in services.list_requests(uow, sector="Nord")] == [ref]
    assert [r.reference for r in services.list_requests(uow)] == [ref, other]
    assert [r.reference for r in services.list_requests(uow, client_number=2001)] == [other]
    assert services.list_requests(uow, status="done") == []
    assert len(services.list_requests(uow, kind="cancellation", open_only=True)) == 2
    for bad in (dict(status="bogus"), dict(kind="bogus")):
        with pytest.raises(InvalidInput):
            services.list_requests(uow, **bad)
    assert services.get_request(uow, f" {ref.lower()} ").reference == ref
    for client in ("2001", None):
        with pytest.raises(RequestNotFound):
            services.get_request(uow, ref if client else "AMP-2026-999999", client_number=client)
    data = services.request_as_dict(services.get_request(uow, ref))
    assert data["reference"] == ref and data["intervention_id"] == "I-72H"
    assert data["history"][0]["to_status"] == "received"
    assert data["intervention_start"].endswith("+01:00")


def test_what_a_client_is_told_about_their_requests(uow):
    first = cancel(uow, "I-72H").reference
    second = cancel(uow, "I-5D", now=NOW + timedelta(minutes=1)).reference
    third = change(uow, now=NOW + timedelta(minutes=2)).reference
    other = cancel(uow, "S-24H", client="2001", now=NOW + timedelta(minutes=3)).reference

    def told(**kw):
        return [(s.request.reference, s.label)
                for s in services.client_request_statuses(uow, "1001", **kw)]

    waiting = services.FORWARDING_LABEL_FR
    assert told() == [(third, waiting), (second, waiting), (first, waiting)]
    assert told(limit=2) == [(third, waiting), (second, waiting)]
    with uow:
        (message,) = uow.repo.list_outbox(reference=first)
        uow.repo.outbox_delivered(message.id, NOW + timedelta(minutes=5))
        uow.commit()
    assert told(reference=first) == [(first, "transmise au bureau de secteur")]
    services.change_request_status(uow, second, "refused", actor="bureau.nord", now=NOW)
    assert told()[1] == (second, "refusée")
    for reference in (other, "AMP-2026-999999"):
        with pytest.raises(RequestNotFound):
            told(reference=reference)
    assert services.client_request_statuses(uow, "9999") == []
