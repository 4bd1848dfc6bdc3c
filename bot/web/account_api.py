"""The client's account on the gateway: login (password or signed link), logout, and
« Mon planning » (next interventions, requests)."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict

from aiohttp import web

from bot.domain.fr_format import (KIND_LABELS_FR, format_date, format_datetime, format_time,
                                  to_paris)
from bot.domain.model import Role
from bot.web import wording
from bot.web.http import (CONFIG, LIMITER, SESSIONS, client_address, client_number_json, error,
                          read_json)
from bot.web.sessions import Session


async def post_login(request: web.Request) -> web.Response:
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    login, password = data.get("login"), data.get("password")
    if not isinstance(login, str) or not isinstance(password, str) or not login.strip() \
            or len(login) > 100 or len(password) > 1000:
        return error(400, wording.LOGIN_FIELDS)
    limiter = request.app[LIMITER]
    keys = (f"login:{login.strip().lower()}", f"addr:{client_address(request)}")
    if await limiter.is_blocked(*keys):
        return error(429, wording.TOO_MANY_ATTEMPTS)
    config = request.app[CONFIG]
    account = await asyncio.to_thread(config["authenticate"], login, password)
    client = account is not None and account.role == Role.CLIENT and account.client_number
    staff = account is not None and account.role in (Role.STAFF, Role.OFFICE)
    if not (client or staff):
        await limiter.add_failure(*keys)
        return error(401, wording.BAD_CREDENTIALS)
    await limiter.reset(keys[0])
    if staff:
        sectors = await asyncio.to_thread(config["staff_sectors"], account.login)
        session = _rotated(request)
        session.staff, session.sectors = account.login, list(sectors)
        session.office = account.role == Role.OFFICE
    else:
        session = _log_in(request, account.client_number, account.login)
    return web.json_response({"csrf": session.csrf,
                              "client": client_number_json(session.client_number),
                              "staff": session.staff, "sectors": session.sectors,
                              "office": session.office})


def _rotated(request: web.Request) -> Session:
    """A new session id for the visitor (against fixation)."""
    session = request.app[SESSIONS].rotate(request["session"])
    request["session"] = session
    return session


def _log_in(request: web.Request, client_number: str, login: Any) -> Session:
    """A new session id for the visitor, now the client's."""
    session = _rotated(request)
    session.client_number, session.login = str(client_number), login
    return session


async def post_logout(request: web.Request) -> web.Response:
    store = request.app[SESSIONS]
    store.end(request["session"])
    session = store.new()
    request["session"] = session
    return web.json_response({"csrf": session.csrf, "client": None, "staff": None,
                              "sectors": [], "office": False})


async def get_connexion(request: web.Request) -> web.StreamResponse:
    """``/connexion?jeton=…``: the provider's site sends a logged-in client here
    (docs/web-login.md); a valid, unused link logs them in and opens the chat."""
    from bot.web import link

    config = request.app[CONFIG]
    secret = getattr(config.get("web"), "link_secret", "") or ""
    token = request.query.get("jeton", "")
    if not secret:
        return _notice(request, 404, wording.LINK_TITLE, wording.LINK_DISABLED)
    guard = config["link_guard"]  # in memory, or in Redis (shared by the gateways)
    try:
        checked = link.check_link(token, secret=secret, now=guard.clock())
        await guard.use(checked.jti, checked.expires_at)
        client_number = checked.client_number
    except link.LinkError as refused:
        return _notice(request, 400, wording.LINK_TITLE, link.LINK_MESSAGES[refused.reason])
    if not await asyncio.to_thread(config["client_exists"], client_number):
        return _notice(request, 400, wording.LINK_TITLE, wording.LINK_UNKNOWN_CLIENT)
    _log_in(request, client_number, None)
    return web.Response(status=303, headers={"Location": "/", "Referrer-Policy": "no-referrer"})


def _notice(request: web.Request, status: int, title: str, message: str) -> web.StreamResponse:
    import aiohttp_jinja2

    response = aiohttp_jinja2.render_template(
        "notice.html", request, {"title": title, "message": message}, status=status)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


async def get_planning(request: web.Request) -> web.Response:
    session: Session = request["session"]
    if session.client_number is None:
        return error(401, wording.LOGIN_FOR_PLANNING)
    config = request.app[CONFIG]
    interventions, requests = await asyncio.to_thread(config["planning"], session.client_number)
    return web.json_response({"interventions": [line_json(i) for i in interventions],
                              "requests": [request_json(s.request, s.label) for s in requests]})


def line_json(intervention) -> Dict[str, Any]:
    start, end = intervention.start, intervention.end
    when = format_date(start)
    return {"id": intervention.external_id, "when": when,
            "date": to_paris(start).date().isoformat(),
            "hours": f"de {format_time(start)} à {format_time(end)}",
            "caregiver": intervention.caregiver or None, "service": intervention.service or "",
            "cancel": _payload("request_cancellation", intervention.external_id),
            "change": _payload("request_schedule_change", intervention.external_id)}


def _payload(intent: str, external_id: str) -> str:
    return f"/{intent}" + json.dumps({"intervention_id": external_id}, ensure_ascii=False)


def request_json(request, label: str) -> Dict[str, Any]:
    """A request as the pages list it; ``label``: where it stands, in the reader's words."""
    label = label[:1].upper() + label[1:]
    intervention = (format_datetime(request.intervention_start)
                    if request.intervention_start is not None else "")
    return {"reference": request.reference, "kind": KIND_LABELS_FR[request.kind],
            "status": label, "intervention": intervention}
