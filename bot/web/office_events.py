"""The sector office's live list: ``GET /api/bureau/evenements`` (Server-Sent Events,
docs/office-contract.md).

One poller per gateway application asks the store what changed (port ``office_changes``)
every ``AMPER_WEB_INBOX_POLL`` seconds, and only while at least one office page listens.
Each listening page gets, for the changes of *its* sectors only::

    event: demandes
    data: {"open": 3, "changed": ["AMP-2026-000123"]}

then refetches its list.  A comment (``: ping``) every 15 s keeps proxies from closing an
idle stream; ``: ok`` says the stream is listening (sent once, when the poller holds its
position in the store).  The response is written by hand on aiohttp's StreamResponse.  A
visitor who leaves is noticed within a second and never raises into the logs; a session
keeps at most 5 streams open (tabs), the gateway at most 500.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from aiohttp import web

from bot import settings as app_settings
from bot.web.http import CONFIG, SESSIONS
from bot.web.shared_state import StateUnavailable

log = logging.getLogger(__name__)

PING_SECONDS = 15.0     # a comment on an idle stream
CHECK_SECONDS = 1.0     # how often a stream looks whether its visitor is still there
READY_SECONDS = 10.0    # how long a new stream waits for the poller's first look
PER_SESSION = 5         # streams of one session (tabs)
OVERALL = 500           # streams of the whole gateway
QUEUE_SIZE = 16         # events waiting for a slow stream (the oldest dropped beyond)
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no",
           "X-Content-Type-Options": "nosniff"}


@dataclass(eq=False)
class Subscriber:
    session_id: str
    sectors: Tuple[str, ...]
    queue: "asyncio.Queue[Optional[bytes]]" = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def send(self, event: Optional[bytes]) -> None:
        if self.queue.full():  # a stream that does not read: its oldest event goes
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class Hub:
    """The application's poller and the streams listening to it."""

    def __init__(self, config: Dict[str, Any], poll: float):
        self.config, self.poll = config, poll
        self.subscribers: List[Subscriber] = []
        self.cursor: Any = None
        self.ready = asyncio.Event()     # the poller holds a position in the store
        self._listened = asyncio.Event()  # at least one stream
        self._task: Optional[asyncio.Task] = None
        self._failing = False

    # --- streams ---
    def subscribe(self, session_id: str, sectors: Iterable[str]) -> Optional[Subscriber]:
        """A new stream, or None when the session or the gateway has too many."""
        mine = sum(1 for s in self.subscribers if s.session_id == session_id)
        if mine >= PER_SESSION or len(self.subscribers) >= OVERALL:
            return None
        subscriber = Subscriber(session_id, tuple(sectors))
        self.subscribers.append(subscriber)
        self._listened.set()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.remove(subscriber)

    def close_streams(self) -> None:
        for subscriber in list(self.subscribers):
            subscriber.send(None)

    # --- the poller ---
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            if not self.subscribers:  # nobody listens: no look at the store
                self.cursor = None
                self.ready.clear()
                self._listened.clear()
                await self._listened.wait()
            await self.look()
            await asyncio.sleep(self.poll)

    async def look(self) -> None:
        """One look at the store: the changes since the last one, to the streams."""
        try:
            if self.cursor is None:
                self.cursor, _ = await self._port("office_changes", None)
                self.ready.set()
            else:
                self.cursor, changes = await self._port("office_changes", self.cursor)
                if changes:
                    await self._fan_out(changes)
            if self._failing:
                log.info("live list of the sector offices: the store answers again")
            self._failing = False
        except Exception as problem:  # the store down: said once, tried again next time
            if not self._failing:
                log.warning("live list of the sector offices: store unavailable (%s)",
                            type(problem).__name__)
            self._failing = True

    async def _fan_out(self, changes: Dict[str, List[str]]) -> None:
        counts: Dict[Tuple[str, ...], int] = {}
        for subscriber in list(self.subscribers):
            changed = sorted({ref for sector in subscriber.sectors
                              for ref in changes.get(sector, ())})
            if not changed:
                continue
            if subscriber.sectors not in counts:
                counts[subscriber.sectors] = await self._port("office_open_count",
                                                              list(subscriber.sectors))
            subscriber.send(event_bytes(counts[subscriber.sectors], changed))

    async def _port(self, name: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.config[name], *args)


def event_bytes(open_count: int, changed: List[str]) -> bytes:
    data = json.dumps({"open": open_count, "changed": changed}, ensure_ascii=False)
    return f"event: demandes\ndata: {data}\n\n".encode("utf-8")


HUB = web.AppKey("office_events", Hub)


def setup(app: web.Application) -> None:
    """The poller starts with the application and stops with it; the streams end first
    (a graceful shutdown never waits for a page that listens)."""
    async def start(app: web.Application) -> None:
        poll = getattr(app[CONFIG].get("web"), "inbox_poll", None)  # tests give partial ones
        app[HUB] = Hub(app[CONFIG], float(poll or app_settings.web().inbox_poll))
        app[HUB].start()

    async def end_streams(app: web.Application) -> None:
        if HUB in app:
            app[HUB].close_streams()

    async def stop(app: web.Application) -> None:
        if HUB in app:
            await app[HUB].stop()

    app.on_startup.append(start)
    app.on_shutdown.append(end_streams)
    app.on_cleanup.append(stop)


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _alive(request: web.Request, session_id: str) -> bool:
    """Whether the stream's session still exists (without counting it as a use).  Redis not
    answering for a moment does not end the office's live list: checked again next time."""
    try:
        return await request.app[SESSIONS].check_alive(session_id)
    except StateUnavailable:
        return True


async def stream(request: web.Request, session: Any) -> Optional[web.StreamResponse]:
    """The office's event stream (the caller checked that the session is an office's);
    None when too many streams are open (the caller answers 429)."""
    hub = request.app[HUB]
    subscriber = hub.subscribe(session.id, session.sectors)
    if subscriber is None:
        return None
    response = web.StreamResponse(headers=HEADERS)
    response.content_type = "text/event-stream"
    response.charset = "utf-8"
    try:
        await response.prepare(request)
        try:
            await asyncio.wait_for(hub.ready.wait(), READY_SECONDS)
        except asyncio.TimeoutError:
            pass  # the store is slow or down: the stream listens all the same
        await response.write(b"retry: 3000\n: ok\n\n")
        idle = 0.0
        while True:
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), CHECK_SECONDS)
            except asyncio.TimeoutError:
                if _gone(request) or not await _alive(request, session.id):
                    break  # the visitor left, logged out, or the session expired
                idle += CHECK_SECONDS
                if idle >= PING_SECONDS:
                    await response.write(b": ping\n\n")
                    idle = 0.0
                continue
            if event is None:  # the gateway stops
                break
            await response.write(event)
            idle = 0.0
    except ConnectionError:
        pass  # the visitor left while we wrote: nothing to report
    finally:
        hub.unsubscribe(subscriber)
    return response
