"""The sector office's services on the in-memory store (issue 22): the inbox with its
filters and order, each decision and what it changes, one decision when two race (the
optimistic lock), the client told once (chat) and e-mailed (outbox), the live changes and
the month's summary.  The store side on SQLite and PostgreSQL, with real concurrency:
tests/integration/test_office_store.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.errors import DecisionConflict, InvalidInput, InvalidTransition, RequestNotFound
from bot.domain.model import InterventionStatus, OutboxChannel, RequestStatus
from bot.service_layer import services
from bot.service_layer.services import office, office_views
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, cancel, change, row, seed

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def uow():
    uow = seed(FakeUnitOfWork())
    services.import_rows(uow, [row("I-9D", NOW + timedelta(days=9), name="Mme Hélène Dupont"),
                               row("I-30H", NOW + timedelta(hours=30))])
    with uow:
        uow.staff.set_client_contact("1001", None, "helene@example.org")
        uow.commit()
    return uow


def decide(uow, reference, decision, actor="bureau.nord", **kw):
    kw.setdefault("sectors", ["Nord"])
    kw.setdefault("now", LATER)
    return office.decide(uow, reference, decision, actor=actor, **kw)


def client_mails(uow):
    return [m for m in uow.store.outbox.values()
            if m["channel"] == OutboxChannel.CLIENT_EMAIL.value]


# --- the inbox ------------------------------------------------------------------------------

def test_the_inbox_lists_open_requests_soonest_intervention_first_in_its_sectors(uow):
    late = cancel(uow, "I-30H").request.reference
    soon = cancel(uow, "I-24H", reason="hospitalisation").request.reference
    far = change(uow).request.reference
    cancel(uow, "S-24H", client="2001")
    found = office.office_inbox(uow, ["Nord"])
    assert [r.reference for r in found] == [soon, late, far]
    decide(uow, soon, "accept")
    assert [r.reference for r in office.office_inbox(uow, ["Nord"])] == [late, far]
    assert [r.reference for r in office.office_inbox(uow, ["Nord"], status="closed")] == [soon]
    assert len(office.office_inbox(uow, ["Nord"], status="all")) == 3
    assert len(office.office_inbox(uow, ["Nord", "Sud"])) == 3
    assert office.office_open_count(uow, ["Nord"]) == 2


def test_the_inbox_filters_by_kind_dates_and_client_without_accents(uow):
    cancel(uow, "I-24H")
    moved = change(uow).request.reference
    assert [r.reference for r in office.office_inbox(uow, ["Nord"], kind="schedule_change")] \
        == [moved]
    day = (NOW + timedelta(days=15)).date()
    assert [r.reference for r in office.office_inbox(uow, ["Nord"], date_from=day,
                                                      date_to=day.isoformat())] == [moved]
    assert len(office.office_inbox(uow, ["Nord"], client="dupont")) == 2
    assert len(office.office_inbox(uow, ["Nord"], client="DUPÖNT")) == 2
    assert len(office.office_inbox(uow, ["Nord"], client="100")) == 2
    assert office.office_inbox(uow, ["Nord"], client="martin") == []


@pytest.mark.parametrize("filters", [dict(status="maybe"), dict(kind="visit"),
                                     dict(date_from="07/12/2026"),
                                     dict(date_from="2026-12-08", date_to="2026-12-07"),
                                     dict(client="x" * 101)])
def test_a_bad_filter_is_said_in_french(uow, filters):
    with pytest.raises(InvalidInput) as refused:
        office.office_inbox(uow, ["Nord"], **filters)
    assert refused.value.message.endswith(".")


# --- decisions -----------------------------------------------------------------------------

def test_accepting_a_cancellation_cancels_the_intervention_and_tells_the_client(uow):
    ref = cancel(uow, "I-72H").request.reference
    result = decide(uow, ref, "accept")
    assert result.applied and result.request.status == RequestStatus.DONE
    assert result.request.outcome == "accepted" and result.request.version == 1
    assert result.request.decided_by == "bureau.nord"
    assert services.get_intervention(uow, "1001", "I-72H").status == InterventionStatus.CANCELLED
    last = result.request.history[-1]
    assert (last.actor, last.decision, last.to_status) == ("bureau.nord", "accept",
                                                           RequestStatus.DONE)
    [mail] = client_mails(uow)
    assert mail["idempotency_key"] == f"{ref}:decision:1"
    assert "a été acceptée par le bureau de secteur" in mail["payload"]["sentence"]


def test_accepting_a_change_moves_the_intervention_to_the_new_slot(uow):
    request = change(uow).request
    decide(uow, request.reference, "accept")
    moved = services.get_intervention(uow, "1001", "I-15D")
    assert (moved.start, moved.end) == (request.new_start, request.new_end)
    [sentence] = office.client_notices(uow, "1001", now=LATER)
    assert "Nouvel horaire" in sentence


def test_a_refusal_needs_a_reason_and_keeps_the_note_without_health_words(uow):
    ref = change(uow).request.reference
    with pytest.raises(InvalidInput, match="motif"):
        decide(uow, ref, "refuse")
    with pytest.raises(InvalidInput, match="inconnu"):
        decide(uow, ref, "refuse", reason="lazy")
    with pytest.raises(InvalidInput, match="médicale"):
        decide(uow, ref, "refuse", reason="other", note="Elle est à l'hôpital")
    with pytest.raises(InvalidInput, match="200"):
        decide(uow, ref, "refuse", reason="other", note="x" * 201)
    result = decide(uow, ref, "refuse", reason="slot_unavailable", note="Rappelez-nous")
    assert result.request.status == RequestStatus.REFUSED
    assert result.request.history[-1].note == ("motif : aucun intervenant disponible sur ce "
                                               "créneau ; précision : Rappelez-nous")
    [sentence] = office.client_notices(uow, "1001", now=LATER)
    assert "refusée par le bureau de secteur (motif : aucun intervenant disponible" in sentence
    assert sentence.endswith("Précision du bureau : Rappelez-nous.")
    assert services.get_intervention(uow, "1001", "I-15D").start == NOW + timedelta(days=15)


def test_the_exemption_is_granted_by_the_office_only_on_a_pending_certificate(uow):
    pending = cancel(uow, "I-24H", reason="maladie").request
    assert pending.exemption_pending and "grant_exemption" in office_views.office_item(
        pending)["decisions"]
    accepted = decide(uow, pending.reference, "accept").request
    assert accepted.billable is None and accepted.exemption_pending  # billed unless granted
    granted = decide(uow, pending.reference, "grant_exemption", version=1).request
    assert (granted.billable, granted.exemption_pending, granted.outcome) == (
        False, False, "exemption_granted")
    assert office_views.office_item(granted)["billing"] == \
        "non facturée (justificatif médical reçu)"
    assert len(client_mails(uow)) == 2  # one e-mail per outcome
    free = cancel(uow, "I-72H").request
    with pytest.raises(InvalidTransition, match="justificatif"):
        decide(uow, free.reference, "grant_exemption")


def test_a_closed_request_takes_no_other_decision(uow):
    ref = cancel(uow, "I-72H").request.reference
    decide(uow, ref, "refuse", reason="duplicate")
    for decision in ("accept", "acknowledge", "refuse"):
        with pytest.raises((InvalidTransition, InvalidInput)):
            decide(uow, ref, decision, actor="bureau.autre", reason=None)


def test_a_decision_on_a_changed_request_is_not_applied_and_says_who(uow):
    ref = cancel(uow, "I-72H").request.reference
    decide(uow, ref, "accept", actor="bureau.sud", version=0, sectors=None)
    history = len(uow.store.request_history)
    with pytest.raises(DecisionConflict) as conflict:
        decide(uow, ref, "refuse", reason="other", version=0)
    assert conflict.value.message.startswith("Cette demande a déjà été acceptée par bureau.sud (")
    assert conflict.value.item.outcome == "accepted"
    assert len(uow.store.request_history) == history


def test_a_double_click_records_one_decision(uow):
    ref = cancel(uow, "I-72H").request.reference
    first = decide(uow, ref, "acknowledge", version=0)
    again = decide(uow, ref, "acknowledge", version=0)
    assert first.applied and not again.applied and again.request.version == 1
    assert [h.decision for h in again.request.history] == [None, "acknowledge"]


def test_another_sectors_request_is_as_unknown_as_a_missing_one(uow):
    ref = cancel(uow, "S-24H", client="2001").request.reference
    for reference in (ref, "AMP-2026-999999"):
        with pytest.raises(RequestNotFound):
            office.office_request(uow, reference, ["Nord"])
        with pytest.raises(RequestNotFound):
            decide(uow, reference, "accept")
    assert office.webhook_secret(uow, ref) == ("Sud", "s3cret")
    assert office.webhook_secret(uow, "AMP-2026-999999") is None


@pytest.mark.parametrize("decision, version", [("approve", 0), ("accept", "0"),
                                               ("accept", True)])
def test_a_bad_decision_or_version_is_refused(uow, decision, version):
    ref = cancel(uow, "I-72H").request.reference
    with pytest.raises(InvalidInput):
        decide(uow, ref, decision, version=version)


def test_no_client_email_without_an_address(uow):
    ref = cancel(uow, "S-24H", client="2001").request.reference
    decide(uow, ref, "accept", sectors=["Sud"])
    assert client_mails(uow) == []


# --- the client told ------------------------------------------------------------------------

def test_each_outcome_is_told_once_and_an_acknowledgement_not_at_all(uow):
    ref = cancel(uow, "I-24H", reason="maladie").request.reference
    decide(uow, ref, "acknowledge")
    assert office.client_notices(uow, "1001", now=LATER) == []
    decide(uow, ref, "accept", now=LATER + timedelta(minutes=1))
    [told] = office.client_notices(uow, "1001", now=LATER + timedelta(minutes=2))
    assert told.startswith(f"Votre demande {ref} du lundi 2 mars (annulation de "
                           "l'intervention du mardi 3 mars")
    assert office.client_notices(uow, "1001", now=LATER + timedelta(minutes=3)) == []
    assert office.client_notices(uow, "2001") == []
    decide(uow, ref, "grant_exemption", now=LATER + timedelta(minutes=4))
    [again] = office.client_notices(uow, "1001", now=LATER + timedelta(minutes=5))
    assert "sans facturation (justificatif médical reçu)" in again
    label = services.client_request_statuses(uow, "1001", reference=ref)[0].label
    assert label == ("acceptée par le bureau de secteur, sans facturation "
                     "(justificatif médical reçu)")


# --- the live inbox and the month ----------------------------------------------------------

def test_changes_are_seen_once_by_sector(uow):
    cursor, changed = office.office_changes(uow, None, now=NOW)
    assert changed == {}
    ref = cancel(uow, "I-72H").request.reference
    south = cancel(uow, "S-24H", client="2001").request.reference
    cursor, changed = office.office_changes(uow, cursor, now=NOW + timedelta(seconds=2))
    assert changed == {"Nord": [ref], "Sud": [south]}
    cursor, changed = office.office_changes(uow, cursor, now=NOW + timedelta(seconds=4))
    assert changed == {}
    decide(uow, ref, "accept", now=NOW + timedelta(seconds=5))
    cursor, changed = office.office_changes(uow, cursor, now=NOW + timedelta(seconds=6))
    assert changed == {"Nord": [ref]}


def test_the_month_summary_counts_kinds_and_outcomes_and_lists_billed_cancellations(uow):
    billed = cancel(uow, "I-24H").request.reference        # 24 h before: billed
    free = cancel(uow, "I-72H").request.reference
    pending = cancel(uow, "I-30H", reason="hospitalisation").request.reference  # open
    change(uow)
    decide(uow, billed, "accept")
    decide(uow, free, "refuse", reason="duplicate")
    summary = office.month_summary(uow, ["Nord"], 2026, 3)
    assert summary["label"] == "mars 2026" and summary["total"] == 4
    assert {(r["kind_label"], r["outcome_label"]): r["count"] for r in summary["rows"]} == {
        ("Annulation", "acceptée"): 1, ("Annulation", "refusée"): 1,
        ("Annulation", "en cours"): 1, ("Changement d'horaire", "en cours"): 1}
    assert [(b["reference"], b["decided"]) for b in summary["billed_late_cancellations"]] == [
        (billed, "acceptée"), (pending, "en cours — justificatif médical attendu")]
    assert office.month_summary(uow, ["Sud"], 2026, 3)["total"] == 0
    with pytest.raises(InvalidInput):
        office.month_summary(uow, ["Nord"], 2026, 13)


def test_a_change_is_seen_even_with_the_longest_poll_interval(uow):
    cursor, _ = office.office_changes(uow, None, now=NOW)
    ref = cancel(uow, "I-72H").request.reference
    _, changed = office.office_changes(uow, cursor, now=NOW + timedelta(seconds=300))
    assert changed == {"Nord": [ref]}
