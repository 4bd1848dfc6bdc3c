"""Store fixtures: every test using ``url`` runs on SQLite (temp file) and PostgreSQL.

PostgreSQL comes from ``AMPER_TEST_POSTGRES_URL`` (a server URL, see
scripts/with-postgres.sh); each test gets its own database, dropped afterwards.  Without the
variable the PostgreSQL cases are skipped, unless ``AMPER_REQUIRE_POSTGRES=1`` where they fail.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.adapters import db
from bot.adapters.planning_import import PlanningRow
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # Monday 2 March 2026, 9 h


def _postgres_server_url() -> str:
    url = os.environ.get("AMPER_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("AMPER_REQUIRE_POSTGRES") == "1":
            pytest.fail("AMPER_REQUIRE_POSTGRES=1 mais AMPER_TEST_POSTGRES_URL n'est pas défini "
                        "(lancez via scripts/with-postgres.sh)")
        pytest.skip("AMPER_TEST_POSTGRES_URL non défini : cas PostgreSQL ignorés")
    return url


@pytest.fixture
def pg_database():
    """Create a fresh PostgreSQL database; yields its URL and drops it afterwards."""
    server = _postgres_server_url()
    name = f"amper_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        yield url
        db.dispose_engine(url)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """URL of an empty database (no tables), on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'amper.db'}"
        yield url
        db.dispose_engine(url)
    else:
        yield request.getfixturevalue("pg_database")


@pytest.fixture
def url(empty_url):
    """URL of a migrated, empty store."""
    db.upgrade(empty_url)
    return empty_url


@pytest.fixture
def uow(url):
    return SqlAlchemyUnitOfWork(url)


def row(iid, start, *, client="1001", name="Mme Dupont", sector="Nord", caregiver="Marie Curie",
        hours=1.0, service="Aide au lever", line=2):
    start = start.astimezone(PARIS)
    return PlanningRow(line=line, intervention_id=iid, client_id=client, client_name=name,
                       sector=sector, caregiver=caregiver, start=start,
                       end=start + timedelta(hours=hours), service=service)


@pytest.fixture
def seeded(url, uow):
    """Two sectors (Sud with a webhook), two clients, interventions around the boundaries."""
    services.set_sector(uow, "Nord", office_email="nord@amper.example", office_phone="01 02 03 04 05")
    services.set_sector(uow, "Sud", office_email="sud@amper.example",
                        webhook_url="https://sud.example/hook", webhook_secret="s3cret")
    rows = [
        row("I-24H", NOW + timedelta(hours=24)),
        row("I-72H", NOW + timedelta(hours=72)),
        row("I-5D", NOW + timedelta(days=5)),
        row("I-15D", NOW + timedelta(days=15)),
        row("I-PAST", NOW - timedelta(days=1)),
        row("S-24H", NOW + timedelta(hours=24), client="2001", name="M. Martin", sector="Sud"),
        row("S-15D", NOW + timedelta(days=15), client="2001", name="M. Martin", sector="Sud"),
    ]
    rows += [row(f"I-MANY-{i}", NOW + timedelta(days=3, hours=i)) for i in range(20)]
    services.import_rows(uow, rows)
    return url


#: the three stores a store test runs on: SQLite, PostgreSQL (make test) and the fake
STORES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "fake"]


def empty_store(request, tmp_path):
    """A unit of work on an empty store of the fixture's parameter (one of ``STORES``): the
    real one migrated (SQLite file, PostgreSQL database) or the in-memory fake."""
    from tests.fakes import FakeUnitOfWork

    if request.param == "fake":
        return FakeUnitOfWork()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'amper.db'}"
        request.addfinalizer(lambda: db.dispose_engine(url))
    else:
        url = request.getfixturevalue("pg_database")
    db.upgrade(url)
    return SqlAlchemyUnitOfWork(url)
