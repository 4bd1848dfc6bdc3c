"""The request actions with real rasa_sdk Tracker / CollectingDispatcher objects, on a real
store (a temporary SQLite database, migrated), at a fixed "now".

Each helper builds the tracker Rasa would send for one turn: the latest message (text,
intent, entities, metadata with the token) and the slots, with the slots Rasa's extraction
just filled at the end of the events (what ``slots_to_validate`` reads).
"""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import requests as actions
from bot.adapters import db
from bot.adapters.planning_import import PlanningRow
from bot.domain import clock
from bot.chat.identity import mint_token, verify_token
from bot.chat.planning import Planning
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from bot.settings import PROJECT_ROOT

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # Monday 2 March 2026, 9 h
SECRET = "test-secret-for-the-request-actions-0123456789"
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
SLOT_NAMES = list(DOMAIN["slots"]) + ["requested_slot"]


def _row(iid, start, client="1001", name="Mme Dupont", sector="Nord", hours=1.0):
    return PlanningRow(line=2, intervention_id=iid, client_id=client, client_name=name,
                       sector=sector, caregiver="Marie Curie", start=start,
                       end=start + timedelta(hours=hours), service="Aide au lever")


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'amper.db'}"
    db.upgrade(url)
    monkeypatch.setenv("AMPER_DATABASE_URL", url)
    monkeypatch.setenv("AMPER_SECRET", SECRET)
    monkeypatch.setenv("AMPER_OFFICE_PHONE", "01 99 88 77 66")
    monkeypatch.setattr(clock, "now", lambda: NOW)
    uow = SqlAlchemyUnitOfWork(url)
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.import_rows(uow, [
        _row("I-24H", NOW + timedelta(hours=24)),   # Tuesday 3 March, 9 h
        _row("I-72H", NOW + timedelta(hours=72)),   # Thursday 5 March, 9 h
        _row("I-5D", NOW + timedelta(days=5)),      # Saturday 7 March, 9 h
        _row("I-15D", NOW + timedelta(days=15)),    # Tuesday 17 March, 9 h
        _row("S-24H", NOW + timedelta(hours=24), client="2001", name="M. Martin"),
    ])
    yield uow
    db.dispose_engine(url)


def token(client="1001", **kw):
    return mint_token(client, secret=SECRET, **kw)


#: ``tracker(owner=…)`` default: the conversation belongs to whoever sends this message.
SENDER = object()


def owner_of(auth):
    """The owner slots a form started with ``auth`` holds (bot/chat/flows/ownership.py)."""
    who = verify_token(auth, SECRET) if auth else None
    return {"owner_client": who.client_number, "owner_actor": who.actor} if who else {}


def tracker(text, *, intent="inform", entities=None, slots=None, extracted=None, auth=None,
            requested=None, active_loop=None, message_id="m1", sender="alice", events=(),
            owner=SENDER):
    """``owner``: the token the form was started with (by default this message's own,
    ``auth``); None: no owner recorded."""
    values = {name: None for name in SLOT_NAMES}
    values["misunderstood"] = 0.0
    values.update(owner_of(auth if owner is SENDER else owner))
    values.update(slots or {})
    values.update(extracted or {})
    values["requested_slot"] = requested
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": {"auth": auth} if auth else {},
        "message_id": message_id,
    }
    evts = list(events)
    if active_loop and {"event": "active_loop", "name": active_loop} not in evts:
        evts.append({"event": "active_loop", "name": active_loop})  # running before the message
    evts += [{"event": "user", "text": text, "parse_data": latest}]
    evts += [{"event": "slot", "name": k, "value": v} for k, v in (extracted or {}).items()]
    return Tracker(sender, values, latest, evts, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def open_form(text, intent="request_cancellation", **kw):
    """The form's activation, as Rasa calls it: the validation action, loop not yet active."""
    action = actions.ValidateCancellationForm() if intent == "request_cancellation" \
        else actions.ValidateScheduleChangeForm()
    return run(action, tracker(text, intent=intent, **kw))


def confirm(text, slots, *, intent="affirm", form="cancellation_form", **kw):
    """The answer to the confirmation question, inside the form (where it is recorded)."""
    kind = "cancellation" if form == "cancellation_form" else "schedule_change"
    action = actions.ValidateCancellationForm() if form == "cancellation_form" \
        else actions.ValidateScheduleChangeForm()
    slot = f"{kind}_confirmed"
    before = {k: v for k, v in slots.items() if k != slot}
    return run(action, tracker(text, intent=intent, slots=before, extracted={slot: text},
                               requested=slot, active_loop=form, **kw))


def run(action, trk):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, trk, DOMAIN)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    slots = {e["name"]: e["value"] for e in result if e.get("event") == "slot"}
    return slots, dispatcher.messages


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def rows(store):
    return services.list_requests(store)


