"""Readiness of one Rasa instance (docs/deploy.md): ``GET /webhooks/rest/ready`` on our
channel answers 200 ``{"ready": true}`` when the model is loaded and the tracker store and
the lock store answer, else 503 ``{"ready": false, "problems": [...]}`` in French; a load
balancer (or the gateway) sends no conversation to an instance that is not ready."""
from __future__ import annotations

import json
from typing import Any, List

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.adapters import probes

MODEL_NOT_LOADED = "Le modèle n'est pas encore chargé."
TRACKER_DOWN = ("La base des conversations (AMPER_TRACKER_URL) est injoignable : les messages "
                "ne peuvent être ni lus ni enregistrés.")
LOCK_DOWN = ("Redis (AMPER_REDIS_URL), le verrou des conversations, est injoignable : les "
             "messages ne peuvent pas être traités dans l'ordre.")


def tracker_store_of(agent: Any) -> Any:
    """Our store under Rasa's wrappers (``AwaitableTrackerStore``…)."""
    store = getattr(agent, "tracker_store", None)
    while store is not None and not hasattr(store, "reachable") \
            and hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def problems(agent: Any) -> List[str]:
    found = []
    if agent is None or not agent.is_ready():
        found.append(MODEL_NOT_LOADED)
    store = tracker_store_of(agent)
    if store is None or (hasattr(store, "reachable") and not await probes.within(store.reachable)):
        found.append(TRACKER_DOWN)
    redis = getattr(getattr(agent, "lock_store", None), "red", None)  # Rasa's RedisLockStore
    if redis is not None and not await probes.within(lambda: probes.redis_reachable(redis)):
        found.append(LOCK_DOWN)
    return found


async def ready(request: Request) -> HTTPResponse:
    found = await problems(getattr(request.app.ctx, "agent", None))
    if not found:
        return response.json({"ready": True})
    return response.json({"ready": False, "problems": found}, status=503,
                         dumps=lambda o: json.dumps(o, ensure_ascii=False))
