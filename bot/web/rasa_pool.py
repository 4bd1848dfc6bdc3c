"""The Rasa instances a gateway spreads its conversations over (``AMPER_RASA_URLS``,
docs/deploy.md « Conversations across instances »).

Each conversation goes to the instance its sender id picks by rendezvous hashing (the same
one while it answers; when one instance leaves, only its conversations move).  When the
chosen instance cannot be reached (connection refused, connection timeout: the message was
never delivered), the next one in the conversation's order gets it.  A failure *after* the
message was sent (disconnect, read timeout, 5xx) is not retried elsewhere: the instance may
have processed it, so the visitor is told (« Le message n'a pas pu être traité… ») and the
page retries with the same message id.  A read-only call (the staff answer panel) may be
retried on the next instance after any failure (``idempotent``).
"""
from __future__ import annotations

import asyncio
import hashlib
import types
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from aiohttp import ClientError, ClientSession, ClientTimeout, TraceConfig

from bot import logs

WEBHOOK = "/webhooks/rest/webhook"
ANSWERS = "/webhooks/rest/answers"
READY = "/webhooks/rest/ready"
CONNECT_SECONDS = 3.0
READY_SECONDS = 2.0


class RasaUnreachable(Exception):
    """No instance could be reached: the message was delivered to none."""


class RasaLost(Exception):
    """The message was sent but its answer lost (the instance may have processed it)."""


@dataclass
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str]
    base: str


def base_url(url: str) -> str:
    """``http://host:port`` (or with a path prefix) from a base or a full webhook URL."""
    url = url.rstrip("/")
    for suffix in (WEBHOOK, ANSWERS):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


async def _on_connection(_session: Any, context: types.SimpleNamespace, _params: Any) -> None:
    """The request got a connection: from now on, the instance may receive the message."""
    if context.trace_request_ctx is not None:
        context.trace_request_ctx.connected = True


TRACE = TraceConfig()
TRACE.on_connection_create_end.append(_on_connection)
TRACE.on_connection_reuseconn.append(_on_connection)


class RasaPool:
    """The instances (base URLs) and the order in which a conversation tries them."""

    def __init__(self, urls: Union[str, Sequence[str]], timeout: float) -> None:
        urls = [urls] if isinstance(urls, str) else list(urls)
        self.bases = list(dict.fromkeys(base_url(u) for u in urls if u))
        if not self.bases:
            raise ValueError("no Rasa instance")
        self.timeout = timeout

    def order(self, key: str) -> List[str]:
        """The instances by rendezvous hashing of ``key`` (best first)."""
        return sorted(self.bases, reverse=True, key=lambda base: hashlib.sha256(
            f"{base}\n{key}".encode("utf-8")).digest())

    def session(self, timeout: Optional[float] = None, **connector: Any) -> ClientSession:
        total = self.timeout if timeout is None else timeout
        return ClientSession(timeout=ClientTimeout(total=total,
                                                   connect=min(CONNECT_SECONDS, total)),
                             trace_configs=[TRACE], **connector)

    async def post(self, path: str, payload: Dict[str, Any], *, key: str,
                   http: Optional[ClientSession] = None, idempotent: bool = False) -> Reply:
        """POST ``payload`` to ``path`` of the conversation's instance (the next one when it
        cannot be reached); :class:`RasaUnreachable` or :class:`RasaLost` otherwise."""
        request_id = logs.current_request_id()
        headers = {logs.HEADER: request_id} if request_id else {}
        own = http is None
        http = self.session() if own else http
        lost = False
        try:
            for base in self.order(key):
                context = types.SimpleNamespace(connected=False)
                try:
                    async with http.post(base + path, json=payload, headers=headers,
                                         trace_request_ctx=context) as answer:
                        body = await answer.json(content_type=None)
                        reply = Reply(answer.status, body, answer.headers, base)
                except (ClientError, asyncio.TimeoutError, ValueError):
                    if not context.connected:
                        continue  # never delivered: the next instance
                    lost = True
                    if idempotent:
                        continue
                    raise RasaLost(base) from None
                if reply.status >= 500:
                    lost = True
                    if idempotent:
                        continue
                    raise RasaLost(base)
                return reply
        finally:
            if own:
                await http.close()
        raise RasaLost("all") if lost else RasaUnreachable("all")

    async def ready(self) -> bool:
        """Whether at least one instance says it is ready (``GET /webhooks/rest/ready``;
        an instance without that route yet: ``GET /`` answering 200)."""
        async with ClientSession(timeout=ClientTimeout(total=READY_SECONDS)) as http:
            answers = await asyncio.gather(*(self._ready(http, b) for b in self.bases))
        return any(answers)

    @staticmethod
    async def _ready(http: ClientSession, base: str) -> bool:
        try:
            async with http.get(base + READY) as answer:
                if answer.status != 404:
                    return answer.status == 200
            async with http.get(base + "/") as answer:
                return answer.status == 200
        except (ClientError, asyncio.TimeoutError):
            return False
