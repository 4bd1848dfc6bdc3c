"""Migrations from an empty database, and models/migrations agreement."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.adapters import db
from bot.adapters.orm import metadata

EXPECTED = {"sectors", "clients", "caregivers", "interventions", "requests", "request_history",
            "accounts", "outbox", "reference_counters", "feedback", "account_sectors",
            "unanswered_questions", "callbacks", "alembic_version"}


def test_upgrade_from_empty_then_again(empty_url):
    head = ScriptDirectory.from_config(db.alembic_config(empty_url)).get_current_head()
    assert db.current_revision(empty_url) is None
    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == head
    db.upgrade(empty_url)  # idempotent
    with db.get_engine(empty_url).connect() as conn:
        assert set(inspect(conn).get_table_names()) == EXPECTED
        indexes = {i["name"]: i for i in inspect(conn).get_indexes("requests")}
    assert indexes["uq_requests_open_per_intervention_kind"]["unique"]


def test_models_and_migrations_agree(url):
    with db.get_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    assert diff == []


def test_downgrade_to_base_and_back(url):
    from alembic import command

    cfg = db.alembic_config(url)
    with db.get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with db.get_engine(url).connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    db.upgrade(url)
    assert db.current_revision(url) is not None


def test_0003_gives_existing_clients_their_search_key(empty_url):
    """A store at 0002 with clients: after 0003 they are found by the staff's search."""
    from sqlalchemy import text

    from bot.service_layer import services
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    db.upgrade(empty_url, "0002")
    with db.get_engine(empty_url).begin() as conn:
        conn.execute(text("INSERT INTO sectors (id, name) VALUES (1, 'Nord')"))
        conn.execute(text("INSERT INTO clients (number, name, sector_id) VALUES "
                          "('1001', 'Mme Hélène Dupont', 1), ('1002', 'M. Œdipe Roi', 1)"))
    db.upgrade(empty_url)
    with db.get_engine(empty_url).connect() as conn:
        keys = conn.execute(text("SELECT number, search_key, phone, email FROM clients "
                                 "ORDER BY number")).all()
    assert [tuple(k) for k in keys] == [("1001", "mme helene dupont", None, None),
                                        ("1002", "m. oedipe roi", None, None)]
    uow = SqlAlchemyUnitOfWork(empty_url)
    assert [c.number for c in services.search_clients(uow, "HÉLÈNE", ["Nord"])] == ["1001"]
