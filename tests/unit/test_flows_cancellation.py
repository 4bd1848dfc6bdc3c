"""The cancellation conversation end to end (bot/chat/flows), driven like Rasa's form loop
(tests/unit/flow_helpers.py) on the in-memory store: what is said, and what is recorded.

The same conversations run through the Rasa actions on SQLite in
tests/integration/test_request_actions.py; here they are fast enough to go to the end of
each path.  Planning (flow_helpers.seeded), at NOW = Monday 2 March 2026, 9 h:
I-24H Tuesday 3 March 9 h, I-72H Thursday 5 March 9 h, I-5D Saturday 7 March 9 h,
I-15D Tuesday 17 March 9 h (client 1001, sector Nord: e-mail and webhook);
S-24H belongs to client 2001."""
from datetime import timedelta

import pytest

from bot.chat.flows import CANCELLATION, FORM_SLOTS
from bot.service_layer import services
from tests.unit.flow_helpers import (
    NOW, STAFF, Chat, dump, outbox, row, seeded,
)


def recorded(uow):
    """The requests of the committed store (domain objects), oldest first."""
    return services.list_requests(uow)


def cancel(chat, first, *answers):
    """Open the form with ``first``, then answer each question; the last reply."""
    said = chat.open(CANCELLATION, first)
    for answer in answers:
        said = chat.say(answer, intent="affirm" if answer == "oui" else "inform")
    return said


# --- the 48-hour rule, to the recorded request -----------------------------------------------

def test_48_hours_ahead_is_free_and_recorded_with_its_forwarding_messages():
    uow = seeded()
    chat = Chat(uow)
    said = cancel(chat, "je voudrais annuler l'intervention de jeudi", "raison personnelle")
    assert chat.slots["intervention_id"] == "I-72H"
    assert "l'annulation est gratuite" in said and "Confirmez-vous" in said
    assert recorded(uow) == []  # nothing before the yes

    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.reference == "AMP-2026-000001" and request.reference in said
    assert "sera transmise à votre bureau de secteur" in said
    assert (request.intervention_external_id, request.decision_code, request.billable) == (
        "I-72H", "cancellation_free", False)
    assert not request.out_of_notice and request.reason.value == "personnel"
    assert (request.channel.value, request.actor, request.status.value) == (
        "web", "client 1001", "received")
    # the office is told by e-mail and by its webhook, in the same transaction
    assert [(m["channel"], m["payload"]["reference"]) for m in outbox(uow)] == [
        ("email", request.reference), ("webhook", request.reference)]
    assert not chat.active and all(chat.slots[s] is None for s in FORM_SLOTS[CANCELLATION])


@pytest.mark.parametrize("later, code", [
    (timedelta(hours=24), "cancellation_free"),  # exactly 48 h before: still free
    (timedelta(hours=24, minutes=1), "cancellation_billable"),
])
def test_the_48_hour_boundary(later, code):
    uow = seeded()
    chat = Chat(uow, now=NOW + later)
    cancel(chat, "annuler jeudi", "personnel", "oui")
    [request] = recorded(uow)
    assert request.intervention_external_id == "I-72H" and request.decision_code == code


def test_under_48_hours_for_a_personal_reason_is_billed_and_said_before_the_question():
    uow = seeded()
    chat = Chat(uow)
    said = cancel(chat, "je ne serai pas là demain", "personnel")
    assert chat.slots["decision_code"] == "cancellation_billable"
    assert "moins de 48 heures" in said and "l'annulation sera facturée" in said
    assert said.index("facturée") < said.index("Confirmez-vous cette demande ?")
    assert [b["payload"] for b in chat.buttons] == ["/affirm", "/deny"]
    assert recorded(uow) == []

    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.reference in said
    assert request.intervention_external_id == "I-24H"
    assert request.billable is True and request.out_of_notice and not request.exemption_pending


@pytest.mark.parametrize("words, category, private", [
    ("j'ai été hospitalisée en urgence pour une crise cardiaque", "hospitalisation", "cardiaque"),
    ("j'ai une grosse grippe avec de la fièvre", "maladie", "grippe"),
])
def test_under_48_hours_for_health_awaits_a_certificate_and_keeps_only_the_category(
        words, category, private):
    uow = seeded()
    chat = Chat(uow)
    said = cancel(chat, "annuler demain", words)
    assert chat.slots["cancellation_reason"] == category
    assert "justificatif médical" in said and "jamais dans cette conversation" in said
    assert said.index("justificatif") < said.index("Confirmez-vous")
    assert private not in said  # not even repeated back

    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.reference in said and "justificatif médical" in said
    assert request.decision_code == "cancellation_exemption_pending"
    assert request.exemption_pending and request.billable is None
    assert request.reason.value == category
    stored = dump(uow)  # request rows, outbox payloads, history notes
    assert category in stored and private not in stored and words not in stored


def test_no_at_the_confirmation_records_nothing():
    uow = seeded()
    chat = Chat(uow)
    cancel(chat, "annuler jeudi", "personnel")
    said = chat.say("non", intent="deny")
    assert "je n'enregistre rien" in said
    assert recorded(uow) == [] and outbox(uow) == []
    assert not chat.active
    assert chat.slots["intervention_id"] is None and chat.slots["decision_code"] is None


# --- which intervention --------------------------------------------------------------------

