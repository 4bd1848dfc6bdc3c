"""Rasa's SQL tracker store, tuned for the SQLite file of a local run.

On SQLite, Rasa's SQLTrackerStore commits every turn with the default rollback
journal and ``synchronous=FULL``: two fsyncs per turn, on the Rasa server's event
loop.  Profiling (benchmarks/profile_turns.py) put ~7 % of a request turn in that
commit.  This store keeps Rasa's schema and behaviour and only sets, on every new
SQLite connection, ``journal_mode=WAL`` (readers never wait for the writer),
``synchronous=NORMAL`` (in WAL mode a commit survives a crash of the process; only
a power cut may lose the last turns, never corrupt the file) and a busy timeout.
Other databases (PostgreSQL) are left exactly as Rasa configures them.

``save`` writes the same rows as Rasa's, in one multi-row INSERT instead of one ORM
object per event (the ORM flush was half of the save's time on request turns).

Declared in endpoints.yml: ``tracker_store: {type: bot.adapters.tracker_store.AmperSQLTrackerStore,
dialect: sqlite, db: var/tracker.db}``.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class AmperSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore with WAL and synchronous=NORMAL on SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            return
        # Rasa's SQLite engine opens and closes a connection per call (NullPool); in WAL
        # mode closing the last connection checkpoints the log, every turn.  One kept
        # connection per thread (Rasa calls the store from its event-loop thread).
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def _rows(self, tracker: DialogueStateTracker, events) -> List[Dict[str, Any]]:
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append({
                "sender_id": tracker.sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            })
        return rows

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save`` (same rows, same order), with one INSERT for the new events."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = self._rows(tracker, self._additional_events(session, tracker))
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
