"""The phone-line staff's API (/api/conseiller/…, docs/staff-contract.md): find a caller
among the clients of one's own sectors, their file with the consequence of each request
right now, the assistant's chat on their behalf (channel ``phone``, the staff login as
actor), a callback request, and the questions the assistant could not answer.

Every route is for a staff session only; a client outside the staff member's sectors is
answered exactly like an unknown number."""
from __future__ import annotations

from typing import Any, Dict, Tuple, Union

from aiohttp import web

from bot.chat.identity import mint_token
from bot.domain.errors import ServiceError, StoreUnavailable
from bot.domain.decision_words import client_label
from bot.domain.fr_format import STATUS_LABELS_FR
from bot.web import wording
from bot.web.account_api import line_json, request_json
from bot.web.chat_api import TOKEN_TTL, relay
from bot.web.http import CONFIG, call_port, error, guarded, read_json
from bot.web.sessions import Session

MAX_QUERY = 100
EXPORT_NAME = "questions-etiquetees.yml"


def staff_session(request: web.Request) -> Union[Session, web.Response]:
    """The staff member's session, or the French 401/403 to answer."""
    session: Session = request["session"]
    if session.staff:
        return session
    if session.client_number is not None:
        return error(403, wording.STAFF_ONLY)
    return error(401, wording.STAFF_LOGIN)


def _service_error(problem: ServiceError) -> web.Response:
    if isinstance(problem, StoreUnavailable):
        return error(503, problem.message)
    status = 404 if type(problem).__name__ == "ClientNotFound" else 400
    return error(status, problem.message)


#: Staff only; a French ServiceError becomes a 4xx with its message.
staff_route = guarded(staff_session, _service_error)


@staff_route
async def search_clients(request: web.Request, session: Session) -> web.Response:
    query = request.query.get("q", "").strip()
    if not query or len(query) > MAX_QUERY:
        return error(400, wording.SEARCH_QUERY)
    found = await call_port(request, "search_clients", query, session.sectors)
    return web.json_response({"clients": [_client_json(c) for c in found]})


def _client_json(client: Any) -> Dict[str, Any]:
    return {"number": client.number, "name": client.name, "phone": client.phone,
            "sector": client.sector}


@staff_route
async def caller_file(request: web.Request, session: Session) -> web.Response:
    number = request.match_info["number"]
    found = await call_port(request, "caller_file", number, session.sectors)
    session.callers_allowed.add(str(found.client.number))
    lines = []
    for intervention, cancel, change in found.interventions:
        lines.append({**line_json(intervention),
                      "cancel_rule": cancel.text, "cancel_billed": bool(cancel.billed),
                      "change_rule": change.text, "change_in_time": bool(change.in_time)})
    history = session.callers[number].history if number in session.callers else []
    return web.json_response({"client": _client_json(found.client), "interventions": lines,
                              "requests": [request_json(r, client_label(r)
                                                        or STATUS_LABELS_FR[r.status])
                                           for r in found.requests],
                              "history": history})


async def _caller_body(request: web.Request,
                       session: Session) -> Union[Tuple[str, Dict[str, Any]], web.Response]:
    """(the caller's number, the body) of a POST about a caller whose file was opened in
    this session (so within the sectors); otherwise the French error to answer."""
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    value = data.get("client")
    number = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if number not in session.callers_allowed:
        return error(404, wording.CLIENT_NOT_OPENED)
    return number, data


@staff_route
async def post_caller_message(request: web.Request, session: Session) -> web.Response:
    found = await _caller_body(request, session)
    if isinstance(found, web.Response):
        return found
    number, data = found
    token = mint_token(number, role="staff", staff=session.staff,
                       secret=request.app[CONFIG]["secret"], ttl_seconds=TOKEN_TTL)
    return await relay(request, data, session.caller(number), token)


@staff_route
async def post_callback(request: web.Request, session: Session) -> web.Response:
    found = await _caller_body(request, session)
    if isinstance(found, web.Response):
        return found
    number, data = found
    fields = {name: data.get(name) for name in ("phone", "best_time", "topic")}
    if not all(isinstance(v, str) for v in fields.values()):
        return error(400, wording.CALLBACK_FIELDS)
    callback = await call_port(request, "create_callback", client_number=number,
                           actor=session.staff, sectors=session.sectors, **fields)
    return web.json_response({"reference": callback.reference,
                              "message": wording.callback_recorded(callback.reference)})


@staff_route
async def unanswered(request: web.Request, session: Session) -> web.Response:
    groups = await call_port(request, "unanswered_groups")
    return web.json_response({"groups": [_group_json(g) for g in groups]})


def _group_json(group: Any) -> Dict[str, Any]:
    return {"id": group.id, "example": group.example, "count": group.count,
            "first": group.first.isoformat(), "last": group.last.isoformat(),
            "kinds": dict(group.kinds),
            "questions": [{"id": q.id, "text": q.text, "at": q.asked_on.isoformat(),
                           "topic": q.topic} for q in group.questions]}


@staff_route
async def label_unanswered(request: web.Request, session: Session) -> web.Response:
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    ids, topic = data.get("ids"), data.get("topic")
    if not isinstance(ids, list) or not ids or len(ids) > 500 \
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids) \
            or not isinstance(topic, str):
        return error(400, wording.LABEL_FIELDS)
    count = await call_port(request, "label_unanswered", ids, topic, by=session.staff)
    return web.json_response({"labelled": count})


@staff_route
async def export_labelled(request: web.Request, session: Session) -> web.Response:
    text = await call_port(request, "export_labelled_nlu")
    return web.Response(text=text, content_type="text/yaml", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{EXPORT_NAME}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/conseiller/clients", search_clients)
    app.router.add_get("/api/conseiller/clients/{number}", caller_file)
    app.router.add_post("/api/conseiller/messages", post_caller_message)
    app.router.add_post("/api/conseiller/rappels", post_callback)
    app.router.add_get("/api/conseiller/questions", unanswered)
    app.router.add_post("/api/conseiller/questions/label", label_unanswered)
    app.router.add_get("/api/conseiller/questions/export", export_labelled)
