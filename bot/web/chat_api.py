"""The chat: a message forwarded to Rasa (once, whatever the retries), the conversation
kept for a reload, and the thumbs up or down on an answer."""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot import logs
from bot.chat.identity import mint_token
from bot.web import wording
from bot.web.http import CONFIG, INFLIGHT, RASA, client_number_json, error, read_json
from bot.web.rasa_pool import WEBHOOK, RasaLost, RasaUnreachable
from bot.web.sessions import Conversation, Session

MAX_MESSAGE = 2000
MAX_LABEL = 200
TOKEN_TTL = 3600
INTENT_HEADER = "X-Amper-Intent"  # set by bot.entrypoints.rasa_channel
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
VOTES = ("up", "down")
#: the intents (X-Amper-Intent) whose question is kept for the staff's « sans réponse » list
UNANSWERED_INTENTS = {"nlu_fallback": "fallback", "out_of_scope": "out_of_scope"}

log = logging.getLogger(__name__)


class AssistantDown(Exception):
    """Rasa did not answer; ``message`` says so in French."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def get_session(request: web.Request) -> web.Response:
    session: Session = request["session"]
    if session.client_number is not None:
        await tell_outcomes(request, session)
    return web.json_response({"csrf": session.csrf,
                              "client": client_number_json(session.client_number),
                              "staff": session.staff, "sectors": session.sectors,
                              "office": session.office, "history": session.chat.history})


async def tell_outcomes(request: web.Request, session: Session) -> None:
    """The sector office's decisions the client was not told yet, added to the conversation
    as the assistant's messages (docs/office-contract.md)."""
    session.chat.history.extend(_notices(await _untold(request.app, session.client_number)))


async def _untold(app: web.Application, client_number: Optional[str]) -> List[str]:
    """The outcomes to tell (each once: the store marks them told).  A store failure only
    delays them to the next message."""
    if client_number is None:
        return []
    try:
        return await asyncio.to_thread(app[CONFIG]["client_notices"], client_number)
    except Exception:  # noqa: BLE001 — never stop the chat for this
        log.warning("Décisions du bureau non lues (base indisponible ?)", exc_info=True)
        return []


def _notices(sentences: List[str]) -> List[Dict[str, Any]]:
    return [{"from": "bot", "id": "n-" + secrets.token_hex(8), "text": text, "feedback": None,
             "notice": True} for text in sentences]


async def post_message(request: web.Request) -> web.Response:
    """A message of the visitor or client, forwarded with the client's identity if any."""
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    session: Session = request["session"]
    config = request.app[CONFIG]
    token = None
    if session.client_number is not None:
        token = mint_token(session.client_number, secret=config["secret"],
                           ttl_seconds=TOKEN_TTL, login=session.login)
    return await relay(request, data, session.chat, token, watch=True,
                       tell=session.client_number)


async def relay(request: web.Request, data: Dict[str, Any], conversation: Conversation,
                token: Optional[str], *, watch: bool = False,
                tell: Optional[str] = None) -> web.Response:
    """Checks ``data`` ({"message", "id"?, "label"?}), then forwards the message to Rasa in
    ``conversation`` with ``token`` in ``metadata.auth``, once whatever the retries.
    ``watch``: a client's message whose answer fell short is kept (masked) for the staff.
    ``tell``: the client whose untold office decisions come first in the answer."""
    text, message_id, label = data.get("message"), data.get("id"), data.get("label")
    if not isinstance(text, str) or not text.strip():
        return error(400, wording.EMPTY_MESSAGE)
    if len(text) > MAX_MESSAGE:
        return error(400, wording.MESSAGE_TOO_LONG)
    if message_id is None:
        message_id = secrets.token_hex(8)
    elif not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
        return error(400, wording.BAD_MESSAGE_ID)
    if label is not None and (not isinstance(label, str) or len(label) > MAX_LABEL):
        return error(400, wording.BAD_LABEL)
    if message_id in conversation.replies:  # a retry of a message already answered
        return web.json_response({"messages": conversation.replies[message_id]})
    # a retry while the first one is still waiting for Rasa joins it (in this process; on
    # another gateway, the stored replies answer it once the first one is done)
    inflight = request.app[INFLIGHT]
    flight = (conversation.sender, message_id)
    pending = inflight.get(flight)
    shown = (label or "").strip() or text.strip()
    if pending is None:
        pending = asyncio.ensure_future(
            _forward(request.app, conversation, message_id, text, shown, token, watch, tell))
        inflight[flight] = pending
        pending.add_done_callback(lambda _: inflight.pop(flight, None))
    try:
        answers, intent = await asyncio.shield(pending)
    except AssistantDown as down:
        return error(down.status, down.message)
    if message_id not in conversation.replies:  # joined: this request's copy learns it too
        conversation.remember(message_id, {"from": "user", "id": message_id, "text": shown},
                              answers, intent)
    return web.json_response({"messages": answers})


