"""Retention and the clients' rights on SQLite and PostgreSQL (``url`` fixture): every row of
every table before and after ``purge`` / ``forget``, ``export-client``, the conversations in a
tracker store table with Rasa's schema, and the commands in French."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import settings
from bot.adapters import orm
from bot.adapters.conversations import ConversationStore, default_tracker_url
from bot.domain.model import Role
from bot.entrypoints import cli
from bot.service_layer import services
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.conftest import NOW, row

REPO = Path(__file__).resolve().parents[2]
LATER = NOW + timedelta(days=402)
RETENTION = settings.RetentionSettings(conversations_days=30, requests_days=400, outbox_days=7)

#: Rasa's ``events`` table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent)
tracker_metadata = sa.MetaData()
events = sa.Table("events", tracker_metadata,
                  sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("sender_id", sa.String(255), nullable=False, index=True),
                  sa.Column("type_name", sa.String(255), nullable=False),
                  sa.Column("timestamp", sa.Float), sa.Column("intent_name", sa.String(255)),
                  sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))


def _event(sender, kind, at, **data):
    data = {"event": kind, "timestamp": at.timestamp(), **data}
    return dict(sender_id=sender, type_name=kind, timestamp=data["timestamp"],
                intent_name=None, action_name=data.get("name"), data=json.dumps(data))


@pytest.fixture
def world(url):
    """Two clients with requests in every state, delivered messages old and recent, logins,
    and conversations (old, recent, found by slot, by request key)."""
    uow = SqlAlchemyUnitOfWork(url)
    services.set_sector(uow, "Nord", office_email="nord@amper.example")
    services.set_sector(uow, "Sud", office_email="sud@amper.example",
                        webhook_url="https://sud.example/hook", webhook_secret="s3cret")
    services.import_rows(uow, [
        row("I-72H", NOW + timedelta(hours=72)), row("I-5D", NOW + timedelta(days=5)),
        row("I-15D", NOW + timedelta(days=15)),
        row("S-24H", NOW + timedelta(hours=24), client="2001", name="M. Martin", sector="Sud"),
        row("S-15D", NOW + timedelta(days=15), client="2001", name="M. Martin", sector="Sud")])
    services.set_account(uow, "client1001", "motdepasse-1", role=Role.CLIENT, client_number="1001")
    services.set_account(uow, "client2001", "motdepasse-2", role=Role.CLIENT, client_number="2001")

    def cancel(iid, client, **kw):
        return services.create_cancellation_request(
            uow, client_number=client, intervention_id=iid, actor=f"client{client}",
            channel="web", now=NOW, **{"reason": "personnel", **kw}).reference

    ref = dict(a=cancel("I-72H", "1001", reason="maladie", idempotency_key="chat:conv-a:m1"),
               b=cancel("I-5D", "1001"),
               c=services.create_schedule_change_request(
                   uow, client_number="1001", intervention_id="I-15D",
                   new_start=NOW + timedelta(days=16),
                   new_end=NOW + timedelta(days=16, hours=1), channel="web",
                   actor="client1001", now=NOW).reference,
               d=cancel("S-24H", "2001", idempotency_key="chat:conv-d:m1"),
               e=cancel("S-15D", "2001"))
    with uow:
        for key, at in (("a", NOW + timedelta(hours=1)), ("c", LATER - timedelta(days=2)),
                        ("d", NOW + timedelta(hours=1)), ("e", NOW + timedelta(hours=1))):
            for message in uow.repo.list_outbox(reference=ref[key]):
                uow.repo.outbox_delivered(message.id, at)
        uow.commit()
    for key, status, at in (("a", "done", NOW + timedelta(days=1)),
                            ("b", "refused", NOW + timedelta(days=200)),
                            ("d", "done", NOW + timedelta(days=1))):
        services.change_request_status(uow, ref[key], status, actor="bureau", now=at,
                                       note="rappel du client")
    engine = sa.create_engine(url, future=True)
    tracker_metadata.create_all(engine)
    slot = dict(name="owner_client")
    with engine.begin() as conn:
        conn.execute(events.insert(), [
            _event("conv-a", "user", NOW, text="annuler mardi"),       # 1001, by its key
            _event("conv-slot", "slot", LATER - timedelta(days=1), value="1001", **slot),
            _event("conv-slot", "user", LATER - timedelta(days=1), text="bonjour"),
            _event("conv-d", "slot", NOW, value="2001", **slot),       # 2001, old
            _event("conv-recent", "user", LATER - timedelta(days=3), text="horaires ?"),
            _event("conv-other", "slot", LATER - timedelta(days=1), value="10011", **slot),
        ])
    engine.dispose()
    yield uow, ref, url
    ConversationStore(url).close()


def snapshot(url):
    """Every row of every table (booking store and tracker store), by table."""
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        tables = {t.name: t for t in [*orm.metadata.sorted_tables, events]}
        data = {name: {r.id if "id" in t.c else tuple(r): dict(r._mapping)
                       for r in conn.execute(sa.select(t))} for name, t in tables.items()}
    engine.dispose()
    return data


def changed(before, after):
    return {name: sorted(str(k) for k in set(before[name]) | set(after[name])
                         if before[name].get(k) != after[name].get(k)) for name in before}


def _ids(url, table, **where):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        t = orm.metadata.tables[table] if table != "events" else events
        ids = sorted(r.id for r in conn.execute(sa.select(t).where(
            *[t.c[k] == v for k, v in where.items()])))
    engine.dispose()
    return [str(i) for i in ids]


def _request_id(url, reference):
    return _ids(url, "requests", reference=reference)[0]


def test_purge_changes_only_what_is_older_than_the_retention(world):
    uow, ref, url = world
    before = snapshot(url)
    report = services.purge(uow, ConversationStore(url), now=LATER, retention=RETENTION)
    after = snapshot(url)
    assert {k: len(v) for k, v in before.items() if k != "events"} == \
        {k: len(v) for k, v in after.items() if k != "events"}  # nothing else deleted
    diff = changed(before, after)
    a, d = _request_id(url, ref["a"]), _request_id(url, ref["d"])
    assert diff["requests"] == sorted([a, d])                    # closed 401 days ago
    assert set(diff["request_history"]) == set(
        _ids(url, "request_history", request_id=int(a))
        + _ids(url, "request_history", request_id=int(d)))
    old_outbox = _ids(url, "outbox", request_id=int(a)) + _ids(url, "outbox", request_id=int(d)) \
        + _ids(url, "outbox", request_id=int(_request_id(url, ref["e"])))  # delivered 402 d ago
    assert sorted(diff["outbox"]) == sorted(old_outbox)
    assert all(after["outbox"][int(i)]["payload"] == {} for i in old_outbox)
    assert [diff[t] for t in ("sectors", "clients", "interventions", "accounts", "caregivers",
                              "reference_counters")] == [[]] * 6
    assert sorted({e["sender_id"] for e in before["events"].values()}
                  - {e["sender_id"] for e in after["events"].values()}) == ["conv-a", "conv-d"]
    assert (report.requests_anonymised, report.conversations_deleted, report.events_deleted) == \
        (2, 2, 2)
    request = after["requests"][int(a)]
    assert (request["actor"], request["reason_category"], request["idempotency_key"]) == \
        (services.ANONYMISED, None, None)
    assert (request["reference"], request["status"], request["billable"]) == \
        (before["requests"][int(a)]["reference"], "done", before["requests"][int(a)]["billable"])
    assert snapshot(url) == after
    services.purge(uow, ConversationStore(url), now=LATER, retention=RETENTION)
    assert snapshot(url) == after  # a second purge finds nothing more


def test_a_dry_run_changes_nothing(world):
    uow, _ref, url = world
    before = snapshot(url)
    report = services.purge(uow, ConversationStore(url), now=LATER, retention=RETENTION,
                            dry_run=True)
    assert (report.requests_anonymised, report.events_deleted) == (2, 2)
    assert snapshot(url) == before


def test_forget_erases_one_client_and_keeps_the_others(world):
    uow, ref, url = world
    before = snapshot(url)
    report = services.forget_client(uow, "1001", ConversationStore(url), apply=True)
    after = snapshot(url)
    mine = [_request_id(url, ref[k]) for k in "abc"]
    assert changed(before, after)["requests"] == sorted(mine)
    assert changed(before, after)["clients"] == _ids(url, "clients", number="1001")
    assert [a["login"] for a in after["accounts"].values()] == ["client2001"]
    assert {r["name"] for r in after["clients"].values()} == {services.ANONYMISED, "M. Martin"}
    for i in mine:
        assert after["requests"][int(i)]["actor"] == services.ANONYMISED
    outbox_changed = changed(before, after)["outbox"]
    assert sorted(outbox_changed) == sorted(sum((_ids(url, "outbox", request_id=int(i))
                                                 for i in mine), []))
    assert sorted(e["sender_id"] for e in after["events"].values()) == \
        ["conv-d", "conv-other", "conv-recent"]
    for table in ("interventions", "sectors"):
        assert after[table] == before[table]
    assert (report.requests, report.accounts, report.conversations, report.events) == \
        (3, ["client1001"], 2, 3)


def test_export_holds_the_client_and_nothing_of_another(world):
    uow, ref, url = world
    data = services.export_client(uow, "1001", ConversationStore(url))
    assert {r["reference"] for r in data["requests"]} == {ref["a"], ref["b"], ref["c"]}
    assert sorted(data["conversations"]) == ["conv-a", "conv-slot"]
    assert data["accounts"] == [{"login": "client1001", "role": "client"}]
    text = json.dumps(data, ensure_ascii=False)
    assert "M. Martin" not in text and ref["d"] not in text and "conv-d" not in text
    assert "scrypt" not in text and "motdepasse" not in text


def test_the_commands_speak_french(world, monkeypatch, capsys, tmp_path):
    _uow, ref, url = world
    monkeypatch.setenv("AMPER_DATABASE_URL", url)
    assert cli.main(["purge", "--dry-run", "--tracker-url", url]) == 0
    out = capsys.readouterr().out
    assert "Purge (simulation" in out and "conversations effacées : " in out
    assert cli.main(["forget", "1001", "--tracker-url", url]) == 0
    assert "relancez avec --yes" in capsys.readouterr().out
    assert cli.main(["export-client", "1001", "--tracker-url", url,
                     "--out", str(tmp_path / "c.json")]) == 0
    assert "écrites dans" in capsys.readouterr().err
    assert ref["a"] in (tmp_path / "c.json").read_text(encoding="utf-8")
    assert cli.main(["forget", "1001", "--yes", "--tracker-url", url]) == 0
    out = capsys.readouterr().out
    assert "Client n° 1001 : effacé." in out and "comptes supprimés : 1 (client1001)" in out
    assert cli.main(["forget", "9999", "--yes", "--tracker-url", url]) == 1
    assert "Aucun client n° 9999" in capsys.readouterr().err
    # as the launcher runs it
    proc = subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", "purge", "--tracker-url",
                           url], capture_output=True, text=True, cwd=str(REPO), timeout=120,
                          env=dict(os.environ, AMPER_DATABASE_URL=url))
    assert proc.returncode == 0, proc.stderr
    assert "Purge (appliquée)" in proc.stdout


def test_the_default_tracker_is_the_one_of_endpoints_yml(tmp_path):
    assert default_tracker_url() == f"sqlite:///{REPO / 'var' / 'tracker.db'}"
    missing = ConversationStore(f"sqlite:///{tmp_path / 'absent.db'}")
    assert missing.inactive_senders(LATER) == [] and missing.delete(["x"]) == 0
    assert not (tmp_path / "absent.db").exists()  # nothing created


def test_the_real_tracker_store_rows_are_found(tmp_path):
    """Rows of our Rasa tracker store: found by the slot; an older row by its token."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.adapters.tracker_store import AmperSQLTrackerStore
    from bot.chat.identity import mint_token

    path = tmp_path / "tracker.db"
    store = AmperSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path), host=None)
    by_slot, other = DialogueStateTracker("s1", []), DialogueStateTracker("s2", [])
    by_slot.update(SlotSet("owner_client", "1001", timestamp=NOW.timestamp()))
    other.update(UserUttered("bonjour", timestamp=NOW.timestamp()))  # no slot, no token
    for tracker in (by_slot, other):
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    conversations = ConversationStore(f"sqlite:///{path}")
    # s1 through the form's slot; the store drops tokens before saving, but older rows
    assert conversations.senders_of_client("1001") == ["s1"]
    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    with engine.begin() as conn:  # (saved before tokens were masked) may still carry one
        conn.execute(events.insert(), [_event("s3", "user", NOW, text="bonjour", metadata={
            "auth": mint_token("1001", secret="x" * 32)})])
    engine.dispose()
    assert conversations.senders_of_client("1001") == ["s1", "s3"]
    assert conversations.senders_of_client("100") == []
    assert conversations.inactive_senders(LATER) == ["s1", "s2", "s3"]
    assert conversations.delete(["s1"]) == 1 and conversations.senders_of_client("1001") == ["s3"]
    conversations.close()
