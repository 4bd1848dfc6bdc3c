"""Cancelling several interventions at once ("annulez toute la semaine"), through the real
request actions on a real store (see test_request_actions.py for the harness).

The client's planning (Monday 2 March 2026, 9 h): Tuesday 3 (I-24H, under 48 h), Thursday 5
(I-72H), Saturday 7 (I-5D), Tuesday 17 March (I-15D).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.notifications import render_email, webhook_document
from bot.chat import wording
from bot.domain.errors import AlreadyRequested, InvalidInput
from tests.integration.test_request_actions import (  # noqa: F401  (store: a fixture)
    NOW, _row, _validate_cancel, actions, confirm, open_form, rows, run, services, store,
    texts, token, tracker,
)

THIS_WEEK = ["I-24H", "I-72H", "I-5D"]


def _ask(slot_index, slots, text="x"):
    """The form's question (ASK_ACTIONS: intervention, reason, confirmation)."""
    return run(actions.ASK_ACTIONS[slot_index](),
               tracker(text, auth=token(), slots=slots, active_loop="cancellation_form"))


def _group_until_recap(store, first_message="annulez toutes mes interventions de cette semaine",
                       reason="maladie"):
    slots, msgs = open_form(first_message, auth=token())
    assert slots["intervention_ids"] == THIS_WEEK, texts(msgs)
    assert slots["intervention_id"] == "I-24H"  # the form's required slot: the first one
    state = {k: v for k, v in slots.items() if v is not None}
    more, msgs = _validate_cancel(reason, {"cancellation_reason": reason}, slots=state,
                                  requested="cancellation_reason")
    state.update({k: v for k, v in more.items() if v is not None})
    return state


def test_all_of_a_week_is_one_recap_with_each_consequence_then_one_request_each(store):
    state = _group_until_recap(store, reason="maladie")
    _, asked = _ask(2, state)
    recap = texts(asked)
    assert "annulation de 3 interventions, motif : maladie" in recap
    # each intervention with its own consequence, said before the yes
    lines = recap.split("\n")
    assert any("mardi 3 mars" in line and "justificatif médical" in line for line in lines)
    assert any("jeudi 5 mars" in line and "gratuite" in line for line in lines)
    assert any("samedi 7 mars" in line and "gratuite" in line for line in lines)
    assert "jamais dans cette conversation" in recap
    assert state["decision_code"] == ("cancellation_exemption_pending,cancellation_free,"
                                      "cancellation_free")
    assert rows(store) == []  # nothing before the yes

    slots, msgs = confirm("oui", state, auth=token(), message_id="m-yes")
    said = texts(msgs)
    recorded = {r.intervention_external_id: r for r in rows(store)}
    assert sorted(recorded) == sorted(THIS_WEEK)
    assert len({r.reference for r in recorded.values()}) == 3
    for r in recorded.values():
        assert r.reference in said
    assert recorded["I-24H"].exemption_pending and not recorded["I-72H"].billable
    assert all(r.reason.value == "maladie" for r in recorded.values())
    assert "justificatif" in said
    assert slots["intervention_ids"] is None and slots["requested_slot"] is None
    # each request is forwarded to the sector office like a single one
    with store:
        outbox = store.repo.list_outbox(references=[r.reference for r in recorded.values()])
    references = sorted(r.reference for r in recorded.values())
    assert sorted(row.reference for row in outbox) == references
    # ... and the office sees they were asked together
    for row in outbox:
        assert sorted(row.payload["group_references"]) == references
        _subject, body = render_email(row.payload)
        assert "DEMANDE GROUPÉE" in body and all(ref in body for ref in references)
        document = webhook_document(row.payload, "k", NOW)
        assert sorted(document["request"]["group_references"]) == references

    # the same confirmation replayed (a retry): the same requests, none more
    _, again = confirm("oui", state, auth=token(), message_id="m-yes")
    assert len(rows(store)) == 3
    assert "déjà enregistrées" in texts(again)


def test_billed_ones_are_counted_in_the_recap(store):
    state = _group_until_recap(store, reason="personnel")
    recap = state["request_summary"]
    assert "1 sur 3 sera facturée" in recap
    assert "justificatif" not in recap


def test_no_at_the_confirmation_records_nothing(store):
    state = _group_until_recap(store)
    _, msgs = confirm("non", state, intent="deny", auth=token())
    assert rows(store) == []
    assert "je n'enregistre rien" in texts(msgs)


