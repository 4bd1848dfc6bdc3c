"""Rasa's SQL tracker store, tuned for the SQLite file of a local run.

On SQLite, Rasa's SQLTrackerStore commits every turn with the default rollback
journal and ``synchronous=FULL``: two fsyncs per turn, on the Rasa server's event
loop.  Profiling (benchmarks/profile_turns.py) put ~7 % of a request turn in that
commit.  This store keeps Rasa's schema and behaviour and only sets, on every new
SQLite connection, ``journal_mode=WAL`` (readers never wait for the writer),
``synchronous=NORMAL`` (in WAL mode a commit survives a crash of the process; only
a power cut may lose the last turns, never corrupt the file) and a busy timeout.
On PostgreSQL (``AMPER_TRACKER_URL``, shared by several Rasa instances) Rasa's engine gets
a pre-ping and the connect timeout (:meth:`AmperSQLTrackerStore._server_engine`).

``save`` writes the same rows as Rasa's, in one multi-row INSERT instead of one ORM
object per event (the ORM flush was half of the save's time on request turns).

Nothing secret or medical is written (``redact_events``, applied to every row ``save``
writes and to what ``stream_events`` would publish; Rasa's other methods only read):

* token-like keys (``auth``, ``token``, ``jwt``, ``authorization``…, any case) are dropped
  from every event, at any depth (message metadata, ``parse_data.metadata``,
  ``session_started`` metadata, the ``session_started_metadata`` slot), and any string
  shaped like a JWT becomes ``[jeton masqué]``;
* a user message that gave the cancellation reason (a following change of
  ``cancellation_reason``, a ``cancellation_reason`` entity, or ``requested_slot`` was
  ``cancellation_reason`` when it arrived) is stored as ``[motif : <catégorie>]`` (or
  ``[motif masqué]``); any other user message that mentions health
  (``bot/domain/health_words.py``) as ``[texte masqué : santé]``; its ``parse_data.text``
  and entity values too;
* ``cancellation_reason`` is stored only as one of the four categories, otherwise
  ``[motif masqué]``; another slot value that mentions health is masked.

Rasa reads the tracker back from this store at every message, so the running conversation
sees the redacted history too: only the current message (in memory for its turn, where the
actions read it) and the validated slots matter, and those are intact.  Events are never
dropped (Rasa counts the stored rows to know which events are new).

Declared in endpoints.yml: ``tracker_store: {type: bot.adapters.tracker_store.AmperSQLTrackerStore,
dialect: sqlite, db: var/tracker.db}``.
"""
from __future__ import annotations

import itertools
import logging
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import (SQLTrackerStore, TrackerEventDiffEngine,
                                     create_engine_kwargs)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

from bot import settings
from bot.domain.health_words import mentions_health
from bot.domain.model import ReasonCategory

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
LAST_INTENTS_MAX = 10_000  # conversations whose last intent is remembered (feedback)

REASON_SLOT = "cancellation_reason"
REQUESTED_SLOT = "requested_slot"
CATEGORIES = frozenset(c.value for c in ReasonCategory)
MASKED_REASON = "[motif masqué]"
MASKED_HEALTH = "[texte masqué : santé]"
MASKED_TOKEN = "[jeton masqué]"
#: keys whose value is a credential, wherever they are in an event
_TOKEN_KEY = re.compile(r"^(?:x[-_])?(?:auth|authorization|authentication|bearer|password"
                        r"|passwd|secret|cookie|api[-_]?key)$|token|jwt", re.IGNORECASE)
#: a JWT (header.payload.signature, the header always starts with {" -> eyJ)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def reason_placeholder(category: Optional[str]) -> str:
    """What is stored instead of a message that gave the reason."""
    return f"[motif : {category}]" if category in CATEGORIES else MASKED_REASON


def scrub_tokens(value: Any) -> Any:
    """A copy of ``value`` without token-like keys (any depth) nor JWT-shaped strings."""
    if isinstance(value, dict):
        return {k: scrub_tokens(v) for k, v in value.items()
                if not (isinstance(k, str) and _TOKEN_KEY.search(k))}
    if isinstance(value, (list, tuple)):
        return [scrub_tokens(v) for v in value]
    if isinstance(value, str) and "eyJ" in value:
        return _JWT.sub(MASKED_TOKEN, value)
    return value


