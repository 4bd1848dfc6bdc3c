"""The webhook signature, one scheme both ways (docs/forwarding.md): our deliveries to the
offices are signed with it (bot/adapters/notifications/webhook.py) and the offices'
decisions sent back to us are checked with it (bot/web/office_api.py).

``X-Amper-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the
sector's secret>`` and ``X-Amper-Timestamp: <Unix seconds>``; a receiver refuses a
timestamp more than 300 s from its own clock.  Pure: the clock is passed in (``now``) or
read once from ``time.time``."""
from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime
from typing import Optional, Union

SIGNATURE_HEADER = "X-Amper-Signature"
TIMESTAMP_HEADER = "X-Amper-Timestamp"
#: how far the receiver accepts a timestamp from its own clock (seconds, either way)
SIGNATURE_TOLERANCE = 300


def _signed_content(timestamp: Union[int, str], body: bytes) -> bytes:
    return str(timestamp).encode("ascii") + b"." + body


def sign(secret: str, timestamp: Union[int, str], body: bytes) -> str:
    """Header value: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the
    secret>``; ``timestamp`` is the ``X-Amper-Timestamp`` value (Unix seconds)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), _signed_content(timestamp, body),
                                hashlib.sha256).hexdigest()


def verify_signature(secret: str, timestamp: Optional[str], body: bytes,
                     signature: Optional[str], now: Union[None, float, datetime] = None,
                     tolerance: float = SIGNATURE_TOLERANCE) -> bool:
    """The receiver's check: the signature covers the timestamp and the body (compared in
    constant time), and the timestamp is within ``tolerance`` seconds of ``now`` (default:
    this machine's clock).  A delivery replayed later, or signed without its timestamp, is
    refused; a replay inside the window carries what was already seen (an idempotency key,
    a decision already recorded), which the receiver acknowledges without acting twice."""
    if not isinstance(signature, str) or not isinstance(timestamp, str):
        return False
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if isinstance(now, datetime):
        now = now.timestamp()
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    # as bytes: compare_digest refuses non-ASCII text (a forged header must get a no)
    return hmac.compare_digest(sign(secret, timestamp, body).encode("ascii"),
                               signature.strip().encode("utf-8", "replace"))
