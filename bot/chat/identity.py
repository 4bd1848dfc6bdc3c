"""Who is talking: the JWT the web gateway puts in ``metadata.auth``.

Contract (issue 4): HS256 signed with ``AMPER_SECRET``; claims ``sub`` (client number),
``role`` (``client`` or ``staff``), ``staff`` (the staff login, for staff), ``exp``.
Only a verified, unexpired token carried by the *latest* user message counts: callers pass
that message's metadata, never an older one.  Anything else (no secret configured, no token,
bad signature, expired, missing or odd claims) means "not identified".
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import jwt

from bot import settings

ALGORITHM = "HS256"
SECRET_ENV = "AMPER_SECRET"
MAX_CLAIM_LENGTH = 100


@dataclass(frozen=True)
class Identity:
    """The client the conversation is about, and who acts for them."""

    client_number: str
    role: str  # "client" or "staff"
    actor: str  # recorded as the author of a request
    channel: str  # "web" (the client) or "phone" (staff acting for the client)

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"


def secret_from_env() -> str:
    return settings.secret()


def _claim(payload: Mapping[str, Any], name: str) -> Optional[str]:
    value = payload.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_CLAIM_LENGTH:
        return None
    return value


def verify_token(token: Any, secret: Optional[str] = None) -> Optional[Identity]:
    """The identity a token proves, or None."""
    secret = secret_from_env() if secret is None else secret
    if not secret or not isinstance(token, str) or not token.strip():
        return None
    try:
        payload = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.PyJWTError:
        return None
    client_number = _claim(payload, "sub")
    role = payload.get("role")
    if client_number is None or role not in ("client", "staff"):
        return None
    if role == "staff":
        staff = _claim(payload, "staff")
        if staff is None:
            return None
        return Identity(client_number, "staff", staff, "phone")
    actor = _claim(payload, "login") or f"client {client_number}"
    return Identity(client_number, "client", actor, "web")


def identity_from_metadata(metadata: Any, secret: Optional[str] = None) -> Optional[Identity]:
    """The identity proven by ``metadata["auth"]`` of one message, or None."""
    if not isinstance(metadata, Mapping):
        return None
    return verify_token(metadata.get("auth"), secret)


def mint_token(client_number: str, *, role: str = "client", staff: Optional[str] = None,
               secret: Optional[str] = None, ttl_seconds: int = 3600,
               login: Optional[str] = None) -> str:
    """A token in the gateway's format (used by tests and local tools)."""
    secret = secret_from_env() if secret is None else secret
    if not secret:
        raise ValueError(f"{SECRET_ENV} is not set")
    payload = {"sub": str(client_number), "role": role, "exp": int(time.time()) + ttl_seconds}
    if staff is not None:
        payload["staff"] = staff
    if login is not None:
        payload["login"] = login
    return jwt.encode(payload, secret, algorithm=ALGORITHM)
