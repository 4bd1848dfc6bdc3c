"""Pure parts of the request flows: identity tokens, reasons, yes/no, new-slot drafts."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, time as dtime, timedelta
from zoneinfo import ZoneInfo

import jwt
import pytest

from bot.chat.identity import identity_from_metadata, mint_token, verify_token
from bot.chat.new_slot import Draft, read_new_slot
from bot.domain.dates import PartOfDay
from bot.chat.understanding import choose_intervention, parse_reason, parse_yes_no
from bot.domain.model import Intervention

PARIS = ZoneInfo("Europe/Paris")
SECRET = "unit-secret-0123456789-0123456789-xyz"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # Monday


def _i(iid, start, hours=1.0):
    return Intervention(external_id=iid, client_number="1001", start=start,
                        end=start + timedelta(hours=hours), caregiver="Marie Curie")


PLAN = [
    _i("TUE", datetime(2026, 3, 3, 9, 0, tzinfo=PARIS)),
    _i("THU-AM", datetime(2026, 3, 5, 9, 0, tzinfo=PARIS)),
    _i("THU-PM", datetime(2026, 3, 5, 14, 0, tzinfo=PARIS)),
    _i("NEXT-TUE", datetime(2026, 3, 17, 9, 0, tzinfo=PARIS)),
]


# --- identity ---------------------------------------------------------------------------

def test_client_and_staff_tokens():
    client = verify_token(mint_token("1001", secret=SECRET), SECRET)
    assert (client.client_number, client.channel, client.actor) == ("1001", "web", "client 1001")
    staff = verify_token(mint_token("1001", role="staff", staff="jdupuis", secret=SECRET), SECRET)
    assert (staff.client_number, staff.channel, staff.actor) == ("1001", "phone", "jdupuis")


@pytest.mark.parametrize("payload", [
    {"sub": "1001", "role": "client"},                                  # no exp
    {"sub": "1001", "role": "client", "exp": int(time.time()) - 1},     # expired
    {"role": "client", "exp": int(time.time()) + 60},                   # no sub
    {"sub": "1001", "role": "boss", "exp": int(time.time()) + 60},      # unknown role
    {"sub": "", "role": "client", "exp": int(time.time()) + 60},        # empty sub
])
def test_incomplete_or_expired_tokens_are_refused(payload):
    assert verify_token(jwt.encode(payload, SECRET, algorithm="HS256"), SECRET) is None


def test_wrong_algorithm_signature_or_no_secret_is_refused():
    good = mint_token("1001", secret=SECRET)
    assert verify_token(good, "another-secret-0123456789-0123456789") is None
    assert verify_token(good, "") is None  # no AMPER_SECRET configured: nobody is identified
    unsigned = jwt.encode({"sub": "1001", "role": "client", "exp": int(time.time()) + 60},
                          None, algorithm="none")
    assert verify_token(unsigned, SECRET) is None
    assert identity_from_metadata({"auth": good}, SECRET).client_number == "1001"
    assert identity_from_metadata(None, SECRET) is None
    assert identity_from_metadata({"auth": 12}, SECRET) is None


# --- reasons, yes/no ---------------------------------------------------------------------

@pytest.mark.parametrize("text, answer, first", [
    ("je suis hospitalisé", "hospitalisation", "hospitalisation"),
    ("ma mère est à l'hôpital", "hospitalisation", "hospitalisation"),
    ("j'ai la grippe", "maladie", "maladie"),
    ("malade", "maladie", "maladie"),
    ("raison perso", "personnel", "personnel"),
    ("je pars en vacances", "personnel", "personnel"),
    ("je ne serai pas là", "personnel", None),
    ("autre", "autre", "autre"),
    ("euh", None, None),
])
def test_reasons(text, answer, first):
    assert parse_reason(text) == answer
    assert parse_reason(text, answer=False) == first


@pytest.mark.parametrize("text, intent, expected", [
    ("oui", None, True), ("ok", None, True), ("je confirme", None, True),
    ("c'est bon", None, True), ("non", None, False), ("non merci", None, False),
    ("/affirm", "affirm", True), ("/deny", "deny", False), ("peut-être", None, None),
])
def test_yes_no(text, intent, expected):
    assert parse_yes_no(text, intent) is expected


# --- which intervention -------------------------------------------------------------------

def test_choose_by_day_time_and_order():
    assert choose_intervention("demain", PLAN, NOW).chosen.external_id == "TUE"
    assert choose_intervention("celle de jeudi 14h", PLAN, NOW).chosen.external_id == "THU-PM"
    several = choose_intervention("jeudi", PLAN, NOW)
    assert several.chosen is None and [i.external_id for i in several.candidates] == \
        ["THU-AM", "THU-PM"]
    assert choose_intervention("la deuxième", PLAN, NOW, several.candidates).chosen.external_id \
        == "THU-PM"
    none = choose_intervention("samedi", PLAN, NOW)
    assert none.chosen is None and "samedi 7 mars" in none.say
    assert choose_intervention("bonjour", PLAN, NOW).understood is False


def test_choose_asks_back_on_ambiguity_and_past():
    on_tuesday = datetime(2026, 3, 3, 7, 0, tzinfo=PARIS)
    amb = choose_intervention("mardi", PLAN, on_tuesday)  # today or next week
    assert amb.chosen is None and "mardi 3 mars" in amb.say and "mardi 10 mars" in amb.say
    past = choose_intervention("hier", PLAN, NOW)
    assert past.chosen is None and "déjà passé" in past.say


# --- new slot ------------------------------------------------------------------------------

OLD = PLAN[3]  # Tuesday 17 March, 9 h–10 h


@pytest.mark.parametrize("text, expected", [
    ("jeudi 19 mars à 15h30", (date(2026, 3, 19), dtime(15, 30), None)),
    ("de 9h à 10h30 le 20/03", (date(2026, 3, 20), dtime(9), dtime(10, 30))),
    ("à 10 h au lieu de 9 h", (date(2026, 3, 17), dtime(10), None)),
    ("le lendemain même heure", (date(2026, 3, 18), dtime(9), None)),
    ("une heure plus tard", (date(2026, 3, 17), dtime(10), dtime(11))),
    ("même jour mais l'après-midi", (date(2026, 3, 17), None, None)),
])
def test_new_slot_from_words(text, expected):
    reading = read_new_slot(text, {}, Draft(), OLD, NOW)
    d = reading.draft
    assert (d.date, d.start, d.end) == expected


def test_duration_before_start_then_resolved():
    d = read_new_slot("pendant 1h30", {}, Draft(date=date(2026, 3, 19)), OLD, NOW).draft
    assert d.as_slots()["new_end_time"] == "+90"
    d = read_new_slot("à 14h", {}, Draft.from_slots(d.as_slots()), OLD, NOW).draft
    assert (d.start, d.end) == (dtime(14), dtime(15, 30))
    assert d.bounds() == (datetime(2026, 3, 19, 14, tzinfo=PARIS),
                          datetime(2026, 3, 19, 15, 30, tzinfo=PARIS))


def test_ambiguous_new_time_is_asked():
    reading = read_new_slot("à 3h", {}, Draft(date=date(2026, 3, 19)), OLD, NOW)
    assert reading.draft.start is None and reading.question and "15 h" in reading.question


def test_part_of_day_said_with_the_day_settles_the_hour_asked_next():
    """« jeudi après-midi » then « à 3 h »: 15 h, no « 3 h ou 15 h ? »."""
    first = read_new_slot("jeudi 19 mars l'après-midi", {}, Draft(), OLD, NOW)
    slots = first.draft.as_slots()
    assert slots["new_date"] == "2026-03-19 afternoon" and slots["new_start_time"] is None
    draft = Draft.from_slots(slots)  # as the form stores it between two messages
    assert (draft.date, draft.part) == (date(2026, 3, 19), PartOfDay.AFTERNOON)
    second = read_new_slot("à 3h", {}, draft, OLD, NOW)
    assert second.question is None and second.draft.start == dtime(15)
    assert second.draft.as_slots()["new_date"] == "2026-03-19"  # the part has done its job
    morning = Draft(date=date(2026, 3, 19), part=PartOfDay.MORNING)
    assert read_new_slot("à 6h", {}, morning, OLD, NOW).draft.start == dtime(6)
    # 3 h is in no one's morning: still asked
    assert read_new_slot("à 3h", {}, morning, OLD, NOW).question == "Vous voulez dire 3 h ou 15 h ?"
    # an hour outside the part is taken as said, and another day keeps the part
    assert read_new_slot("à 9h", {}, draft, OLD, NOW).draft.start == dtime(9)
    assert read_new_slot("plutôt le 20", {}, draft, OLD, NOW).draft.as_slots()["new_date"] == \
        "2026-03-20 afternoon"


def test_a_part_of_day_alone_fills_nothing_and_odd_slot_values_are_read_safely():
    reading = read_new_slot("l'après-midi", {}, Draft(), OLD, NOW)
    assert not reading.understood and reading.draft == Draft()
    assert Draft.from_slots({"new_date": "2026-03-19 teatime"}) == Draft(date=date(2026, 3, 19))
    assert Draft.from_slots({"new_date": "pas une date afternoon"}) == Draft()
    assert Draft.from_slots({"new_date": "2026-03-19 afternoon", "new_start_time": "10:00"}) == \
        Draft(date=date(2026, 3, 19), start=dtime(10))


def test_a_bare_hour_answers_the_start_question_as_a_time_and_the_end_question_as_a_duration():
    day = Draft(date=date(2026, 3, 19))
    start = read_new_slot("3h", {}, day, OLD, NOW, asking="new_start_time")
    assert start.draft.start is None and start.question == "Vous voulez dire 3 h ou 15 h ?"
    assert read_new_slot("15 heures", {}, day, OLD, NOW, asking="new_start_time").draft.start == dtime(15)
    assert read_new_slot("3 h 30", {}, replace(day, part=PartOfDay.AFTERNOON), OLD, NOW,
                         asking="new_start_time").draft.start == dtime(15, 30)
    end = read_new_slot("3h", {}, replace(day, start=dtime(9)), OLD, NOW, asking="new_end_time").draft
    assert end.end == dtime(12)  # three hours from 9 h
    assert read_new_slot("pendant 3h", {}, day, OLD, NOW,
                         asking="new_start_time").draft.as_slots()["new_end_time"] == "+180"


def test_button_entities_fill_the_draft():
    d = read_new_slot('/inform{"new_end_time":"16:00"}', {"new_end_time": "16:00"},
                      Draft(date=date(2026, 3, 19), start=dtime(15)), OLD, NOW).draft
    assert d.end == dtime(16)


@pytest.mark.parametrize("text, reference", [
    ("où en est la demande AMP-2026-000012 ?", "AMP-2026-000012"),
    ("statut amp 2026 12", "AMP-2026-000012"),
    ("et la amp-2026-000104", "AMP-2026-000104"),
    ("où en est ma demande ?", None),
    ("AMP-26-12", None),
    ("AMP-2026-1234567", None),  # seven digits: not a reference
    ("", None),
])
def test_a_reference_typed_in_the_message(text, reference):
    from bot.chat.flows import mentioned_reference

    assert mentioned_reference(text) == reference


def test_after_vous_pouvez_aussi_the_contact_is_an_infinitive(monkeypatch):
    """« Vous pouvez aussi appelez… » was said in three places."""
    from bot.chat import wording

    monkeypatch.setenv("AMPER_OFFICE_EMAIL", "bureau@amper.example")
    for text in (wording.login_needed("cancellation"), wording.status_login_needed(),
                 wording.no_reply()):
        assert "Vous pouvez aussi appeler le bureau AMPER" in text
        assert "ou écrire à bureau@amper.example" in text
