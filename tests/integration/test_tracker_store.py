"""Our SQL tracker store: Rasa's behaviour, SQLite in WAL mode with a kept connection."""
from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.adapters.tracker_store import AmperSQLTrackerStore


def _store(path):
    return AmperSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path), host=None)


def _turn(tracker, text):
    tracker.update(UserUttered(text))
    tracker.update(ActionExecuted("action_listen"))


def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path):
    store = _store(tmp_path / "t.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_saved_turns_come_back_in_order_and_survive_a_new_store(tmp_path):
    store = _store(tmp_path / "t.db")
    tracker = DialogueStateTracker("client-1", [])
    for i in range(5):
        _turn(tracker, f"message {i}")
        asyncio.run(store.save(tracker))  # only the new events are written each time
    again = asyncio.run(_store(tmp_path / "t.db").retrieve("client-1"))
    texts = [e.text for e in again.events if isinstance(e, UserUttered)]
    assert texts == [f"message {i}" for i in range(5)]
    assert asyncio.run(store.retrieve("nobody")) is None


def test_rows_are_the_ones_rasas_store_writes(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SlotSet

    tracker = DialogueStateTracker("client-1", [])
    ours, rasas = _store(tmp_path / "ours.db"), SQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"), host=None)
    for i in range(3):
        tracker.update(UserUttered(f"message {i}", intent={"name": "greet", "confidence": 0.9},
                                   parse_data={"intent": {"name": "greet", "confidence": 0.9},
                                               "text": f"message {i}"}))
        tracker.update(SlotSet("x", i))
        tracker.update(ActionExecuted("action_listen"))
        for store in (ours, rasas):
            asyncio.run(store.save(tracker))
    columns = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")

    def rows(store):
        with store.session_scope() as session:
            return [tuple(getattr(r, c) for c in columns)
                    for r in session.query(store.SQLEvent).order_by(store.SQLEvent.id)]

    assert rows(ours) == rows(rasas)
    assert len(rows(ours)) == 9
    assert [r[3] for r in rows(ours)][0] == "greet"


@pytest.mark.postgres
def test_postgresql_keeps_rasas_engine_and_works(pg_database):
    from sqlalchemy.engine import make_url

    url = make_url(pg_database)
    store = AmperSQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=url.host,
                                 port=url.port, db=url.database, username=url.username,
                                 password=url.password)
    assert store.engine.dialect.name == "postgresql"
    assert store.engine.pool.__class__.__name__ == "QueuePool"  # Rasa's own settings
    tracker = DialogueStateTracker("client-pg", [])
    _turn(tracker, "bonjour")
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("client-pg"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["bonjour"]
    store.engine.dispose()


# --- nothing secret or medical at rest (issue 19) ------------------------------------------

SENTENCE = "je suis hospitalisée pour mon cancer"


def _domain():
    from pathlib import Path

    return Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def _hospitalisation_cancellation(tracker, token):
    """Two turns of a cancellation as Rasa logs them: the request, then the reason given."""
    from rasa.shared.core.events import ActiveLoop, BotUttered, SessionStarted, SlotSet

    auth = {"auth": token, "page": "/espace-client"}
    for event in (
        SessionStarted(metadata=dict(auth)), ActionExecuted("action_session_start"),
        SlotSet("session_started_metadata", dict(auth)), ActionExecuted("action_listen"),
        UserUttered("je veux annuler mardi", intent={"name": "request_cancellation",
                                                      "confidence": 0.9}, metadata=dict(auth)),
        ActionExecuted("cancellation_form"), ActiveLoop("cancellation_form"),
        SlotSet("intervention_id", "I-1"), SlotSet("requested_slot", "cancellation_reason"),
        BotUttered("Pour quelle raison annulez-vous ?"), ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    yield
    for event in (
        UserUttered(SENTENCE, intent={"name": "inform", "confidence": 0.8},
                    parse_data={"intent": {"name": "inform", "confidence": 0.8}, "text": SENTENCE,
                                "entities": [], "metadata": dict(auth)},
                    metadata=dict(auth)),
        SlotSet("cancellation_reason", SENTENCE),  # action_extract_slots (from_text)
        ActionExecuted("cancellation_form"),
        SlotSet("cancellation_reason", "hospitalisation"),  # validated into its category
        SlotSet("requested_slot", "cancellation_confirmed"),
        BotUttered("Je récapitule : motif hospitalisation. Je confirme ?"),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    yield


def _raw(tmp_path):
    """Every byte SQLite wrote (the database file and its write-ahead log)."""
    return b"".join(p.read_bytes() for p in sorted(tmp_path.glob("t.db*")))


def _forms(text):
    """The ways a text may be stored: as typed, JSON-escaped (Rasa's json.dumps), UTF-8."""
    import json

    escaped = json.dumps(text)[1:-1]
    return [text.encode("utf-8"), escaped.encode("utf-8")]


def test_neither_the_token_nor_the_health_text_reaches_the_database(tmp_path):
    from bot.chat.identity import mint_token

    token = mint_token("C-123", secret="test-secret-0123456789-0123456789-abc")
    store = AmperSQLTrackerStore(domain=_domain(), dialect="sqlite", db=str(tmp_path / "t.db"),
                                 host=None)
    tracker = DialogueStateTracker("client-7", store.domain.slots)
    for _ in _hospitalisation_cancellation(tracker, token):
        asyncio.run(store.save(tracker))
    assert tracker.latest_message.text == SENTENCE  # the live tracker is untouched
    assert tracker.get_slot("cancellation_reason") == "hospitalisation"

    raw = _raw(tmp_path)
    for secret in (token, SENTENCE, "cancer", "hospitalisée"):
        for form in _forms(secret):
            assert form not in raw, secret
    with store.session_scope() as session:
        rows = [r.data for r in session.query(store.SQLEvent).order_by(store.SQLEvent.id)]
    assert len(rows) == len(tracker.events)
    text = "\n".join(rows)
    assert "cancer" not in text and token not in text and "auth" not in text
    assert "[motif : hospitalisation]" in text.encode().decode("unicode_escape")
    assert "/espace-client" in text  # other metadata kept


def test_rasas_own_store_would_have_kept_them(tmp_path):
    """The check above means something: Rasa's store writes the token and the sentence."""
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(domain=_domain(), dialect="sqlite", db=str(tmp_path / "t.db"), host=None)
    tracker = DialogueStateTracker("client-7", store.domain.slots)
    for _ in _hospitalisation_cancellation(tracker, "eyJhbGciOi.fake.token"):
        asyncio.run(store.save(tracker))
    raw = _raw(tmp_path)
    assert b"eyJhbGciOi.fake.token" in raw and b"cancer" in raw


def test_a_conversation_reloaded_from_the_store_goes_on(tmp_path):
    """After a restart the redacted text is only history: the form, its slots and the next
    turns work, and nothing is written twice."""
    from rasa.shared.core.events import ActiveLoop, SlotSet

    from bot.chat.identity import mint_token

    token = mint_token("C-123", secret="test-secret-0123456789-0123456789-abc")
    store = AmperSQLTrackerStore(domain=_domain(), dialect="sqlite", db=str(tmp_path / "t.db"),
                                 host=None)
    tracker = DialogueStateTracker("client-7", store.domain.slots)
    for _ in _hospitalisation_cancellation(tracker, token):
        asyncio.run(store.save(tracker))

    again = asyncio.run(AmperSQLTrackerStore(domain=_domain(), dialect="sqlite",
                                             db=str(tmp_path / "t.db"), host=None)
                        .retrieve("client-7"))
    assert len(again.events) == len(tracker.events)
    assert again.get_slot("cancellation_reason") == "hospitalisation"
    assert again.get_slot("intervention_id") == "I-1"
    assert again.get_slot("requested_slot") == "cancellation_confirmed"
    assert again.active_loop_name == "cancellation_form"
    assert again.latest_message.text == "[motif : hospitalisation]"
    assert again.latest_message.intent["name"] == "inform"
    assert "auth" not in (again.get_slot("session_started_metadata") or {})

    for event in (UserUttered("oui", intent={"name": "affirm", "confidence": 0.9},
                              metadata={"auth": token}),
                  SlotSet("cancellation_confirmed", "oui"), ActionExecuted("cancellation_form"),
                  ActiveLoop(None), SlotSet("requested_slot", None),
                  ActionExecuted("action_listen")):
        again.update(event)
    asyncio.run(store.save(again))
    last = asyncio.run(store.retrieve("client-7"))
    assert len(last.events) == len(again.events)  # only the new events were added
    texts = [e.text for e in last.events if isinstance(e, UserUttered)]
    assert texts == ["je veux annuler mardi", "[motif : hospitalisation]", "oui"]
    assert last.get_slot("cancellation_confirmed") == "oui" and last.active_loop_name is None
    assert token.encode() not in _raw(tmp_path)


def test_an_event_broker_would_receive_the_redacted_events_too(tmp_path):
    """No broker is configured (endpoints.yml), but if one were, it gets what is stored."""
    class Broker:
        def __init__(self):
            self.published = []

        def publish(self, body):
            self.published.append(body)

    store = AmperSQLTrackerStore(domain=_domain(), dialect="sqlite", db=str(tmp_path / "t.db"),
                                 host=None)
    store.event_broker = Broker()
    tracker = DialogueStateTracker("client-7", store.domain.slots)
    for _ in _hospitalisation_cancellation(tracker, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"):
        asyncio.run(store.save(tracker))
    published = str(store.event_broker.published)
    assert len(store.event_broker.published) == len(tracker.events)
    assert "cancer" not in published and "eyJhbGciOiJIUzI1NiJ9" not in published
