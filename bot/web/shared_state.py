"""The gateways' shared state in Redis (``AMPER_REDIS_URL``, docs/deploy.md « Shared state of
the gateways »): the same interfaces as the in-memory ones (:mod:`bot.web.sessions`,
:class:`bot.web.link.ReplayGuard`, :class:`bot.web.staff_answers.AnswerCache`), so that the
handlers never know which one they use.

Keys (prefix ``amper:``): ``session:<sha256(id)>`` (the session as JSON, TTL = idle timeout,
refreshed on use), ``limit:<key>`` (failed logins, a sorted set of times), ``link:<jti>``
(used link ids, SET NX until the link's expiry), ``answer:<sha256(query)>`` (the staff answer
panel, 5 min).  Redis unreachable: :class:`StateUnavailable`, answered 503 in French by the
gateway (never a traceback).
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import secrets
import time
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

from bot.web.session_codec import merge, session_dict, session_of
from bot.web.sessions import IDLE_SECONDS, Session

PREFIX = "amper:"
ANSWER_SECONDS = 300
TIMEOUT_SECONDS = 2.0

log = logging.getLogger(__name__)
T = TypeVar("T")


class StateUnavailable(Exception):
    """Redis did not answer (the gateway answers 503 in French)."""


def connect(url: str) -> Any:
    """A Redis client for ``url`` (no connection until the first command)."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS,
                                   socket_timeout=TIMEOUT_SECONDS, decode_responses=False)


def _guarded(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Redis errors (and unreachable sockets) become :class:`StateUnavailable`."""
    from redis.exceptions import RedisError

    @functools.wraps(method)
    async def guarded(*args: Any, **kwargs: Any) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as problem:
            log.warning("Redis indisponible (%s)", type(problem).__name__)
            raise StateUnavailable(str(problem)) from None
    return guarded


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def ping(redis: Any) -> bool:
    try:
        return bool(await redis.ping())
    except Exception:  # noqa: BLE001 - a readiness probe says no, it does not fail
        return False


class RedisSessionStore:
    """Sessions as JSON in Redis, forgotten after ``idle_seconds`` without a request."""

    def __init__(self, redis: Any, idle_seconds: float = IDLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.redis, self.idle_seconds, self.clock = redis, int(idle_seconds), clock

    def key(self, session_id: str) -> str:
        return f"{PREFIX}session:{_digest(session_id)}"

    def new(self) -> Session:
        """A new session (written by :meth:`commit` at the end of the request)."""
        return Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32),
                       last_seen=self.clock())

    def rotate(self, session: Session) -> Session:
        self.end(session)
        fresh = self.new()
        fresh.chat.history = session.chat.history
        return fresh

    def end(self, session: Session) -> None:
        session.ended = True  # forgotten by commit()

    @_guarded
    async def load(self, session_id: Optional[str]) -> Optional[Session]:
        if not session_id or len(session_id) > 200:
            return None
        raw = await self.redis.getex(self.key(session_id), ex=self.idle_seconds)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            session = session_of(session_id, data, self.clock())
        except (ValueError, KeyError, TypeError):
            log.warning("session illisible dans Redis : oubliée")
            return None
        session._snapshot = copy.deepcopy(session_dict(session))  # type: ignore[attr-defined]
        return session

    @_guarded
    async def commit(self, loaded: Optional[Session], current: Optional[Session]) -> None:
        """After the request: forget an ended session, write the current one when changed
        (merged with what another request of the same session wrote meanwhile)."""
        if loaded is not None and loaded.ended:
            await self.redis.delete(self.key(loaded.id))
        if current is None or current.ended:
            return
        ours = session_dict(current)
        base = getattr(current, "_snapshot", None)
        if base is None:  # a new session
            await self.redis.set(self.key(current.id), _dumps(ours), ex=self.idle_seconds)
        elif ours != base:
            await self._merge(self.key(current.id), base, ours)
        current._snapshot = copy.deepcopy(ours)  # type: ignore[attr-defined]

    async def _merge(self, key: str, base: Dict[str, Any], ours: Dict[str, Any]) -> None:
        from redis.exceptions import WatchError

        for _ in range(5):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:  # ended meanwhile (a logout in another tab): stays ended
                        return
                    merged = merge(base, ours, json.loads(raw))
                    pipe.multi()
                    pipe.set(key, _dumps(merged), ex=self.idle_seconds)
                    await pipe.execute()
                    return
                except WatchError:
                    continue
        log.warning("session modifiée en même temps ailleurs : écriture abandonnée")

    @_guarded
    async def check_alive(self, session_id: str) -> bool:
        """Whether the session still exists, without counting this as a use."""
        return bool(await self.redis.exists(self.key(session_id)))


def _dumps(data: Dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class RedisRateLimiter:
    """At most ``limit`` failures per key within ``window`` seconds, counted over all the
    gateways."""

    def __init__(self, redis: Any, limit: int = 5, window: float = 15 * 60,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis, self.limit, self.window, self.clock = redis, limit, window, clock

    def key(self, key: str) -> str:
        return f"{PREFIX}limit:{_digest(key)}"

    @_guarded
    async def is_blocked(self, *keys: str) -> bool:
        horizon = self.clock() - self.window
        for key in keys:
            if await self.redis.zcount(self.key(key), horizon, "+inf") >= self.limit:
                return True
        return False

    @_guarded
    async def add_failure(self, *keys: str) -> None:
        now = self.clock()
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                name = self.key(key)
                pipe.zadd(name, {f"{now}:{secrets.token_hex(4)}": now})
                pipe.zremrangebyscore(name, "-inf", now - self.window)
                pipe.expire(name, int(self.window) + 1)
            await pipe.execute()

    @_guarded
    async def reset(self, key: str) -> None:
        await self.redis.delete(self.key(key))


class RedisReplayGuard:
    """The link ids already used, over all the gateways: ``SET NX`` until the link expires."""

    def __init__(self, redis: Any, clock: Callable[[], float] = time.time) -> None:
        self.redis, self.clock = redis, clock

    async def use(self, jti: str, expires_at: float) -> None:
        """Records ``jti`` as used; :class:`LinkError` ``"replayed"`` if it already was."""
        from bot.web.link import LinkError

        if not await self._claim(jti, expires_at):
            raise LinkError("replayed")

    @_guarded
    async def _claim(self, jti: str, expires_at: float) -> bool:
        seconds = max(1, int(expires_at - self.clock()) + 1)
        return bool(await self.redis.set(f"{PREFIX}link:{jti}", b"1", nx=True, ex=seconds))


class RedisAnswers:
    """The staff answer panels by normalised query, shared by the gateways (5 min)."""

    def __init__(self, redis: Any, seconds: int = ANSWER_SECONDS) -> None:
        self.redis, self.seconds = redis, seconds

    def key(self, key: str) -> str:
        return f"{PREFIX}answer:{_digest(key)}"

    @_guarded
    async def lookup(self, key: str) -> Optional[Dict[str, Any]]:
        raw = await self.redis.get(self.key(key))
        return None if raw is None else json.loads(raw)

    @_guarded
    async def keep(self, key: str, value: Dict[str, Any]) -> None:
        await self.redis.set(self.key(key), _dumps(value), ex=self.seconds)
