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
