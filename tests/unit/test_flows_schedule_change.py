"""The schedule-change conversation end to end (bot/chat/flows), driven like Rasa's form loop
(tests/unit/flow_helpers.py) on the in-memory store, and « où en est ma demande ? » after
recording.

Planning (flow_helpers.seeded), at NOW = Monday 2 March 2026, 9 h: I-24H Tuesday 3 March,
I-72H Thursday 5 March, I-5D Saturday 7 March, I-15D Tuesday 17 March, each 9 h–10 h."""
from datetime import datetime


from bot.chat.flows import FORM_SLOTS, SCHEDULE_CHANGE
from bot.domain.clock import PARIS
from bot.service_layer import services
from tests.unit.flow_helpers import NOW, Chat, outbox, seeded

NEW_SLOT = ("new_date", "new_start_time", "new_end_time")


def recorded(uow):
    return services.list_requests(uow)


def new_slot(chat):
    return tuple(chat.slots.get(name) for name in NEW_SLOT)


def change(chat, first, *answers):
    said = chat.open(SCHEDULE_CHANGE, first)
    for answer in answers:
        said = chat.say(answer)
    return said


# --- the 10-day rule, to the recorded request -------------------------------------------------

def test_ten_days_ahead_is_accepted_for_the_office():
    uow = seeded()
    chat = Chat(uow)
    said = chat.open(SCHEDULE_CHANGE, "je voudrais décaler mon intervention du mardi 17 mars")
    assert chat.slots["intervention_id"] == "I-15D"
    assert "Quel jour souhaitez-vous à la place" in said
    assert chat.buttons[0]["title"] == "Le même jour (mardi 17 mars)"
    said = chat.say("jeudi 19 mars")
    assert "À quelle heure doit commencer l'intervention du jeudi 19 mars" in said
    said = chat.say("15 h")
    assert "Jusqu'à quelle heure, à partir de 15 h" in said
    assert chat.buttons[0]["payload"] == '/inform{"new_end_time":"16:00"}'  # same duration
    said = chat.click(new_end_time="16:00")
    assert new_slot(chat) == ("2026-03-19", "15:00", "16:00")
    assert "est recevable" in said and "mardi 17 mars, 9 h–10 h → jeudi 19 mars, 15 h–16 h" in said
    assert "Confirmez-vous cette demande ?" in said and "hors délai" not in said
    assert recorded(uow) == []

    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.reference in said and "vous confirmera le nouvel horaire" in said
    assert (request.kind.value, request.intervention_external_id, request.decision_code) == (
        "schedule_change", "I-15D", "schedule_change_ok")
    assert not request.out_of_notice and request.status.value == "received"
    assert (request.new_start, request.new_end) == (datetime(2026, 3, 19, 15, tzinfo=PARIS),
                                                    datetime(2026, 3, 19, 16, tzinfo=PARIS))
    assert [m["channel"] for m in outbox(uow)] == ["email", "webhook"]
    assert outbox(uow)[0]["payload"]["new_slot_fr"] == "jeudi 19 mars, 15 h–16 h"
    assert not chat.active and all(chat.slots[s] is None for s in FORM_SLOTS[SCHEDULE_CHANGE])


def test_under_ten_days_is_out_of_notice_said_before_and_recorded_after_the_yes():
    uow = seeded()
    chat = Chat(uow)
    said = change(chat, "je voudrais décaler l'intervention de samedi",
                  "dimanche 8 mars de 14 h à 15 h")
    assert chat.slots["decision_code"] == "schedule_change_out_of_notice"
    assert "moins de 10 jours" in said and "qui pourra la refuser" in said
    assert said.index("pourra la refuser") < said.index("tout de même envoyer cette demande hors délai")
    assert [b["title"] for b in chat.buttons] == ["Oui, l'envoyer", "Non"]
    assert recorded(uow) == []

    said = chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.reference in said and "hors délai" in said
    assert request.out_of_notice and request.intervention_external_id == "I-5D"
    assert request.decision_code == "schedule_change_out_of_notice"
    assert request.new_start == datetime(2026, 3, 8, 14, tzinfo=PARIS)


def test_under_ten_days_without_the_yes_nothing_is_recorded():
    uow = seeded()
    chat = Chat(uow)
    change(chat, "décaler samedi à 14 h", "une heure")
    assert new_slot(chat) == ("2026-03-07", "14:00", "15:00")
    assert chat.slots["decision_code"] == "schedule_change_out_of_notice"
    said = chat.say("non", intent="deny")
    assert "je n'enregistre rien" in said and not chat.active
    assert recorded(uow) == [] and outbox(uow) == []


# --- the new slot refused ---------------------------------------------------------------------

