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
- the server binds to 127.0.0.1: only the Rasa server calls it.

Run: ``python -m bot.entrypoints.action_server --port 5055`` (``amper run`` does it).
"""
from __future__ import annotations

import argparse
import json
import logging
import zlib
from typing import Any, Optional

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings

LOOPBACK = "127.0.0.1"
MAX_INFLATED_BYTES = 50 * 1024 * 1024

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


def create_app(package: str = "actions") -> Sanic:
    from rasa_sdk.endpoint import create_app as sdk_app

    app = sdk_app(package, cors_origins=None)

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
    parser = argparse.ArgumentParser(description="AMPER action server (loopback only)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    problems = settings.check()
    if problems:
        raise SystemExit(settings.report(problems))
    if args.port is None:
        args.port = settings.servers().actions_port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(args.actions)
    log.info("action server on http://%s:%d", LOOPBACK, args.port)
    app.run(LOOPBACK, args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
