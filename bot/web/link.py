"""The signed login link: ``/connexion?jeton=<token>`` sent by the provider's own website.

The website already knows its logged-in client; it sends them to the chat with a short-lived,
single-use JWT (docs/web-login.md is the contract for its developer):

- header ``{"alg": "HS256", "typ": "JWT"}``; HS256 only (no ``none``, no RS/ES/PS, no HS384/512);
- signed with ``AMPER_WEB_LINK_SECRET`` (32 bytes at least, distinct from ``AMPER_SECRET``,
  which signs the gateway's identities for the actions: :mod:`bot.chat.identity`);
- claims ``sub`` (the client number: ASCII digits, as a JSON string), ``iat``, ``exp``
  (``exp - iat`` at most 300 s), ``jti`` (random, 16–128 visible ASCII characters),
  ``aud`` = ``"amper-connexion"``; ``nbf`` is honoured when present;
- 30 s of leeway for the clocks of the two servers;
- accepted once: :class:`ReplayGuard` remembers each accepted ``jti`` until it expires.

:func:`verify_link` raises :class:`LinkError` whose ``reason`` is a key of
:data:`LINK_MESSAGES` (the French sentence the page shows).  The reason is for our logs;
the page never says more than the sentence (in particular nothing about a signature).
This module reads no environment: the caller passes the secret (``bot/settings.py``).
"""
from __future__ import annotations

import heapq
import json
import re
import secrets as random_source
import threading
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import jwt

ALGORITHM = "HS256"
AUDIENCE = "amper-connexion"
MAX_TOKEN_LENGTH = 2048        # refused before any parsing
MAX_LIFETIME = 300             # exp - iat, seconds
LEEWAY = 30                    # clock skew between the website and the gateway, seconds
MIN_SECRET_BYTES = 32
DEFAULT_TTL = 120
MAX_REMEMBERED = 100_000       # jtis kept at once by the in-memory guard

Clock = Callable[[], float]

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_CLIENT_NUMBER = re.compile(r"[0-9]{1,40}")
_JTI = re.compile(r"[\x21-\x7e]{16,128}")
_HEADER_FIELDS = {"alg", "typ", "kid"}

_RECONNECT = "Reconnectez-vous depuis le site d'AMPER."
#: reason code → the sentence the page shows (vouvoiement, never the technical detail)
LINK_MESSAGES: Dict[str, str] = {
    "malformed": f"Ce lien de connexion n'est pas valide. {_RECONNECT}",
    "signature": f"Ce lien de connexion n'est pas valide. {_RECONNECT}",
    "expired": f"Ce lien de connexion a expiré. {_RECONNECT}",
    "too_long_lived": f"Ce lien de connexion n'est pas valide. {_RECONNECT}",
    "replayed": f"Ce lien de connexion a déjà été utilisé. {_RECONNECT}",
    "audience": f"Ce lien de connexion n'est pas valide. {_RECONNECT}",
    "subject": f"Ce lien de connexion ne permet pas de vous identifier. {_RECONNECT}",
    "unavailable": ("La connexion par lien est momentanément indisponible. Réessayez dans "
                    "quelques minutes, ou connectez-vous avec votre identifiant."),
}


class LinkError(Exception):
    """A refused link; ``reason`` is a key of :data:`LINK_MESSAGES`."""

    def __init__(self, reason: str):
        if reason not in LINK_MESSAGES:
            raise ValueError(f"unknown link refusal reason: {reason!r}")
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        """The French sentence for the page."""
        return LINK_MESSAGES[self.reason]


class ReplayGuard:
    """The jtis already accepted, each kept until its expiry (``exp`` + leeway).

    In memory, for one gateway process; with several gateways, the Redis guard of
    :mod:`bot.web.shared_state` (``SET NX``) offers the same :meth:`use`.

    Bounded: at most ``max_entries`` jtis.  Expired ones are forgotten first (earliest
    expiry first).  A jti whose link could still be accepted is *never* forgotten to make
    room: when the store is full of unexpired jtis, :meth:`claim` refuses the new link
    (``"unavailable"``) instead, so that no link can ever be used twice.  Reaching the bound
    takes ``max_entries`` valid links within about six minutes, i.e. the secret is in the
    wrong hands or the bound is too small.

    ``clock`` gives the current time in seconds since the epoch (``exp`` is such a time).
    """

    def __init__(self, max_entries: int = MAX_REMEMBERED, clock: Clock = time.time):
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self.clock = clock
        self._expiry: Dict[str, float] = {}
        self._heap: List[Tuple[float, str]] = []
        self._lock = threading.Lock()

    def claim(self, jti: str, expires_at: float, now: Optional[float] = None) -> None:
        """Record ``jti`` as used until ``expires_at``; :class:`LinkError` ``"replayed"`` if it
        already was, ``"unavailable"`` if the store is full of unexpired jtis."""
        now = self.clock() if now is None else now
        with self._lock:
            self._forget_expired(now)
            if jti in self._expiry:
                raise LinkError("replayed")
            if len(self._expiry) >= self.max_entries:
                raise LinkError("unavailable")
            self._expiry[jti] = expires_at
            heapq.heappush(self._heap, (expires_at, jti))

    async def use(self, jti: str, expires_at: float) -> None:
        """:meth:`claim`, as the gateway calls it (the Redis guard's interface)."""
        self.claim(jti, expires_at)

    def __contains__(self, jti: object) -> bool:
        return jti in self._expiry

    def __len__(self) -> int:
        return len(self._expiry)

    def _forget_expired(self, now: float) -> None:
        while self._heap and self._heap[0][0] < now:
            _, jti = heapq.heappop(self._heap)
            self._expiry.pop(jti, None)


