"""The aiohttp gateway: session, CSRF, login, and the chat forwarded to Rasa's REST channel.

Rasa's REST channel has no authentication and lets its caller pick the sender id, so it
stays on 127.0.0.1; this gateway is what the browser talks to.  It decides the sender id
(derived from the server-side session) and the identity (a token it mints for the logged-in
client, the HS256 contract of :mod:`bot.chat.identity`); nothing the browser sends about
either is ever forwarded.
"""
from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any, Callable, Optional

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot import settings as app_settings
from bot.chat.identity import mint_token
from bot.domain.model import Role
from bot.web import wording
from bot.web.sessions import RateLimiter, Session, SessionStore

COOKIE = "amper_session"
MAX_BODY = 16 * 1024
MAX_MESSAGE = 2000
RASA_TIMEOUT = 30.0
TOKEN_TTL = 3600

SESSIONS = web.AppKey("sessions", SessionStore)
LIMITER = web.AppKey("limiter", RateLimiter)
CONFIG = web.AppKey("config", dict)

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; frame-ancestors 'self'; "
                                "base-uri 'self'; form-action 'self'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


# --- middlewares -----------------------------------------------------------------------------

@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # 404, 405… as French JSON with the same headers
        response = error(exc.status, wording.HTTP_ERRORS.get(exc.status, wording.BAD_REQUEST))
    except Exception:  # never a traceback to the browser
        if request.app[CONFIG]["debug"]:
            raise
        response = error(500, wording.UNEXPECTED)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@web.middleware
async def session_and_csrf(request: web.Request, handler) -> web.StreamResponse:
    store = request.app[SESSIONS]
    session = store.get(request.cookies.get(COOKIE))
    fresh = session is None
    if fresh:
        session = store.new()
    request["session"] = session
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get("X-CSRF-Token", "")
        if fresh or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            response = error(403, wording.CSRF)
            _set_cookie(request, response, session)
            return response
    response = await handler(request)
    _set_cookie(request, response, request["session"])
    return response


def _is_https(request: web.Request) -> bool:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def _set_cookie(request: web.Request, response: web.StreamResponse,
                session: Optional[Session]) -> None:
    if session is None:
        response.del_cookie(COOKIE, path="/")
        return
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="Lax", path="/",
                        secure=_is_https(request))


# --- request bodies --------------------------------------------------------------------------

async def read_json(request: web.Request) -> Any:
    """The JSON object of the body; a French HTTP error (as a returned Response) otherwise."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return error(413, wording.TOO_LARGE)
    if request.content_type != "application/json":
        return error(400, wording.CONTENT_TYPE)
    body = bytearray()
    async for chunk in request.content.iter_chunked(4096):
        body.extend(chunk)
        if len(body) > MAX_BODY:
            return error(413, wording.TOO_LARGE)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(400, wording.INVALID_JSON)
    if not isinstance(data, dict):
        return error(400, wording.INVALID_JSON)
    return data


# --- handlers --------------------------------------------------------------------------------

async def get_session(request: web.Request) -> web.Response:
    session: Session = request["session"]
    return web.json_response({"csrf": session.csrf,
                              "client": _number(session.client_number)})


def _number(client_number: Optional[str]) -> Any:
    if client_number is None:
        return None
    return int(client_number) if client_number.isdigit() else client_number


async def post_message(request: web.Request) -> web.Response:
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        return error(400, wording.EMPTY_MESSAGE)
    if len(text) > MAX_MESSAGE:
        return error(400, wording.MESSAGE_TOO_LONG)
    session: Session = request["session"]
    config = request.app[CONFIG]
    metadata = {}
    if session.client_number is not None:
        metadata["auth"] = mint_token(session.client_number, secret=config["secret"],
                                      ttl_seconds=TOKEN_TTL, login=session.login)
    payload = {"sender": session.sender_id, "message": text, "metadata": metadata}
    try:
        timeout = ClientTimeout(total=config["timeout"])
        async with ClientSession(timeout=timeout) as http:
            async with http.post(config["rasa_url"], json=payload) as answer:
                if answer.status != 200:
                    return error(503, wording.unavailable(config["contact"]))
                replies = await answer.json(content_type=None)
    except (ClientError, asyncio.TimeoutError, ValueError):
        return error(503, wording.unavailable(config["contact"]))
    return web.json_response({"messages": _messages(replies)})


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


async def post_login(request: web.Request) -> web.Response:
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    login, password = data.get("login"), data.get("password")
    if not isinstance(login, str) or not isinstance(password, str) or not login.strip() \
            or len(login) > 100 or len(password) > 1000:
        return error(400, wording.LOGIN_FIELDS)
    limiter = request.app[LIMITER]
    keys = (f"login:{login.strip().lower()}", f"addr:{request.remote or '?'}")
    if limiter.blocked(*keys):
        return error(429, wording.TOO_MANY_ATTEMPTS)
    config = request.app[CONFIG]
    account = await asyncio.to_thread(config["authenticate"], login, password)
    if account is None or account.role != Role.CLIENT or not account.client_number:
        limiter.fail(*keys)
        return error(401, wording.BAD_CREDENTIALS)
    limiter.clear(keys[0])
    session = request.app[SESSIONS].rotate(request["session"])
    session.client_number, session.login = account.client_number, account.login
    request["session"] = session
    return web.json_response({"csrf": session.csrf, "client": _number(session.client_number)})


async def post_logout(request: web.Request) -> web.Response:
    store = request.app[SESSIONS]
    store.end(request["session"])
    session = store.new()
    request["session"] = session
    return web.json_response({"csrf": session.csrf, "client": None})


# --- the application -------------------------------------------------------------------------

def _default_authenticate(login: str, password: str):
    from bot.service_layer import services
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    return services.authenticate(SqlAlchemyUnitOfWork(), login, password)


def create_app(web_settings: Optional[app_settings.WebSettings], rasa_url: str, *,
               secret: Optional[str] = None,
               authenticate: Optional[Callable[[str, str], Any]] = None,
               sessions: Optional[SessionStore] = None, limiter: Optional[RateLimiter] = None,
               timeout: float = RASA_TIMEOUT) -> web.Application:
    """The gateway forwarding to ``rasa_url`` (Rasa's REST webhook on 127.0.0.1)."""
    secret = app_settings.secret() if secret is None else secret
    if not secret:
        raise ValueError("AMPER_SECRET is not set: the gateway cannot sign identities")
    app = web.Application(middlewares=[security_headers, session_and_csrf],
                          client_max_size=MAX_BODY)
    app[SESSIONS] = sessions or SessionStore()
    app[LIMITER] = limiter or RateLimiter()
    app[CONFIG] = {"rasa_url": rasa_url, "secret": secret, "timeout": timeout,
                   "authenticate": authenticate or _default_authenticate,
                   "contact": app_settings.contact_settings(),
                   "debug": app_settings.servers().debug, "web": web_settings}
    app.router.add_get("/api/session", get_session)
    app.router.add_post("/api/messages", post_message)
    app.router.add_post("/api/login", post_login)
    app.router.add_post("/api/logout", post_logout)
    return app