async def _forward(app: web.Application, conversation: Conversation, message_id: str,
                   text: str, shown: str, token: Optional[str], watch: bool,
                   tell: Optional[str] = None) -> Tuple[List[dict], Optional[str]]:
    config = app[CONFIG]
    metadata: Dict[str, Any] = {"auth": token} if token else {}
    request_id = logs.current_request_id()
    if request_id:
        metadata[logs.METADATA_KEY] = request_id
    payload = {"sender": conversation.sender, "message": text, "metadata": metadata}
    down = AssistantDown(503, wording.unavailable(config["contact"]))
    try:
        reply = await app[RASA].post(WEBHOOK, payload, key=conversation.sender)
    except RasaUnreachable:
        raise down from None
    except RasaLost as lost:
        log.warning("message perdu en route vers Rasa (%s)", lost)
        raise AssistantDown(503, wording.TURN_LOST) from None
    body, intent, status = reply.body, reply.headers.get(INTENT_HEADER), reply.status
    if status == 400 and isinstance(body, dict) and isinstance(body.get("message"), str):
        raise AssistantDown(400, body["message"])  # the channel's own French explanation
    if status != 200:
        raise down
    answers = [{"id": f"{message_id}-{i}", **m} for i, m in enumerate(_messages(body))]
    answers = _notices(await _untold(app, tell)) + answers
    conversation.remember(message_id, {"from": "user", "id": message_id, "text": shown},
                         answers, intent)
    if watch and intent in UNANSWERED_INTENTS and not text.lstrip().startswith("/"):
        await _keep_unanswered(app, text, UNANSWERED_INTENTS[intent])
    return answers, intent


async def _keep_unanswered(app: web.Application, text: str, kind: str) -> None:
    """A question the assistant could not answer, for the staff's list (masked there);
    never a reason to fail the answer."""
    try:
        await asyncio.to_thread(app[CONFIG]["record_unanswered"], text, kind)
    except Exception:  # noqa: BLE001 - logged; the client has their answer
        log.exception("unanswered question not kept")


def _messages(replies: Any) -> list:
    """Rasa's replies reduced to text and buttons (plain data: the page renders it as text)."""
    out = []
    for reply in replies if isinstance(replies, list) else []:
        if not isinstance(reply, dict):
            continue
        item = {"text": reply.get("text") if isinstance(reply.get("text"), str) else ""}
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in reply.get("buttons") or [] if isinstance(b, dict)]
        if buttons:
            item["buttons"] = buttons
        if item["text"] or buttons:
            out.append(item)
    return out


async def post_feedback(request: web.Request) -> web.Response:
    """A thumb on an answer: the first vote on an answer is stored (with the intent of the
    question, no text); a second one changes nothing."""
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    answer_id, value = data.get("answer"), data.get("value")
    if not isinstance(answer_id, str) or value not in VOTES:
        return error(400, wording.BAD_FEEDBACK)
    chat = request["session"].chat
    answer = chat.answer(answer_id)
    if answer is None:
        return error(404, wording.UNKNOWN_ANSWER)
    if answer.get("feedback") is None:
        answer["feedback"] = value
        record = request.app[CONFIG]["record_feedback"]
        await asyncio.to_thread(record, chat.intents.get(answer_id) or "", value)
        question = chat.question_of(answer_id)
        if value == "down" and question:
            await _keep_unanswered(request.app, question, "thumbs_down")
    return web.json_response({"ok": True, "feedback": answer["feedback"]})
