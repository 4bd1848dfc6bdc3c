"""The staff screen's store (issue 21) on SQLite and PostgreSQL (``url`` fixture), and the
same cases on the in-memory fake (``store`` parameter ``fake``): account sectors, the
client search on ``clients.search_key``, the caller's file, callbacks (unique references),
unanswered questions (masked, labelled, purged), the planning's optional phone and e-mail
columns, ``amper account sectors``, forget and export."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot import settings
from bot.adapters import orm
from bot.adapters.planning_import import read_planning
from bot.domain.errors import Conflict, InvalidInput
from bot.domain.staff import Callback, CallbackTopic, UnansweredKind
from bot.entrypoints import cli
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.conftest import NOW, STORES, empty_store, row

TODAY = NOW.date()
HEADER = "intervention_id;client_id;client_name;sector;caregiver;start;end;service"
CONTACT_HEADER = HEADER + ";client_phone;client_email"


def _rows():
    return [
        row("N-1", NOW + timedelta(hours=49), client="1001", name="Mme Hélène Dupont"),
        row("N-2", NOW + timedelta(days=11), client="1001", name="Mme Hélène Dupont"),
        row("N-3", NOW + timedelta(days=2), client="1002", name="M. Louis Dupuis",
            caregiver="Karim Haddad"),
        row("S-1", NOW + timedelta(days=3), client="2001", name="M. André Dupont", sector="Sud"),
    ]


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """A unit of work on the real store (SQLite, PostgreSQL) or on the fake, seeded alike."""
    uow = empty_store(request, tmp_path)
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.set_sector(uow, "Sud", office_email="sud@amper.example")
    services.import_rows(uow, _rows())
    with uow:
        uow.staff.set_client_contact("1001", "06 12 34 56 78", "helene@example.org")
        uow.staff.set_client_contact("2001", "06 12 99 99 99", None)
        uow.commit()
    services.set_account(uow, "bureau.nord", "pw", "staff")
    services.set_account(uow, "client1001", "pw", "client", "1001")
    return uow


def test_account_sectors(store):
    assert services.set_account_sectors(store, "bureau.nord", ["Sud", "Nord"]) == ["Nord", "Sud"]
    assert services.staff_sectors(store, "bureau.nord") == ["Nord", "Sud"]
    services.set_account_sectors(store, "bureau.nord", ["Nord"])
    assert services.staff_sectors(store, "bureau.nord") == ["Nord"]
    assert services.staff_sectors(store, "client1001") == []
    with pytest.raises(InvalidInput):
        services.set_account_sectors(store, "bureau.nord", ["Ouest"])
    assert services.staff_sectors(store, "bureau.nord") == ["Nord"]


@pytest.mark.parametrize("query, sectors, found", [
    ("dup", ["Nord"], ["1001", "1002"]), ("dup", ["Nord", "Sud"], ["2001", "1001", "1002"]),
    ("HELENE", ["Nord"], ["1001"]), ("hél dupo", ["Nord"], ["1001"]),
    ("06 12", ["Nord"], ["1001"]), ("+33 6 12 99", ["Nord", "Sud"], ["2001"]),
    ("100", ["Nord", "Sud"], ["1001", "1002"]), ("2001", ["Nord"], []),
    ("andre", ["Nord"], []), ("%", ["Nord"], []), ("d_p", ["Nord"], ["1001", "1002"]),  # words d and p: no LIKE wildcard
])
def test_search(store, query, sectors, found):
    assert [c.number for c in services.search_clients(store, query, sectors)] == found


def test_the_callers_file_and_its_sectors(store):
    found = services.caller_file(store, "1001", ["Nord"], now=NOW)
    assert (found.client.phone, found.client.email) == ("06 12 34 56 78", "helene@example.org")
    assert [(i.external_id, c.text, ch.text) for i, c, ch in found.interventions] == [
        ("N-1", "Annulation gratuite jusqu'à lundi 2 mars à 10 h",
         "Changement hors délai (moins de 10 jours avant)"),
        ("N-2", "Annulation gratuite jusqu'à mercredi 11 mars à 9 h",
         "Changement possible jusqu'au mardi 3 mars à 9 h")]
    with pytest.raises(services.ClientNotFound):
        services.caller_file(store, "2001", ["Nord"], now=NOW)


def test_callbacks(store):
    first = services.create_callback(
        store, client_number="1001", phone="0612345678", best_time="demain 10 h",
        topic="changement", actor="bureau.nord", sectors=["Nord"], now=NOW)
    second = services.create_callback(
        store, client_number="1001", phone="+33 7 00 00 00 01", best_time="soir",
        topic="autre", actor="bureau.nord", sectors=["Nord"], now=NOW + timedelta(hours=1))
    assert (first.reference, second.reference) == ("RAP-2026-00001", "RAP-2026-00002")
    assert (first.phone, first.topic, first.sector, first.client_name, first.status.value,
            first.created_at) == ("06 12 34 56 78", CallbackTopic.CHANGEMENT, "Nord",
                                  "Mme Hélène Dupont", "received", NOW)
    with store:
        assert store.callbacks.get("RAP-2026-00002") == second
        assert store.callbacks.for_client("1001") == [first, second]
        assert store.callbacks.get("RAP-2026-99999") is None
        with pytest.raises(Conflict):
            store.callbacks.add(Callback(
                reference=first.reference, client_number="1001", sector="Nord",
                phone="06 00 00 00 00", best_time="x", topic=CallbackTopic.AUTRE, actor="a",
                created_at=NOW))
        assert store.callbacks.next_reference(2026) == "RAP-2026-00003"  # still usable


def test_unanswered_questions(store):
    services.record_unanswered(store, text="Hélène Dupont, 1001 : Karim vient quand ?",
                               kind="fallback", now=NOW)
    services.record_unanswered(store, text="Karim Haddad vient quand", kind="thumbs_down",
                               now=NOW - timedelta(days=100))
    services.forget_names_cache()
    with store:
        assert [(q.text, q.kind, q.asked_on) for q in store.unanswered.list()] == [
            ("[nom], [nombre] : [nom] vient quand ?", UnansweredKind.FALLBACK, TODAY),
            ("[nom] vient quand", UnansweredKind.THUMBS_DOWN, TODAY - timedelta(days=100))]
        ids = [q.id for q in store.unanswered.list()]
    groups = services.unanswered_groups(store)
    assert [g.count for g in groups] == [2]
    assert services.label_unanswered(store, ids, "faq/x", by="bureau.nord",
                                     topics=["faq/x"]) == 2
    assert "- intent: faq/x\n" in services.export_labelled_nlu(store)
    report = services.purge_store(store, now=NOW, retention=settings.RetentionSettings(
        conversations_days=30, requests_days=400, outbox_days=7, unanswered_days=90))
    assert report.unanswered_deleted == 1
    assert [g.count for g in services.unanswered_groups(store)] == [1]


def test_forget_and_export(store):
    services.create_callback(store, client_number="1001", phone="0612345678", best_time="x",
                             topic="autre", actor="bureau.nord", sectors=["Nord"], now=NOW)
    data = services.export_client(store, "1001", now=NOW)
    assert (data["client"]["phone"], data["client"]["email"]) == ("06 12 34 56 78",
                                                                  "helene@example.org")
    assert [c["reference"] for c in data["callbacks"]] == ["RAP-2026-00001"]
    report = services.forget_client(store, "1001", apply=True)
    assert report.callbacks == 1 and "demandes de rappel effacées : 1" in "\n".join(
        report.lines_fr())
    with store:
        assert store.callbacks.for_client("1001") == []
        summary = store.staff.client_summary("1001")
    assert (summary.name, summary.phone, summary.email) == ("client anonymisé", None, None)
    # the forgotten name is no longer found (the search key follows)
    assert services.search_clients(store, "helene", ["Nord"]) == []
    assert [c.number for c in services.search_clients(store, "anonymise", ["Nord"])] == ["1001"]


# --- the real store only ---------------------------------------------------------------------------

def _table(url, table):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(sa.select(table))]
    engine.dispose()
    return found


@pytest.mark.parametrize("table, values", [
    (orm.unanswered_questions, dict(text="x", kind="sms", asked_on=TODAY)),
    (orm.callbacks, dict(reference="RAP-1", client_id=1, sector_id=1, phone="0", best_time="x",
                         topic="urgence", actor="a", created_at=NOW)),
    (orm.account_sectors, dict(account_id=1, sector_id=1)),  # twice: the pair is unique
])
def test_the_tables_refuse_other_values(url, uow, table, values):
    with uow, pytest.raises(IntegrityError):
        if table is orm.account_sectors:
            uow.session.execute(sa.insert(table).values(**values))
        uow.session.execute(sa.insert(table).values(**values))
        uow.session.flush()


def test_planning_phone_and_e_mail_columns(url, uow):
    services.import_planning(uow, "\n".join([
        CONTACT_HEADER,
        "A-1;1001;Mme Dupont;Nord;;2026-03-10T09:00;2026-03-10T10:00;Ménage;"
        "06.12.34.56.78;dupont@example.org",
        "A-2;1001;Mme Dupont;Nord;;2026-03-11T09:00;2026-03-11T10:00;Ménage;"
        "+33 6 12 34 56 78;dupont@example.org",
        "A-3;1002;M. Martin;Nord;;2026-03-11T09:00;2026-03-11T10:00;Ménage;;"]).encode())
    assert {(c["number"], c["phone"], c["email"], c["search_key"])
            for c in _table(url, orm.clients)} == {
        ("1001", "06 12 34 56 78", "dupont@example.org", "mme dupont 0612345678"),
        ("1002", None, None, "m. martin")}
    # an old file without the columns leaves them; a new name updates the search key
    services.import_planning(uow, "\n".join([
        HEADER, "A-1;1001;Mme Durand;Nord;;2026-03-10T09:00;2026-03-10T10:00;Ménage"]).encode())
    assert {(c["number"], c["phone"], c["email"], c["search_key"])
            for c in _table(url, orm.clients)} >= {
        ("1001", "06 12 34 56 78", "dupont@example.org", "mme durand 0612345678")}
    # an empty cell erases
    report = services.import_planning(uow, "\n".join([
        CONTACT_HEADER,
        "A-1;1001;Mme Durand;Nord;;2026-03-10T09:00;2026-03-10T10:00;Ménage;;"]).encode())
    assert report.clients_updated == 1
    assert [(c["phone"], c["email"]) for c in _table(url, orm.clients)
            if c["number"] == "1001"] == [(None, None)]


def test_planning_contact_columns_are_checked():
    from bot.domain.errors import PlanningImportError

    with pytest.raises(PlanningImportError) as error:
        read_planning("\n".join([
            CONTACT_HEADER,
            "A-1;1001;Mme Dupont;Nord;;2026-03-10T09:00;2026-03-10T10:00;Ménage;12 34;x@",
            "A-2;1002;M. Martin;Nord;;2026-03-10T09:00;2026-03-10T10:00;Ménage;0612345678;",
            "A-3;1002;M. Martin;Nord;;2026-03-11T09:00;2026-03-11T10:00;Ménage;0712345678;",
            ]).encode())
    lines = dict(error.value.errors)
    assert "client_phone « 12 34 » : numéro français attendu" in lines[2]
    assert "client_email « x@ » : adresse e-mail invalide" in lines[2]
    assert lines[4] == "client 1002 : téléphone ou e-mail différent de la ligne 3"
    rows = read_planning(f"{HEADER}\nA-1;1001;Mme Dupont;Nord;;2026-03-10T09:00;"
                         "2026-03-10T10:00;Ménage".encode())
    assert (rows[0].client_phone, rows[0].client_email) == (None, None)


def test_amper_account_sectors(url, monkeypatch, capsys):
    monkeypatch.setenv("AMPER_DATABASE_URL", url)
    uow = SqlAlchemyUnitOfWork(url)
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.set_sector(uow, "Sud", office_email="sud@amper.example")
    services.set_account(uow, "bureau.nord", "pw", "staff")
    assert cli.main(["account", "sectors", "bureau.nord", "Sud", "Nord"]) == 0
    assert capsys.readouterr().out == "Le compte bureau.nord sert désormais : Nord, Sud.\n"
    assert services.staff_sectors(uow, "bureau.nord") == ["Nord", "Sud"]
    assert cli.main(["account", "sectors", "bureau.nord", "Est"]) == 1
    assert "Erreur : Secteur(s) inconnu(s) : Est" in capsys.readouterr().err
    assert cli.main(["account", "sectors", "inconnu", "Nord"]) == 1
    assert "Compte inconnu : « inconnu »." in capsys.readouterr().err
