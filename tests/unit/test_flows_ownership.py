"""One conversation belongs to one person (issue 19): a request form's state is bound to the
identity that started it (``owner_client``, ``owner_actor``), and whoever else writes with the
same Rasa sender id -- without a token, with another client's token, with a staff token for
the same client -- hears nothing of it, records nothing, and starts afresh.  Plus the
idempotency keys of the confirmations, which two conversations can never share.

Driven like Rasa's form loop (tests/unit/flow_helpers.py) on the in-memory store; the same
through the real actions and SQLite in tests/integration/test_request_actions.py."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.chat import flows
from bot.chat.flows import CANCELLATION, FORM_SLOTS, SCHEDULE_CHANGE
from bot.chat.flows.closing import idempotency_key
from bot.chat.flows.ownership import owned, owner_slots
from bot.chat.identity import Identity
from bot.service_layer import services
from tests.unit.flow_helpers import CLIENT, NOT_AN_ANSWER, NOW, STAFF, Chat, dump, seeded

OTHER = Identity(client_number="2001", role="client", actor="client 2001", channel="web")
OTHER_STAFF = Identity(client_number="1001", role="staff", actor="mleroy", channel="phone")
TAKEN_OVER = "Cette conversation a été reprise : recommençons."
#: What the first client's form holds (Saturday's intervention, its caregiver, the reason,
#: the recap, the decision): none of it may reach anyone else.
SECRETS = ("samedi", "7 mars", "Marie Curie", "maladie", "Récapitulatif", "gratuite", "I-5D",
           "annulation", "Dupont")
INTRUDERS = {"no token": None, "another client": OTHER, "staff for the same client": STAFF}


def at_confirmation(uow, identity=CLIENT, sender="alice") -> Chat:
    """``identity`` asked to cancel Saturday's intervention (illness); the assistant said the
    recap and asks for the confirmation."""
    chat = Chat(uow, identity=identity, sender=sender)
    said = chat.open(CANCELLATION, "je suis malade, annulez samedi")
    assert "Récapitulatif" in said and "Marie Curie" in said
    assert chat.slots["requested_slot"] == "cancellation_confirmed"
    return chat


def recorded(uow):
    return services.list_requests(uow)


def assert_cleared(chat: Chat) -> None:
    assert not chat.active and chat.slots["requested_slot"] is None
    for name in FORM_SLOTS[CANCELLATION] + FORM_SLOTS[SCHEDULE_CHANGE] + (
            "request_summary", "decision_code", "candidate_ids", "intervention_ids",
            "owner_client", "owner_actor"):
        assert chat.slots[name] is None, name


def assert_nothing_of(said: str) -> None:
    for secret in SECRETS:
        assert secret not in said, secret


# --- who owns the form ---------------------------------------------------------------------

@pytest.mark.parametrize("who, actor", [(CLIENT, "client 1001"), (STAFF, "jdupuis")])
def test_the_form_records_whom_it_belongs_to_and_forgets_it_at_the_end(who, actor):
    chat = at_confirmation(seeded(), identity=who)
    assert (chat.slots["owner_client"], chat.slots["owner_actor"]) == ("1001", actor)
    chat.say("oui", intent="affirm")
    assert_cleared(chat)


def test_owner_slots_are_the_identitys_client_number_and_actor():
    # the contract other tools rely on (erasure finds a client's conversations by them)
    assert owner_slots(STAFF) == {"owner_client": "1001", "owner_actor": "jdupuis"}
    assert owner_slots(CLIENT) == {"owner_client": "1001", "owner_actor": "client 1001"}
    assert flows.OWNER_CLIENT == "owner_client" and flows.OWNER_ACTOR == "owner_actor"
    assert {"owner_client", "owner_actor"} <= set(flows.cleared_slots())


def test_the_owner_goes_on_through_a_question_and_records():
    uow = seeded()
    chat = at_confirmation(uow)
    said = chat.digress()  # "je peux payer en CESU ?": answered, then the form asks again
    assert "Récapitulatif" in said and "Confirmez-vous" in said and chat.active
    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.reference in said and request.actor == "client 1001"


# --- someone else on the same sender id ------------------------------------------------------

@pytest.mark.parametrize("intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
def test_a_yes_from_someone_else_records_nothing_and_says_nothing_of_the_form(intruder):
    uow = seeded()
    chat = at_confirmation(uow)
    chat.identity = intruder  # same sender id, another person (or no token)
    said = chat.say("oui", intent="affirm")
    assert_nothing_of(said)
    assert_cleared(chat)
    assert recorded(uow) == [] and dump(uow) == dump(seeded())
    if intruder is None:
        assert "Reconnectez-vous" in said and "rien n'a été enregistré" in said
    else:
        assert said.startswith(TAKEN_OVER) and "Que souhaitez-vous faire ?" in said


@pytest.mark.parametrize("intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
def test_any_answer_from_someone_else_ends_the_form_the_same_way(intruder):
    uow = seeded()
    chat = Chat(uow)
    chat.open(CANCELLATION, "annuler samedi")
    assert chat.slots["requested_slot"] == "cancellation_reason"
    chat.identity = intruder
    said = chat.say("autre raison")
    assert_nothing_of(said)
    assert_cleared(chat)
    assert recorded(uow) == []


@pytest.mark.parametrize("intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
def test_the_confirmation_question_is_not_repeated_to_someone_else_after_a_question(intruder):
    chat = at_confirmation(seeded())
    chat.identity = intruder
    said = chat.digress()  # the form resumes: its question (the recap) checks again
    assert "Confirmez-vous" not in said
    assert_nothing_of(said)
    assert_cleared(chat)


@pytest.mark.parametrize("intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
def test_a_schedule_change_is_just_as_bound_to_its_owner(intruder):
    uow = seeded()
    chat = Chat(uow)
    said = chat.open(SCHEDULE_CHANGE, "je voudrais déplacer l'intervention du 17/03")
    chat.say("jeudi 19 mars de 15h30 à 16h30")
    assert chat.slots["requested_slot"] == "schedule_change_confirmed"
    chat.identity = intruder
    said = chat.say("oui", intent="affirm")
    for secret in ("17 mars", "19 mars", "15 h 30", "Marie Curie", "Récapitulatif", "I-15D"):
        assert secret not in said
    assert_cleared(chat)
    assert recorded(uow) == []


def test_the_client_cannot_take_over_what_staff_started_for_them():
    uow = seeded()
    chat = at_confirmation(uow, identity=STAFF)
    chat.identity = CLIENT
    said = chat.say("oui", intent="affirm")
    assert said.startswith(TAKEN_OVER) and recorded(uow) == []
    assert_nothing_of(said)


def test_another_staff_member_cannot_confirm_for_a_colleague():
    uow = seeded()
    chat = at_confirmation(uow, identity=STAFF)
    chat.identity = OTHER_STAFF
    assert TAKEN_OVER in chat.say("oui", intent="affirm")
    assert recorded(uow) == []


def test_after_a_takeover_the_owners_yes_finds_no_form_and_records_nothing():
    uow = seeded()
    chat = at_confirmation(uow)
    chat.identity = None
    chat.say("oui", intent="affirm")
    chat.identity = CLIENT  # back with a token: the form is gone, nothing pending
    assert not chat.active and chat.slots["cancellation_confirmed"] is None
    assert recorded(uow) == []


def test_another_client_asking_for_a_cancellation_gets_a_fresh_form_of_their_own():
    uow = seeded()
    chat = at_confirmation(uow)
    chat.identity = OTHER
    said = chat.say("annulez mon intervention de demain", intent="request_cancellation")
    assert said.startswith(TAKEN_OVER)
    assert_nothing_of(said)
    assert chat.active and chat.slots["intervention_id"] == "S-24H"  # their own, tomorrow
    assert (chat.slots["owner_client"], chat.slots["owner_actor"]) == ("2001", "client 2001")
    assert chat.slots["cancellation_reason"] is None and chat.slots["request_summary"] is None
    assert chat.slots["requested_slot"] == "cancellation_reason"
    chat.say("raison personnelle")
    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.client_number == "2001" and request.intervention_external_id == "S-24H"
    assert request.reference in said


def test_switching_request_by_someone_else_keeps_nothing_and_names_nothing():
    chat = Chat(seeded())
    chat.open(CANCELLATION, "annuler le 17 mars")
    assert chat.slots["intervention_id"] == "I-15D"
    chat.identity = OTHER_STAFF  # same client's planning, another person
    said = chat.open(SCHEDULE_CHANGE, "finalement je préfère la décaler")
    assert said.startswith(TAKEN_OVER)
    assert "je laisse la demande d'annulation" not in said and "17 mars" not in said
    assert chat.slots["intervention_id"] is None  # not kept: asked afresh
    assert chat.slots["owner_actor"] == "mleroy"


def test_switching_request_without_a_token_asks_to_log_in():
    chat = Chat(seeded())
    chat.open(CANCELLATION, "annuler le 17 mars")
    chat.identity = None
    said = chat.open(SCHEDULE_CHANGE, "finalement je préfère la décaler")
    assert "connectez-vous" in said and "annulation" not in said and "17 mars" not in said
    assert_cleared(chat)


def test_the_owner_switching_request_keeps_the_intervention_as_before():
    chat = Chat(seeded())
    chat.open(CANCELLATION, "annuler le 17 mars")
    said = chat.open(SCHEDULE_CHANGE, "finalement je préfère la décaler")
    assert "je laisse la demande d'annulation" in said and TAKEN_OVER not in said
    assert chat.slots["intervention_id"] == "I-15D"


# --- every entry point checks, even when called directly --------------------------------------

def _turn_at_yes(identity, owner=CLIENT) -> flows.Turn:
    slots = {"intervention_id": "I-5D", "cancellation_reason": "maladie",
             "cancellation_confirmed": "yes", "decision_code": "cancellation_free",
             "request_summary": "Récapitulatif : samedi 7 mars (Marie Curie), motif : maladie",
             "requested_slot": "cancellation_confirmed",
             **(owner_slots(owner) if owner else {})}
    return flows.Turn(text="oui", intent="affirm", entities={}, slots=slots,
                      identity=identity, now=NOW, extracted={"cancellation_confirmed": "oui"},
                      sender="alice", message_id="m-yes")


@pytest.mark.parametrize("identity, owner", [
    (None, CLIENT), (OTHER, CLIENT), (STAFF, CLIENT), (CLIENT, None),  # no owner: nobody's
], ids=["no token", "another client", "staff", "no owner recorded"])
def test_step_ask_and_finish_refuse_a_form_that_is_not_the_senders(identity, owner):
    uow = seeded()
    planning = Chat(uow).planning
    turn = _turn_at_yes(identity, owner)
    assert not owned(turn)
    for res in (flows.step(CANCELLATION, turn, planning),
                flows.ask(CANCELLATION, "cancellation_confirmed", turn, planning),
                flows.ask(CANCELLATION, "intervention_id", turn, planning)):
        said = "\n".join(r.text for r in res.replies)
        assert_nothing_of(said)
        assert res.slots["requested_slot"] is None and res.slots["owner_client"] is None
        assert res.slots["request_summary"] is None and res.slots["intervention_id"] is None
    assert recorded(uow) == []
    owners = _turn_at_yes(CLIENT)
    assert owned(owners)
    flows.step(CANCELLATION, owners, planning)
    assert len(recorded(uow)) == 1  # the same turn from the owner records


# --- idempotency keys ----------------------------------------------------------------------

def test_long_sender_ids_that_differ_only_at_the_end_give_different_keys():
    base = flows.Turn(text="oui", intent="affirm", entities={}, slots={}, identity=CLIENT,
                      now=NOW, sender="x" * 299 + "a", message_id="m-yes")
    other = replace(base, sender="x" * 299 + "b")
    assert idempotency_key(base) != idempotency_key(other)
    assert idempotency_key(base) == idempotency_key(replace(base))  # a replay: the same key
    assert idempotency_key(base) != idempotency_key(replace(base, message_id="m-yes-2"))
    # a sender id holding the separator cannot pass for another sender and message
    assert idempotency_key(replace(base, sender="a:b", message_id="c")) != \
        idempotency_key(replace(base, sender="a", message_id="b:c"))
    key = idempotency_key(base)
    assert key.startswith("chat:") and len(key) <= 135  # a group adds ":<id>" (200 at most)


def test_two_long_conversations_with_the_same_message_id_record_two_requests():
    uow = seeded()
    first = Chat(uow, sender="web-" + "x" * 295 + "1")
    second = Chat(uow, sender="web-" + "x" * 295 + "2")
    first.open(CANCELLATION, "annuler jeudi, raison personnelle")
    second.open(CANCELLATION, "annuler samedi, raison personnelle")
    said_first = first.say("oui", intent="affirm", message_id="same-id")
    said_second = second.say("oui", intent="affirm", message_id="same-id")
    one, two = recorded(uow)
    assert {one.intervention_external_id, two.intervention_external_id} == {"I-72H", "I-5D"}
    assert one.reference in said_first and two.reference in said_second
    assert "déjà enregistrée" not in said_second
    keys = [r["idempotency_key"] for r in uow.store.requests.values()]
    assert len(set(keys)) == 2 and all(len(k) <= 200 for k in keys)


def test_a_replayed_yes_in_a_long_conversation_is_still_recorded_once():
    uow = seeded()
    chat = Chat(uow, sender="y" * 300)
    chat.open(CANCELLATION, "annuler jeudi, raison personnelle")
    chat.say("oui", intent="affirm", message_id="m-yes")
    assert "déjà enregistrée" in chat.replay()
    assert len(recorded(uow)) == 1


# --- the test driver itself ----------------------------------------------------------------

def test_the_driver_reads_answers_as_domain_yml_does():
    domain = yaml.safe_load(Path(__file__).resolve().parents[2].joinpath(
        "domain.yml").read_text(encoding="utf-8"))
    for kind, form in flows.FORMS.items():
        mappings = domain["slots"]["intervention_id"]["mappings"]
        [not_intent] = [m["not_intent"] for m in mappings
                        if m.get("conditions", [{}])[0].get("active_loop") == form
                        and m["type"] == "from_text"]
        assert set(not_intent) == NOT_AN_ANSWER[kind]
    for name in ("owner_client", "owner_actor"):
        slot = domain["slots"][name]
        assert slot["type"] == "text" and slot["influence_conversation"] is False
        assert slot["mappings"] == [{"type": "custom"}]
