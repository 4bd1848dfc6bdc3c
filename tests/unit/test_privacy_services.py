"""Retention and the clients' rights (docs/privacy.md) on the in-memory store: purge,
forget, export, and the dispatcher's daily purge.  The same on SQLite and PostgreSQL, with a
real tracker store table: tests/integration/test_privacy.py."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot import settings
from bot.domain.errors import InvalidInput
from bot.domain.model import Role
from bot.service_layer import services
from bot.service_layer.dispatch import Dispatcher, DispatchSettings
from tests.fakes import FakeUnitOfWork
from tests.unit.test_services import NOW, cancel, change, seed

LATER = NOW + timedelta(days=402)  # the purge runs then
RETENTION = settings.RetentionSettings(conversations_days=30, requests_days=400, outbox_days=7)


class FakeConversations:
    """The tracker store's events by sender: dicts with ``event``, ``timestamp``…"""

    def __init__(self, events):
        self.events = {sender: list(evs) for sender, evs in events.items()}

    def inactive_senders(self, before):
        return sorted(s for s, evs in self.events.items()
                      if max(e["timestamp"] for e in evs) < before.timestamp())

    def senders_of_client(self, number):
        return sorted(s for s, evs in self.events.items() if any(
            e["event"] == "slot" and e["name"] == "owner_client" and str(e["value"]) == number
            for e in evs))

    def existing(self, senders):
        return sorted(set(senders) & set(self.events))

    def count_events(self, senders):
        return sum(len(self.events.get(s, ())) for s in senders)

    def events_of(self, senders):
        return {s: list(self.events.get(s, ())) for s in senders}

    def delete(self, senders):
        return sum(len(self.events.pop(s, ())) for s in senders)


def _deliver(uow, reference, at):
    with uow:
        for message in uow.repo.list_outbox(reference=reference):
            uow.repo.outbox_delivered(message.id, at)
        uow.commit()


def _close(uow, reference, status, at):
    services.change_request_status(uow, reference, status, actor="bureau.nord", now=at,
                                   note="rappelée le matin")


@pytest.fixture
def store():
    """1001: an old closed request (A), a recently closed one (B), an open one (C)."""
    uow = seed(FakeUnitOfWork())
    services.set_account(uow, "client1001", "mot-de-passe-1", role=Role.CLIENT,
                         client_number="1001")
    services.set_account(uow, "client2001", "mot-de-passe-2", role=Role.CLIENT,
                         client_number="2001")
    a = cancel(uow, "I-72H", reason="maladie", idempotency_key="chat:conv-a:m1").reference
    b = cancel(uow, "I-5D").reference
    c = change(uow).reference
    d = cancel(uow, "S-24H", client="2001", idempotency_key="chat:conv-d:m1").reference
    _deliver(uow, a, NOW + timedelta(hours=1))
    _close(uow, a, "done", NOW + timedelta(days=1))
    _close(uow, b, "refused", NOW + timedelta(days=200))
    _deliver(uow, c, LATER - timedelta(days=2))
    _close(uow, d, "done", NOW + timedelta(days=1))
    return uow, dict(a=a, b=b, c=c, d=d)


def _request(uow, reference):
    return services.get_request(uow, reference)


def _payloads(uow):
    return {m.id: m.payload for m in uow.store.list_outbox()}


def test_purge_anonymises_only_closed_requests_older_than_the_retention(store):
    uow, ref = store
    report = services.purge_store(uow, now=LATER, retention=RETENTION)
    a, b, c, d = (_request(uow, ref[k]) for k in "abcd")
    assert report.requests_anonymised == 2  # A (1001) and D (2001), closed 401 days ago
    assert a.actor == services.ANONYMISED and a.reason is None
    assert a.history[0].actor == services.ANONYMISED and a.history[-1].actor == "bureau.nord"
    assert all(h.note is None for h in a.history)
    # kept: what billing and disputes need
    assert (a.reference, a.kind.value, a.status.value, a.billable, a.sector) == (
        ref["a"], "cancellation", "done", a.billable, "Nord")
    assert a.created_at == NOW and a.intervention_external_id == "I-72H"
    assert b.actor == "1001" and b.reason.value == "personnel"
    assert any(h.note for h in b.history)
    assert c.actor == "1001"
    keys = {r["reference"]: r["idempotency_key"] for r in uow.store.requests.values()}
    assert keys[ref["a"]] is None and keys[ref["d"]] is None