def _mask_health(value: Any) -> Any:
    """Strings (any depth) that mention health replaced by the placeholder."""
    if isinstance(value, dict):
        return {k: _mask_health(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_health(v) for v in value]
    if isinstance(value, str) and mentions_health(value):
        return MASKED_HEALTH
    return value


def _entities(event: Dict[str, Any]) -> List[Dict[str, Any]]:
    entities = (event.get("parse_data") or {}).get("entities") or []
    return [e for e in entities if isinstance(e, dict)]


def _reason_given(events: Sequence[Dict[str, Any]], index: int, requested: Optional[str],
                  reason_before: Any) -> Optional[List[Optional[str]]]:
    """Whether the user message at ``index`` gave the reason: ``[category or None]``, else None."""
    user = events[index]
    filled = requested == REASON_SLOT
    category = None
    for entity in _entities(user):
        if entity.get("entity") == REASON_SLOT:
            filled = True
            if entity.get("value") in CATEGORIES:
                category = entity.get("value")
    for later in itertools.islice(events, index + 1, None):
        if later.get("event") == "user":
            break
        if later.get("event") == "slot" and later.get("name") == REASON_SLOT:
            value = later.get("value")
            if value is not None and value != reason_before:
                filled = True
            if value in CATEGORIES:
                category = value
    return [category] if filled else None


def _redact_user(event: Dict[str, Any], placeholder: str) -> Dict[str, Any]:
    event["text"] = placeholder
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict):
        if "text" in parse_data:
            parse_data["text"] = placeholder
        for entity in _entities(event):
            for key in ("value", "text"):
                if key in entity:
                    entity[key] = placeholder
            entity.pop("additional_info", None)
    return event


def _user_placeholder(events: Sequence[Dict[str, Any]], index: int, requested: Optional[str],
                      reason: Any) -> Optional[str]:
    """What replaces the user message at ``index``, or None to keep it."""
    given = _reason_given(events, index, requested, reason)
    if given is not None:
        return reason_placeholder(given[0])
    user = events[index]
    if mentions_health(str(user.get("text") or "")) or mentions_health(
            str((user.get("parse_data") or {}).get("text") or "")):
        return MASKED_HEALTH
    return None


def _copies(value: Any, text: str) -> bool:
    """Whether a slot value was copied from the user's text: the whole text (a from_text
    fill) or a part that mentions health (an entity).  Validated values (ids, dates, yes/no)
    are kept even when the text contains them."""
    if not isinstance(value, str) or not value.strip():
        return False
    return value.strip() == text.strip() or (mentions_health(value) and value in text)


def redact_events(events: Sequence[Dict[str, Any]], start: int = 0) -> List[Dict[str, Any]]:
    """Redacted copies of ``events[start:]`` (event dicts, as ``Event.as_dict()``), read in
    the context of the whole list (what was asked, what the action validated after).

    Slots our actions fill (recaps that name the category, ids, dates) are kept: only a slot
    value copied from a masked message is masked with it."""
    requested: Optional[str] = None
    reason: Any = None
    masked: Optional[Tuple[str, str]] = None  # (original text, placeholder) of the last message
    #: of the stored messages, only the last one matters (slots set after it in this save)
    last_stored_user = max((i for i in range(min(start, len(events)))
                            if events[i].get("event") == "user"), default=-1)
    out = []
    for index, original in enumerate(events):
        kind = original.get("event")
        if kind == "user" and (index >= start or index == last_stored_user):
            placeholder = _user_placeholder(events, index, requested, reason)
            masked = (str(original.get("text") or ""), placeholder) if placeholder else None
        if index >= start:
            event = scrub_tokens(original)
            if kind == "user" and masked:
                _redact_user(event, masked[1])
            elif kind == "slot" and event.get("name") == REASON_SLOT:
                if event.get("value") is not None and event.get("value") not in CATEGORIES:
                    event["value"] = MASKED_REASON
            elif kind == "slot" and masked and _copies(event.get("value"), masked[0]):
                event["value"] = masked[1]
            elif kind == "entities":
                event["entities"] = _mask_health(event.get("entities"))
            out.append(event)
        if kind in ("restart", "session_started"):
            requested = reason = masked = None
        elif kind == "slot" and original.get("name") == REQUESTED_SLOT:
            requested = original.get("value")
        elif kind == "slot" and original.get("name") == REASON_SLOT:
            reason = original.get("value")
    return out


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def intent_label(parse_data: Dict[str, Any]) -> str:
    """What the message was understood as: the intent's name, or for a retrieval intent
    (``faq``) the key of the answer chosen (``faq/tarifs``); empty when none.  (The response
    selector runs on every message: its choice counts only for its own intent.)"""
    intent = parse_data.get("intent")
    name = intent.get(INTENT_NAME_KEY) if isinstance(intent, dict) else None
    if not isinstance(name, str):
        return ""
    selectors = parse_data.get("response_selector")
    selector = selectors.get(name) if isinstance(selectors, dict) else None  # "faq"
    response = selector.get("response") if isinstance(selector, dict) else None
    key = response.get("intent_response_key") if isinstance(response, dict) else None
    return key if isinstance(key, str) and key.startswith(f"{name}/") else name


class AmperSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that writes redacted events; WAL and synchronous=NORMAL on SQLite.

    It also remembers, in memory, the intent of the last message saved in each conversation
    (:meth:`last_intent`): the chat channel returns it to the web gateway, which stores it
    with the client's thumbs up or down (no text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_intents: "OrderedDict[str, Tuple[Optional[str], str]]" = OrderedDict()
        if self.engine.dialect.name != "sqlite":
            self._server_engine()
            return
        # Rasa's SQLite engine opens and closes a connection per call (NullPool); in WAL
        # mode closing the last connection checkpoints the log, every turn.  One kept
        # connection per thread (Rasa calls the store from its event-loop thread).
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def _server_engine(self) -> None:
        """PostgreSQL (shared by several Rasa instances): Rasa's engine, with a connection
        checked before use (a restarted server or a dropped connection is not an error on
        the next turn) and ``AMPER_DB_CONNECT_TIMEOUT`` to reach the server."""
        url = self.engine.url
        kwargs = create_engine_kwargs(url)
        if url.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {**kwargs.get("connect_args", {}),
                                      "connect_timeout": settings.database().connect_timeout}
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def reachable(self) -> bool:
        """Whether the conversations can be read (the readiness of ``amper serve rasa``):
        a SQLite file still in place (a kept connection would go on writing into a deleted
        one), the ``events`` table answering."""
        try:
            if self.engine.dialect.name == "sqlite":
                path = self.engine.url.database
                if path and path != ":memory:" and not Path(path).exists():
                    return False
            with self.engine.connect() as connection:
                connection.execute(sa.select(sa.func.count()).select_from(
                    self.SQLEvent.__table__).where(sa.false())).scalar()
            return True
        except Exception as error:  # noqa: BLE001 - any failure is "not reachable"
            log.warning("base des conversations injoignable : %s", type(error).__name__)
            return False

    def _rows(self, tracker: DialogueStateTracker, start: int) -> List[Dict[str, Any]]:
        """The rows of ``tracker.events[start:]``, redacted (the earlier events as context)."""
        rows = []
        for data in redact_events([event.as_dict() for event in tracker.events], start):
            rows.append({
                "sender_id": tracker.sender_id,
                "type_name": data.get("event"),
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            })
        return rows

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save`` (same rows, same order, redacted), with one INSERT for the new events."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            # Rasa's _additional_events: the events after the ones stored for this session
            stored = self._event_query(session, tracker.sender_id,
                                       fetch_events_from_all_sessions=False).count()
            rows = self._rows(tracker, stored)
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        try:
            self._remember(tracker)
        except Exception:  # noqa: BLE001 - the feedback's intent must never fail a save
            log.exception("last intent not remembered")

    def _remember(self, tracker: DialogueStateTracker) -> None:
        message = tracker.latest_message
        if message is None or not message.message_id:
            return
        intents = self._last_intents
        intents[tracker.sender_id] = (message.message_id, intent_label(message.parse_data))
        intents.move_to_end(tracker.sender_id)
        while len(intents) > LAST_INTENTS_MAX:
            intents.popitem(last=False)

    def last_intent(self, sender_id: str, message_id: str) -> Optional[str]:
        """The intent of message ``message_id`` if it is the last one saved for ``sender_id``."""
        remembered = self._last_intents.get(sender_id)
        if remembered is None or remembered[0] != message_id:
            return None
        return remembered[1]

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's, publishing the redacted events (no broker is configured by default)."""
        if self.event_broker is None:
            return None
        new_events = TrackerEventDiffEngine.event_difference(
            await self.retrieve(tracker.sender_id), tracker)
        start = max(len(tracker.events) - len(new_events), 0)
        for data in redact_events([e.as_dict() for e in tracker.events], start):
            self.event_broker.publish({"sender_id": tracker.sender_id, **data})
