"""Browser tests: the real stack (Rasa, actions, web gateway, demo host page) on free loopback
ports, driven by Debian's Chromium through Playwright (never ``playwright install``).

One stack per worker for the browser modules (``stack``, package-scoped; pytest-xdist's
``--dist loadscope`` keeps a module on one worker), one browser per module and a fresh browser
context (cookies, storage) per test.  The store is a temporary SQLite
file holding the demo data (clients 1001…1020, logins ``client1001``… with « amper-demo »),
loaded before the servers start, as ``amper run`` does in demo mode.

``axe_check(page, what)`` runs axe-core with the WCAG 2.1 A and AA rules and fails with the
list of violations.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml

from bot.entrypoints.launcher import Stack, StackConfig, free_port
from bot.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
SECRET = "browser-secret-0123456789-0123456789-abcdef"
LINK_SECRET = "browser-link-secret-0123456789-0123456789"
OFFICE_PHONE = "01 99 88 77 66"
DEMO_LOGIN, DEMO_PASSWORD = "client1001", "amper-demo"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: How long the page may take for an answer (Rasa + actions on a busy CI machine).
ANSWER_MS = 30_000

AMPER = PROJECT_ROOT / ".venv" / "bin" / "amper"
if not AMPER.exists():
    AMPER = Path(sys.executable).with_name("amper")


# --- the stack -------------------------------------------------------------------------------

def load_demo(url: str) -> None:
    """The demo planning and logins in a new store (what ``amper run`` does in demo mode)."""
    from bot.adapters import db
    from bot.service_layer.demo import load_demo_data
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    db.upgrade(url)
    load_demo_data(SqlAlchemyUnitOfWork(url))


def make_web_stack(model_path, var_dir, env: Optional[Dict[str, str]] = None,
                   demo_host: bool = True) -> Stack:
    var_dir = Path(var_dir)
    url = f"sqlite:///{var_dir / 'amper.db'}"
    load_demo(url)
    demo_port = free_port() if demo_host else None
    full_env = {
        "AMPER_OFFICE_PHONE": OFFICE_PHONE,
        "AMPER_SECRET": SECRET,
        "AMPER_WEB_LINK_SECRET": LINK_SECRET,
        "AMPER_DATABASE_URL": url,
        "AMPER_WEB_HOST": "127.0.0.1",
    }
    if demo_port:
        full_env["AMPER_WEB_EMBED_ORIGINS"] = f"http://127.0.0.1:{demo_port}"
    full_env.update(env or {})
    return Stack(StackConfig(rasa_port=free_port(), actions_port=free_port(),
                             gateway_port=free_port(), demo_host_port=demo_port,
                             model=model_path, var_dir=var_dir, env=full_env,
                             dispatcher=False))


@pytest.fixture(scope="package")
def stack(model_path, tmp_path_factory):
    """One stack for the browser modules a worker runs in a row (pytest-xdist's loadscope
    sends whole modules; pytest tears a package fixture down when the next test is outside
    tests/browser, so at worst one stack per module).  The modules share it without
    stepping on each other: each uses its own demo clients (chat: none; requests: 1001 and
    1002; security: 1003 and 1004; widget: 1005) and its own sentences."""
    s = make_web_stack(model_path, tmp_path_factory.mktemp("web"))
    s.start()
    yield s
    s.stop()


def database_url(stack: Stack) -> str:
    return stack.config.env["AMPER_DATABASE_URL"]


def sqlite_path(stack: Stack) -> str:
    return database_url(stack)[len("sqlite:///"):]


def amper(stack: Stack, *args: str) -> str:
    """``amper ARGS`` on the stack's store; its standard output."""
    env = dict(os.environ, AMPER_DATABASE_URL=database_url(stack))
    proc = subprocess.run([str(AMPER), *args], capture_output=True, text=True, env=env,
                          cwd="/", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def requests_of(stack: Stack, client: str) -> List[dict]:
    """The client's requests in the store, read with ``amper requests list --json``."""
    rows = json.loads(amper(stack, "requests", "list", "--json"))
    return [r for r in rows if r["client_id"] == client]


def user_messages(stack: Stack, text: str) -> int:
    """How many times Rasa's tracker store received ``text`` from a user (all senders)."""
    db = stack.tracker_url[len("sqlite:///"):]
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE type_name = 'user'").fetchall()
    return sum(1 for (data,) in rows if json.loads(data).get("text") == text)


# --- the domain's texts ----------------------------------------------------------------------

def response_text(name: str) -> str:
    """The first text of ``name`` in domain.yml, whitespace folded as the page shows it."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return " ".join(domain["responses"][name][0]["text"].split())


def folded(text: str) -> str:
    return " ".join(text.split())


# --- another site on loopback (no CSP of its own): the attacker's or an unlisted embedder --

class OtherSite:
    """A tiny HTTP server on a free loopback port serving ``pages`` ({path: html}).

    A real server rather than ``page.route``: Chromium's local network access checks treat a
    routed page as public and would block its requests to 127.0.0.1 before our gateway ever
    sees them.  ``url`` is same-site with the gateway (127.0.0.1, another port: the Lax
    cookie goes), ``cross_site_url`` is not (``localhost``: it does not)."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.pages: Dict[str, str] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                body = site.pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "").encode("utf-8"))

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cross_site_url(self) -> str:
        return f"http://localhost:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def other_site():
    site = OtherSite()
    site.pages["/"] = ('<!doctype html><html lang="fr"><head><title>Un autre site</title></head>'
                       "<body><main><h1>Un autre site</h1></main></body></html>")
    yield site
    site.close()


# --- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium introuvable ({CHROMIUM}) : lancez scripts/ensure-chromium.sh.")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(ANSWER_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that fails the test on any JavaScript dialog (alert…) or uncaught error."""
    p = context.new_page()
    problems: List[str] = []
    p.on("dialog", lambda d: (problems.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
    p.on("pageerror", lambda e: problems.append(f"erreur JavaScript : {e}"))
    yield p
    assert not problems, "\n".join(problems)


# --- axe-core ----------------------------------------------------------------------------------

def axe_check(page, what: str = "") -> None:
    """Zero WCAG 2.1 A/AA violations on ``page`` (axe-core), or a readable list of them."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                       "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"axe-core : {len(violations)} règle(s) WCAG 2.1 A/AA violée(s) "
             f"{('(' + what + ')') if what else ''} sur {page.url}"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}) : {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target} : {summary[:300]}")
    raise AssertionError("\n".join(lines))


# --- page helpers (the accessible names of docs/web-contract.md) -----------------------------

def conversation(page):
    return page.get_by_role("log", name="Conversation")


def send(page, text: str) -> None:
    """Types ``text`` in « Votre message » and clicks « Envoyer »."""
    page.get_by_role("textbox", name="Votre message").fill(text)
    page.get_by_role("button", name="Envoyer", exact=True).click()


def wait_for_text(page_or_frame, text: str, timeout: float = ANSWER_MS) -> None:
    """Waits until the conversation shows ``text`` (whitespace folded)."""
    log = conversation(page_or_frame)
    wanted = folded(text)
    log.filter(has_text=re.compile(re.escape(wanted[:80]))).wait_for(timeout=timeout)
    assert wanted in folded(log.inner_text()), f"{wanted!r} absent de la conversation"


def wait_idle(page_or_frame, timeout: float = ANSWER_MS) -> None:
    """Waits until « L'assistant écrit… » is gone."""
    page_or_frame.get_by_text("L'assistant écrit…").wait_for(state="hidden", timeout=timeout)


def log_in(page, login: str = DEMO_LOGIN, password: str = DEMO_PASSWORD) -> None:
    page.get_by_role("textbox", name="Numéro de client ou identifiant").fill(login)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Mon planning").wait_for()


def api_get(page, path: str) -> dict:
    """GET ``path`` on the page's own origin with its cookies (the page's fetch)."""
    return page.evaluate(
        """async (path) => {
            const r = await fetch(path, {credentials: "same-origin"});
            return {status: r.status, body: await r.json()};
        }""", path)
