"""The action server: rasa_sdk's app with the call checked first, on loopback only.

rasa_sdk 3.6 answers HTTP 500 to a call whose tracker is missing or malformed, and turns
every Sanic 404/405 into a 500 (its catch-all exception handler).  Here:

- ``POST /webhook`` is checked before the SDK sees it: a JSON object with a text
  ``next_action``, a ``tracker`` object with a text ``sender_id`` (and, when present, an
  object ``slots``, an object ``latest_message``, a list of objects ``events``) and an
  object ``domain``.  A bad call gets a 400 carrying ``action_name`` (Rasa reads a 400 as
  "action rejected" and needs that key);
- an HTTP error keeps its own status (404, 405, 413…); any other exception is a 500 whose
  body does not echo the request;
- the server binds to 127.0.0.1 (``AMPER_ACTIONS_HOST``: a private address when Rasa runs on
  other machines): only the Rasa servers call it;
- ``GET /ready`` says whether the booking store answers (200 ``{"ready": true}``, else 503
  with the problems in French), beside rasa_sdk's ``GET /health``;
- each action runs with the request id of the message (``metadata.request_id`` of the
  tracker's latest message, bot/logs.py) and is logged in one line: name, outcome, duration.

Run: ``amper serve actions`` (``AMPER_ACTIONS_HOST:AMPER_ACTIONS_PORT``), or
``python -m bot.entrypoints.action_server --port 5055`` (``amper run`` does it).
"""
from __future__ import annotations

import argparse
import json
import logging
import time
import zlib
from typing import Any, Optional

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logs, settings
from bot.adapters import probes

LOOPBACK = "127.0.0.1"
MAX_INFLATED_BYTES = 50 * 1024 * 1024
STORE_DOWN = ("La base des demandes (AMPER_DATABASE_URL) est injoignable : les actions qui "
              "lisent le planning ou enregistrent une demande échoueraient.")

log = logging.getLogger("amper.actions")


def call_problem(call: Any) -> Optional[str]:
    """Why an action call cannot be run (None when its shape is right)."""
    if not isinstance(call, dict):
        return "the body must be a JSON object"
    if not isinstance(call.get("next_action"), str) or not call["next_action"]:
        return "next_action must be a non-empty string"
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        return "tracker must be an object"
    if not isinstance(tracker.get("sender_id"), str):
        return "tracker.sender_id must be a string"
    for key, kind in (("slots", dict), ("latest_message", dict), ("events", list),
                      ("active_loop", dict)):
        if tracker.get(key) is not None and not isinstance(tracker[key], kind):
            return f"tracker.{key} must be {'an object' if kind is dict else 'a list'}"
    if any(not isinstance(e, dict) for e in tracker.get("events") or []):
        return "tracker.events must hold objects"
    if call.get("domain") is not None and not isinstance(call["domain"], dict):
        return "domain must be an object"
    return None


def _decode(request: Request) -> Any:
    raw = request.body or b""
    if request.headers.get("Content-Encoding") == "deflate":
        inflater = zlib.decompressobj()
        raw = inflater.decompress(raw, MAX_INFLATED_BYTES)
        if inflater.unconsumed_tail:
            raise ValueError("inflated body too large")
    return json.loads(raw)


def request_id_of(call: Any) -> Optional[str]:
    """``metadata.request_id`` of the tracker's latest message in an action call."""
    tracker = call.get("tracker") if isinstance(call, dict) else None
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    value = metadata.get(logs.METADATA_KEY) if isinstance(metadata, dict) else None
    return logs.valid_request_id(value)


async def _run_logged(self, action_call: Any) -> Any:
    """rasa_sdk's ``ActionExecutor.run`` within the message's request id, logged in one line."""
    from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

    name = action_call.get("next_action") if isinstance(action_call, dict) else None
    with logs.request_context(request_id_of(action_call)):
        started, outcome = time.perf_counter(), "erreur"
        try:
            result = await type(self)._amper_original_run(self, action_call)
            outcome = "ok"
            return result
        except ActionExecutionRejection:
            outcome = "refusée"
            raise
        except ActionNotFoundException:
            outcome = "inconnue"
            raise
        finally:
            log.info("action %s : %s en %d ms", name, outcome,
                     (time.perf_counter() - started) * 1000)


def log_actions() -> None:
    """Every action call of this process logged with its request id (idempotent)."""
    from rasa_sdk.executor import ActionExecutor

    if not hasattr(ActionExecutor, "_amper_original_run"):
        ActionExecutor._amper_original_run = ActionExecutor.run
        ActionExecutor.run = _run_logged


async def ready(_: Request) -> HTTPResponse:
    if await probes.within(probes.booking_store_reachable):
        return response.json({"ready": True})
    return response.json({"ready": False, "problems": [STORE_DOWN]}, status=503,
                         dumps=lambda o: json.dumps(o, ensure_ascii=False))


def create_app(package: str = "actions") -> Sanic:
    from rasa_sdk.endpoint import create_app as sdk_app

    log_actions()
    app = sdk_app(package, cors_origins=None)
    app.add_route(ready, "/ready", methods=["GET"])

    @app.on_request
    async def check_call(request: Request) -> Optional[HTTPResponse]:
        if request.path != "/webhook" or request.method != "POST":
            return None
        try:
            call = _decode(request)
        except (ValueError, UnicodeDecodeError, zlib.error):
            problem = "the body is not valid JSON"
            call = None
        else:
            problem = call_problem(call)
        if problem is None:
            if request.headers.get("Content-Encoding") != "deflate":
                request.parsed_json = call  # the SDK reads request.json: parsed once
            return None
        name = call.get("next_action") if isinstance(call, dict) else None
        log.warning("rejected action call: %s", problem)
        return response.json({"error": problem,
                              "action_name": name if isinstance(name, str) else ""},
                             status=400)

    async def http_error(request: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 500) or 500
        return response.json({"error": str(exc)}, status=status)

    async def failure(request: Request, exc: Exception) -> HTTPResponse:
        log.error("action call failed: %s %s", request.method, request.path, exc_info=exc)
        return response.json({"error": "internal error"}, status=500)

    app.error_handler.add(SanicException, http_error)
    app.error_handler.add(Exception, failure)
    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="AMPER action server")
    parser.add_argument("--host", default=None,
                        help="listening address (AMPER_ACTIONS_HOST, 127.0.0.1 by default)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    problems = settings.check()
    if problems:
        raise SystemExit(settings.report(problems))
    if args.port is None:
        args.port = settings.servers().actions_port
    host = args.host or settings.cluster().actions_host
    logs.setup("actions")
    app = create_app(args.actions)
    log.info("serveur d'actions sur http://%s:%d", host, args.port)
    app.run(host, args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
