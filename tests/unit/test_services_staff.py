"""The phone-line staff's services on the in-memory store (issue 21): the sectors of an
account, the client search (number, name, phone; accents, case, partial; never another
sector), the caller's file with the rule consequences of cancelling or changing now, and
callback requests.  The same store cases on SQLite and PostgreSQL:
tests/integration/test_staff_store.py."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from bot.adapters.planning_import import PlanningRow
from bot.domain.errors import Conflict, InvalidInput, ServiceError
from bot.domain.model import RequestStatus
from bot.domain.staff import CallbackTopic
from bot.service_layer import services
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, PARIS

CLIENTS = [  # number, name, sector, phone
    ("1001", "Mme Hélène Dupont", "Nord", "06 12 34 56 78"),
    ("1002", "M. Louis Dupuis", "Nord", "07 00 00 00 02"),
    ("1010", "Mme Zoé Lefèvre", "Nord", ""),
    ("2001", "M. André Dupont", "Sud", "06 12 99 99 99"),
]
#: hours from NOW of client 1001's interventions
OFFSETS = [24, 47, 49, 24 * 9, 24 * 10 + 1, 24 * 30]


def rows():
    found = []
    for number, name, sector, phone in CLIENTS:
        for k, hours in enumerate(OFFSETS if number == "1001" else [72]):
            start = (NOW + timedelta(hours=hours)).astimezone(PARIS)
            found.append(PlanningRow(
                line=0, intervention_id=f"I-{number}-{k}", client_id=number, client_name=name,
                sector=sector, caregiver="Marie Lambert", start=start,
                end=start + timedelta(hours=1), service="Ménage", client_phone=phone,
                client_email="helene@example.org" if number == "1001" else ""))
    return found


@pytest.fixture(scope="module")
def seeded():
    uow = FakeUnitOfWork()
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.set_sector(uow, "Sud", office_email="sud@amper.example")
    services.set_sector(uow, "Est", office_email="est@amper.example")
    services.import_rows(uow, rows())
    services.set_account(uow, "bureau.nord", "pw", "staff")  # scrypt: once per module
    services.set_account(uow, "client1001", "pw", "client", "1001")
    return uow.store


@pytest.fixture
def uow(seeded):
    return FakeUnitOfWork(copy.deepcopy(seeded))


# --- the sectors of an account ---------------------------------------------------------------

def test_a_staff_account_serves_the_sectors_it_is_given(uow):
    assert services.staff_sectors(uow, "bureau.nord") == []
    assert services.set_account_sectors(uow, "bureau.nord", ["Sud", "Nord", " Nord "]) == \
        ["Nord", "Sud"]
    assert services.staff_sectors(uow, "bureau.nord") == ["Nord", "Sud"]
    services.set_account_sectors(uow, "bureau.nord", ["Est"])  # replaces
    assert services.staff_sectors(uow, "bureau.nord") == ["Est"]
    services.set_account(uow, "bureau.nord", "new password", "staff")  # kept
    assert services.staff_sectors(uow, "bureau.nord") == ["Est"]


def test_no_sectors_for_a_client_or_an_unknown_login(uow):
    assert services.staff_sectors(uow, "client1001") == []
    assert services.staff_sectors(uow, "personne") == []
    assert services.staff_sectors(uow, "") == []


@pytest.mark.parametrize("login, sectors, words", [
    ("personne", ["Nord"], "Compte inconnu : « personne »."),
    ("client1001", ["Nord"], "est un compte client"),
    ("bureau.nord", ["Nord", "Ouest"], "Secteur(s) inconnu(s) : Ouest (secteurs existants : "
                                       "Est, Nord, Sud)."),
])
def test_refusals_in_french(uow, login, sectors, words):
    with pytest.raises(InvalidInput) as error:
        services.set_account_sectors(uow, login, sectors)
    assert words in error.value.message
    assert services.staff_sectors(uow, "bureau.nord") == []


# --- search ------------------------------------------------------------------------------------

def numbers(uow, query, sectors=("Nord",), **kw):
    return [c.number for c in services.search_clients(uow, query, list(sectors), **kw)]


@pytest.mark.parametrize("query, found", [
    ("1001", ["1001"]), ("100", ["1001", "1002"]), ("10", ["1001", "1002", "1010"]),
    ("dupont", ["1001"]), ("DUP", ["1001", "1002"]), ("hélène", ["1001"]),
    ("helene dup", ["1001"]), ("dup helene", ["1001"]), ("lefevre zoe", ["1010"]),
    ("LEFÈVRE", ["1010"]), ("upo", ["1001"]), ("dupont louis", []),
    ("06 12", ["1001"]), ("0612", ["1001"]), ("06.12.34", ["1001"]), ("+33 6 12 34", ["1001"]),
    ("56 78", ["1001"]), ("07 00", ["1002"]), ("xyz", []), ("", []), ("   ", []),
    ("!!", []),
])
def test_by_number_name_or_phone(uow, query, found):
    assert numbers(uow, query) == found


def test_never_another_sectors_client(uow):
    assert numbers(uow, "dupont", ["Nord", "Sud"]) == ["2001", "1001"]  # André before Hélène
    assert numbers(uow, "2001") == [] and numbers(uow, "andre") == []
    assert numbers(uow, "06 12 99") == [] and numbers(uow, "06 12 99", ["Sud"]) == ["2001"]
    assert numbers(uow, "dupont", []) == [] and numbers(uow, "dupont", ["Est"]) == []


def test_the_exact_number_first_then_names_starting_like_the_query(uow):
    assert numbers(uow, "1001", ["Nord", "Sud"]) == ["1001"]
    assert numbers(uow, "dup", ["Nord", "Sud"]) == ["2001", "1001", "1002"]  # by name
    assert numbers(uow, "e", ["Nord"]) == ["1001", "1010"]
    assert numbers(uow, "lou") == ["1002"]


def test_a_summary_has_the_phone_and_at_most_limit_results(uow):
    found = services.search_clients(uow, "dup", ["Nord"], limit=1)
    assert [(c.number, c.name, c.phone, c.sector) for c in found] == [
        ("1001", "Mme Hélène Dupont", "06 12 34 56 78", "Nord")]
    assert services.search_clients(uow, "lefevre", ["Nord"])[0].phone is None


# --- the caller's file ----------------------------------------------------------------------------

def test_the_callers_file_says_what_cancelling_or_changing_now_means(uow):
    found = services.caller_file(uow, "1001", ["Nord"], now=NOW)
    assert (found.client.number, found.client.name, found.client.phone, found.client.email) == (
        "1001", "Mme Hélène Dupont", "06 12 34 56 78", "helene@example.org")
    lines = [(i.external_id, c.billed, c.text, ch.in_time, ch.text)
             for i, c, ch in found.interventions]
    late = "Changement hors délai (moins de 10 jours avant)"
    billed = "Annulation facturée (moins de 48 h avant)"
    assert lines == [
        ("I-1001-0", True, billed, False, late),
        ("I-1001-1", True, billed, False, late),
        ("I-1001-2", False, "Annulation gratuite jusqu'à lundi 2 mars à 10 h", False, late),
        ("I-1001-3", False, "Annulation gratuite jusqu'à lundi 9 mars à 9 h", False, late),
        ("I-1001-4", False, "Annulation gratuite jusqu'à mardi 10 mars à 10 h", True,
         "Changement possible jusqu'au lundi 2 mars à 10 h"),
        # 1 April 9 h (summer time): 10 days of real time before is 22 March 8 h (winter)
        ("I-1001-5", False, "Annulation gratuite jusqu'à lundi 30 mars à 9 h", True,
         "Changement possible jusqu'au dimanche 22 mars à 8 h"),
    ]
    cancel = found.interventions[2][1]
    assert cancel.free_until == NOW + timedelta(hours=1) and found.interventions[0][1].free_until \
        is None
    assert found.requests == [] and found.callbacks == []


def test_the_file_follows_the_clock_and_lists_requests_and_callbacks(uow):
    services.create_cancellation_request(uow, client_number="1001", intervention_id="I-1001-5",
                                         reason="personnel", channel="phone",
                                         actor="bureau.nord", now=NOW)
    services.create_callback(uow, client_number="1001", phone="0612345678", best_time="matin",
                             topic="facturation", actor="bureau.nord", sectors=["Nord"],
                             now=NOW)
    later = NOW + timedelta(hours=2)
    found = services.caller_file(uow, "1001", ["Nord"], now=later)
    assert [i.external_id for i, _c, _ch in found.interventions] == [
        f"I-1001-{k}" for k in range(6)]  # a request does not cancel: the office does
    assert found.interventions[2][1].billed  # 49 h became 47 h
    assert not found.interventions[4][2].in_time  # 10 days + 1 h became 10 days - 1 h
    assert [(r.kind.value, r.actor) for r in found.requests] == [("cancellation", "bureau.nord")]
    assert [c.reference for c in found.callbacks] == ["RAP-2026-00001"]


@pytest.mark.parametrize("number, sectors", [
    ("2001", ["Nord"]), ("9999", ["Nord", "Sud"]), ("1001", []), ("", ["Nord"]),
])
def test_not_in_my_sectors_is_the_same_as_unknown(uow, number, sectors):
    with pytest.raises(services.ClientNotFound) as error:
        services.caller_file(uow, number, sectors, now=NOW)
    assert error.value.message == "Client introuvable dans vos secteurs."
    assert isinstance(error.value, ServiceError) and error.value.code == "client_not_found"


# --- callbacks ---------------------------------------------------------------------------------------

def callback(uow, **kw):
    values = dict(client_number="1001", phone="06 12 34 56 78", best_time="demain matin",
                  topic="annulation", actor="bureau.nord", sectors=["Nord"], now=NOW)
    return services.create_callback(uow, **{**values, **kw})


def test_a_callback_is_recorded_with_a_reference_of_the_year(uow):
    first = callback(uow)
    second = callback(uow, phone="+33 7 00 00 00 02", best_time="  après   16 h ",
                      topic="autre", now=NOW + timedelta(days=1))
    assert (first.reference, second.reference) == ("RAP-2026-00001", "RAP-2026-00002")
    assert (second.phone, second.best_time, second.topic, second.status, second.sector,
            second.client_name, second.actor) == (
        "07 00 00 00 02", "après 16 h", CallbackTopic.AUTRE, RequestStatus.RECEIVED, "Nord",
        "Mme Hélène Dupont", "bureau.nord")
    assert callback(uow, now=NOW.replace(year=2027)).reference == "RAP-2027-00001"
    with uow:
        assert [c.reference for c in uow.callbacks.for_client("1001")] == [
            "RAP-2026-00001", "RAP-2026-00002", "RAP-2027-00001"]
        assert uow.callbacks.get("RAP-2026-00002") == second


@pytest.mark.parametrize("values, words", [
    (dict(phone="12 34"), "Numéro à rappeler invalide : « 12 34 »"),
    (dict(phone="+44 6 12 34 56 78"), "Numéro à rappeler invalide"),
    (dict(phone="06 12 34 56 78 9"), "Numéro à rappeler invalide"),
    (dict(best_time="  "), "Moment préféré pour le rappel manquant ou trop long"),
    (dict(best_time="x" * 101), "Moment préféré pour le rappel manquant ou trop long"),
    (dict(topic="urgence"), "Sujet du rappel inconnu : annulation, changement, facturation"),
    (dict(actor=""), "Auteur de la demande manquant"),
    (dict(client_number="2001"), "Client introuvable dans vos secteurs."),
    (dict(sectors=[]), "Client introuvable dans vos secteurs."),
])
def test_a_callback_is_checked_in_french(uow, values, words):
    with pytest.raises(ServiceError) as error:
        callback(uow, **values)
    assert words in error.value.message
    with uow:
        assert uow.callbacks.for_client("1001") == []


def test_a_reference_taken_meanwhile_is_retried(uow, monkeypatch):
    taken = callback(uow).reference
    calls = []
    real = type(uow.store.callback_rows).next_reference

    def stale(self, year):  # a concurrent call's reference the first time
        calls.append(year)
        return taken if len(calls) == 1 else real(self, year)

    monkeypatch.setattr(type(uow.store.callback_rows), "next_reference", stale)
    assert callback(uow).reference == "RAP-2026-00002" and len(calls) == 2
    monkeypatch.setattr(type(uow.store.callback_rows), "next_reference",
                        lambda self, year: taken)
    with pytest.raises(Conflict):
        callback(uow)