def test_a_slot_under_45_minutes_is_refused_with_the_rule_and_asked_again():
    uow = seeded()
    chat = Chat(uow)
    said = change(chat, "décaler le mardi 17 mars", "jeudi 19 mars", "15 h", "30 minutes")
    assert "Une intervention dure au moins 45 minutes" in said and "ne dure que 30 minutes" in said
    assert chat.slots["new_end_time"] is None and chat.slots["requested_slot"] == "new_end_time"
    assert said.index("ne dure que") < said.index("Jusqu'à quelle heure")  # asked again
    assert chat.slots["request_summary"] is None
    said = chat.say("jusqu'à 16 h")
    assert new_slot(chat) == ("2026-03-19", "15:00", "16:00") and "recevable" in said
    chat.say("oui", intent="affirm")
    [request] = recorded(uow)
    assert request.new_end == datetime(2026, 3, 19, 16, tzinfo=PARIS)


def test_a_past_day_is_refused_and_asked_again():
    uow = seeded()
    chat = Chat(uow)
    said = change(chat, "décaler le mardi 17 mars", "hier")
    assert "Le dimanche 1er mars est déjà passé" in said
    assert chat.slots["new_date"] is None and chat.slots["requested_slot"] == "new_date"
    assert recorded(uow) == []


def test_a_past_slot_today_is_refused_by_the_rule_and_asked_again():
    uow = seeded()
    chat = Chat(uow)
    said = change(chat, "décaler le mardi 17 mars", "aujourd'hui", "7 h", "jusqu'à 8 h")
    assert "Le créneau du lundi 2 mars à 7 h est déjà passé" in said
    assert chat.slots["new_date"] is None and chat.slots["new_start_time"] is None
    assert chat.slots["requested_slot"] == "new_date" and chat.slots["decision_code"] is None
    chat.say("mercredi 18 mars à 10 h")
    said = chat.say("une heure")
    assert new_slot(chat) == ("2026-03-18", "10:00", "11:00") and "recevable" in said
    assert recorded(uow) == []


def test_after_a_past_slot_a_new_day_and_start_are_not_refused_for_the_old_end():
    chat = Chat(seeded())
    change(chat, "décaler le mardi 17 mars", "aujourd'hui", "7 h", "jusqu'à 8 h")
    said = chat.say("mercredi 18 mars à 10 h")
    assert "L'heure de fin doit être après l'heure de début" not in said
    assert "Jusqu'à quelle heure" in said  # the end is asked for the new day


def test_abandon_mid_form_clears_the_slots_and_records_nothing():
    uow = seeded()
    chat = Chat(uow)
    change(chat, "je voudrais décaler l'intervention de samedi", "dimanche 8 mars", "14 h")
    assert chat.slots["requested_slot"] == "new_end_time"
    assert new_slot(chat) == ("2026-03-08", "14:00", None)
    said = chat.stop()
    assert "aucune demande n'a été enregistrée" in said
    assert all(chat.slots[s] is None
               for s in FORM_SLOTS[SCHEDULE_CHANGE] + FORM_SLOTS["cancellation"])
    assert chat.slots["can_request"] is None and chat.slots["candidate_ids"] is None
    assert recorded(uow) == []


# --- « où en est ma demande ? » -----------------------------------------------------------------

def test_the_status_lists_the_recorded_requests_in_french():
    uow = seeded()
    chat = Chat(uow)
    assert "Je ne trouve aucune demande" in chat.status()
    change(chat, "décaler le mardi 17 mars", "jeudi 19 mars de 15 h à 16 h", "oui")
    chat.open("cancellation", "annuler jeudi")
    chat.say("personnel")
    chat.say("oui", intent="affirm")
    change_ref, cancel_ref = [r.reference for r in recorded(uow)]

    said = chat.status()
    assert said.startswith("Vos dernières demandes :")
    assert said.index(cancel_ref) < said.index(change_ref)  # newest first
    assert (f"{change_ref} (changement d'horaire de l'intervention du mardi 17 mars, "
            "9 h–10 h, vers le jeudi 19 mars, 15 h–16 h) : enregistrée, transmission en cours"
            ) in said
    assert f"{cancel_ref} (annulation de l'intervention du jeudi 5 mars, 9 h–10 h)" in said

    services.change_request_status(uow, change_ref, "refused", actor="bureau.nord", now=NOW)
    said = chat.status(f"où en est la demande {change_ref.lower()} ?")
    assert said.startswith(f"Votre demande {change_ref}") and "est refusée" in said
    assert cancel_ref not in said and "pourquoi" in said
    assert len(recorded(uow)) == 2  # reading records nothing


def test_the_status_needs_an_identity_and_never_shows_another_clients_request():
    uow = seeded()
    Chat(uow).open("cancellation", "annuler demain")
    theirs = services.create_cancellation_request(
        uow, client_number="2001", intervention_id="S-24H", reason="autre", channel="web",
        actor="2001", now=NOW).reference
    assert "connectez-vous" in Chat(uow, identity=None).status()
    said = Chat(uow).status(f"et la demande {theirs} ?")
    assert f"pas de demande {theirs}" in said and "annulation" not in said