CANCEL_LOOP = [{"event": "active_loop", "name": "cancellation_form"}]


# --- identity ----------------------------------------------------------------------------

def test_without_a_token_nothing_starts_and_the_way_to_log_in_is_given(store):
    slots, msgs = open_form("je ne serai pas là demain")
    assert slots["can_request"] is False
    assert slots["requested_slot"] is None  # the form ends at once
    assert "connectez-vous" in texts(msgs) and "01 99 88 77 66" in texts(msgs)


@pytest.mark.parametrize("bad", [
    "not-a-jwt",
    mint_token("1001", secret="another-secret-of-the-same-length-0123456789"),
    mint_token("1001", secret=SECRET, ttl_seconds=-10),
    mint_token("1001", secret=SECRET, role="admin"),
    mint_token("1001", secret=SECRET, role="staff"),  # staff without a login
], ids=["not-a-jwt", "other-secret", "expired", "admin-role", "staff-without-login"])  # tokens
# hold their minting time: without stable ids, two xdist workers collect different tests
def test_an_invalid_or_expired_token_counts_as_no_token(store, bad):
    slots, _ = open_form("annuler demain", auth=bad)
    assert slots["can_request"] is False


def test_a_token_on_an_older_message_does_not_count(store):
    older = [{"event": "user", "text": "bonjour", "metadata": {"auth": token()}}]
    slots, _ = open_form("annuler demain", events=older)
    assert slots["can_request"] is False


# --- cancellation ------------------------------------------------------------------------

def test_the_first_message_names_the_intervention(store):
    slots, msgs = open_form("je ne serai pas là demain", auth=token())
    assert slots["can_request"] is True
    assert slots["intervention_id"] == "I-24H"
    assert slots["cancellation_reason"] is None  # "pas là" is not a stated reason
    assert "requested_slot" not in slots  # the form goes on: it asks for the reason
    assert msgs == []


def test_the_first_message_can_also_give_a_medical_reason(store):
    slots, _ = open_form("je suis hospitalisée, annulez jeudi", auth=token())
    assert slots["intervention_id"] == "I-72H"
    assert slots["cancellation_reason"] == "hospitalisation"
    # checked at once: the decision is ready for the confirmation question
    assert slots["decision_code"] == "cancellation_free"
    assert "jeudi 5 mars" in slots["request_summary"]


def test_the_activation_is_recognised_as_rasa_sends_it(store):
    """At activation Rasa's tracker already shows the loop active, after the message."""
    trk = tracker("je suis malade, annulez demain", intent="request_cancellation", auth=token())
    trk.events.append({"event": "active_loop", "name": "cancellation_form"})
    trk.active_loop = {"name": "cancellation_form"}
    slots, msgs = run(actions.ValidateCancellationForm(), trk)
    assert slots["can_request"] is True and slots["intervention_id"] == "I-24H"
    assert slots["cancellation_reason"] == "maladie" and slots["decision_code"]


def test_back_to_the_form_after_a_question_nothing_is_checked_again(store):
    slots, msgs = run(actions.ValidateCancellationForm(),
                      tracker("je peux payer en CESU ?", intent="faq", auth=token(),
                              slots={"intervention_id": "I-24H"},
                              requested="cancellation_reason", active_loop="cancellation_form"))
    assert slots == {} and msgs == []


def test_nothing_planned_ends_the_form_at_once(store):
    slots, msgs = open_form("annulez demain", auth=token("9999"))
    assert slots["can_request"] is False and slots["requested_slot"] is None
    assert "intervention" in texts(msgs)
    assert rows(store) == []


def test_the_intervention_question_lists_upcoming_ones_as_buttons(store):
    _, msgs = run(actions.ASK_ACTIONS[0](), tracker("annuler", intent="request_cancellation",
                                                    auth=token(), active_loop="cancellation_form"))
    buttons = msgs[0]["buttons"]
    assert [json.loads(b["payload"][len("/inform"):])["intervention_id"] for b in buttons] == \
        ["I-24H", "I-72H", "I-5D", "I-15D"]
    assert buttons[0]["title"] == "mardi 3 mars, 9 h–10 h (Marie Curie)"


def _validate_cancel(text, extracted, slots=None, requested=None, **kw):
    return run(actions.ValidateCancellationForm(),
               tracker(text, extracted=extracted, slots=slots, requested=requested,
                       auth=kw.pop("auth", token()), active_loop="cancellation_form", **kw))