def _check_secret(secret: Any) -> bytes:
    if not isinstance(secret, str) or len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ValueError(f"the link secret must be at least {MIN_SECRET_BYTES} bytes long")
    return secret.encode("utf-8")


def make_link_token(client_number: str, *, secret: str, ttl: int = DEFAULT_TTL,
                    now: Optional[float] = None) -> str:
    """A link token for ``client_number`` (tests, local tools; the website makes its own)."""
    key = _check_secret(secret)
    issued = int(time.time() if now is None else now)
    payload = {"sub": str(client_number), "iat": issued, "exp": issued + int(ttl),
               "jti": random_source.token_urlsafe(24), "aud": AUDIENCE}
    return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"typ": "JWT"})


def verify_link(token: str, *, secret: str, guard: ReplayGuard,
                now: Optional[float] = None) -> str:
    """The client number a link token proves, after recording its jti in ``guard``.

    Raises :class:`LinkError` (``malformed``, ``signature``, ``expired``, ``too_long_lived``,
    ``audience``, ``subject``, ``replayed``, ``unavailable``); ``ValueError`` if ``secret`` is
    shorter than 32 bytes (a configuration error, not the visitor's).  ``now`` defaults to
    the guard's clock.  Only a token that passes every other check uses up its jti.
    """
    now = guard.clock() if now is None else now
    checked = check_link(token, secret=secret, now=now)
    guard.claim(checked.jti, checked.expires_at, now=now)
    return checked.client_number


class CheckedLink(NamedTuple):
    client_number: str
    jti: str
    expires_at: float          # until when its jti must be remembered (exp + leeway)


def check_link(token: str, *, secret: str, now: float) -> CheckedLink:
    """Every check of :func:`verify_link` but the replay one (the caller claims ``jti``:
    the gateway does it in the shared guard, a coroutine)."""
    key = _check_secret(secret)
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise LinkError("malformed")
    token = token.strip()
    if not _TOKEN_SHAPE.fullmatch(token):
        raise LinkError("malformed")
    payload = _verified_payload(token, key)
    issued, expires = _number(payload, "iat"), _number(payload, "exp")
    not_before = _number(payload, "nbf") if "nbf" in payload else issued
    if expires <= issued:
        raise LinkError("malformed")
    if expires - issued > MAX_LIFETIME:
        raise LinkError("too_long_lived")
    if now > expires + LEEWAY or now < max(issued, not_before) - LEEWAY:
        raise LinkError("expired")
    if not _for_us(payload.get("aud")):
        raise LinkError("audience")
    jti = payload.get("jti")
    if not isinstance(jti, str) or not _JTI.fullmatch(jti):
        raise LinkError("malformed")
    client_number = payload.get("sub")
    if not isinstance(client_number, str) or not _CLIENT_NUMBER.fullmatch(client_number):
        raise LinkError("subject")
    return CheckedLink(client_number, jti, expires + LEEWAY)


def _verified_payload(token: str, key: bytes) -> Dict[str, Any]:
    """The claims of a token signed with ``key`` in HS256, or :class:`LinkError`."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise LinkError("malformed") from None
    if header.get("alg") != ALGORITHM:  # "none", RS256 (key confusion), HS512…: not ours
        raise LinkError("signature")
    if header.get("typ", "JWT") not in ("JWT", "jwt") or not set(header) <= _HEADER_FIELDS:
        raise LinkError("malformed")  # e.g. "crit", or "b64": false (RFC 7797)
    try:
        raw = jwt.PyJWS().decode(token, key, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        raise LinkError("signature") from None
    except jwt.PyJWTError:
        raise LinkError("malformed") from None
    try:
        payload = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError):
        raise LinkError("malformed") from None
    if not isinstance(payload, dict):
        raise LinkError("malformed")
    return payload


def _no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("duplicate claim")
    return found


def _number(payload: Dict[str, Any], name: str) -> float:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not -2 ** 53 < value < 2 ** 53:  # also refuses NaN; no float overflow
        raise LinkError("malformed")
    return float(value)


def _for_us(audience: Any) -> bool:
    if isinstance(audience, list):
        return AUDIENCE in audience and all(isinstance(item, str) for item in audience)
    return audience == AUDIENCE
