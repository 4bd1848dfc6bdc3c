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
    db.downgrade(url, "base")
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


def test_0004_keeps_the_messages_and_lets_a_callback_have_its_own(empty_url):
    """A store at 0003 with a request's message: after 0004 the message is kept (no
    callback), a callback's message is accepted, a message about nothing or both is refused;
    back at 0003 the callbacks' messages are dropped and request_id is required again."""
    import pytest
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    db.upgrade(empty_url, "0003")
    now = "'2026-03-02 08:00:00'"
    message = ("INSERT INTO outbox (id, request_id, {extra}channel, payload, status, attempts, "
               "next_attempt_at, idempotency_key, created_at) VALUES ({id}, {request}, {value}"
               "'email', '{{}}', 'pending', 0, " + now + ", '{key}', " + now + ")")
    with db.get_engine(empty_url).begin() as conn:
        for sql in (
                "INSERT INTO sectors (id, name) VALUES (1, 'Nord')",
                "INSERT INTO clients (id, number, name, sector_id) VALUES (1, '1001', 'X', 1)",
                "INSERT INTO interventions (id, external_id, client_id, start_at, end_at) "
                "VALUES (1, 'I-1', 1, " + now + ", '2026-03-02 09:00:00')",
                "INSERT INTO requests (id, reference, kind, client_id, intervention_id, "
                "channel, actor, decision_code, exemption_pending, out_of_notice, "
                "notice_seconds, status, created_at, updated_at) VALUES (1, 'AMP-2026-000001', "
                "'cancellation', 1, 1, 'web', 'c', 'ok', false, false, 0, 'received', "
                + now + ", " + now + ")",
                message.format(extra="", id=1, request=1, value="", key="AMP-2026-000001:email"),
                "INSERT INTO callbacks (id, reference, client_id, sector_id, phone, best_time, "
                "topic, actor, created_at) VALUES (1, 'RAP-2026-00001', 1, 1, '06', 'matin', "
                "'autre', 's', " + now + ")"):
            conn.execute(text(sql))
    db.upgrade(empty_url)
    engine = db.get_engine(empty_url)
    with engine.begin() as conn:
        assert [tuple(r) for r in conn.execute(text(
            "SELECT id, request_id, callback_id FROM outbox"))] == [(1, 1, None)]
        conn.execute(text(message.format(extra="callback_id, ", id=2, request="NULL",
                                         value="1, ", key="RAP-2026-00001:email")))
    for n, (request, callback) in enumerate([("NULL", "NULL"), ("1", "1")]):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(message.format(extra="callback_id, ", id=3 + n, request=request,
                                             value=callback + ", ", key=f"x{n}")))
    with engine.connect() as conn:
        assert "ix_outbox_callback_id" in {i["name"] for i in inspect(conn).get_indexes("outbox")}
        columns = {c["name"]: c for c in inspect(conn).get_columns("outbox")}
        assert columns["request_id"]["nullable"] and columns["callback_id"]["nullable"]
        checks = {c["name"] for c in inspect(conn).get_check_constraints("outbox")}
        assert {"ck_outbox_channel", "ck_outbox_status", "ck_outbox_one_subject"} <= checks
        foreign = {f["name"] for f in inspect(conn).get_foreign_keys("outbox")}
        assert foreign == {"fk_outbox_request_id_requests", "fk_outbox_callback_id_callbacks"}

    cfg = db.alembic_config(empty_url)
    db.downgrade(empty_url, "0003")
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT id, request_id FROM outbox"))] == [
            (1, 1)]
        assert not {c["name"]: c for c in inspect(conn).get_columns("outbox")}[
            "request_id"]["nullable"]
        assert {c["name"] for c in inspect(conn).get_check_constraints("outbox")} == {
            "ck_outbox_channel", "ck_outbox_status"}
    db.upgrade(empty_url)
    assert db.current_revision(empty_url) == ScriptDirectory.from_config(cfg).get_current_head()


def test_0005_keeps_requests_and_lets_offices_decide(empty_url):
    """A store at 0004 with a request, a staff account and its sector: after 0005 they are
    all kept (the tables rebuilt for the new CHECKs), the request is at version 0 with no
    outcome, an office account and a client e-mail message are accepted, an unknown outcome
    refused; back at 0004 the office accounts and client e-mails are dropped, the rest kept."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    db.upgrade(empty_url, "0004")
    now = "'2026-03-02 08:00:00'"
    engine = db.get_engine(empty_url)
    with engine.begin() as conn:
        for sql in (
                "INSERT INTO sectors (id, name) VALUES (1, 'Nord')",
                "INSERT INTO clients (id, number, name, sector_id) VALUES (1, '1001', 'X', 1)",
                "INSERT INTO interventions (id, external_id, client_id, start_at, end_at) "
                "VALUES (1, 'I-1', 1, " + now + ", '2026-03-02 09:00:00')",
                "INSERT INTO requests (id, reference, kind, client_id, intervention_id, "
                "channel, actor, decision_code, exemption_pending, out_of_notice, "
                "notice_seconds, status, created_at, updated_at) VALUES (1, 'AMP-2026-000001', "
                "'cancellation', 1, 1, 'web', 'c', 'ok', false, false, 0, 'received', "
                + now + ", " + now + ")",
                "INSERT INTO request_history (request_id, at, actor, to_status) "
                "VALUES (1, " + now + ", 'c', 'received')",
                "INSERT INTO accounts (id, login, password_hash, role) VALUES (1, 's', 'h', 'staff')",
                "INSERT INTO account_sectors (account_id, sector_id) VALUES (1, 1)"):
            conn.execute(text(sql))
    db.upgrade(empty_url)
    outbox = ("INSERT INTO outbox (request_id, channel, payload, status, attempts, "
              "next_attempt_at, idempotency_key, created_at) VALUES (1, '{channel}', '{{}}', "
              "'pending', 0, " + now + ", '{key}', " + now + ")")
    with engine.begin() as conn:
        assert tuple(conn.execute(text(
            "SELECT version, outcome, client_told_at FROM requests")).one()) == (0, None, None)
        assert conn.execute(text("SELECT count(*) FROM request_history")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM account_sectors")).scalar() == 1
        conn.execute(text("INSERT INTO accounts (id, login, password_hash, role) "
                          "VALUES (2, 'o', 'h', 'office')"))
        conn.execute(text("INSERT INTO account_sectors (account_id, sector_id) VALUES (2, 1)"))
        conn.execute(text(outbox.format(channel="client_email", key="k1")))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE requests SET outcome = 'maybe'"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(outbox.format(channel="fax", key="k2")))
    db.downgrade(empty_url, "0004")
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT login FROM accounts"))] == ["s"]
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM requests")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM account_sectors")).scalar() == 1
    db.upgrade(empty_url)
