"""The aiohttp gateway: session, CSRF, security headers, and the routes of the chat.

Rasa's REST channel has no authentication and lets its caller pick the sender id, so it
stays on 127.0.0.1; this gateway is what the browser talks to.  It decides the sender id
(derived from the server-side session) and the identity (a token it mints for the logged-in
client, the HS256 contract of :mod:`bot.chat.identity`); nothing the browser sends about
either is ever forwarded.  The handlers: :mod:`.chat_api` (messages, history, feedback),
:mod:`.account_api` (login, signed link, logout, « Mon planning »), :mod:`.pages` (HTML).
"""
from __future__ import annotations

import hmac
import logging
import time
from typing import Any, Callable, Optional, Sequence, Union

from aiohttp import web

from bot import logs
from bot import settings as app_settings
from bot.web import (account_api, chat_api, readiness, shared_state, staff_answers, staff_api,
                     store_ports, wording)
from bot.web.http import (CONFIG, INFLIGHT, LIMITER, MAX_BODY, RASA, REDIS, SESSIONS, error,
                          from_trusted_proxy)
from bot.web.rasa_pool import WEBHOOK, RasaPool
from bot.web.sessions import RateLimiter, Session, SessionStore

COOKIE = "amper_session"
RASA_TIMEOUT = 30.0
STATELESS = ("/static/", "/widget.js")
PROBES = ("/health", "/ready")
#: called by machines, which authenticate each call (a signature): no session, no CSRF token
MACHINE = ("/webhooks/",)
STATIC_CACHE = "public, max-age=3600"  # scripts and styles: an hour; everything else no-store

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; frame-ancestors 'self'; "
                                "base-uri 'self'; form-action 'self'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}
REQUEST_ID = "amper_request_id"  # request key: the id its log lines and its answer carry

access_log = logging.getLogger("bot.web.access")


# --- middlewares -----------------------------------------------------------------------------

@web.middleware
async def request_ids(request: web.Request, handler) -> web.StreamResponse:
    """The request's id (a trusted proxy's X-Request-Id, else a new one) around its handling,
    in its answer's X-Request-Id, and one log line per request (never a body)."""
    given = request.headers.get(logs.HEADER) if from_trusted_proxy(request) else None
    with logs.request_context(given) as request_id:
        request[REQUEST_ID] = request_id
        started, status = time.monotonic(), 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            if not request.path.startswith(STATELESS) and request.path != "/health":
                access_log.info("%s %s %d %.0f ms", request.method, _template(request), status,
                                (time.monotonic() - started) * 1000)


def _template(request: web.Request) -> str:
    """The route's path with its placeholders (never a client number or a reference)."""
    resource = getattr(request.match_info.route, "resource", None)
    return resource.canonical if resource is not None else "(inconnue)"


async def _answer_request_id(request: web.Request, response: web.StreamResponse) -> None:
    if REQUEST_ID in request:
        response.headers[logs.HEADER] = request[REQUEST_ID]


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPRedirection as redirect:
        response = redirect
    except web.HTTPException as exc:  # 404, 405… as French JSON with the same headers
        response = error(exc.status, wording.HTTP_ERRORS.get(exc.status, wording.BAD_REQUEST))
    except shared_state.StateUnavailable:  # Redis down: said in French, never a traceback
        response = error(503, wording.STATE_UNAVAILABLE)
    except Exception:  # never a traceback to the browser
        if request.app[CONFIG]["debug"]:
            raise
        response = error(500, wording.UNEXPECTED)
    if request.path.startswith(STATELESS) and response.status == 200:
        response.headers.setdefault("Cache-Control", STATIC_CACHE)  # same for everyone
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@web.middleware
async def session_and_csrf(request: web.Request, handler) -> web.StreamResponse:
    if request.path in PROBES or request.path.startswith(STATELESS + MACHINE):
        return await handler(request)  # no session for probes, static files and webhooks
    store = request.app[SESSIONS]
    loaded = await store.load(request.cookies.get(COOKIE))
    session = store.new() if loaded is None else loaded
    request["session"] = session
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get("X-CSRF-Token", "")
        if loaded is None or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            response = error(403, wording.CSRF)
            await store.commit(None, session)
            _set_cookie(request, response, session)
            return response
    response = await handler(request)
    await store.commit(loaded, request["session"])  # a shared store writes what changed
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


