"""``GET /ready``: whether this gateway can serve a visitor now (docs/deploy.md): the booking
store answers, Redis answers when the sessions are there, at least one Rasa instance is
ready.  200 ``{"ready": true}``, or 503 ``{"ready": false, "problems": [...]}`` in French.
No session, no CSRF token (a probe); ``/health`` only says the process is alive."""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.web import shared_state, wording
from bot.web.http import CONFIG, RASA, REDIS

STORE_SECONDS = 3.0
LAST = "readiness_problems"  # in the app's config: the problems of the last probe

log = logging.getLogger(__name__)


async def ready(request: web.Request) -> web.Response:
    app = request.app
    store, redis, rasa = await asyncio.gather(_store_ready(app), _redis_ready(app),
                                              app[RASA].ready())
    problems = [text for ok, text in ((store, wording.NOT_READY_STORE),
                                      (redis, wording.NOT_READY_REDIS),
                                      (rasa, wording.NOT_READY_RASA)) if not ok]
    config = app[CONFIG]
    if problems != config.get(LAST, []):  # said when it changes, not at every probe
        if problems:
            log.warning("pas prête : %s", " ; ".join(problems))
        else:
            log.info("prête")
    config[LAST] = problems
    if problems:
        return web.json_response({"ready": False, "problems": problems}, status=503)
    return web.json_response({"ready": True})


async def _store_ready(app: web.Application) -> bool:
    try:
        await asyncio.wait_for(asyncio.to_thread(app[CONFIG]["store_ready"]), STORE_SECONDS)
        return True
    except Exception:  # noqa: BLE001 - a probe says no, it does not fail
        return False


async def _redis_ready(app: web.Application) -> bool:
    redis = app.get(REDIS)
    return True if redis is None else await shared_state.ping(redis)
