"""Rasa's SQL tracker store, tuned for the SQLite file of a local run.

On SQLite, Rasa's SQLTrackerStore commits every turn with the default rollback
journal and ``synchronous=FULL``: two fsyncs per turn, on the Rasa server's event
loop.  Profiling (benchmarks/profile_turns.py) put ~7 % of a request turn in that
commit.  This store keeps Rasa's schema and behaviour and only sets, on every new
SQLite connection, ``journal_mode=WAL`` (readers never wait for the writer),
``synchronous=NORMAL`` (in WAL mode a commit survives a crash of the process; only
a power cut may lose the last turns, never corrupt the file) and a busy timeout.
Other databases (PostgreSQL) are left exactly as Rasa configures them.

Declared in endpoints.yml: ``tracker_store: {type: bot.adapters.tracker_store.AmperSQLTrackerStore,
dialect: sqlite, db: var/tracker.db}``.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
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
