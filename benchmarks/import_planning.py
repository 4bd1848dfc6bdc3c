"""Planning import benchmark: generate N rows (default 100,000), import them into a fresh
SQLite file (and PostgreSQL when AMPER_TEST_POSTGRES_URL is set), print rows/s.

    .venv/bin/python benchmarks/import_planning.py [--rows 100000] [--progress] [--batch N|all]
    scripts/with-postgres.sh .venv/bin/python benchmarks/import_planning.py

The timing covers the whole ``amper import-planning`` path: reading, validating, and
applying in batches (``--batch``: rows per transaction, default the import's own,
``all`` = one transaction).  A second import of the same file is timed too (no change).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.adapters import db  # noqa: E402
from bot.service_layer import services  # noqa: E402
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork  # noqa: E402


def generate(path: Path, rows: int) -> None:
    start = datetime(2030, 1, 7, 7, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("intervention_id;client_id;client_name;sector;caregiver;start;end;service\n")
        for i in range(rows):
            client = 10000 + i % 5000
            when = start + timedelta(days=(i // 5000) % 300, hours=(i % 12))
            if i % 2:
                s, e = when.strftime("%d/%m/%Y %H:%M"), (when + timedelta(hours=1)).strftime("%d/%m/%Y %H:%M")
            else:
                s, e = when.isoformat(timespec="minutes"), (when + timedelta(minutes=45)).isoformat(timespec="minutes")
            out.write(f"BENCH-{i:07d};{client};Client {client};Secteur {client % 12};"
                      f"Intervenant {i % 700};{s};{e};Aide à domicile\n")


def run(label: str, url: str, path: Path, rows: int, progress: bool, batch=None) -> float:
    db.upgrade(url)
    uow = SqlAlchemyUnitOfWork(url)
    t0 = time.perf_counter()
    report = services.import_planning(uow, path, progress=progress, batch_size=batch)
    first = time.perf_counter() - t0
    assert report.interventions_created == rows, report
    t0 = time.perf_counter()
    again = services.import_planning(uow, path, progress=progress, batch_size=batch)
    second = time.perf_counter() - t0
    assert again.interventions_unchanged == rows, again
    print(f"{label:<10} {rows} lignes : import {first:.2f} s ({rows / first:,.0f} lignes/s), "
          f"ré-import identique {second:.2f} s ({rows / second:,.0f} lignes/s)")
    return rows / first


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL ``server``, dropped afterwards."""
    name = f"amper_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        db.dispose_engine(url)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--batch", default=None, help="rows per transaction, or 'all'")
    args = parser.parse_args()
    batch = args.rows if args.batch == "all" else (int(args.batch) if args.batch else None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "planning.csv"
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"Fichier de {args.rows} lignes généré en {time.perf_counter() - t0:.1f} s "
              f"({path.stat().st_size / 1e6:.1f} Mo)")
        run("SQLite", f"sqlite:///{tmp}/bench.db", path, args.rows, args.progress, batch)
        server = os.environ.get("AMPER_TEST_POSTGRES_URL")
        if server:
            with fresh_database(server) as url:
                run("PostgreSQL", url, path, args.rows, args.progress, batch)
        else:
            print("PostgreSQL : ignoré (AMPER_TEST_POSTGRES_URL non défini)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
