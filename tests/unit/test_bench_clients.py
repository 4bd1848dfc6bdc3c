"""The client search's case of ``make bench`` (bot/entrypoints/bench_clients.py), on a few
clients: it measures the search and the reference and reports p95 and their ratio."""
from __future__ import annotations

from bot.entrypoints import bench_clients


def test_a_small_run_reports_the_search_against_the_lookup(tmp_path):
    rows = bench_clients.client_rows(30)
    assert len({r.client_id for r in rows}) == 30 and rows[0].client_phone.startswith("06 ")
    result = bench_clients.measure(clients=30, rounds=2, work=tmp_path)
    assert len(result["search_all"]) == len(bench_clients.QUERIES) * 2
    assert result["lookup"] and all(v > 0 for v in result["lookup"])
    lines = bench_clients.section(result)
    assert lines[1] == "## Recherche d'un client par un conseiller (30 clients, SQLite)"
    assert lines[-3].startswith("| recherche, 2 secteurs (tous les clients) | ")
    assert "× | ≤ 50 ms" in lines[-3] and lines[-1].startswith("| référence : client par numéro")


def test_the_section_is_appended_to_the_report(tmp_path, monkeypatch, capsys):
    report = tmp_path / "bench.md"
    report.write_text("# Vitesse\n", encoding="utf-8")
    monkeypatch.setattr(bench_clients, "measure", lambda clients, rounds: {
        "clients": clients, "search_all": [10.0, 20.0], "search_one": [5.0, 6.0],
        "lookup": [1.0, 2.0]})
    assert bench_clients.main(["--clients", "10000", "--append", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Vitesse\n\n## Recherche d'un client par un conseiller "
                           "(10 000 clients, SQLite)")
    assert "| recherche, 2 secteurs (tous les clients) | 15.0 ms | 19.5 ms | 10.0 × | ≤ 50 ms ✓ |" \
        in text
