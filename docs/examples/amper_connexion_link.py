#!/usr/bin/env python3
"""Lien de connexion signé vers l'assistant AMPER (exemple, bibliothèque standard seule).

Usage :
    AMPER_WEB_LINK_SECRET=... python3 amper_connexion_link.py NUMERO_CLIENT URL_DE_BASE
    # ex. : python3 amper_connexion_link.py 1001 https://assistant.amper.fr
Affiche : https://assistant.amper.fr/connexion?jeton=<jeton>

Le jeton est un JWT HS256 : {"alg": "HS256", "typ": "JWT"} ; sub (numéro de client), iat,
exp (iat + 120 s ; 300 s au plus), jti (aléatoire, une seule utilisation), aud
"amper-connexion".  Voir docs/web-login.md.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time

AUDIENCE = "amper-connexion"
LIFETIME = 120  # secondes ; l'assistant refuse au-delà de 300
MIN_SECRET_BYTES = 32


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def link_token(client_number: str, secret: bytes, now: int) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"sub": client_number, "iat": now, "exp": now + LIFETIME,
              "jti": secrets.token_urlsafe(24), "aud": AUDIENCE}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))
        for part in (header, claims))
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def connexion_url(client_number: str, base_url: str, secret: bytes) -> str:
    if not re.fullmatch(r"[0-9]{1,40}", client_number):
        raise ValueError("le numéro de client doit être fait de chiffres")
    if not re.match(r"https://|http://(localhost|127\.0\.0\.1)(:[0-9]+)?(/|$)", base_url):
        raise ValueError("l'adresse de l'assistant doit commencer par https://")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"AMPER_WEB_LINK_SECRET doit faire au moins {MIN_SECRET_BYTES} octets")
    token = link_token(client_number, secret, int(time.time()))
    return base_url.rstrip("/") + "/connexion?jeton=" + token


def main(argv) -> int:
    if len(argv) != 3:
        print("Usage : AMPER_WEB_LINK_SECRET=... python3 amper_connexion_link.py "
              "NUMERO_CLIENT URL_DE_BASE", file=sys.stderr)
        return 2
    secret = os.environ.get("AMPER_WEB_LINK_SECRET", "").encode("utf-8")
    try:
        print(connexion_url(argv[1].strip(), argv[2].strip(), secret))
    except ValueError as problem:
        print(f"Erreur : {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