def test_a_day_said_in_the_form_picks_the_intervention(store):
    slots, msgs = _validate_cancel("celle de samedi", {"intervention_id": "celle de samedi"},
                                   requested="intervention_id")
    assert slots["intervention_id"] == "I-5D"


def test_several_matches_are_asked_back_with_buttons_narrowed(store):
    services.import_rows(store, [_row("I-72H-PM", NOW + timedelta(hours=78))])  # Thu 15 h
    slots, msgs = _validate_cancel("jeudi", {"intervention_id": "jeudi"},
                                   requested="intervention_id")
    assert slots["intervention_id"] is None
    assert slots["candidate_ids"] == ["I-72H", "I-72H-PM"]
    assert "Plusieurs" in texts(msgs)
    _, asked = run(actions.ASK_ACTIONS[0](), tracker("jeudi", auth=token(), slots=slots,
                                                     active_loop="cancellation_form"))
    # both, or one of them (a cancellation may take both at once)
    assert [b["title"] for b in asked[0]["buttons"]][2] == "Les deux"
    assert len(asked[0]["buttons"]) == 3


def test_an_ambiguous_day_is_asked_back_not_guessed(store):
    # Monday: "lundi" is today (passed 9 h... still today) or next Monday
    slots, msgs = _validate_cancel("la semaine prochaine", {"intervention_id": "la semaine prochaine"},
                                   requested="intervention_id")
    assert slots["intervention_id"] is None
    assert "Quel jour exactement" in texts(msgs)


def test_another_clients_intervention_is_never_accepted(store):
    slots, msgs = _validate_cancel('/inform{"intervention_id":"S-24H"}',
                                   {"intervention_id": "S-24H"},
                                   entities={"intervention_id": "S-24H"})
    assert slots["intervention_id"] is None
    assert "ne figure pas dans votre planning" in texts(msgs)
    assert "Martin" not in texts(msgs)


@pytest.mark.parametrize("iid, reason, expected", [
    ("I-72H", "personnel", "l'annulation est gratuite"),
    ("I-24H", "personnel", "l'annulation sera facturée"),
    ("I-24H", "maladie", "justificatif médical"),
])
def test_the_rule_decision_is_said_before_confirmation(store, iid, reason, expected):
    slots, msgs = _validate_cancel(reason, {"cancellation_reason": reason},
                                   slots={"intervention_id": iid},
                                   requested="cancellation_reason")
    assert slots["cancellation_reason"] == reason
    assert expected in slots["request_summary"]
    _, asked = run(actions.ASK_ACTIONS[2](), tracker("x", auth=token(), slots=slots | {
        "intervention_id": iid}, active_loop="cancellation_form"))
    said = texts(asked)
    assert expected in said and "Confirmez-vous" in said
    assert [b["payload"] for b in asked[-1]["buttons"]] == ["/affirm", "/deny"]
    if reason == "maladie":
        assert "bureau de secteur" in said and "nord@amper.example" in said
        assert "jamais dans cette conversation" in said
    assert rows(store) == []  # nothing recorded before the yes


def test_reason_buttons_and_free_words(store):
    slots, _ = _validate_cancel('/inform{"cancellation_reason":"hospitalisation"}',
                                {"cancellation_reason": "hospitalisation"},
                                entities={"cancellation_reason": "hospitalisation"},
                                slots={"intervention_id": "I-24H"},
                                requested="cancellation_reason")
    assert slots["cancellation_reason"] == "hospitalisation"
    slots, _ = _validate_cancel("j'ai attrapé la grippe", {"cancellation_reason": "j'ai attrapé la grippe"},
                                slots={"intervention_id": "I-24H"},
                                requested="cancellation_reason")
    assert slots["cancellation_reason"] == "maladie"


def test_a_correction_changes_the_intervention(store):
    slots, msgs = _validate_cancel("non, plutôt samedi", {"cancellation_reason": "non, plutôt samedi"},
                                   slots={"intervention_id": "I-24H"},
                                   requested="cancellation_reason")
    assert slots["intervention_id"] == "I-5D"
    assert slots["cancellation_reason"] is None


def test_a_correction_at_confirmation_changes_the_intervention_and_asks_again(store):
    before = {"intervention_id": "I-24H", "cancellation_reason": "personnel",
              "request_summary": "...", "decision_code": "cancellation_billable"}
    slots, _ = _validate_cancel("non, plutôt samedi", {"cancellation_confirmed": "non, plutôt samedi"},
                                slots=before, requested="cancellation_confirmed", intent="deny")
    assert slots["intervention_id"] == "I-5D"
    assert slots["cancellation_confirmed"] is None
    assert "gratuite" in slots["request_summary"]