# --- the application -------------------------------------------------------------------------

async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _close_redis(app: web.Application) -> None:
    await app[REDIS].close(close_connection_pool=True)


def create_app(web_settings: Optional[app_settings.WebSettings],
               rasa_url: Union[str, Sequence[str]], *, secret: Optional[str] = None,
               sessions: Optional[SessionStore] = None, limiter: Optional[RateLimiter] = None,
               timeout: float = RASA_TIMEOUT, redis_url: Optional[str] = None,
               **ports: Callable[..., Any]) -> web.Application:
    """The gateway forwarding to ``rasa_url``: one Rasa instance (its base URL or its REST
    webhook's URL) or several (base URLs, ``AMPER_RASA_URLS``: rendezvous hashing).

    ``redis_url`` (default ``AMPER_REDIS_URL``; "" for none): the sessions, the login rate
    limit, the link guard and the staff answer cache in Redis, shared by every gateway;
    in memory without it.  ``sessions`` and ``limiter`` replace the store and the limiter
    (tests).  ``ports`` replace what the gateway asks the booking store (tests): any name of
    :data:`bot.web.store_ports.DEFAULTS`."""
    from bot.web import link, office_api, office_pages, pages, staff_pages

    secret = app_settings.secret() if secret is None else secret
    if not secret:
        raise ValueError("AMPER_SECRET is not set: the gateway cannot sign identities")
    unknown = set(ports) - set(store_ports.DEFAULTS)
    if unknown:
        raise TypeError(f"unknown ports: {sorted(unknown)}")
    app = web.Application(middlewares=[request_ids, security_headers, session_and_csrf],
                          client_max_size=MAX_BODY)
    app.on_response_prepare.append(_answer_request_id)
    redis_url = app_settings.cluster().redis_url if redis_url is None else redis_url
    redis = app[REDIS] = shared_state.connect(redis_url) if redis_url else None
    if sessions is None:
        sessions = shared_state.RedisSessionStore(redis) if redis else SessionStore()
    if limiter is None:
        limiter = shared_state.RedisRateLimiter(redis) if redis else RateLimiter()
    app[SESSIONS], app[LIMITER] = sessions, limiter
    pool = app[RASA] = RasaPool(rasa_url, timeout)
    app[INFLIGHT] = {}
    guard = shared_state.RedisReplayGuard(redis) if redis else link.ReplayGuard()
    app[CONFIG] = {"rasa_url": pool.bases[0] + WEBHOOK, "secret": secret, "timeout": timeout,
                   **store_ports.DEFAULTS, **ports, "link_guard": guard,
                   "contact": app_settings.contact_settings(),
                   "debug": app_settings.servers().debug, "web": web_settings}
    if redis is not None:
        app.on_cleanup.append(_close_redis)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", readiness.ready)
    app.router.add_get("/api/session", chat_api.get_session)
    app.router.add_post("/api/messages", chat_api.post_message)
    app.router.add_post("/api/feedback", chat_api.post_feedback)
    app.router.add_post("/api/login", account_api.post_login)
    app.router.add_post("/api/logout", account_api.post_logout)
    app.router.add_get("/api/planning", account_api.get_planning)
    app.router.add_get("/connexion", account_api.get_connexion)
    staff_api.add_routes(app)
    staff_answers.add_routes(app)
    pages.setup_pages(app)
    staff_pages.setup_staff_pages(app)
    office_pages.setup_office_pages(app)
    office_api.add_routes(app)
    return app