def test_purge_empties_delivered_payloads_after_their_retention_only(store):
    uow, ref = store
    report = services.purge_store(uow, now=LATER, retention=RETENTION)
    rows = {m.reference: m for m in uow.store.list_outbox()}
    assert rows[ref["a"]].payload == {}                      # delivered 402 days ago
    assert rows[ref["c"]].payload["reference"] == ref["c"]   # delivered 2 days ago
    assert rows[ref["b"]].payload["reference"] == ref["b"]   # never delivered, open
    # D (2001, Sud: e-mail and webhook) was never delivered: emptied and stopped
    stopped = [m for m in uow.store.list_outbox() if m.reference == ref["d"]]
    assert [(m.payload, m.status) for m in stopped] == [({}, "dead"), ({}, "dead")]
    assert report.payloads_emptied == 3 and report.messages_stopped == 2
    again = services.purge_store(uow, now=LATER, retention=RETENTION)
    assert (again.requests_anonymised, again.payloads_emptied) == (0, 0)  # idempotent


def test_a_dry_run_reports_the_same_counts_and_changes_nothing(store):
    uow, _ref = store
    before = (dict(uow.store.requests), _payloads(uow), list(uow.store.request_history))
    conversations = FakeConversations({"old": [{"event": "user", "timestamp": NOW.timestamp()}]})
    report = services.purge(uow, conversations, now=LATER, retention=RETENTION, dry_run=True)
    assert (report.requests_anonymised, report.payloads_emptied) == (2, 3)
    assert (report.conversations_deleted, report.events_deleted) == (1, 1)
    assert (dict(uow.store.requests), _payloads(uow), list(uow.store.request_history)) == before
    assert "old" in conversations.events
    assert "simulation" in "\n".join(report.lines_fr())


def test_purge_deletes_only_conversations_inactive_for_the_retention():
    uow = seed(FakeUnitOfWork())
    old = {"event": "user", "timestamp": (LATER - timedelta(days=31)).timestamp()}
    recent = {"event": "user", "timestamp": (LATER - timedelta(days=29)).timestamp()}
    conversations = FakeConversations({"quiet": [old, old], "alive": [old, recent]})
    report = services.purge(uow, conversations, now=LATER, retention=RETENTION)
    assert (report.conversations_deleted, report.events_deleted) == (1, 2)
    assert list(conversations.events) == ["alive"]
    assert "conversations effacées : 1 (2 événements) (fait)" in "\n".join(report.lines_fr())


def _conversations():
    slot = {"event": "slot", "name": "owner_client", "timestamp": NOW.timestamp()}
    return FakeConversations({
        "conv-a": [{"event": "user", "timestamp": NOW.timestamp()}],  # found by its request key
        "conv-slot": [dict(slot, value="1001"), {"event": "user", "timestamp": 1.0}],
        "conv-d": [dict(slot, value="2001")],
        "other": [dict(slot, value="10011")],
    })


def test_forget_without_yes_says_what_it_would_do_and_changes_nothing(store):
    uow, _ref = store
    before = (dict(uow.store.requests), _payloads(uow), dict(uow.store.accounts))
    conversations = _conversations()
    report = services.forget_client(uow, "1001", conversations)
    assert not report.applied and report.requests == 3 and report.accounts == ["client1001"]
    assert (report.conversations, report.events) == (2, 3)
    assert (dict(uow.store.requests), _payloads(uow), dict(uow.store.accounts)) == before
    assert len(conversations.events) == 4
    assert "relancez avec --yes" in report.lines_fr()[0]


