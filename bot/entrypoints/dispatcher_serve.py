"""``amper serve dispatcher``: ``amper dispatch``'s loop (any number may run: leases), with
its health on ``127.0.0.1:AMPER_DISPATCHER_HEALTH_PORT`` when set (0: no HTTP):

- ``GET /health``: 200 ``{"status": "ok"}`` while the process runs;
- ``GET /ready``: 200 ``{"ready": true, "last_pass_s": …}`` when the booking store answers and
  the last pass over the outbox is recent, else 503 with the problems in French.
"""
from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from typing import List, Optional

from bot import logs, settings
from bot.adapters import probes
from bot.service_layer.dispatch import Dispatcher

log = logging.getLogger("amper.dispatch")

STORE_DOWN = "La base des demandes (AMPER_DATABASE_URL) est injoignable."
NO_PASS_YET = "Le répartiteur n'a pas encore parcouru la file des messages."


class WatchedDispatcher(Dispatcher):
    """The dispatcher, remembering when it last went over the outbox."""

    last_pass: Optional[float] = None

    async def _batch(self, due_before):
        outcomes = await super()._batch(due_before)
        self.last_pass = time.monotonic()
        return outcomes

    def stale_after(self) -> float:
        """Seconds without a pass after which the dispatcher is said stuck."""
        return max(120.0, self.settings.poll_interval * 10, self.settings.attempt_timeout * 3)

    async def problems(self) -> List[str]:
        found = []
        if not await probes.within(probes.booking_store_reachable):
            found.append(STORE_DOWN)
        if self.last_pass is None:
            found.append(NO_PASS_YET)
        else:
            age = time.monotonic() - self.last_pass
            if age > self.stale_after():
                found.append(f"Dernier passage sur la file des messages il y a {age:.0f} s "
                             f"(plus de {self.stale_after():.0f} s).")
        return found


def health_app(dispatcher: WatchedDispatcher):
    from aiohttp import web

    def _json(body, status=200):
        return web.json_response(body, status=status,
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def health(_request):
        return _json({"status": "ok"})

    async def ready(_request):
        found = await dispatcher.problems()
        if found:
            return _json({"ready": False, "problems": found}, 503)
        return _json({"ready": True,
                      "last_pass_s": round(time.monotonic() - dispatcher.last_pass, 1)})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    return app


async def run(dispatcher: WatchedDispatcher, health_port: int,
              stop: Optional[asyncio.Event] = None) -> None:
    """The loop until ``stop`` (SIGINT/SIGTERM when None), with the health server if a port."""
    from aiohttp import web

    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    runner = None
    if health_port:
        runner = web.AppRunner(health_app(dispatcher), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", health_port).start()
        log.info("Santé du répartiteur sur http://127.0.0.1:%d/health et /ready", health_port)
    try:
        await dispatcher.run_forever(stop)
    finally:
        if runner is not None:
            await runner.cleanup()


def serve_dispatcher(tracker_url: str) -> int:
    from bot.adapters.conversations import ConversationStore

    logs.setup("dispatcher")
    dispatcher = WatchedDispatcher.from_env(None, ConversationStore(tracker_url))
    asyncio.run(run(dispatcher, settings.cluster().dispatcher_health_port))
    return 0
