"""``make bench``, the staff's client search (issue 21): ``search_clients`` among 10,000
clients on SQLite, against a plain indexed lookup by number measured in the same run.

    .venv/bin/python -m bot.entrypoints.bench_clients            # prints the section
    .venv/bin/python -m bot.entrypoints.bench_clients --append reports/bench.md  # make bench

A temporary SQLite store gets 10,000 clients (two sectors, phones, accented names) with one
intervention each; each query of :data:`QUERIES` (a name's part, two words, a number's
prefix, a phone's digits) is run ``rounds`` times through the service, the staff member
serving both sectors (every client a candidate: the worst case), then one sector.  The
reference is ``uow.staff.client_summary(number)`` in its own unit of work (the same
transaction and session cost, an index lookup instead of the search).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, List, Optional

from bot.domain.clock import PARIS
from bot.entrypoints.bench_report import quantile

CLIENTS = 10_000
GOAL_MS = 50.0
FIRST = ["Jeanne", "Hélène", "Louis", "André", "Suzanne", "René", "Odette", "Marcel",
         "Yvonne", "Robert", "Germaine", "Henri", "Simone", "Roger", "Lucienne", "Maurice",
         "Marcelle", "Raymond", "Denise", "Georges", "Françoise", "Jérôme", "Zoé", "Noël"]
LAST = ["Dupont", "Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
        "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
        "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupuis", "Lambert",
        "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
        "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
        "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson"]
QUERIES = ["dupont", "helene dup", "LEFEVRE", "zoe", "jer mas", "1234", "10", "06 12",
           "06 00 01", "+33 6 00 02", "durand jeanne", "xyzzy"]


def client_rows(count: int):
    """``count`` planning rows, one client each (numbers from 10000, two sectors)."""
    from bot.adapters.planning_import import PlanningRow

    rng = random.Random(21)
    start = datetime(2030, 1, 7, 9, 0, tzinfo=PARIS)
    rows = []
    for i in range(count):
        number = str(10_000 + i)
        begin = start + timedelta(hours=i % 500)
        rows.append(PlanningRow(
            line=i + 2, intervention_id=f"B-{number}", client_id=number,
            client_name=f"{rng.choice(['Mme', 'M.'])} {rng.choice(FIRST)} {rng.choice(LAST)}",
            sector="Nord" if i % 2 else "Sud", caregiver=None, start=begin,
            end=begin + timedelta(minutes=90), service="Ménage",
            client_phone=f"06 {rng.randrange(100):02d} {i // 100 % 100:02d} {i % 100:02d} "
                         f"{rng.randrange(100):02d}",
            client_email=""))
    return rows


def _timed(function: Callable[[], object], rounds: int) -> List[float]:
    function()  # warm: the first call compiles the statement
    found = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        function()
        found.append((time.perf_counter() - t0) * 1000)
    return found


def measure(clients: int = CLIENTS, rounds: int = 20, work: Optional[Path] = None) -> dict:
    """{"clients", "search_all", "search_one", "lookup"}: latencies in ms."""
    from bot.adapters import db
    from bot.service_layer import services
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    with tempfile.TemporaryDirectory(prefix="amper-bench-clients-", dir=work) as tmp:
        url = f"sqlite:///{Path(tmp) / 'clients.db'}"
        db.upgrade(url)
        uow = SqlAlchemyUnitOfWork(url)
        services.import_rows(uow, client_rows(clients))
        result = {"clients": clients, "search_all": [], "search_one": [], "lookup": []}
        for query in QUERIES:
            result["search_all"] += _timed(
                lambda: services.search_clients(uow, query, ["Nord", "Sud"]), rounds)
            result["search_one"] += _timed(
                lambda: services.search_clients(uow, query, ["Nord"]), rounds)

        def lookup(number: str):
            with uow:
                return uow.staff.client_summary(number)

        numbers = [str(10_000 + i) for i in range(0, clients, max(1, clients // 48))]
        for number in numbers:
            result["lookup"] += _timed(lambda: lookup(number),
                                       max(1, rounds * len(QUERIES) // len(numbers)))
        db.dispose_engine(url)
    return result


def section(result: dict) -> List[str]:
    """The report's lines (Markdown)."""
    lookup = quantile(result["lookup"], 95)
    count = f"{result['clients']:,}".replace(",", " ")
    out = ["", f"## Recherche d'un client par un conseiller ({count} clients, SQLite)", "",
           f"`search_clients` (nom, numéro ou téléphone, {len(QUERIES)} requêtes variées) ; "
           "référence : lecture d'un client par son numéro (index), même unité de travail.", "",
           "| mesure | p50 | p95 | rapport p95 / référence | objectif |", "|---|---|---|---|---|"]
    for key, label in (("search_all", "recherche, 2 secteurs (tous les clients)"),
                       ("search_one", "recherche, 1 secteur")):
        p95 = quantile(result[key], 95)
        out.append(f"| {label} | {quantile(result[key], 50):.1f} ms | {p95:.1f} ms | "
                   f"{p95 / lookup if lookup else float('nan'):.1f} × | ≤ {GOAL_MS:.0f} ms "
                   f"{'✓' if p95 <= GOAL_MS else '✗'} |")
    out.append(f"| référence : client par numéro | {quantile(result['lookup'], 50):.2f} ms | "
               f"{lookup:.2f} ms | 1 × | |")
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_clients",
                                     description="Recherche d'un client par un conseiller.")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="clients (10 000)")
    parser.add_argument("--rounds", type=int, default=20, help="mesures par requête (20)")
    parser.add_argument("--append", type=Path, metavar="FICHIER",
                        help="ajouter la section à ce rapport (make bench : reports/bench.md)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    print(f"Recherche d'un client parmi {args.clients} (bot/entrypoints/bench_clients.py)…",
          flush=True)
    text = "\n".join(section(measure(args.clients, args.rounds))) + "\n"
    print(text)
    if args.append is not None:
        with args.append.open("a", encoding="utf-8") as report:
            report.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
