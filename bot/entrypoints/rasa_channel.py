"""The chat channel of the Rasa server: Rasa's REST webhook, with its input checked.

Rasa 3.6's own REST channel answers HTTP 500 to a body that is not a JSON object, silently
answers nothing to a message that is not a text, and hands any length of message to the
NLU (a message of a few thousand words makes DIET allocate gigabytes).  This channel keeps
the same address (``/webhooks/rest/webhook``) and the same answer format, and in front of
Rasa it:

- answers 400 with a French explanation (``{"error": code, "message": text}``) to a body
  that is not an object, a sender id that is not a short text, a message that is not a
  non-empty text of at most ``MAX_MESSAGE_CHARS`` characters, or metadata that is not a
  small object;
- removes control and bidirectional-override characters from the message;
- when Rasa produced no answer at all (it does so when a custom action fails, e.g. the
  action server is down), says so in French instead of answering an empty list: "cannot
  handle requests right now" when the action server does not answer its health check,
  "please rephrase" otherwise;
- names the intent the message was understood as in the ``X-Amper-Intent`` header of its
  answer (from :class:`bot.adapters.tracker_store.AmperSQLTrackerStore`), for the web
  gateway's feedback.

Each message is handled with its request id (``metadata.request_id``, or the ``X-Request-Id``
header, or a new one: bot/logs.py), put in the message's metadata for the action server, and
logged in one line (conversation hash, intent, duration).  ``GET /webhooks/rest/health``
says the server is alive, ``GET /webhooks/rest/ready`` whether it can take conversations
(:mod:`bot.entrypoints.rasa_ready`).

Next to the webhook, ``POST /webhooks/rest/answers`` gives the ranked FAQ answers for a
text, from the loaded model and domain, with nothing stored (the staff's answer panel:
:mod:`bot.entrypoints.rasa_answers`).

The channel is declared in ``credentials.yml`` by its module path; its ``name()`` keeps the
URL of the REST channel.  It reads nothing from the request but ``sender``, ``message`` and
``metadata`` (``input_channel`` and ``stream`` are ignored).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import unicodedata
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

from bot import logs
from bot.chat import wording
from bot.entrypoints import rasa_answers, rasa_ready

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
MAX_METADATA_BYTES = 16_384
HEALTH_TIMEOUT_S = 2.0

#: The answer's header naming the intent of the message (``faq/tarifs``, ``greet``…).
INTENT_HEADER = "X-Amper-Intent"
_INTENT = re.compile(r"^[A-Za-z0-9_./-]{1,100}$")

#: C0/C1 controls except tab and newline, DEL, bidirectional overrides and isolates.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class InputError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(text: str) -> str:
    """The message as the NLU should see it: NFC, no invisible controls, trimmed."""
    return _INVISIBLE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def parse_body(body: Any) -> Tuple[str, str, Optional[Dict[str, Any]]]:
    """(sender, text, metadata) from a decoded JSON body, or InputError in French."""
    if not isinstance(body, dict):
        raise InputError("body_not_object", wording.input_not_an_object())
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise InputError("bad_sender", wording.input_bad_sender(MAX_SENDER_CHARS))
    if _INVISIBLE.search(sender):
        raise InputError("bad_sender", wording.input_bad_sender(MAX_SENDER_CHARS))
    text = body.get("message")
    if not isinstance(text, str):
        raise InputError("message_not_text", wording.input_not_text())
    if len(text) > MAX_MESSAGE_CHARS:
        raise InputError("message_too_long", wording.input_too_long(MAX_MESSAGE_CHARS))
    text = clean_text(text)
    if not text:
        raise InputError("message_empty", wording.input_empty())
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InputError("bad_metadata", wording.input_bad_metadata())
        try:
            size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
        except (TypeError, ValueError):
            raise InputError("bad_metadata", wording.input_bad_metadata()) from None
        if size > MAX_METADATA_BYTES:
            raise InputError("bad_metadata", wording.input_bad_metadata())
    return sender, text, metadata


def _error(exc: InputError) -> HTTPResponse:
    return response.json({"error": exc.code, "message": exc.message}, status=400,
                         dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def _actions_alive(request: Request) -> bool:
    """Whether the action server answers its health check (False when none is configured)."""
    agent = getattr(request.app.ctx, "agent", None)
    endpoint = getattr(agent, "action_endpoint", None)
    url = getattr(endpoint, "url", None)
    if not url:
        return False
    health = url.rsplit("/", 1)[0] + "/health"
    try:
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(health) as resp:
                return resp.status == 200
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False
    except Exception:  # noqa: BLE001 - a health probe must never break the answer
        log.exception("action server health check failed")
        return False


def _intent_of(request: Request, sender: str, message_id: str) -> Optional[str]:
    """What the message was understood as, when our tracker store remembers it (the intent
    key only, never text: the gateway keeps it with the thumbs up or down)."""
    store = getattr(getattr(request.app.ctx, "agent", None), "tracker_store", None)
    while store is not None and not hasattr(store, "last_intent"):
        store = getattr(store, "_tracker_store", None)  # Rasa's AwaitableTrackerStore
    intent = store.last_intent(sender, message_id) if store is not None else None
    return intent if intent and _INTENT.match(intent) else None


def sender_tag(sender: str) -> str:
    """A conversation in the logs: the start of its sender id's SHA-256, never the id."""
    return hashlib.sha256(sender.encode("utf-8")).hexdigest()[:10]


class AmperRestInput(InputChannel):
    """Rasa's REST webhook (same URL and answer format) with checked input."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"amper_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        hook.add_route(health, "/health", methods=["GET"], name="amper_health")
        hook.add_route(rasa_ready.ready, "/ready", methods=["GET"], name="amper_ready")

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(InputError("invalid_json", wording.input_not_an_object()))
            try:
                sender, text, metadata = parse_body(body)
            except InputError as exc:
                return _error(exc)

            given = (metadata or {}).get(logs.METADATA_KEY) or request.headers.get(logs.HEADER)
            with logs.request_context(logs.valid_request_id(given)) as request_id:
                # the action server reads it there (tracker.latest_message["metadata"])
                metadata = {**(metadata or {}), logs.METADATA_KEY: request_id}
                return await self._turn(request, on_new_message, sender, text, metadata)

        rasa_answers.add_route(hook)  # POST /webhooks/rest/answers
        return hook

    async def _turn(self, request: Request, on_new_message, sender: str, text: str,
                    metadata: Dict[str, Any]) -> HTTPResponse:
        """One message through Rasa, logged in one line (never its text)."""
        started = time.perf_counter()
        collector = CollectingOutputChannel()
        message_id = uuid.uuid4().hex
        try:
            await on_new_message(UserMessage(text, collector, sender,
                                             input_channel=self.name(), metadata=metadata,
                                             message_id=message_id))
        except Exception:  # noqa: BLE001 - logged; the client still gets a French answer
            log.exception("message de la conversation %s non traité", sender_tag(sender))
        messages = collector.messages
        if not messages:
            alive = await _actions_alive(request)
            text_out = wording.no_reply() if alive else wording.actions_unavailable()
            messages = [{"recipient_id": sender, "text": text_out}]
        intent = _intent_of(request, sender, message_id)
        log.info("tour : conversation %s, intention %s, %d ms", sender_tag(sender),
                 intent or "-", (time.perf_counter() - started) * 1000)
        return response.json(messages, headers={INTENT_HEADER: intent} if intent else None)
