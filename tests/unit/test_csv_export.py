"""bot/domain/csv_export.py: the office's CSV files read back as French Excel reads them
(``;``, UTF-8 with BOM, CRLF), with accents, separators, quotes and line breaks in the
cells, formula cells neutralised and dates as JJ/MM/AAAA HH:MM in Paris time."""
from __future__ import annotations

import csv
import doctest
import io

from bot.domain import csv_export
from bot.domain.csv_export import REQUEST_COLUMNS, requests_csv, summary_csv

NASTY_NAME = 'Hélène "Lulu" Dupré; née Müller\nBâtiment B'


def read(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def item(**changes):
    found = {
        "reference": "AMP-2026-000123", "kind": "cancellation", "kind_label": "Annulation",
        "status": "refused", "status_label": "refusée", "outcome": "refused",
        "outcome_label": "refusée par le bureau de secteur", "open": False, "version": 2,
        "client": {"number": "1001", "name": NASTY_NAME}, "sector": "Nord",
        "intervention": "mardi 8 décembre, de 9 h à 11 h",
        "intervention_start": "2026-12-08T08:00:00+00:00", "new_slot": None,
        "asked": "Annuler l'intervention du mardi 8 décembre, de 9 h à 11 h",
        "rule": "Annulation à moins de 48 h (préavis : 20 h)",
        "billing": "facturée (annulation à moins de 48 h)", "out_of_notice": True,
        "exemption_pending": False, "reason_label": "Hospitalisation",
        "channel_label": "site web", "actor": "client1001",
        "received_at": "2026-12-07T09:02:00+00:00",
        "received_label": "lundi 7 décembre à 10 h 02", "decided_by": "bureau.nord",
        "decided_label": "lundi 7 décembre à 11 h 15",
        "refusal_label": "aucun intervenant disponible sur ce créneau",
        "note": "=HYPERLINK(\"http://x\")", "decisions": [], "marks": ["hors délai"]}
    found.update(changes)
    return found


def test_the_file_starts_with_a_bom_and_ends_its_lines_with_crlf():
    data = requests_csv([item()])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.startswith("Référence;Type;Statut;")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "").replace("\nBâtiment", "")


def test_headers_then_one_row_per_item_read_back_exactly():
    rows = read(requests_csv([item(), item(reference="AMP-2026-000124", note=None)]))
    assert rows[0] == list(REQUEST_COLUMNS)
    assert len(rows) == 3
    row = dict(zip(rows[0], rows[1]))
    assert row["Client"] == NASTY_NAME  # accents, ';', quotes and the line break survive
    assert row["Client n°"] == "1001" and row["Secteur"] == "Nord"
    assert row["Intervention (début)"] == "08/12/2026 09:00"   # Paris time (UTC+1)
    assert row["Reçue le"] == "07/12/2026 10:02"
    assert row["Décidée le"] == "lundi 7 décembre à 11 h 15"      # no ISO: the label
    assert row["Décision du bureau"] == ("refusée par le bureau de secteur (motif : aucun "
                                         "intervenant disponible sur ce créneau)")
    assert row["Motif"] == "Hospitalisation" and row["Canal"] == "site web"
    assert row["Nouveau créneau"] == ""
    assert dict(zip(rows[0], rows[2]))["Précision"] == ""


def test_formula_cells_are_text():
    rows = read(requests_csv([item(note=start + "1+1", actor="-2") for start in
                              ("=", "+", "-", "@", "\t", "\r")]))
    notes = [dict(zip(rows[0], row))["Précision"] for row in rows[1:]]
    assert notes == ["'=1+1", "'+1+1", "'-1+1", "'@1+1", "'\t1+1", "'\r1+1"]
    assert all(dict(zip(rows[0], row))["Saisi par"] == "'-2" for row in rows[1:])
    inner = read(requests_csv([item(note="a=b; c+d")]))[1]
    assert dict(zip(rows[0], inner))["Précision"] == "a=b; c+d"   # only the first character


def test_dates_in_paris_time_summer_and_winter_and_a_decided_at():
    assert csv_export.paris_datetime("2026-07-01T07:05:00+00:00") == "01/07/2026 09:05"
    assert csv_export.paris_datetime("2026-12-31T23:30:00Z") == "01/01/2027 00:30"
    assert csv_export.paris_datetime("2026-12-08T09:00:00+01:00") == "08/12/2026 09:00"
    assert csv_export.paris_datetime("2026-12-08T08:00:00") == "08/12/2026 09:00"  # naive: UTC
    assert csv_export.paris_datetime(None) == ""
    rows = read(requests_csv([item(decided_at="2026-12-07T10:15:00+00:00")]))
    assert dict(zip(rows[0], rows[1]))["Décidée le"] == "07/12/2026 11:15"


def test_an_empty_list_is_the_header_line_only():
    assert read(requests_csv([])) == [list(REQUEST_COLUMNS)]


def test_the_month_summary():
    summary = {
        "month": "2026-12", "label": "décembre 2026",
        "rows": [{"kind_label": "Annulation", "outcome_label": "acceptée", "count": 3},
                 {"kind_label": "Changement d'horaire", "outcome_label": "refusée",
                  "count": 1}],
        "billed_late_cancellations": [
            {"reference": "AMP-2026-000123", "client": {"number": "1001", "name": NASTY_NAME},
             "intervention": "2026-12-08T08:00:00+00:00",
             "decided": "2026-12-07T10:15:00+00:00"},
            {"reference": "AMP-2026-000130", "client": "@Dupont",
             "intervention": "mercredi 9 décembre", "decided": None}],
        "total": 4}
    data = summary_csv(summary)
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
    rows = read(data)
    assert rows[0] == ["Synthèse du mois : décembre 2026"]
    assert rows[2] == ["Type", "Décision", "Nombre"]
    assert rows[3] == ["Annulation", "acceptée", "3"]
    assert rows[4] == ["Changement d'horaire", "refusée", "1"]
    assert rows[5] == ["Total", "", "4"]
    assert rows[7] == ["Annulations tardives facturées"]
    assert rows[8] == ["Référence", "Client", "Intervention", "Décision"]
    assert rows[9] == ["AMP-2026-000123", NASTY_NAME + " (n° 1001)", "08/12/2026 09:00",
                       "07/12/2026 11:15"]
    assert rows[10] == ["AMP-2026-000130", "'@Dupont", "mercredi 9 décembre", ""]


def test_an_empty_month():
    rows = read(summary_csv({"month": "2026-11", "label": "novembre 2026", "rows": [],
                             "billed_late_cancellations": [], "total": 0}))
    assert rows[3] == ["Total", "", "0"] and len(rows) == 7


def test_the_module_examples():
    assert doctest.testmod(csv_export).failed == 0
