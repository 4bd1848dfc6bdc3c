"""Planning import: good files (separators, BOM, date formats, idempotence, moves) and bad
files (every faulty line reported, nothing applied)."""
from datetime import datetime, timedelta, timezone

import pytest

from bot.adapters import orm
from bot.adapters.planning_import import parse_datetime, read_planning
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from bot.domain.errors import PlanningImportError

from .conftest import NOW, PARIS, row

HEADER = "intervention_id,client_id,client_name,sector,caregiver,start,end,service"


def csv_bytes(lines, sep=",", bom=False, crlf=False):
    text = ("\r\n" if crlf else "\n").join(l.replace(",", sep) if sep != "," else l for l in lines)
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


GOOD = [
    HEADER,
    "A1,1001,Mme Dupont,Nord,Marie Curie,2026-03-05T09:00,2026-03-05T10:00,Aide au lever",
    "A2,1001,Mme Dupont,Nord,Marie Curie,05/03/2026 14:30,05/03/2026 15:15,Ménage",
    "A3,2001,M. Martin,Sud,Jean Moulin,2026-03-06 08:00:00+01:00,2026-03-06T09:00Z,Courses",
    "A4,2002,Mme Élodie Noël,Sud,,2026-03-29 03:00,2026-03-29 04:00,",
]


def counts(uow):
    with uow:
        r = uow.repo
        return tuple(r.count(t) for t in (orm.sectors, orm.clients, orm.caregivers, orm.interventions))


@pytest.mark.parametrize("sep,bom,crlf", [(",", False, False), (";", True, False), (";", False, True),
                                          (",", True, True)])
def test_good_file(url, uow, tmp_path, sep, bom, crlf):
    path = tmp_path / "planning.csv"
    path.write_bytes(csv_bytes(GOOD, sep, bom, crlf))
    report = services.import_planning(uow, path)
    assert report.rows == 4 and report.interventions_created == 4
    assert report.sectors_created == 2 and report.clients_created == 3 and report.caregivers_created == 2
    assert counts(uow) == (2, 3, 2, 4)
    a2 = services.get_intervention(uow, "1001", "A2")
    assert a2.start == datetime(2026, 3, 5, 14, 30, tzinfo=PARIS) and a2.service == "Ménage"
    assert a2.end - a2.start == timedelta(minutes=45)
    a3 = services.get_intervention(uow, "2001", "A3")
    assert a3.start.astimezone(timezone.utc) == datetime(2026, 3, 6, 7, tzinfo=timezone.utc)
    assert a3.end.astimezone(timezone.utc) == datetime(2026, 3, 6, 9, tzinfo=timezone.utc)
    a4 = services.get_intervention(uow, "2002", "A4")
    assert a4.caregiver is None and a4.client_name == "Mme Élodie Noël"
    assert a4.start.utcoffset() == timedelta(hours=2)  # after the March change

    again = services.import_planning(uow, path)  # same file twice: nothing changes
    assert again.interventions_created == 0 and again.interventions_updated == 0
    assert again.interventions_unchanged == 4 and again.clients_created == again.clients_updated == 0
    assert counts(uow) == (2, 3, 2, 4)


def test_moved_intervention_keeps_its_requests(url, uow, tmp_path):
    first = tmp_path / "p1.csv"
    first.write_bytes(csv_bytes([HEADER, "M1,1001,Mme Dupont,Nord,Marie,2026-03-20T09:00,2026-03-20T10:00,Ménage"]))
    services.import_planning(uow, first)
    result = services.create_cancellation_request(uow, client_number="1001", intervention_id="M1",
                                                  reason="personnel", channel="web", actor="1001", now=NOW)
    moved = tmp_path / "p2.csv"
    moved.write_bytes(csv_bytes([HEADER, "M1,1001,Mme Dupont,Nord,Paul,2026-03-21T15:00,2026-03-21T16:30,Ménage"]))
    report = services.import_planning(uow, moved)
    assert report.interventions_updated == 1 and report.caregivers_created == 1
    iv = services.get_intervention(uow, "1001", "M1")
    assert iv.start == datetime(2026, 3, 21, 15, tzinfo=PARIS) and iv.caregiver == "Paul"
    request = services.get_request(uow, result.reference)
    assert request.intervention_external_id == "M1" and request.is_open
    assert request.intervention_start == iv.start