def test_two_misunderstandings_explain_and_offer_the_office(store):
    slots, msgs = _validate_cancel("euh bof", {"cancellation_reason": "euh bof"},
                                   slots={"intervention_id": "I-24H"},
                                   requested="cancellation_reason")
    assert slots["misunderstood"] == 1.0 and "Je n'ai pas compris" in texts(msgs)
    slots, msgs = _validate_cancel("je sais pas", {"cancellation_reason": "je sais pas"},
                                   slots={"intervention_id": "I-24H", "misunderstood": 1.0},
                                   requested="cancellation_reason")
    said = texts(msgs)
    assert slots["misunderstood"] == 2.0
    assert "hospitalisation" in said and "01 99 88 77 66" in said
    assert {"title": "Parler à une personne", "payload": "/human_handoff"} in msgs[-1]["buttons"]


def _confirmed_cancel(iid="I-24H", reason="maladie", code="cancellation_exemption_pending"):
    return {"intervention_id": iid, "cancellation_reason": reason,
            "cancellation_confirmed": "yes", "decision_code": code}


def test_yes_records_once_and_a_replay_does_not_duplicate(store):
    slots, msgs = confirm("oui", _confirmed_cancel(), auth=token(), message_id="msg-42")
    said = texts(msgs)
    [request] = rows(store)
    assert request.reference in said and "sera transmise à votre bureau de secteur" in said
    assert "justificatif" in said
    assert request.intervention_external_id == "I-24H" and request.exemption_pending
    assert request.channel.value == "web" and request.reason.value == "maladie"
    assert slots["intervention_id"] is None and slots["cancellation_confirmed"] is None
    assert slots["requested_slot"] is None  # the form ends
    # the same confirmation replayed (network retry): same reference, no second row
    _, again = confirm("oui", _confirmed_cancel(), auth=token(), message_id="msg-42")
    assert request.reference in texts(again) and "déjà enregistrée" in texts(again)
    assert len(rows(store)) == 1


def test_no_records_nothing(store):
    slots, msgs = confirm("non", _confirmed_cancel(), intent="deny", auth=token())
    assert "je n'enregistre rien" in texts(msgs)
    assert slots["requested_slot"] is None
    assert rows(store) == []


def test_staff_act_for_the_client_by_phone(store):
    staff = token("1001", role="staff", staff="jdupuis")
    confirm("oui", _confirmed_cancel(), auth=staff)
    [request] = rows(store)
    assert request.channel.value == "phone" and request.actor == "jdupuis"
    assert request.client_number == "1001"


def test_confirmation_without_a_valid_token_records_nothing(store):
    slots, msgs = confirm("oui", _confirmed_cancel())
    assert "rien n'a été enregistré" in texts(msgs)
    assert slots["requested_slot"] is None
    assert rows(store) == []


