"""Requests recorded during a planning import: how long does a client's cancellation wait?

A 100,000-row import (the file of benchmarks/import_planning.py) runs in a child process
(like ``amper import-planning`` beside the action server) while the main process records a
cancellation request through the services every ~200 ms, on interventions imported before;
prints the requests' latency (p50 / p95 / max) while the import writes, on a SQLite file
and on PostgreSQL when AMPER_TEST_POSTGRES_URL is set, for each batch size asked
(``all`` = the whole file in one transaction, the behaviour before batching).

    .venv/bin/python benchmarks/import_with_requests.py [--rows 100000] [--batch all --batch 2000]
    scripts/with-postgres.sh .venv/bin/python benchmarks/import_with_requests.py
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


from bot.adapters import db  # noqa: E402
from bot.adapters.planning_import import PlanningRow  # noqa: E402
from bot.domain.clock import PARIS  # noqa: E402
from bot.service_layer import services  # noqa: E402
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork  # noqa: E402
from import_planning import fresh_database, generate  # noqa: E402

NOW = datetime(2029, 12, 1, 9, 0, tzinfo=PARIS)
EXISTING = 400          # interventions imported before, one cancellation each at most
INTERVAL = 0.2          # seconds between two requests


def _import(url: str, path: str, batch_size: int, writing, result) -> None:
    """Child process: validate the file, say when writing starts, import."""
    from bot.adapters.planning_import import read_planning

    rows = read_planning(path)
    writing.set()
    started = time.perf_counter()
    report = services.import_rows(SqlAlchemyUnitOfWork(url), rows, batch_size=batch_size)
    result.put((time.perf_counter() - started, report.interventions_created))


def _seed(url: str) -> list:
    rows = [PlanningRow(line=i + 2, intervention_id=f"EXIST-{i:04d}", client_id=str(9000 + i % 20),
                        client_name=f"Client {9000 + i % 20}", sector="Secteur test",
                        caregiver="Intervenante test",
                        start=NOW + timedelta(days=5 + i // 10, hours=i % 10),
                        end=NOW + timedelta(days=5 + i // 10, hours=i % 10, minutes=45),
                        service="Aide à domicile")
            for i in range(EXISTING)]
    services.import_rows(SqlAlchemyUnitOfWork(url), rows)
    return [(r.client_id, r.intervention_id) for r in rows]


def run(label: str, url: str, path: Path, rows: int, batch_size: int) -> None:
    db.upgrade(url)
    targets = _seed(url)
    db.dispose_engine(url)  # the child opens its own connections
    context = multiprocessing.get_context("spawn")
    writing, result = context.Event(), context.Queue()
    child = context.Process(target=_import, args=(url, str(path), batch_size, writing, result))
    child.start()
    if not writing.wait(300):
        raise SystemExit("l'import n'a pas commencé")
    uow = SqlAlchemyUnitOfWork(url)
    latencies = []
    while child.is_alive() and result.empty() and targets:
        client, intervention = targets.pop(0)
        t0 = time.perf_counter()
        services.create_cancellation_request(uow, client_number=client,
                                             intervention_id=intervention, reason="personnel",
                                             channel="web", actor=client, now=NOW)
        latencies.append(time.perf_counter() - t0)
        time.sleep(INTERVAL)
    duration, created = result.get(timeout=600)
    child.join()
    assert created == rows, created
    db.dispose_engine(url)
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))] if ms else 0.0
    shown = "tout" if batch_size >= rows else str(batch_size)
    print(f"{label:<10} lots de {shown:>6} : écriture {duration:5.1f} s ; {len(ms):3d} demandes "
          f"pendant l'import : p50 {statistics.median(ms) if ms else 0:7.0f} ms, "
          f"p95 {p95:7.0f} ms, max {max(ms) if ms else 0:7.0f} ms", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", action="append",
                        help="rows per transaction ('all' = one transaction); repeatable")
    args = parser.parse_args()
    sizes = [args.rows if b == "all" else int(b) for b in (args.batch or ["all", "2000"])]
    server = os.environ.get("AMPER_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "planning.csv"
        generate(path, args.rows)
        for size in sizes:
            sqlite = Path(tmp) / f"bench-{size}.db"
            run("SQLite", f"sqlite:///{sqlite}", path, args.rows, size)
            if server:
                with fresh_database(server) as url:
                    run("PostgreSQL", url, path, args.rows, size)
        if not server:
            print("PostgreSQL : ignoré (AMPER_TEST_POSTGRES_URL non défini)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
