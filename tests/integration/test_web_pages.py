"""The gateway's pages (bot/web/pages.py, templates, static files) under aiohttp's test client.

Fast: no Rasa, no store (the pages only render; the JSON API has its own tests).  What the
browser tests (tests/browser/) find by name is checked here in the HTML: the labelled
controls of docs/web-contract.md, the security headers, and that the pages never turn text
into markup (autoescape, no ``|safe``, no ``innerHTML``, nothing inline for the CSP).
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import aiohttp_jinja2
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web import pages
from bot.web.app import create_app
from bot.web.demo_host import create_demo_app, gateway_origin

WEB = Path(pages.__file__).resolve().parent
EMBEDDER = "http://127.0.0.1:8001"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("AMPER_SECRET", "s" * 32)
    monkeypatch.setenv("AMPER_OFFICE_PHONE", "01 99 88 77 66")


def gateway(origins=(EMBEDDER,)):
    web_settings = SimpleNamespace(host="127.0.0.1", port=8000, embed_origins=tuple(origins),
                                   trusted_proxies=(), link_secret="", demo_port=8001)
    app = create_app(web_settings, "http://127.0.0.1:9/webhooks/rest/webhook", secret="s" * 32)
    pages.setup_pages(app)  # a no-op once create_app calls it
    return app


def run(test, app=None):
    async def main():
        client = TestClient(TestServer(app if app is not None else gateway()))
        await client.start_server()
        try:
            await test(client)
        finally:
            await client.close()

    asyncio.run(main())


def fetch(path, app=None):
    """(status, headers, body text) of GET ``path``."""
    found = {}

    async def test(client):
        response = await client.get(path)
        found.update(status=response.status, headers=response.headers,
                     text=await response.text())

    run(test, app)
    return found["status"], found["headers"], found["text"]


def script_names(html):
    """The scripts a page loads from /static/ with ``defer``, in their order of execution."""
    return re.findall(r'<script src="/static/([\w.-]+\.js)" defer></script>', html)


def scripts_of(html):
    """The text of every deferred script of the page (common.js and the page's own)."""
    return "\n".join((WEB / "static" / name).read_text(encoding="utf-8")
                     for name in script_names(html))


class Page(HTMLParser):
    """The elements of a page as (tag, attributes, text inside) — enough to find by label."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements, self._open = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), ""]
        self.elements.append(element)
        if tag not in ("input", "meta", "link", "br", "img"):
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element[2] += data

    def named(self, tag, name):
        """Elements ``tag`` whose accessible name (aria-label, or text) is ``name``."""
        return [e for e in self.elements if e[0] == tag
                and (e[1].get("aria-label") or " ".join(e[2].split())) == name]

    def by_id(self, ident):
        return next(e for e in self.elements if e[1].get("id") == ident)

    def label_of(self, ident):
        return " ".join(next(e for e in self.elements if e[0] == "label"
                             and e[1].get("for") == ident)[2].split())


# --- the chat page ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/widget"])
def test_the_chat_pages_render_in_french_with_the_contract_names(path):
    status, headers, html = fetch(path)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in html
    page = Page(html)
    log = page.by_id("log")
    assert (log[1]["role"], log[1]["aria-label"], log[1]["aria-live"]) == \
        ("log", "Conversation", "polite")
    assert page.label_of("message") == "Votre message"
    assert page.label_of("login") == "Numéro de client ou identifiant"
    assert page.label_of("password") == "Mot de passe"
    assert page.by_id("password")[1]["type"] == "password"
    for name in ("Envoyer", "Annuler une intervention", "Changer un horaire", "Mes demandes",
                 "Texte plus grand", "Réessayer", "Se connecter", "Se déconnecter"):
        assert len(page.named("button", name)) == 1, name
    assert page.named("button", "Texte plus grand")[0][1]["aria-pressed"] == "false"
    [call] = page.named("a", "Parler à quelqu'un")
    assert call[1]["href"] == "tel:0199887766"
    assert page.by_id("chat-error")[1]["role"] == "alert"
    assert page.by_id("login-error")[1]["role"] == "alert"
    headings = [(e[0], " ".join(e[2].split())) for e in page.elements
                if re.fullmatch(r"h[1-6]", e[0])]
    assert headings[0] == ("h1", "Assistant AMPER")
    assert ("h3", "Mon planning") in headings and ("h3", "Mes demandes") in headings
    levels = [int(tag[1]) for tag, _ in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), headings
    assert page.elements[next(i for i, e in enumerate(page.elements) if e[0] == "body") + 1][1] \
        .get("class") == "skip-link"


def test_every_control_has_a_name_and_nothing_is_inline():
    for path in ("/", "/widget"):
        page = Page(fetch(path)[2])
        for tag, attrs, text in page.elements:
            if tag in ("input", "textarea"):
                assert page.label_of(attrs["id"]), attrs
            if tag == "button":
                assert (attrs.get("aria-label") or text.strip()) and attrs.get("type"), attrs
            assert "style" not in attrs, (tag, attrs)
            assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
            if tag == "script":  # scripts come from files; the one inline block is JSON data
                assert attrs.get("src", "").startswith("/static/") \
                    or attrs == {"type": "application/json", "id": "amper-texts"}, attrs
        assert '<style' not in fetch(path)[2]


def test_the_script_finds_its_elements_and_its_french_sentences_in_the_page():
    for path in ("/", "/widget"):
        html = fetch(path)[2]
        assert script_names(html) == ["common.js", "chat.js"]  # the shared helpers first
        script = scripts_of(html)
        page = Page(html)
        ids = {e[1].get("id") for e in page.elements}
        wanted = set(re.findall(r'byId\("([\w-]+)"\)', script)) | {"amper-texts", "log", "message"}
        assert wanted <= ids, wanted - ids
        block = re.search(r'<script type="application/json" id="amper-texts">(.*?)</script>',
                          html, re.S).group(1)
        texts = json.loads(block)
        assert set(re.findall(r"texts\.(\w+)", script)) <= set(texts)
        assert texts["typing"] == "L'assistant écrit…"
        assert (texts["useful"], texts["notUseful"]) == ("Réponse utile", "Réponse pas utile")
        assert texts["cancelLine"].replace("{when}", "mardi 8 décembre").replace(
            "{hours}", "de 9 h à 11 h") == "Annuler l'intervention du mardi 8 décembre de 9 h à 11 h"
        assert texts["changeLine"].replace("{when}", "mardi 8 décembre").replace(
            "{hours}", "de 9 h à 11 h") == "Changer l'horaire du mardi 8 décembre de 9 h à 11 h"
    quick = {e[1]["data-message"] for e in Page(fetch("/")[2]).elements if "data-message" in e[1]}
    assert quick == {"Je voudrais annuler une intervention",
                     "Je voudrais changer l'horaire d'une intervention",
                     "Où en sont mes demandes ?"}


def test_the_pages_never_insert_text_as_markup():
    for source in (WEB / "templates").iterdir():
        text = source.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "Markup(" not in text, source.name
        assert "autoescape false" not in text, source.name
    for source in [*(WEB / "static").glob("*.js"), WEB / "templates" / "widget.js"]:
        code = source.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "setAttribute(\"style\""):
            assert sink not in code, f"{source.name}: {sink}"


# --- headers ----------------------------------------------------------------------------------

def test_the_chat_page_has_the_security_headers():
    status, headers, _ = fetch("/")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'self';" in csp
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "amper_session=" in headers.get("Set-Cookie", "")


def test_the_widget_may_be_framed_by_the_configured_sites_only():
    status, headers, _ = fetch("/widget")
    csp = headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {EMBEDDER};" in csp
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "X-Frame-Options" not in headers
    # none configured (or settings without the field): the gateway itself only
    for web_settings in (SimpleNamespace(), None):
        app = create_app(web_settings, "http://127.0.0.1:9/x", secret="s" * 32)
        pages.setup_pages(app)
        csp = fetch("/widget", app)[1]["Content-Security-Policy"]
        assert "frame-ancestors 'self';" in csp
    # a malformed origin cannot add a directive
    app = gateway(origins=("http://ok.example", "http://x; script-src *", "javascript:alert(1)"))
    csp = fetch("/widget", app)[1]["Content-Security-Policy"]
    assert "frame-ancestors 'self' http://ok.example;" in csp and "script-src" not in csp


def test_widget_js_is_served_as_a_cross_origin_script():
    status, headers, code = fetch("/widget.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert '"Discuter avec AMPER"' in code and '"Assistant AMPER"' in code
    assert "document.currentScript" in code and '"/widget"' in code
    assert "aria-expanded" in code and "Escape" in code
    assert "{{" not in code and "{%" not in code


@pytest.mark.parametrize("path, kind", [("/static/chat.js", "text/javascript"),
                                        ("/static/common.js", "text/javascript"),
                                        ("/static/prefs.js", "text/javascript"),
                                        ("/static/chat.css", "text/css"),
                                        ("/static/favicon.svg", "image/svg+xml")])
def test_the_static_files_are_served(path, kind):
    status, headers, body = fetch(path)
    assert status == 200 and headers["Content-Type"].startswith(kind) and body
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_nothing_outside_the_static_folder_is_served():
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/", "/templates/chat.html"):
        assert fetch(path)[0] in (403, 404), path


def test_the_text_is_large_enough_and_motion_can_be_reduced():
    css = (WEB / "static" / "chat.css").read_text(encoding="utf-8")
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)rem", css)]
    assert min(sizes) * 16 >= 18, "un texte fait moins de 18 px"
    assert "prefers-reduced-motion: no-preference" in css and ":focus-visible" in css
    assert re.search(r"min-height:\s*3rem", css)  # 48 px targets


# --- templates --------------------------------------------------------------------------------

def test_a_notice_escapes_what_it_is_given():
    app = gateway()
    env = aiohttp_jinja2.get_env(app)
    html = env.get_template("notice.html").render(
        title="<script>alert(1)</script>", message="Lien « périmé » <b>x</b>")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and 'href="/"' in html and 'lang="fr"' in html
    assert 'href="/"' not in env.get_template("notice.html").render(
        title="t", message="m", back=False)


def test_render_notice_gives_an_html_page_with_a_status():
    app = gateway()

    async def oops(request):
        return pages.render_notice(request, "Lien expiré", "Demandez un nouveau lien.", status=400)

    app.router.add_get("/essai", oops)
    status, headers, html = fetch("/essai", app)
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    assert "Lien expiré" in html and "Revenir à l'assistant AMPER" in html.replace("&#39;", "'")


def test_the_phone_link_keeps_digits_only():
    assert pages.phone_href("01 23 45 67 89") == "tel:0123456789"
    assert pages.phone_href("+33 1 23 45 67 89") == "tel:+33123456789"
    assert pages.phone_href("01.23.45.67.89 (bureau)") == "tel:0123456789"


# --- the demo provider site ---------------------------------------------------------------------

def test_the_demo_site_embeds_the_widget_with_one_script_tag():
    status, headers, html = fetch("/", create_demo_app("http://127.0.0.1:8000/"))
    assert status == 200 and '<html lang="fr">' in html
    assert "<title>Site de démonstration d'AMPER</title>" in html
    assert html.count('<script src="http://127.0.0.1:8000/widget.js" defer></script>') == 1
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' http://127.0.0.1:8000;" in csp and "unsafe-inline" not in csp
    assert "frame-src http://127.0.0.1:8000;" in csp
    assert fetch("/demo.css", create_demo_app("http://127.0.0.1:8000"))[0] == 200


def test_the_demo_site_accepts_only_an_http_gateway():
    assert gateway_origin("https://amper.example/chemin") == "https://amper.example"
    for bad in ("ftp://x", "127.0.0.1:8000", "http://u@evil.example", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            gateway_origin(bad)


def test_serve_widget_demo_runs_on_the_given_port(monkeypatch, capsys):
    from aiohttp import web as aiohttp_web

    from bot.entrypoints import cli

    started = {}
    monkeypatch.setattr(aiohttp_web, "run_app", lambda app, **kw: started.update(app=app, **kw))
    assert cli.main(["serve", "widget-demo", "--port", "8123",
                     "--gateway", "http://127.0.0.1:8000"]) == 0
    assert (started["host"], started["port"]) == ("127.0.0.1", 8123)
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123" in out and "AMPER_WEB_EMBED_ORIGINS" in out
    monkeypatch.setenv("AMPER_WEB_DEMO_PORT", "8124")
    assert cli.main(["serve", "widget-demo"]) == 0 and started["port"] == 8124
    with pytest.raises(SystemExit) as refused:
        cli.main(["serve", "widget-demo", "--gateway", "ftp://x"])
    assert refused.value.code == 2 and "http(s)" in capsys.readouterr().err


# --- the JavaScript parses (node, when installed) -------------------------------------------------

@pytest.mark.skipif(shutil.which("node") is None, reason="node absent")
def test_the_scripts_parse(tmp_path):
    widget = tmp_path / "widget.js"
    widget.write_text(fetch("/widget.js")[2], encoding="utf-8")
    for source in [*(WEB / "static").glob("*.js"), widget]:
        done = subprocess.run(["node", "--check", str(source)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