def test_forget_erases_the_client_and_leaves_the_others_untouched(store):
    uow, ref = store
    other = (_request(uow, ref["d"]), [m for m in uow.store.list_outbox()
                                       if m.reference == ref["d"]])
    conversations = _conversations()
    report = services.forget_client(uow, "1001", conversations, apply=True)
    assert report.applied and report.client_renamed
    assert (report.requests, report.payloads_emptied, report.messages_stopped) == (3, 3, 1)
    assert (report.conversations, report.events) == (2, 3)
    assert sorted(conversations.events) == ["conv-d", "other"]
    assert uow.store.clients["1001"]["name"] == services.ANONYMISED
    assert "client1001" not in uow.store.accounts and "client2001" in uow.store.accounts
    for key in "abc":
        request = _request(uow, ref[key])
        assert request.actor == services.ANONYMISED and request.reason is None
        assert request.client_name == services.ANONYMISED and request.client_number == "1001"
    mine = [m for m in uow.store.list_outbox() if m.reference in (ref["a"], ref["b"], ref["c"])]
    assert all(m.payload == {} for m in mine)
    assert [m.status for m in mine if m.reference == ref["b"]] == ["dead"]  # never sent now
    assert (_request(uow, ref["d"]), [m for m in uow.store.list_outbox()
                                      if m.reference == ref["d"]]) == other
    assert uow.store.clients["2001"]["name"] == "M. Martin"
    text = "\n".join(report.lines_fr())
    assert "demandes anonymisées : 3" in text and "comptes supprimés : 1 (client1001)" in text


def test_export_holds_the_clients_data_and_nothing_of_another(store):
    uow, ref = store
    data = services.export_client(uow, "1001", _conversations(), now=LATER)
    assert data["client"] == {"number": "1001", "name": "Mme Dupont", "sector": "Nord",
                              "phone": None, "email": None}
    assert data["callbacks"] == []
    assert {r["reference"] for r in data["requests"]} == {ref["a"], ref["b"], ref["c"]}
    assert data["requests"][0]["history"][-1]["note"] == "rappelée le matin"
    assert {m["reference"] for m in data["outbox"]} == {ref["a"], ref["b"], ref["c"]}
    assert data["accounts"] == [{"login": "client1001", "role": "client"}]
    assert "I-PAST" in {i["id"] for i in data["interventions"]}
    assert sorted(data["conversations"]) == ["conv-a", "conv-slot"]
    text = str(data)
    assert "2001" not in text and "M. Martin" not in text and ref["d"] not in text
    assert "mot-de-passe" not in text and "hash" not in text


def test_an_unknown_client_is_said_in_french(store):
    uow, _ref = store
    for call in (services.forget_client, services.export_client):
        with pytest.raises(InvalidInput, match="Aucun client n° 9999"):
            call(uow, "9999")


def test_retention_settings_defaults_and_checks():
    assert settings.retention({}) == RETENTION
    assert settings.retention({"AMPER_RETENTION_OUTBOX_DAYS": "3"}).outbox_days == 3
    problems = settings.check({"AMPER_RETENTION_REQUESTS_DAYS": "0"})
    assert len(problems) == 1 and "AMPER_RETENTION_REQUESTS_DAYS invalide" in problems[0]


def test_the_dispatcher_purges_the_store_at_start_and_then_once_a_day(store):
    uow, ref = store
    dispatcher = Dispatcher(settings=DispatchSettings(), smtp_env={}, clock=lambda: LATER,
                            uow_factory=lambda: FakeUnitOfWork(uow.store))

    async def twice():
        await dispatcher.daily_purge()
        first = _request(uow, ref["a"]).actor
        _close(uow, ref["c"], "done", NOW)  # closed long ago: due at the next purge only
        await dispatcher.daily_purge()
        return first

    assert asyncio.run(twice()) == services.ANONYMISED
    assert _request(uow, ref["c"]).actor == "1001"  # not purged again within 24 h


def test_the_dispatchers_daily_purge_also_deletes_old_conversations(store):
    uow, _ = store
    day = 24 * 3600
    conversations = FakeConversations({
        "old": [{"event": "user", "timestamp": LATER.timestamp() - 31 * day}],
        "recent": [{"event": "user", "timestamp": LATER.timestamp() - 29 * day}]})
    dispatcher = Dispatcher(settings=DispatchSettings(), smtp_env={}, clock=lambda: LATER,
                            uow_factory=lambda: FakeUnitOfWork(uow.store),
                            conversations=conversations)
    asyncio.run(dispatcher.daily_purge())
    assert list(conversations.events) == ["recent"]