def test_a_day_said_picks_the_intervention_among_several():
    uow = seeded()
    chat = Chat(uow)
    said = chat.open(CANCELLATION, "je veux annuler une intervention")
    assert chat.slots["requested_slot"] == "intervention_id"
    assert "Quelle intervention voulez-vous annuler" in said
    assert len(chat.buttons) == 4  # the client's, not client 2001's
    said = chat.say("celle de jeudi")
    assert chat.slots["intervention_id"] == "I-72H"
    assert chat.slots["requested_slot"] == "cancellation_reason" and "raison" in said
    cancel_said = chat.say("autre")
    assert "jeudi 5 mars" in cancel_said
    chat.say("oui", intent="affirm")
    assert [r.intervention_external_id for r in recorded(uow)] == ["I-72H"]


def test_all_of_them_at_once_records_one_request_each():
    uow = seeded(row("I-72H-PM", NOW + timedelta(hours=78)))  # Thursday 15 h too
    chat = Chat(uow)
    chat.open(CANCELLATION, "je veux annuler une intervention")
    said = chat.say("celle de jeudi")
    assert "Plusieurs interventions correspondent (2)" in said
    assert [b["title"] for b in chat.buttons][-1] == "Les deux"
    chat.say("toutes")
    assert chat.slots["intervention_ids"] == ["I-72H", "I-72H-PM"]
    said = chat.say("personnel")
    assert "annulation de 2 interventions" in said and said.count("annulation gratuite") == 2
    said = chat.say("oui", intent="affirm")
    requests_ = recorded(uow)
    assert [r.intervention_external_id for r in requests_] == ["I-72H", "I-72H-PM"]
    assert all(r.reference in said for r in requests_)
    # the office learns they were asked together
    groups = {tuple(m["payload"].get("group_references") or ()) for m in outbox(uow)}
    assert groups == {tuple(r.reference for r in requests_)}


def test_all_of_them_is_all_or_nothing():
    uow = seeded(row("I-72H-PM", NOW + timedelta(hours=78)))
    chat = Chat(uow)
    chat.open(CANCELLATION, "annulez toutes mes interventions de jeudi")
    assert chat.slots["intervention_ids"] == ["I-72H", "I-72H-PM"]
    chat.say("autre")
    # meanwhile the office cancels Thursday 15 h by phone
    services.create_cancellation_request(
        uow, client_number="1001", intervention_id="I-72H-PM", reason="personnel",
        channel="phone", actor="bureau.nord", now=NOW)
    said = chat.say("oui", intent="affirm")
    assert "déjà en cours" in said and "AMP-2026-000001" in said
    # Thursday 9 h is not cancelled alone: only the office's request exists
    assert [(r.intervention_external_id, r.actor) for r in recorded(uow)] == [
        ("I-72H-PM", "bureau.nord")]
    assert len(outbox(uow)) == 2 and not chat.active


def test_all_of_them_refused_at_the_yes_says_nothing_was_recorded():
    uow = seeded(row("I-72H-PM", NOW + timedelta(hours=78)))
    chat = Chat(uow)
    cancel(chat, "annulez toutes mes interventions de jeudi", "autre")
    services.create_cancellation_request(
        uow, client_number="1001", intervention_id="I-72H-PM", reason="personnel",
        channel="phone", actor="bureau.nord", now=NOW)
    said = chat.say("oui", intent="affirm")
    assert "rien" in said or "9 h" in said


# --- replays, identity, staff ---------------------------------------------------------------

def test_a_replayed_confirmation_records_once():
    uow = seeded()
    chat = Chat(uow)
    cancel(chat, "annuler samedi", "personnel")
    first = chat.say("oui", intent="affirm", message_id="msg-42")
    again = chat.replay()  # the same message, same id, the same slots before it
    [request] = recorded(uow)
    assert request.reference in first and request.reference in again
    assert "déjà enregistrée" in again and "deuxième fois" in again
    assert len(outbox(uow)) == 2


def test_a_replayed_group_confirmation_records_once():
    uow = seeded(row("I-72H-PM", NOW + timedelta(hours=78)))
    chat = Chat(uow)
    cancel(chat, "annulez toutes mes interventions de jeudi", "autre", "oui")
    again = chat.replay()
    assert "déjà enregistrées" in again
    assert len(recorded(uow)) == 2 and len(outbox(uow)) == 4


def test_without_identity_the_client_is_asked_to_log_in_and_nothing_is_recorded():
    uow = seeded()
    chat = Chat(uow, identity=None)
    said = chat.open(CANCELLATION, "je suis malade, annulez demain")
    assert "connectez-vous à votre espace client" in said
    assert chat.slots["can_request"] is False and not chat.active
    assert chat.slots["intervention_id"] is None  # nothing of the planning is read or said
    assert "mardi" not in said
    assert recorded(uow) == []


def test_identity_lost_before_the_yes_records_nothing():
    uow = seeded()
    chat = Chat(uow)
    cancel(chat, "annuler samedi", "personnel")
    chat.identity = None  # the token expired
    said = chat.say("oui", intent="affirm")
    assert "rien n'a été enregistré" in said and not chat.active
    assert recorded(uow) == []


def test_staff_acting_for_a_client_record_the_phone_and_themselves():
    uow = seeded()
    chat = Chat(uow, identity=STAFF)
    said = cancel(chat, "la cliente veut annuler samedi, raison personnelle")
    assert "Vous agissez pour le client n° 1001" in said
    assert chat.slots["requested_slot"] == "cancellation_confirmed"
    chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert (request.client_number, request.channel.value, request.actor) == (
        "1001", "phone", "jdupuis")
    assert outbox(uow)[0]["payload"]["channel"] == "phone"
