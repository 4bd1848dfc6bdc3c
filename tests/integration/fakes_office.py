"""Real servers on loopback standing in for a sector office, for the dispatcher tests.

* :class:`SmtpSink` — aiosmtpd on 127.0.0.1 (free port), optionally with credentials;
  can answer ``451`` to the next N messages; keeps every message and a view deduplicated
  by ``Message-ID``.
* :class:`WebhookReceiver` — aiohttp server in a background thread.  It checks the HMAC
  signature and the timestamp's age exactly as docs/forwarding.md tells a sector office
  (``verify_signature``; ``receiver.wall_clock`` moves its clock to replay later), dedupes by ``Idempotency-Key`` and counts *overlapping* deliveries of the same
  key (two requests in flight at once: must never happen).  Behaviour per delivery:
  ``accept``, ``fail`` (500), ``hang`` (no answer until the client goes away), ``close``
  (connection dropped without an answer); per-key plans such as ``["fail", "fail"]`` give
  "accept after K failures".
* :class:`FakeClock` — the dispatcher's clock, moved by the test, so that retry delays pass
  without waiting; the receiver can stamp its deliveries with it (``receiver.clock``).
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from typing import Callable, Dict, List, Optional, Tuple

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.adapters.notifications import verify_signature


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class FakeClock:
    """A UTC clock that moves only when told: ``Dispatcher(clock=clock)``, then
    ``clock.advance(seconds)`` to be past a retry delay without sleeping."""

    def __init__(self, start: Optional[datetime] = None):
        self.now = start or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> "FakeClock":
        self.now += timedelta(seconds=seconds)
        return self


# --- SMTP --------------------------------------------------------------------------------------

class _SmtpHandler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            if self.sink.fail_next > 0:
                self.sink.fail_next -= 1
                self.sink.refused += 1
                return "451 4.3.0 Erreur temporaire, réessayez"
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"


class SmtpSink:
    def __init__(self, *, credentials: Optional[Tuple[str, str]] = None):
        self.credentials = credentials
        self.lock = threading.Lock()
        self.messages: List[Tuple[str, List[str], object]] = []
        self.fail_next = 0
        self.refused = 0
        self.port = free_port()
        self.controller: Optional[Controller] = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and self.credentials is not None
              and auth_data.login.decode() == self.credentials[0]
              and auth_data.password.decode() == self.credentials[1])
        return AuthResult(success=ok, handled=False)

    def start(self) -> "SmtpSink":
        kwargs = {}
        if self.credentials:
            kwargs = dict(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=False)
        self.controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def env(self, **extra) -> Dict[str, str]:
        env = {"AMPER_SMTP_HOST": "127.0.0.1", "AMPER_SMTP_PORT": str(self.port),
               "AMPER_SMTP_TLS": "none", "AMPER_MAIL_FROM": "assistant@amper.example"}
        if self.credentials:
            env["AMPER_SMTP_USER"], env["AMPER_SMTP_PASSWORD"] = self.credentials
        env.update(extra)
        return env

    def by_message_id(self) -> Dict[str, List[object]]:
        with self.lock:
            view: Dict[str, List[object]] = {}
            for _sender, _rcpt, message in self.messages:
                view.setdefault(message["Message-ID"], []).append(message)
            return view

    def references(self) -> Counter:
        """Deduplicated view: reference -> number of distinct Message-IDs."""
        return Counter(msgs[0]["X-Amper-Reference"] for msgs in self.by_message_id().values())


# --- webhook -----------------------------------------------------------------------------------

class WebhookReceiver:
    def __init__(self, secret: str):
        self.secret = secret
        self.mode = "accept"
        self.plans: Dict[str, List[str]] = {}
        self.hang_limit = 120.0
        self.accept_delay = 0.0
        self.clock: Callable[[], object] = time.monotonic  # stamps deliveries ("at", "end")
        self.wall_clock: Callable[[], float] = time.time   # the signature's timestamp check
        self.lock = threading.Lock()
        self.deliveries: List[Dict[str, object]] = []   # every request received
        self.accepted: Dict[str, dict] = {}             # deduplicated view
        self.accept_count: Counter = Counter()
        self.in_flight: Counter = Counter()
        self.overlaps = 0
        self.bad_signatures = 0
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/amper"

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        app = web.Application()
        app.router.add_post("/amper", self._handle)

        async def boot():
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        asyncio.run_coroutine_threadsafe(boot(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def in_flight_for(self, key: str) -> int:
        with self.lock:
            return self.in_flight[key]

    def attempts_for(self, key: str) -> List[Dict[str, object]]:
        with self.lock:
            return [d for d in self.deliveries if d["key"] == key]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        key = request.headers.get("Idempotency-Key", "")
        if not verify_signature(self.secret, request.headers.get("X-Amper-Timestamp"), body,
                                request.headers.get("X-Amper-Signature"),
                                now=self.wall_clock()):
            with self.lock:
                self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        document = json.loads(body.decode("utf-8"))
        assert document["idempotency_key"] == key
        assert request.headers.get("X-Amper-Timestamp", "").isdigit()
        with self.lock:
            if self.in_flight[key]:
                self.overlaps += 1
            self.in_flight[key] += 1
            plan = self.plans.get(key)
            mode = plan.pop(0) if plan else self.mode
            record = {"key": key, "mode": mode, "at": self.clock()}
            self.deliveries.append(record)
        try:
            if mode == "fail":
                return web.json_response({"error": "panne simulée"}, status=500)
            if mode == "hang":
                deadline = time.monotonic() + self.hang_limit
                while time.monotonic() < deadline:  # until the client gives up (or dies)
                    transport = request.transport
                    if transport is None or transport.is_closing():
                        break
                    await asyncio.sleep(0.02)
                return web.json_response({"error": "trop tard"}, status=503)
            if mode == "close":
                request.transport.abort()
                raise asyncio.CancelledError()
            if self.accept_delay:
                await asyncio.sleep(self.accept_delay)
            with self.lock:
                duplicate = key in self.accepted
                self.accepted.setdefault(key, document)
                self.accept_count[key] += 1
            return web.json_response({"status": "duplicate" if duplicate else "accepted"})
        finally:
            with self.lock:
                self.in_flight[key] -= 1
                record["end"] = self.clock()
