"""The conversation store (Rasa's SQL tracker store) seen from the privacy tools.

Rasa keeps every event of a conversation in the table ``events`` (``id``, ``sender_id``,
``type_name``, ``timestamp`` — UNIX seconds —, ``intent_name``, ``action_name``, ``data`` —
the event as JSON).  Which database: the ``tracker_store`` of ``endpoints.yml`` (``db:
var/tracker.db`` beside the project for ``make run``; the launcher writes the same file
under its ``var`` directory), or the URL given to the command (``--tracker-url``).

Nothing is created: a missing SQLite file or a database without the ``events`` table is an
empty conversation store.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT

#: The slot in which the request forms record whose client a conversation is about.
OWNER_SLOT = "owner_client"
CHUNK = 500

events = sa.table("events", sa.column("id", sa.Integer), sa.column("sender_id", sa.String),
                  sa.column("type_name", sa.String), sa.column("timestamp", sa.Float),
                  sa.column("intent_name", sa.String), sa.column("action_name", sa.String),
                  sa.column("data", sa.Text))


def default_tracker_url(endpoints: Path = PROJECT_ROOT / "endpoints.yml") -> str:
    """The tracker store's URL as ``endpoints.yml`` declares it (as Rasa builds it)."""
    try:
        config = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    except OSError:
        config = {}
    store = config.get("tracker_store") or {}
    dialect, db = store.get("dialect") or "sqlite", store.get("db") or "rasa.db"
    if dialect == "sqlite":
        path = Path(db)
        return f"sqlite:///{path if path.is_absolute() else PROJECT_ROOT / path}"
    return sa.engine.URL.create(dialect, username=store.get("username"),
                                password=store.get("password"), host=store.get("host"),
                                port=store.get("port"), database=db).render_as_string(
                                    hide_password=False)


def _token_subject(token: Any) -> Optional[str]:
    """The ``sub`` claim of a JWT, read without checking it (only to find a conversation)."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError):
        return None
    return str(claims.get("sub")) if isinstance(claims, dict) and "sub" in claims else None


class ConversationStore:
    """The tracker store's events, by conversation (``sender_id``)."""

    def __init__(self, url: Optional[str] = None):
        self.url = url or default_tracker_url()
        self._engine: Optional[sa.engine.Engine] = None

    def where(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def _usable(self) -> bool:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database
            if not path or path == ":memory:" or not Path(path).exists():
                return False
        if self._engine is None:
            self._engine = sa.create_engine(self.url, future=True)
        return sa.inspect(self._engine).has_table("events")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- reading ---------------------------------------------------------------------------
    def inactive_senders(self, before: datetime) -> List[str]:
        """Conversations whose last event is older than ``before``."""
        if not self._usable():
            return []
        stmt = (sa.select(events.c.sender_id).group_by(events.c.sender_id)
                .having(sa.func.max(events.c.timestamp) < before.timestamp())
                .order_by(events.c.sender_id))
        with self._engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def senders_of_client(self, client_number: str) -> List[str]:
        """Conversations about the client: the forms' ``owner_client`` slot set to it, or
        a user message carrying a login token (``metadata.auth``) for it."""
        if not self._usable():
            return []
        number, found = str(client_number), set()
        slots = sa.select(events.c.sender_id, events.c.data).where(
            events.c.type_name == "slot", events.c.action_name == OWNER_SLOT,
            events.c.data.contains(number, autoescape=True))
        tokens = sa.select(events.c.sender_id, events.c.data).where(
            events.c.type_name == "user", events.c.data.contains('"auth"'))
        with self._engine.connect() as conn:
            for sender, data in conn.execute(slots):
                value = _json(data).get("value")
                if value is not None and str(value) == number:
                    found.add(sender)
            for sender, data in conn.execute(tokens):
                metadata = _json(data).get("metadata") or {}
                if isinstance(metadata, dict) and _token_subject(metadata.get("auth")) == number:
                    found.add(sender)
        return sorted(found)

    def existing(self, senders: Iterable[str]) -> List[str]:
        """The given conversations that the store holds."""
        found: Set[str] = set()
        if not self._usable():
            return []
        with self._engine.connect() as conn:
            for chunk in _chunks(sorted(set(senders))):
                found.update(conn.execute(sa.select(events.c.sender_id).distinct().where(
                    events.c.sender_id.in_(chunk))).scalars())
        return sorted(found)

    def count_events(self, senders: Sequence[str]) -> int:
        if not senders or not self._usable():
            return 0
        with self._engine.connect() as conn:
            return sum(conn.execute(sa.select(sa.func.count()).select_from(events).where(
                events.c.sender_id.in_(chunk))).scalar_one() for chunk in _chunks(senders))

    def events_of(self, senders: Sequence[str]) -> Dict[str, List[Dict[str, Any]]]:
        """Each conversation's events (their JSON), oldest first."""
        result: Dict[str, List[Dict[str, Any]]] = {s: [] for s in senders}
        if not senders or not self._usable():
            return result
        with self._engine.connect() as conn:
            for chunk in _chunks(list(senders)):
                rows = conn.execute(sa.select(events.c.sender_id, events.c.data)
                                    .where(events.c.sender_id.in_(chunk))
                                    .order_by(events.c.id))
                for sender, data in rows:
                    result[sender].append(_json(data))
        return result

    # --- erasing ---------------------------------------------------------------------------
    def delete(self, senders: Sequence[str]) -> int:
        """Delete these conversations (one transaction); returns the number of events."""
        if not senders or not self._usable():
            return 0
        with self._engine.begin() as conn:
            return sum(conn.execute(sa.delete(events).where(events.c.sender_id.in_(chunk)))
                       .rowcount for chunk in _chunks(list(senders)))


def _json(data: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _chunks(items: Sequence[str]):
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]