def test_a_period_without_all_lists_them_with_a_button_for_all(store):
    slots, msgs = open_form("je dois annuler cette semaine", auth=token())
    assert slots["intervention_id"] is None and slots["intervention_ids"] is None
    assert slots["candidate_ids"] == THIS_WEEK and slots["all_offered"] is True
    assert "Plusieurs interventions correspondent (3)" in texts(msgs)
    _, asked = _ask(0, {k: v for k, v in slots.items() if v is not None})
    buttons = asked[0]["buttons"]
    assert [b["title"] for b in buttons][-1] == "Toutes les 3"
    assert "toutes les annuler" in asked[0]["text"]

    state = {k: v for k, v in slots.items() if v is not None}
    # the button for all of them
    chosen, _ = _validate_cancel(buttons[-1]["payload"], {"intervention_id": wording.ALL_LISTED},
                                 slots=state, requested="intervention_id",
                                 entities={"intervention_id": wording.ALL_LISTED})
    assert chosen["intervention_ids"] == THIS_WEEK
    # or typed
    typed, _ = _validate_cancel("toutes", {"intervention_id": "toutes"}, slots=state,
                                requested="intervention_id")
    assert typed["intervention_ids"] == THIS_WEEK
    # or one of them: no group
    one, _ = _validate_cancel("celle de jeudi", {"intervention_id": "celle de jeudi"},
                              slots=state, requested="intervention_id")
    assert one["intervention_id"] == "I-72H" and one["intervention_ids"] is None


def test_all_but_one_is_not_taken_for_all(store):
    slots, _ = open_form("je dois annuler cette semaine", auth=token())
    state = {k: v for k, v in slots.items() if v is not None}
    answer, _ = _validate_cancel("toutes sauf jeudi", {"intervention_id": "toutes sauf jeudi"},
                                 slots=state, requested="intervention_id")
    assert not answer.get("intervention_ids")
    assert rows(store) == []


def test_an_all_button_never_offered_selects_nothing(store):
    # a replayed or forged payload: no list was offered in this conversation
    slots, _ = _validate_cancel('/inform{"intervention_id":"toutes"}',
                                {"intervention_id": wording.ALL_LISTED},
                                requested="intervention_id",
                                entities={"intervention_id": wording.ALL_LISTED})
    assert slots["intervention_id"] is None and not slots.get("intervention_ids")


def test_one_already_requested_is_left_out_and_said(store):
    services.create_cancellation_request(store, client_number="1001", intervention_id="I-72H",
                                         reason="personnel", channel="web", actor="client",
                                         now=NOW, idempotency_key="earlier")
    slots, msgs = open_form("annulez toutes mes interventions de cette semaine", auth=token())
    assert slots["intervention_ids"] == ["I-24H", "I-5D"]
    assert ("Une annulation est déjà demandée pour : jeudi 5 mars, 9 h–10 h (Marie Curie). "
            "Je la laisse de côté.") in texts(msgs)


def test_a_group_narrowed_to_one_becomes_a_single_cancellation(store):
    for iid in ("I-72H", "I-5D"):
        services.create_cancellation_request(store, client_number="1001", intervention_id=iid,
                                             reason="personnel", channel="web", actor="client",
                                             now=NOW, idempotency_key=f"earlier-{iid}")
    slots, _ = open_form("annulez toutes mes interventions de cette semaine", auth=token())
    assert slots["intervention_id"] == "I-24H" and not slots.get("intervention_ids")


def test_naming_one_day_at_the_confirmation_keeps_only_that_one(store):
    state = _group_until_recap(store, reason="personnel")
    slots, _ = confirm("seulement celle de jeudi", state, intent="inform", auth=token())
    assert slots["intervention_id"] == "I-72H" and slots["intervention_ids"] is None
    assert slots["cancellation_confirmed"] is None
    assert rows(store) == []


