"""Logs of every component (issue 23, docs/deploy.md): one setup, text or JSON lines
(``AMPER_LOG_FORMAT``), each line with the process's name (``AMPER_INSTANCE``) and the id of
the request it serves, so that one message can be followed from the gateway through Rasa to
the action server and the store.

    from bot import logs
    logs.setup("gateway")                       # once, at the start of the process
    with logs.request_context(request_id):      # around the handling of one message
        log.info("…")                           # carries request_id
    logs.current_request_id()                   # to pass it on (HTTP header, metadata)

The id travels as the ``X-Request-Id`` header between HTTP hops and as
``metadata["request_id"]`` inside a Rasa message.  Never a message's text at INFO."""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import secrets
from datetime import datetime, timezone
from typing import Iterator, Optional

HEADER = "X-Request-Id"
METADATA_KEY = "request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_request_id: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "amper_request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(8)


def valid_request_id(value) -> Optional[str]:
    """``value`` if it looks like a request id we may log (given by nginx or a gateway),
    else None (then a new one is made)."""
    return value if isinstance(value, str) and _VALID.match(value) else None


def current_request_id() -> Optional[str]:
    return _request_id.get()


@contextlib.contextmanager
def request_context(request_id: Optional[str]) -> Iterator[str]:
    """Within the block, the logs carry ``request_id`` (a new one when None or invalid)."""
    value = valid_request_id(request_id) or new_request_id()
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


class _Context(logging.Filter):
    def __init__(self, component: str, instance: str) -> None:
        super().__init__()
        self.component, self.instance = component, instance

    def filter(self, record: logging.LogRecord) -> bool:
        record.component, record.instance = self.component, self.instance
        record.request_id = _request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, component, instance, request_id, logger,
    message (and the exception's type and text, never a traceback's locals)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "component": getattr(record, "component", "-"),
            "instance": getattr(record, "instance", "-"),
            "request_id": getattr(record, "request_id", "-"),
            "logger": record.name, "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            data["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(data, ensure_ascii=False)


TEXT_FORMAT = ("%(asctime)s %(component)s %(instance)s [%(request_id)s] %(name)s "
               "%(levelname)s %(message)s")


def setup(component: str, level: int = logging.INFO, env=None) -> None:
    """The root logger for this process: text or JSON lines on stderr, with the component
    (gateway, rasa, actions, dispatcher), the instance and the request id."""
    from bot import settings

    cluster = settings.cluster(env)
    handler = logging.StreamHandler()
    handler.addFilter(_Context(component, cluster.instance))
    handler.setFormatter(JsonFormatter() if cluster.log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "amper", False):
            root.removeHandler(old)
    handler.amper = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