def test_store_unreachable_is_never_a_false_success(store, monkeypatch, tmp_path):
    monkeypatch.setenv("AMPER_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    slots, msgs = confirm("oui", _confirmed_cancel(), auth=token())
    said = texts(msgs)
    assert slots["requested_slot"] is None
    assert "n'a pas pu être enregistrée" in said and "01 99 88 77 66" in said
    assert "référence" not in said


def test_stop_abandons_and_clears(store):
    slots, msgs = run(actions.ActionAbandonRequest(), tracker("laisse tomber", intent="stop",
                                                              slots=_confirmed_cancel(),
                                                              events=CANCEL_LOOP))
    assert "aucune demande n'a été enregistrée" in texts(msgs)
    assert slots["intervention_id"] is None
    assert rows(store) == []


def test_a_second_cancellation_of_the_same_intervention_is_refused_with_the_reference(store):
    confirm("oui", _confirmed_cancel(), auth=token())
    [first] = rows(store)
    slots, msgs = _validate_cancel("demain", {"intervention_id": "demain"},
                                   requested="intervention_id")
    assert first.reference in texts(msgs) and "déjà en cours" in texts(msgs)
    assert slots["requested_slot"] is None  # the form stops


# --- schedule change ---------------------------------------------------------------------

def _validate_change(text, extracted, slots=None, requested=None, **kw):
    return run(actions.ValidateScheduleChangeForm(),
               tracker(text, extracted=extracted, slots=slots, requested=requested,
                       auth=kw.pop("auth", token()), active_loop="schedule_change_form", **kw))


def test_change_first_message_with_old_and_new_time(store):
    slots, _ = open_form("à 10 h au lieu de 9 h samedi", intent="request_schedule_change",
                         auth=token())
    assert slots["intervention_id"] == "I-5D"
    assert slots["new_date"] == "2026-03-07" and slots["new_start_time"] == "10:00"
    assert slots["new_end_time"] is None


def test_change_day_names_the_intervention_and_the_time_is_the_new_one(store):
    slots, _ = open_form("pouvez-vous décaler mardi 17 mars à 15h30 ?",
                         intent="request_schedule_change", auth=token())
    assert slots["intervention_id"] == "I-15D"
    assert slots["new_date"] == "2026-03-17" and slots["new_start_time"] == "15:30"


def test_change_several_details_in_one_answer(store):
    slots, _ = _validate_change("jeudi 19 mars de 15h30 à 16h30", {"new_date": "jeudi 19 mars de 15h30 à 16h30"},
                                slots={"intervention_id": "I-15D"}, requested="new_date")
    assert (slots["new_date"], slots["new_start_time"], slots["new_end_time"]) == \
        ("2026-03-19", "15:30", "16:30")
    summary = slots["request_summary"]
    assert "mardi 17 mars, 9 h–10 h → jeudi 19 mars, 15 h 30–16 h 30" in summary
    assert "recevable" in summary and slots["decision_code"] == "schedule_change_ok"


def test_change_missing_parts_are_asked(store):
    slots, msgs = _validate_change("même jour mais l'après-midi",
                                   {"new_date": "même jour mais l'après-midi"},
                                   slots={"intervention_id": "I-15D"}, requested="new_date")
    # the part of the day waits with the day for the start time
    assert slots["new_date"] == "2026-03-17 afternoon" and slots["new_start_time"] is None
    _, asked = run(actions.ASK_ACTIONS[5](), tracker("x", auth=token(), slots=slots | {
        "intervention_id": "I-15D"}, active_loop="schedule_change_form"))
    assert "À quelle heure l'après-midi, le mardi 17 mars" in texts(asked)
    slots2, msgs = _validate_change("3h", {"new_start_time": "3h"},  # a time here, not 3 hours
                                    slots=slots | {"intervention_id": "I-15D"},
                                    requested="new_start_time")
    assert slots2["new_start_time"] == "15:00" and "3 h ou 15 h" not in texts(msgs)
    assert slots2["new_date"] == "2026-03-17"
    _, asked = run(actions.ASK_ACTIONS[6](), tracker("x", auth=token(), slots=slots | slots2 | {
        "intervention_id": "I-15D"}, active_loop="schedule_change_form"))
    assert asked[0]["buttons"][0]["payload"] == '/inform{"new_end_time":"16:00"}'


def test_change_under_45_minutes_is_refused_and_explained(store):
    slots, msgs = _validate_change("30 minutes", {"new_end_time": "30 minutes"},
                                   slots={"intervention_id": "I-15D", "new_date": "2026-03-19",
                                          "new_start_time": "15:00"},
                                   requested="new_end_time")
    assert slots["new_end_time"] is None
    assert "au moins 45 minutes" in texts(msgs)
    assert slots.get("request_summary") is None


def test_change_out_of_notice_is_offered_as_a_request_the_office_may_refuse(store):
    slots, _ = _validate_change("une heure", {"new_end_time": "une heure"},
                                slots={"intervention_id": "I-5D", "new_date": "2026-03-07",
                                       "new_start_time": "14:00"},
                                requested="new_end_time")
    assert slots["decision_code"] == "schedule_change_out_of_notice"
    assert "moins de 10 jours" in slots["request_summary"] and "pourra la refuser" in \
        slots["request_summary"]
    _, asked = run(actions.ASK_ACTIONS[7](), tracker("x", auth=token(), slots=slots | {
        "intervention_id": "I-5D"}, active_loop="schedule_change_form"))
    assert "hors délai" in texts(asked)
    done = {"intervention_id": "I-5D", "new_date": "2026-03-07", "new_start_time": "14:00",
            "new_end_time": "15:00", "schedule_change_confirmed": "yes",
            "decision_code": "schedule_change_out_of_notice"}
    _, msgs = confirm("oui", done, form="schedule_change_form", auth=token())
    [request] = rows(store)
    assert request.out_of_notice and request.new_start == datetime(2026, 3, 7, 14, tzinfo=PARIS)
    assert request.reference in texts(msgs) and "hors délai" in texts(msgs)


def test_change_correction_at_confirmation_changes_the_new_day(store):
    before = {"intervention_id": "I-15D", "new_date": "2026-03-19", "new_start_time": "15:00",
              "new_end_time": "16:00", "request_summary": "...",
              "decision_code": "schedule_change_ok"}
    slots, _ = _validate_change("non, plutôt vendredi 20 mars",
                                {"schedule_change_confirmed": "non, plutôt vendredi 20 mars"},
                                slots=before, requested="schedule_change_confirmed",
                                intent="deny")
    assert slots["new_date"] == "2026-03-20"
    assert slots["schedule_change_confirmed"] is None
    assert "vendredi 20 mars, 15 h–16 h" in slots["request_summary"]


# --- switching request mid-form ----------------------------------------------------------

def _switch(text, intent, running, slots, requested, extracted=None):
    """The other form's activation as Rasa sends it: ``running`` was the loop when the
    message came, Rasa's extraction answered its question, then the new loop is active."""
    form = "schedule_change_form" if intent == "request_schedule_change" else "cancellation_form"
    trk = tracker(text, intent=intent, auth=token(), slots=slots, requested=requested,
                  extracted=extracted if extracted is not None else {requested: text},
                  events=[{"event": "active_loop", "name": running}])
    trk.events.append({"event": "active_loop", "name": form})
    trk.active_loop = {"name": form}
    action = actions.ValidateScheduleChangeForm() if form == "schedule_change_form" \
        else actions.ValidateCancellationForm()
    return run(action, trk)


def test_switching_from_a_cancellation_keeps_the_intervention_and_records_nothing(store):
    slots, msgs = _switch("finalement je préfère la décaler", "request_schedule_change",
                          "cancellation_form", {"intervention_id": "I-15D"},
                          requested="cancellation_reason")
    said = texts(msgs)
    assert "je laisse la demande d'annulation : rien n'a été enregistré" in said
    assert "Passons à un changement d'horaire" in said
    assert slots["intervention_id"] == "I-15D" and slots["cancellation_reason"] is None
    assert slots["can_request"] is True and slots["new_date"] is None
    assert rows(store) == []


def test_switching_names_another_intervention_or_asks_when_the_kept_one_is_only_text(store):
    slots, _ = _switch("en fait je veux décaler celle de jeudi", "request_schedule_change",
                       "cancellation_form", {"intervention_id": "I-15D"},
                       requested="cancellation_reason")
    assert slots["intervention_id"] == "I-72H"  # the message names Thursday's
    # the cancellation was asking which intervention: its slot holds this very text
    slots, msgs = _switch("non plutôt changer l'horaire", "request_schedule_change",
                          "cancellation_form", {}, requested="intervention_id")
    assert slots["intervention_id"] is None and "rien n'a été enregistré" in texts(msgs)
    assert "pas compris" not in texts(msgs)


def test_switching_from_a_schedule_change_to_a_cancellation(store):
    slots, msgs = _switch("laissez tomber le changement, annulez-la", "request_cancellation",
                          "schedule_change_form",
                          {"intervention_id": "I-72H", "new_date": "2026-03-19 afternoon"},
                          requested="new_start_time")
    assert "je laisse la demande de changement d'horaire" in texts(msgs)
    assert slots["intervention_id"] == "I-72H" and slots["new_date"] is None
    assert slots["cancellation_reason"] is None  # the form asks it next
    assert rows(store) == []


# --- "où en est ma demande ?" ----------------------------------------------------------------

def status(text, **kw):
    return run(actions.ActionRequestStatus(),
               tracker(text, intent="ask_request_status", **kw))


def test_the_status_question_needs_to_know_who_asks(store):
    slots, msgs = status("où en est ma demande ?")
    assert slots == {}
    assert "connectez-vous" in texts(msgs) and "01 99 88 77 66" in texts(msgs)


def test_the_status_of_the_clients_requests_and_of_no_one_elses(store):
    assert "aucune demande" in texts(status("où en est ma demande ?", auth=token())[1])
    mine = services.create_cancellation_request(
        store, client_number="1001", intervention_id="I-72H", reason="maladie",
        channel="web", actor="1001", now=NOW).reference
    theirs = services.create_cancellation_request(
        store, client_number="2001", intervention_id="S-24H", reason="autre",
        channel="web", actor="2001", now=NOW).reference

    slots, msgs = status("vous avez bien reçu mon annulation ?", auth=token())
    said = texts(msgs)
    assert slots == {}
    assert said.startswith(f"Votre demande {mine} (annulation de l'intervention du jeudi 5 mars")
    assert "enregistrée, transmission en cours" in said and theirs not in said

    # another client's reference, typed loosely: not found, nothing about it is said
    said = texts(status(f"où en est la demande {theirs.replace('-', ' ').lower()} ?",
                        auth=token())[1])
    assert f"pas de demande {theirs}" in said and "annulation" not in said

    services.change_request_status(store, mine, "refused", actor="bureau.nord")
    said = texts(status(f"et la {mine} ?", auth=token())[1])
    assert "est refusée" in said and "01 99 88 77 66" in said  # who to ask why


def test_staff_hear_whose_requests_they_read(store):
    services.create_cancellation_request(
        store, client_number="1001", intervention_id="I-72H", reason="personnel",
        channel="phone", actor="bureau.nord", now=NOW)
    services.create_cancellation_request(
        store, client_number="1001", intervention_id="I-5D", reason="personnel",
        channel="phone", actor="bureau.nord", now=NOW + timedelta(minutes=1))
    _, msgs = status("la cliente demande où en sont ses demandes",
                     auth=token(role="staff", staff="bureau.nord"))
    said = texts(msgs)
    assert "client n° 1001" in said and "Vos dernières demandes" in said
    assert said.index("samedi 7 mars") < said.index("jeudi 5 mars")  # newest first


def test_the_status_question_with_the_store_down(store, monkeypatch):
    monkeypatch.setenv("AMPER_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    slots, msgs = status("où en est ma demande ?", auth=token())
    assert slots == {} and "01 99 88 77 66" in texts(msgs)


# --- one conversation, one person (issue 19) ---------------------------------------------------

SUMMARY = ("Votre intervention du mardi 3 mars à 9 h a lieu dans moins de 48 heures.\n"
           "Récapitulatif : annulation de l'intervention du mardi 3 mars, 9 h–10 h "
           "(Marie Curie), motif : maladie.")
SECRETS = ("mardi", "3 mars", "Marie Curie", "maladie", "Récapitulatif", "I-24H", "Dupont")
INTRUDERS = {"no token": lambda: None, "another client": lambda: token("2001"),
             "staff for the same client": lambda: token(role="staff", staff="jdupuis")}


def test_the_domain_declares_the_owner_slots():
    for name in ("owner_client", "owner_actor"):
        assert DOMAIN["slots"][name]["mappings"] == [{"type": "custom"}]


@pytest.mark.parametrize("auth, actor", [
    (lambda: token(), "client 1001"), (lambda: token(role="staff", staff="jdupuis"), "jdupuis"),
], ids=["client", "staff"])
def test_a_form_starts_bound_to_the_identity_of_its_first_message(store, auth, actor):
    slots, _ = open_form("je suis malade, annulez demain", auth=auth())
    assert (slots["owner_client"], slots["owner_actor"]) == ("1001", actor)
    done, _ = confirm("oui", {**_confirmed_cancel(), **slots}, auth=auth())
    assert done["owner_client"] is None and done["owner_actor"] is None  # cleared at the end
    assert len(rows(store)) == 1


@pytest.mark.parametrize("intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
def test_someone_else_on_the_same_sender_id_confirms_nothing_and_learns_nothing(store, intruder):
    slots, msgs = confirm("oui", {**_confirmed_cancel(), "request_summary": SUMMARY},
                          auth=intruder(), owner=token())
    said = texts(msgs)
    for secret in SECRETS:
        assert secret not in said
    assert rows(store) == []
    assert slots["requested_slot"] is None  # the form ends
    for name in ("intervention_id", "cancellation_reason", "request_summary",
                 "decision_code", "owner_client", "owner_actor"):
        assert slots[name] is None
    if intruder() is None:
        assert "Reconnectez-vous" in said
    else:
        assert said.startswith("Cette conversation a été reprise : recommençons.")


@pytest.mark.parametrize("intruder", INTRUDERS.values(), ids=INTRUDERS.keys())
def test_the_confirmation_question_checks_whose_form_it_is(store, intruder):
    """The form resumes after a question: its confirmation question (the recap) is asked
    again by ``action_ask_…``, which checks the identity of the latest message."""
    before = {"intervention_id": "I-24H", "cancellation_reason": "maladie",
              "request_summary": SUMMARY, "decision_code": "cancellation_exemption_pending"}
    slots, msgs = run(actions.ASK_ACTIONS[2](), tracker(
        "je peux payer en CESU ?", intent="faq", auth=intruder(), owner=token(), slots=before,
        requested="cancellation_confirmed", active_loop="cancellation_form"))
    said = texts(msgs)
    assert "Confirmez-vous" not in said and "Marie Curie" not in said
    assert slots["requested_slot"] is None and slots["request_summary"] is None
    # the owner, on the other hand, hears the recap again
    _, msgs = run(actions.ASK_ACTIONS[2](), tracker(
        "je peux payer en CESU ?", intent="faq", auth=token(), slots=before,
        requested="cancellation_confirmed", active_loop="cancellation_form"))
    assert "Marie Curie" in texts(msgs) and "Confirmez-vous" in texts(msgs)


def test_another_client_asking_mid_form_gets_a_fresh_form_of_their_own(store):
    slots, msgs = _validate_cancel("annulez mon intervention de demain",
                                   {"cancellation_reason": "annulez mon intervention de demain"},
                                   slots={"intervention_id": "I-24H", "request_summary": SUMMARY},
                                   requested="cancellation_reason",
                                   intent="request_cancellation", auth=token("2001"),
                                   owner=token())
    said = texts(msgs)
    assert said.startswith("Cette conversation a été reprise : recommençons.")
    assert "Marie Curie" not in said and "I-24H" not in said
    assert slots["intervention_id"] == "S-24H" and slots["owner_client"] == "2001"
    assert slots["cancellation_reason"] is None and slots["request_summary"] is None
    assert "requested_slot" not in slots  # their form goes on: it asks for the reason
    assert rows(store) == []


def test_the_owner_confirms_normally(store):
    slots, msgs = confirm("oui", {**_confirmed_cancel(), "request_summary": SUMMARY},
                          auth=token(), owner=token())
    [request] = rows(store)
    assert request.reference in texts(msgs) and request.actor == "client 1001"


def test_long_sender_ids_that_differ_only_at_the_end_never_share_a_key(store):
    long_id = "web-" + "x" * 296
    confirm("oui", _confirmed_cancel("I-72H", "personnel", "cancellation_free"),
            auth=token(), sender=long_id + "1", message_id="same")
    _, msgs = confirm("oui", _confirmed_cancel("I-5D", "personnel", "cancellation_free"),
                      auth=token(), sender=long_id + "2", message_id="same")
    first, second = rows(store)
    assert {first.intervention_external_id, second.intervention_external_id} == {"I-72H", "I-5D"}
    assert second.reference in texts(msgs) and "déjà enregistrée" not in texts(msgs)
    with db.get_engine().connect() as conn:  # AMPER_DATABASE_URL: this test's store
        keys = conn.exec_driver_sql("SELECT idempotency_key FROM requests").scalars().all()
    assert len(set(keys)) == 2 and all(k.startswith("chat:") and len(k) <= 200 for k in keys)


# --- the action server's event loop --------------------------------------------------------------

async def run_async(action, trk):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, trk, DOMAIN)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


def test_a_turn_is_answered_while_another_waits_on_the_store(store, monkeypatch):
    """The flows run in worker threads: a store call held by one conversation (here until an
    Event is set) does not stop another conversation's turn on the same event loop."""
    entered, release = threading.Event(), threading.Event()
    calls, lock = [], threading.Lock()

    class HeldPlanning(Planning):
        def upcoming(self, who, now, **kw):
            with lock:
                calls.append(who.client_number)
                first = len(calls) == 1
            if first:  # the first conversation's call: held until the second is answered
                entered.set()
                if not release.wait(timeout=5):
                    raise AssertionError("the other turn never ran: the event loop was held")
            return super().upcoming(who, now, **kw)

    monkeypatch.setattr(actions, "PLANNING", HeldPlanning())

    async def two_conversations():
        held = asyncio.ensure_future(run_async(actions.ValidateCancellationForm(), tracker(
            "je suis malade, annulez demain", intent="request_cancellation", auth=token(),
            sender="first")))
        assert await asyncio.get_running_loop().run_in_executor(None, entered.wait, 5)
        other = await asyncio.wait_for(run_async(actions.ASK_ACTIONS[0](), tracker(
            "annuler", intent="request_cancellation", auth=token(), sender="second",
            active_loop="cancellation_form")), timeout=5)
        assert not held.done()  # still inside its store call
        release.set()
        return await asyncio.wait_for(held, timeout=5), other

    (first_slots, _), (_, asked) = asyncio.run(two_conversations())
    assert first_slots["intervention_id"] == "I-24H" and first_slots["cancellation_reason"] == \
        "maladie"
    assert [b["title"] for b in asked[0]["buttons"]][0] == "mardi 3 mars, 9 h–10 h (Marie Curie)"
    assert len(calls) >= 2  # the held call, then the other turn's (and the rest of the first)
