"""Password hashing with hashlib.scrypt and a random salt (standard library only).

Stored form: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

N, R, P, DKLEN = 2 ** 14, 8, 1, 32


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    if not isinstance(password, str) or not password:
        raise ValueError("empty password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DKLEN)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest_hex)
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt_hex),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(digest, expected)