def test_bad_file_reports_every_line_and_applies_nothing(url, uow, tmp_path):
    lines = [
        HEADER,
        "B1,1001,Mme Dupont,Nord,Marie,2026-03-05T09:00,2026-03-05T10:00,Ménage",      # ok
        "B2,1001,Mme Dupont,Nord,Marie,2026-03-05T11:00,2026-03-05T10:00,Ménage",      # 3 end<start
        ",1002,M. X,Nord,Marie,2026-03-05T09:00,2026-03-05T10:00,Ménage",              # 4 no id
        "B4,1003,M. Y,Nord,Marie,31/02/2026 09:00,31/02/2026 10:00,Ménage",            # 5 impossible
        "B5,1004,M. Z,Nord,Marie,demain,2026-03-05T10:00,Ménage",                      # 6 unreadable
        "B1,1005,M. W,Nord,Marie,2026-03-06T09:00,2026-03-06T10:00,Ménage",            # 7 duplicate
        "B7,1006,M. V,Nord,Marie,29/03/2026 02:30,29/03/2026 03:30,Ménage",            # 8 nonexistent
        "B8,1007,M. U,Nord,Marie,25/10/2026 02:30,25/10/2026 03:30,Ménage",            # 9 ambiguous
        "B9,1001,Mme Durand,Sud,Marie,2026-03-07T09:00,2026-03-07T10:00,Ménage",       # 10 client differs
        "B10,1008,M. T,Nord,Marie,2026-03-07T09:00",                                   # 11 columns
        "",
        "B11,1009,M. S,Nord,Marie,2026-03-01T09:00,2026-03-02T10:00,Ménage",           # 13 > 24 h
        "B12,1010,,,Marie,2026-03-07,2026-03-07T10:00,Ménage",                          # 14 several
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(lines, ";"))
    with pytest.raises(PlanningImportError) as info:
        services.import_planning(uow, path)
    errors = dict(info.value.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14]
    assert "fin doit être après le début" in errors[3]
    assert "intervention_id manquant" in errors[4]
    assert "impossible" in errors[5]
    assert "illisible" in errors[6]
    assert "déjà présent ligne 2" in errors[7]
    assert "n'existe pas" in errors[8] and "heure d'été" in errors[8]
    assert "ambiguë" in errors[9] and "+02:00" in errors[9]
    assert "différent de la ligne 2" in errors[10]
    assert "colonne(s) au lieu de 8" in errors[11]
    assert "24 heures" in errors[13]
    assert "client_name manquant" in errors[14] and "sector manquant" in errors[14] and "start" in errors[14]
    message = info.value.message
    assert message.startswith("Fichier refusé : 11 erreur(s), aucune modification appliquée.")
    assert "ligne 9 :" in message
    assert counts(uow) == (0, 0, 0, 0)


def test_bad_file_does_not_touch_existing_data(url, uow, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD))
    services.import_planning(uow, good)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER,
                               "A1,1001,Mme Dupont,Nord,Paul,2026-03-09T09:00,2026-03-09T10:00,X",
                               "A9,1001,Mme Dupont,Nord,Paul,2026-03-09T09:00,,X"]))
    with pytest.raises(PlanningImportError):
        services.import_planning(uow, bad)
    assert services.get_intervention(uow, "1001", "A1").caregiver == "Marie Curie"
    assert counts(uow) == (2, 3, 2, 4)


@pytest.mark.parametrize("content,expected", [
    (b"", "fichier vide"),
    (b"\n\n", "fichier vide"),
    (b"id;client\n1;2\n", "colonne(s) manquante(s)"),
    (HEADER.encode() + b"\nA1,1001,Caf\xe9,Nord,,2026-03-05T09:00,2026-03-05T10:00,\n", "UTF-8"),
    (b"\x00\x01\x02binary", "caractère nul"),
    (HEADER.encode() + b',service\n', "en double"),
])
def test_unreadable_files(url, uow, tmp_path, content, expected):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(PlanningImportError) as info:
        services.import_planning(uow, path)
    assert expected in info.value.message
    assert counts(uow) == (0, 0, 0, 0)


def test_missing_file(url, uow, tmp_path):
    with pytest.raises(PlanningImportError) as info:
        services.import_planning(uow, tmp_path / "absent.csv")
    assert "introuvable" in info.value.message


def test_non_utf8_reports_each_line():
    data = (HEADER + "\nA1,1,Caf\xe9,N,,2026-03-05T09:00,2026-03-05T10:00,\nA2,1,ok,N,,"
            "2026-03-05T09:00,2026-03-05T10:00,\nA3,1,\xe9,N,,2026-03-05T09:00,2026-03-05T10:00,\n"
            ).encode("latin-1")
    with pytest.raises(PlanningImportError) as info:
        read_planning(data)
    assert [line for line, _ in info.value.errors] == [2, 4]


def test_quoted_fields_and_header_order():
    data = ('service;"end";start;caregiver;sector;client_name;client_id;intervention_id;extra\n'
            '"Ménage; repassage";2026-03-05T10:00;2026-03-05T09:00;;Nord;"Dupont, Jeanne";1001;Q1;x\n'
            ).encode()
    (row,) = read_planning(data)
    assert row.service == "Ménage; repassage" and row.client_name == "Dupont, Jeanne"
    assert row.intervention_id == "Q1" and row.caregiver is None


def test_parse_datetime_formats():
    expected = datetime(2026, 3, 5, 9, tzinfo=PARIS)
    for text in ("2026-03-05T09:00", "2026-03-05 09:00", "05/03/2026 09:00", "5/3/2026 9:00",
                 "2026-03-05T08:00Z", "2026-03-05T09:00:00+01:00", "05/03/2026 09h00"):
        assert parse_datetime(text) == expected, text
    # explicit offsets resolve the ambiguous October hour
    assert parse_datetime("2026-10-25T02:30+02:00").astimezone(timezone.utc).hour == 0
    assert parse_datetime("2026-10-25T02:30+01:00").astimezone(timezone.utc).hour == 1
    for bad in ("2026-03-05", "05/03/26 09:00", "2026-13-05T09:00", "", "25/10/2026 02:30",
                "29/03/2026 02:00"):
        with pytest.raises(ValueError):
            parse_datetime(bad)


