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
from typing import Any, Callable, Optional

from aiohttp import web

from bot import settings as app_settings
from bot.web import account_api, chat_api, staff_answers, staff_api, store_ports, wording
from bot.web.http import CONFIG, LIMITER, MAX_BODY, SESSIONS, error
from bot.web.sessions import RateLimiter, Session, SessionStore

COOKIE = "amper_session"
RASA_TIMEOUT = 30.0
STATELESS = ("/static/", "/widget.js")
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


# --- middlewares -----------------------------------------------------------------------------

@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPRedirection as redirect:
        response = redirect
    except web.HTTPException as exc:  # 404, 405… as French JSON with the same headers
        response = error(exc.status, wording.HTTP_ERRORS.get(exc.status, wording.BAD_REQUEST))
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
    if request.path == "/health" or request.path.startswith(STATELESS + MACHINE):
        return await handler(request)  # no session for probes, static files and webhooks
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


# --- the application -------------------------------------------------------------------------

async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(web_settings: Optional[app_settings.WebSettings], rasa_url: str, *,
               secret: Optional[str] = None, sessions: Optional[SessionStore] = None,
               limiter: Optional[RateLimiter] = None, timeout: float = RASA_TIMEOUT,
               **ports: Callable[..., Any]) -> web.Application:
    """The gateway forwarding to ``rasa_url`` (Rasa's REST webhook on 127.0.0.1).

    ``ports`` replace what the gateway asks the booking store (tests): any name of
    :data:`bot.web.store_ports.DEFAULTS`."""
    from bot.web import link, office_api, office_pages, pages, staff_pages

    secret = app_settings.secret() if secret is None else secret
    if not secret:
        raise ValueError("AMPER_SECRET is not set: the gateway cannot sign identities")
    unknown = set(ports) - set(store_ports.DEFAULTS)
    if unknown:
        raise TypeError(f"unknown ports: {sorted(unknown)}")
    app = web.Application(middlewares=[security_headers, session_and_csrf],
                          client_max_size=MAX_BODY)
    app[SESSIONS] = SessionStore() if sessions is None else sessions
    app[LIMITER] = RateLimiter() if limiter is None else limiter
    app[CONFIG] = {"rasa_url": rasa_url, "secret": secret, "timeout": timeout,
                   **store_ports.DEFAULTS, **ports, "link_guard": link.ReplayGuard(),
                   "contact": app_settings.contact_settings(),
                   "debug": app_settings.servers().debug, "web": web_settings}
    app.router.add_get("/health", health)
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
