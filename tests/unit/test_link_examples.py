"""The link examples of docs/web-login.md make tokens that bot/web/link.py accepts.

The Python example runs as a real process (standard library only, ~50 ms); the PHP one
only where `php` is installed (it is not needed anywhere else in the project).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.web.link import ReplayGuard, verify_link

ROOT = Path(__file__).resolve().parents[2]
PYTHON_EXAMPLE = ROOT / "docs" / "examples" / "amper_connexion_link.py"
PHP_EXAMPLE = ROOT / "docs" / "examples" / "amper-connexion-link.php"
SECRET = "the-website-secret-0123456789-abcdef"
BASE = "https://assistant.example.fr"


def run(command, *, secret=SECRET):
    env = {key: value for key, value in os.environ.items() if key != "AMPER_WEB_LINK_SECRET"}
    if secret is not None:
        env["AMPER_WEB_LINK_SECRET"] = secret
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def token_of(url: str) -> str:
    parts = urlsplit(url.strip())
    assert f"{parts.scheme}://{parts.netloc}" == BASE and parts.path == "/connexion"
    (token,) = parse_qs(parts.query)["jeton"]
    return token


def decoded(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def check_link(url: str) -> None:
    token = token_of(url)
    header, claims = decoded(token.split(".")[0]), decoded(token.split(".")[1])
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims["exp"] - claims["iat"] == 120 and abs(claims["iat"] - time.time()) < 60
    guard = ReplayGuard()
    assert verify_link(token, secret=SECRET, guard=guard) == "1001"
    with pytest.raises(Exception, match="replayed"):
        verify_link(token, secret=SECRET, guard=guard)


def test_the_python_example_prints_a_link_that_the_gateway_accepts():
    done = run([sys.executable, str(PYTHON_EXAMPLE), "1001", BASE + "/"])
    assert done.returncode == 0, done.stderr
    check_link(done.stdout)
    again = run([sys.executable, str(PYTHON_EXAMPLE), "1001", BASE])
    assert token_of(again.stdout) != token_of(done.stdout)  # a new jti each time


@pytest.mark.parametrize("args, secret, message", [
    (["1001", BASE], None, "AMPER_WEB_LINK_SECRET"),
    (["1001", BASE], "short", "AMPER_WEB_LINK_SECRET"),
    (["10a1", BASE], SECRET, "chiffres"),
    (["1001", "http://assistant.example.fr"], SECRET, "https://"),
])
def test_the_python_example_refuses_what_would_make_a_bad_link(args, secret, message):
    done = run([sys.executable, str(PYTHON_EXAMPLE), *args], secret=secret)
    assert done.returncode == 1 and done.stdout == "" and message in done.stderr


def test_the_python_example_uses_the_standard_library_only():
    source = PYTHON_EXAMPLE.read_text(encoding="utf-8")
    imported = {line.split()[1].split(".")[0] for line in source.splitlines()
                if line.startswith(("import ", "from "))}
    assert imported <= {"base64", "hashlib", "hmac", "json", "os", "re", "secrets", "sys",
                        "time"}


@pytest.mark.skipif(shutil.which("php") is None,
                    reason="php is not installed here: the PHP example is not run")
def test_the_php_example_prints_a_link_that_the_gateway_accepts():
    done = run(["php", str(PHP_EXAMPLE), "1001", BASE])
    assert done.returncode == 0, done.stderr
    check_link(done.stdout)
    refused = run(["php", str(PHP_EXAMPLE), "1001", BASE], secret="short")
    assert refused.returncode == 1 and "AMPER_WEB_LINK_SECRET" in refused.stderr


def test_the_php_example_has_the_function_the_docs_describe():
    source = PHP_EXAMPLE.read_text(encoding="utf-8")
    assert "function amper_connexion_url($client_number, $base_url)" in source
    for piece in ("hash_hmac('sha256', $signing_input, $secret, true)", "random_bytes(",
                  "'aud' => 'amper-connexion'", "'alg' => 'HS256'"):
        assert piece in source
