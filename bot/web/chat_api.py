"""The chat: a message forwarded to Rasa (once, whatever the retries), the conversation
kept for a reload, and the thumbs up or down on an answer."""
from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any, List

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.chat.identity import mint_token
from bot.web import wording
from bot.web.http import CONFIG, client_number_json, error, read_json
from bot.web.sessions import Session

MAX_MESSAGE = 2000
MAX_LABEL = 200
TOKEN_TTL = 3600
INTENT_HEADER = "X-Amper-Intent"  # set by bot.entrypoints.rasa_channel
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
VOTES = ("up", "down")


class AssistantDown(Exception):
    """Rasa did not answer; ``message`` says so in French."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def get_session(request: web.Request) -> web.Response:
    session: Session = request["session"]
    return web.json_response({"csrf": session.csrf,
                              "client": client_number_json(session.client_number),
                              "history": session.history})


async def post_message(request: web.Request) -> web.Response:
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
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
    session: Session = request["session"]
    if message_id in session.replies:  # a retry of a message already answered
        return web.json_response({"messages": session.replies[message_id]})
    pending = session.inflight.get(message_id)
    if pending is None:  # a retry while the first one is still waiting for Rasa joins it
        shown = (label or "").strip() or text.strip()
        pending = asyncio.ensure_future(
            _forward(request.app, session, message_id, text, shown))
        session.inflight[message_id] = pending
        pending.add_done_callback(lambda _: session.inflight.pop(message_id, None))
    try:
        answers = await asyncio.shield(pending)
    except AssistantDown as down:
        return error(down.status, down.message)
    return web.json_response({"messages": answers})


async def _forward(app: web.Application, session: Session, message_id: str, text: str,
                   shown: str) -> List[dict]:
    config = app[CONFIG]
    metadata = {}
    if session.client_number is not None:
        metadata["auth"] = mint_token(session.client_number, secret=config["secret"],
                                      ttl_seconds=TOKEN_TTL, login=session.login)
    payload = {"sender": session.sender_id, "message": text, "metadata": metadata}
    down = AssistantDown(503, wording.unavailable(config["contact"]))
    try:
        async with ClientSession(timeout=ClientTimeout(total=config["timeout"])) as http:
            async with http.post(config["rasa_url"], json=payload) as answer:
                body = await answer.json(content_type=None)
                intent = answer.headers.get(INTENT_HEADER)
                status = answer.status
    except (ClientError, asyncio.TimeoutError, ValueError):
        raise down from None
    if status == 400 and isinstance(body, dict) and isinstance(body.get("message"), str):
        raise AssistantDown(400, body["message"])  # the channel's own French explanation
    if status != 200:
        raise down
    answers = [{"id": f"{message_id}-{i}", **m} for i, m in enumerate(_messages(body))]
    session.remember(message_id, {"from": "user", "id": message_id, "text": shown},
                     answers, intent)
    return answers


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
    session: Session = request["session"]
    answer = session.answer(answer_id)
    if answer is None:
        return error(404, wording.UNKNOWN_ANSWER)
    if answer.get("feedback") is None:
        answer["feedback"] = value
        record = request.app[CONFIG]["record_feedback"]
        await asyncio.to_thread(record, session.intents.get(answer_id) or "", value)
    return web.json_response({"ok": True, "feedback": answer["feedback"]})


def default_record_feedback(intent: str, value: str) -> None:
    from bot.service_layer import services
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    services.record_feedback(SqlAlchemyUnitOfWork(), intent=intent, value=value, channel="web")