# --- batches: other writers get the database during an import ---------------------------------

def _new_rows(count, client="3001"):
    start = NOW + timedelta(days=20)
    return [row(f"N{i}", start + timedelta(hours=i), client=client, name="M. Neuf",
                sector="Est", caregiver=f"Intervenant {i % 2}") for i in range(count)]


def test_request_recorded_while_an_import_is_between_two_batches(seeded):
    """The import commits batch by batch: a cancellation recorded while it pauses between two
    batches goes through at once (with one transaction for the whole file, it would wait for
    the end — here the pause would never come)."""
    import threading
    import time

    url = seeded
    paused, go = threading.Event(), threading.Event()
    outcome = {}

    def between(written, total):
        outcome.setdefault("pauses", []).append((written, total))
        paused.set()
        go.wait(30)

    def run_import():
        outcome["report"] = services.import_rows(SqlAlchemyUnitOfWork(url), _new_rows(6),
                                                 batch_size=2, after_batch=between)

    def cancel():
        started = time.perf_counter()
        outcome["request"] = services.create_cancellation_request(
            SqlAlchemyUnitOfWork(url), client_number="1001", intervention_id="I-5D",
            reason="personnel", channel="web", actor="1001", now=NOW)
        outcome["seconds"] = time.perf_counter() - started

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert paused.wait(10), "l'import ne s'est jamais arrêté entre deux lots"
        requester = threading.Thread(target=cancel)
        requester.start()
        requester.join(5)
        assert not requester.is_alive(), "la demande attend la fin de l'import"
    finally:
        go.set()
        importer.join(60)
    requester.join(60)
    assert outcome["request"].created and outcome["seconds"] < 5
    assert outcome["pauses"] == [(2, 6), (4, 6)]
    report = outcome["report"]
    assert (report.rows, report.interventions_created, report.clients_created,
            report.sectors_created, report.caregivers_created) == (6, 6, 1, 1, 2)
    assert services.get_request(SqlAlchemyUnitOfWork(url), outcome["request"].reference).is_open


def test_counts_stay_exact_across_batches(url, uow, tmp_path):
    services.import_rows(uow, [row("K1", NOW + timedelta(days=3)),
                               row("K2", NOW + timedelta(days=4))])
    changed = [row("K1", NOW + timedelta(days=3), name="Mme Dupont-Durand"),       # client renamed
               row("K2", NOW + timedelta(days=4, hours=2), name="Mme Dupont-Durand"),  # moved
               row("K3", NOW + timedelta(days=5), name="Mme Dupont-Durand")]
    changed += _new_rows(5)
    report = services.import_rows(uow, changed, batch_size=1)
    assert report.rows == 8
    assert (report.interventions_created, report.interventions_updated,
            report.interventions_unchanged) == (6, 1, 1)
    assert (report.clients_created, report.clients_updated) == (1, 1)
    assert (report.sectors_created, report.caregivers_created) == (1, 2)
    again = services.import_rows(uow, changed, batch_size=3)
    assert (again.interventions_unchanged, again.interventions_created,
            again.interventions_updated, again.clients_created, again.clients_updated,
            again.sectors_created, again.caregivers_created) == (8, 0, 0, 0, 0, 0, 0)
    assert counts(uow) == (2, 2, 3, 8)


def test_interrupted_import_says_what_was_written_and_a_rerun_completes_it(url, uow, tmp_path):
    """The database goes away at the third batch's commit: two batches stay written, the third
    is rolled back, the message says so in French; the same file again completes the import."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import sessionmaker

    from bot.adapters import db
    from bot.domain.errors import StoreUnavailable

    factory = sessionmaker(bind=db.get_engine(url), future=True, expire_on_commit=False)
    opened = []

    def flaky_session():
        session = factory()
        opened.append(session)
        if len(opened) == 3:
            def lost():
                raise sa_exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
            session.commit = lost
        return session

    lines = [HEADER] + [f"R{i},{4000 + i % 3},Client {4000 + i % 3},Ouest,,"
                        f"2026-04-{1 + i:02d}T09:00,2026-04-{1 + i:02d}T10:00,Ménage"
                        for i in range(10)]
    path = tmp_path / "planning.csv"
    path.write_bytes(csv_bytes(lines))
    broken = SqlAlchemyUnitOfWork(url, session_factory=flaky_session)
    with pytest.raises(StoreUnavailable) as info:
        services.import_planning(broken, path, batch_size=2)
    message = info.value.message
    assert message.startswith("Import du planning interrompu")
    assert "4 ligne(s) sur 10 ont été enregistrées" in message and "relancez" in message
    assert counts(uow)[3] == 4

    report = services.import_planning(uow, path, batch_size=2)
    assert (report.interventions_created, report.interventions_unchanged) == (6, 4)
    assert counts(uow) == (1, 3, 0, 10)
