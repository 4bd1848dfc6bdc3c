"""Rasa's endpoints file, rendered from the settings: the one place that says which tracker
store, lock store and action server a Rasa instance uses (``amper run`` and ``amper serve
rasa`` both write it, under ``var/run/``).

- tracker store: :class:`bot.adapters.tracker_store.AmperSQLTrackerStore` on
  ``AMPER_TRACKER_URL`` (SQLite ``var/tracker.db`` by default, or PostgreSQL shared by every
  Rasa instance);
- lock store: Rasa's ``redis`` lock store on ``AMPER_REDIS_URL`` when set (the turns of one
  conversation in order, whatever instance gets them), else in memory (one instance);
- action endpoint: ``AMPER_ACTIONS_URL``.

The file may hold a database or Redis password: it is written readable by its owner only.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import unquote, urlsplit

import yaml
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT

TRACKER_STORE = "bot.adapters.tracker_store.AmperSQLTrackerStore"
#: the lock keys' prefix in a shared Redis (Rasa accepts letters and digits only)
LOCK_KEY_PREFIX = "amper"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def tracker_config(url: str) -> Dict[str, Any]:
    """The ``tracker_store`` section for a tracker URL (``sqlite:///…`` or
    ``postgresql+psycopg2://user:password@host:port/db?sslmode=…``).  A relative SQLite path
    is relative to the project (as ``var/tracker.db`` in endpoints.yml)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "var/tracker.db")
        return {"type": TRACKER_STORE, "dialect": "sqlite",
                "db": str(path if path.is_absolute() else PROJECT_ROOT / path)}
    # Rasa gives a custom store the section's ``url`` as ``host``
    config: Dict[str, Any] = {"type": TRACKER_STORE, "dialect": parsed.drivername,
                              "url": parsed.host or "127.0.0.1", "db": parsed.database}
    if parsed.port:
        config["port"] = parsed.port
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    if parsed.query:
        config["query"] = dict(parsed.query)
    return config


def lock_store_config(redis_url: str) -> Optional[Dict[str, Any]]:
    """Rasa's ``redis`` lock store for ``redis://[:password@]host[:port][/db]`` (``rediss://``:
    TLS); None (in memory) for an empty URL."""
    if not redis_url:
        return None
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"Adresse Redis non prise en charge pour le verrou de Rasa : "
                         f"{parts.scheme}:// (redis:// ou rediss:// attendu).")
    path = parts.path.strip("/")
    config: Dict[str, Any] = {"type": "redis", "url": parts.hostname or "127.0.0.1",
                              "port": parts.port or 6379, "db": int(path) if path else 0,
                              "key_prefix": LOCK_KEY_PREFIX}
    if parts.username:
        config["username"] = unquote(parts.username)
    if parts.password:
        config["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config


def endpoints_config(*, actions_url: str, tracker_url: str, redis_url: str = "") -> Dict[str, Any]:
    """The endpoints of one Rasa instance: endpoints.yml's, with the settings' stores."""
    template = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    template["action_endpoint"] = {"url": actions_url}
    template["tracker_store"] = tracker_config(tracker_url)
    lock = lock_store_config(redis_url)
    if lock:
        template["lock_store"] = lock
    else:
        template.pop("lock_store", None)
    return template


def write_endpoints(path: Path, config: Dict[str, Any]) -> Path:
    """Writes ``config`` to ``path`` (owner only: it may hold passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(yaml.safe_dump(config, allow_unicode=True))
    os.chmod(path, 0o600)
    return path
