"""What every handler of the gateway shares: the application's keys, French JSON errors, the
request body, the visitor's address."""
from __future__ import annotations

import asyncio
import ipaddress
import json
from typing import Any, Callable, Optional, Union

from aiohttp import web

from bot.domain.errors import ServiceError

from bot.web import wording
from bot.web.rasa_pool import RasaPool
from bot.web.sessions import RateLimiter, SessionStore

MAX_BODY = 16 * 1024

#: the sessions and the login rate limit: in memory, or in Redis (bot.web.shared_state)
SESSIONS = web.AppKey("sessions", SessionStore)
LIMITER = web.AppKey("limiter", RateLimiter)
CONFIG = web.AppKey("config", dict)
RASA = web.AppKey("rasa", RasaPool)
#: (sender, message id) -> the forwarding in progress in this process
INFLIGHT = web.AppKey("inflight", dict)
#: the Redis client when AMPER_REDIS_URL is set, else None
REDIS = web.AppKey("redis", object)


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def read_json(request: web.Request) -> Any:
    """The JSON object of the body; a French HTTP error (as a returned Response) otherwise."""
    body = await read_body(request)
    return body if isinstance(body, web.Response) else parse_json(body)


async def read_body(request: web.Request) -> Union[bytes, web.Response]:
    """The raw JSON body (at most MAX_BODY bytes: what a signature covers); a French HTTP
    error (as a returned Response) otherwise."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return error(413, wording.TOO_LARGE)
    if request.content_type != "application/json":
        return error(400, wording.CONTENT_TYPE)
    body = bytearray()
    async for chunk in request.content.iter_chunked(4096):
        body.extend(chunk)
        if len(body) > MAX_BODY:
            return error(413, wording.TOO_LARGE)
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """The JSON object of ``body``; a French 400 (as a returned Response) otherwise."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(400, wording.INVALID_JSON)
    if not isinstance(data, dict):
        return error(400, wording.INVALID_JSON)
    return data


def client_address(request: web.Request) -> str:
    """The visitor's address: the connection's, or, when the connection comes from a proxy
    listed in AMPER_WEB_TRUSTED_PROXIES, the last address of X-Forwarded-For that is not one
    of those proxies (the addresses before it were written by the visitor and prove
    nothing)."""
    remote = request.remote or "?"
    proxies = _proxies(request)
    if not proxies or not _within(remote, proxies):
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, proxies):
            return hop if _address(hop) else remote
    return remote


def from_trusted_proxy(request: web.Request) -> bool:
    """Whether the connection comes from a proxy of AMPER_WEB_TRUSTED_PROXIES."""
    proxies = _proxies(request)
    return bool(proxies) and _within(request.remote or "?", proxies)


def _proxies(request: web.Request) -> list:
    web_settings = request.app[CONFIG].get("web")
    return [ipaddress.ip_network(p, strict=False)
            for p in getattr(web_settings, "trusted_proxies", ())]


def _address(text: str) -> Optional[ipaddress._BaseAddress]:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _within(text: str, networks) -> bool:
    address = _address(text)
    return address is not None and any(address in net for net in networks)


def client_number_json(client_number: Optional[str]) -> Any:
    if client_number is None:
        return None
    return int(client_number) if client_number.isdigit() else client_number


async def call_port(request: web.Request, port: str, *args: Any, **kwargs: Any) -> Any:
    """A port of the store (bot/web/store_ports.py, or a test's), off the event loop."""
    return await asyncio.to_thread(request.app[CONFIG][port], *args, **kwargs)


def guarded(session_of: Callable[[web.Request], Any],
            on_error: Callable[[ServiceError], web.Response]):
    """A decorator for the routes of one kind of account (staff, office): ``session_of``
    gives the session or the French 401/403 to answer; the handler gets ``(request,
    session)``; a French ServiceError it raises becomes ``on_error(problem)``."""
    def decorate(handler):
        async def checked(request: web.Request) -> web.StreamResponse:
            session = session_of(request)
            if isinstance(session, web.Response):
                return session
            try:
                return await handler(request, session)
            except ServiceError as problem:
                return on_error(problem)
        return checked
    return decorate