def test_when_a_consequence_changed_before_the_yes_nothing_is_recorded(store, monkeypatch):
    services.import_rows(store, [_row("I-49H", NOW + timedelta(hours=49))])  # Wed 4, 10 h
    slots, _ = open_form("annulez toutes mes interventions de cette semaine", auth=token())
    assert slots["intervention_ids"] == ["I-24H", "I-49H", "I-72H", "I-5D"]
    state = {k: v for k, v in slots.items() if v is not None}
    more, _ = _validate_cancel("personnel", {"cancellation_reason": "personnel"}, slots=state,
                               requested="cancellation_reason")
    state.update({k: v for k, v in more.items() if v is not None})
    assert "1 sur 4 sera facturée" in state["request_summary"]
    # the recap said Wednesday was free; two hours later it is under 48 h
    later = NOW + timedelta(hours=2)
    monkeypatch.setattr(actions.clock, "now", lambda: later)
    _, msgs = confirm("oui", state, auth=token())
    assert rows(store) == []
    assert "la situation a changé" in texts(msgs) and "Je n'ai rien enregistré" in texts(msgs)


def test_when_one_has_started_before_the_yes_nothing_is_recorded(store, monkeypatch):
    state = _group_until_recap(store, reason="personnel")
    later = NOW + timedelta(hours=25)  # Tuesday's has started
    monkeypatch.setattr(actions.clock, "now", lambda: later)
    _, msgs = confirm("oui", state, auth=token())
    assert rows(store) == []
    assert "Je n'ai rien enregistré" in texts(msgs)


def test_too_many_at_once_goes_to_the_office(store):
    services.import_rows(store, [_row(f"I-M{n}", NOW + timedelta(days=9, hours=2 * n))
                                 for n in range(11)])  # 11 more the week after
    slots, msgs = open_form("annulez toute la semaine prochaine", auth=token())
    assert not slots.get("intervention_ids") and slots["intervention_id"] is None
    assert "au-delà de 10" in texts(msgs)


# --- the service: all or nothing ---------------------------------------------------------

def _cancel_all(store, ids, key="k1"):
    return services.create_cancellation_requests(
        store, client_number="1001", intervention_ids=ids, reason="personnel", channel="phone",
        actor="agent:1", now=NOW, idempotency_key=key)


def test_the_service_records_all_or_nothing(store):
    services.create_cancellation_request(store, client_number="1001", intervention_id="I-5D",
                                         reason="personnel", channel="web", actor="client",
                                         now=NOW, idempotency_key="earlier")
    with pytest.raises(AlreadyRequested):
        _cancel_all(store, ["I-24H", "I-72H", "I-5D"])
    assert [r.intervention_external_id for r in rows(store)] == ["I-5D"]
    with store:  # the reference counter was not consumed by the rolled-back attempt
        assert store.repo.next_reference(2026) == "AMP-2026-000002"


def test_a_single_request_says_no_group(store):
    [one] = _cancel_all(store, ["I-24H"])
    with store:
        [row] = store.repo.list_outbox(reference=one.reference)
    assert "group_references" not in row.payload
    assert "GROUPÉE" not in render_email(row.payload)[1]
    assert webhook_document(row.payload, "k", NOW)["request"]["group_references"] is None


def test_the_service_replays_a_group_by_its_key_and_refuses_bad_lists(store):
    first = _cancel_all(store, ["I-24H", "I-72H"])
    assert [r.created for r in first] == [True, True]
    again = _cancel_all(store, ["I-24H", "I-72H"])
    assert [r.created for r in again] == [False, False]
    assert [r.reference for r in again] == [r.reference for r in first]
    assert len(rows(store)) == 2
    for bad in ([], ["I-5D", "I-5D"], [f"I-{n}" for n in range(11)]):
        with pytest.raises(InvalidInput):
            _cancel_all(store, bad, key="k2")
    assert len(rows(store)) == 2


def test_another_clients_intervention_in_a_group_records_nothing(store):
    with pytest.raises(Exception) as err:
        _cancel_all(store, ["I-24H", "S-24H"])
    assert getattr(err.value, "message", "")  # a French message (a ServiceError)
    assert rows(store) == []


def test_a_date_range_is_the_period_between(store):
    slots, _ = open_form("je pars du 3 au 7 mars, annulez tout", auth=token())
    assert slots["intervention_ids"] == THIS_WEEK
    slots, msgs = open_form("je serai absente du mardi 3 au jeudi 5 mars", auth=token())
    assert slots["candidate_ids"] == ["I-24H", "I-72H"] and slots["all_offered"] is True
    assert "Plusieurs interventions correspondent (2)" in texts(msgs)


def test_two_days_named_are_those_two_only(store):
    slots, _ = open_form("annulez mardi et samedi, les deux", auth=token())
    assert slots["intervention_ids"] == ["I-24H", "I-5D"]
