"""The phone-line staff's page (``/conseiller``, bot/web/staff_pages.py) under aiohttp's test
client: it renders in French with the accessible names of docs/staff-contract.md, the
security headers, the FAQ topics offered for labelling, and never turns text into markup.

Fast: no Rasa, no store (the JSON API has its own tests, test_web_gateway_staff.py).
"""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp_jinja2
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.faq.topics import FAQ_TOPICS
from bot.web import pages, staff_pages
from bot.web.app import COOKIE, create_app
from bot.web.sessions import SessionStore
from tests.integration.test_web_pages import Page, script_names, scripts_of

WEB = Path(pages.__file__).resolve().parent
TEMPLATE = WEB / "templates" / "conseiller.html"
# the page's scripts, in their order: the shared helpers, the panels, start-up and wiring
SCRIPTS = ["common.js", "staff-login.js", "staff-answers.js", "staff-caller.js", "staff-questions.js",
           "conseiller.js"]
STYLE = WEB / "static" / "conseiller.css"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("AMPER_SECRET", "s" * 32)
    monkeypatch.setenv("AMPER_OFFICE_PHONE", "01 99 88 77 66")


def gateway(sessions=None):
    app = create_app(None, "http://127.0.0.1:9/webhooks/rest/webhook", secret="s" * 32,
                     sessions=sessions)
    staff_pages.setup_staff_pages(app)  # a no-op once create_app calls it
    return app


def fetch(path, app=None, cookie=None):
    """(status, headers, body text) of GET ``path``."""
    found = {}

    async def main():
        client = TestClient(TestServer(app if app is not None else gateway()))
        await client.start_server()
        try:
            headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
            response = await client.get(path, headers=headers)
            found.update(status=response.status, headers=response.headers,
                         text=await response.text())
        finally:
            await client.close()

    asyncio.run(main())
    return found["status"], found["headers"], found["text"]


def texts_of(html):
    block = re.search(r'<script type="application/json" id="amper-texts">(.*?)</script>',
                      html, re.S).group(1)
    return json.loads(block)


def hidden(page, ident):
    return "hidden" in page.by_id(ident)[1]


# --- the page -----------------------------------------------------------------------------------

def test_the_staff_page_renders_in_french_with_the_contract_names():
    status, headers, html = fetch("/conseiller")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in html
    page = Page(html)
    # labelled controls (docs/staff-contract.md)
    for ident, label, kind in (("question", "Question de l'appelant", "search"),
                               ("client-search", "Rechercher un client", "search"),
                               ("callback-phone", "Numéro à rappeler", "tel"),
                               ("callback-time", "Moment préféré", "text"),
                               ("login", "Identifiant", "text"),
                               ("password", "Mot de passe", "password")):
        assert page.label_of(ident) == label, ident
        assert page.by_id(ident)[1]["type"] == kind, ident
    assert page.label_of("message") == "Message pour l'assistant"
    assert page.label_of("callback-topic") == "Sujet"
    answers = page.by_id("answers")[1]
    assert (answers["role"], answers["aria-label"], answers["aria-live"]) == \
        ("region", "Réponses", "polite")
    log = page.by_id("log")[1]
    assert (log["role"], log["aria-label"], log["aria-live"]) == \
        ("log", "Conversation avec l'appelant", "polite")
    assert (page.by_id("client-list")[0], page.by_id("client-list")[1]["aria-label"]) == \
        ("ul", "Clients trouvés")
    for name in ("Envoyer", "Demander le rappel", "Se connecter", "Se déconnecter",
                 "Réessayer", "Actualiser la liste"):
        assert page.named("button", name), name
    [export] = page.named("a", "Exporter les questions étiquetées")
    assert export[1]["href"] == "/api/conseiller/questions/export"
    headings = [(e[0], " ".join(e[2].split())) for e in page.elements
                if re.fullmatch(r"h[1-6]", e[0])]
    assert headings[0][0] == "h1"
    for heading in ("Questions sans réponse", "Demande de rappel", "Conversation avec l'appelant",
                    "Aide à la réponse", "Dossier de l'appelant", "Connexion conseiller"):
        assert heading in [text for _, text in headings], heading
    levels = [int(tag[1]) for tag, _ in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), headings
    form = page.by_id("callback-form")[1]
    assert page.by_id(form["aria-labelledby"])[2].strip() == "Demande de rappel"
    # the callback topics: values of the API, French labels
    options = [(e[1]["value"], e[2].strip()) for e in page.elements
               if e[0] == "option" and "callback-topic" in str(page.by_id("callback-topic"))
               and e[1].get("value") in ("annulation", "changement", "facturation", "autre")]
    assert options == [("annulation", "Annulation"), ("changement", "Changement d'horaire"),
                       ("facturation", "Facturation"), ("autre", "Autre")]


def test_the_faq_topics_are_rendered_for_labelling():
    html = fetch("/conseiller")[2]
    template = re.search(r'<template id="topic-options">(.*?)</template>', html, re.S).group(1)
    values = re.findall(r'<option value="([^"]*)">([^<]*)</option>', template)
    assert values[0] == ("", "Choisir un sujet")
    assert values[1:-1] == [(f"faq/{key}", title.replace("'", "&#39;"))
                            for key, title in FAQ_TOPICS.items()]
    assert values[-1] == ("nouveau", "Nouveau sujet")


def test_the_gateway_may_give_the_topics():
    app = gateway()
    from bot.web.http import CONFIG

    app[CONFIG]["faq_topics"] = [("payment_methods", "Payer <vite>")]
    html = fetch("/conseiller", app)[2]
    assert '<option value="faq/payment_methods">Payer &lt;vite&gt;</option>' in html


def test_the_page_starts_on_the_login_form_unless_staff():
    page = Page(fetch("/conseiller")[2])
    assert not hidden(page, "login-panel") and hidden(page, "desk") and hidden(page, "staff-bar")

    sessions = SessionStore()
    staff = sessions.new()
    staff.staff, staff.sectors = "bureau.nord", ["Nord"]
    client = sessions.new()
    client.client_number = "1006"
    page = Page(fetch("/conseiller", gateway(sessions), cookie=staff.id)[2])
    assert hidden(page, "login-panel") and not hidden(page, "desk")

    page = Page(fetch("/conseiller", gateway(sessions), cookie=client.id)[2])
    assert not hidden(page, "login-panel") and hidden(page, "desk")


def test_every_control_has_a_name_and_nothing_is_inline():
    html = fetch("/conseiller")[2]
    page = Page(html)
    for tag, attrs, text in page.elements:
        if tag in ("input", "textarea", "select"):
            assert page.label_of(attrs["id"]), attrs
        if tag == "button":
            assert (attrs.get("aria-label") or text.strip()) and attrs.get("type"), attrs
        assert "style" not in attrs, (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/") \
                or attrs == {"type": "application/json", "id": "amper-texts"}, attrs
        if tag == "link" and attrs.get("rel") == "stylesheet":
            assert attrs["href"].startswith("/static/"), attrs
    assert "<style" not in html
    assert script_names(html) == SCRIPTS
    assert 'href="/static/chat.css"' in html and 'href="/static/conseiller.css"' in html


def test_the_page_has_the_security_headers():
    status, headers, _ = fetch("/conseiller")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'self';" in csp
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert "amper_session=" in headers.get("Set-Cookie", "")


def test_the_script_finds_its_elements_and_its_french_sentences_in_the_page():
    html = fetch("/conseiller")[2]
    script = scripts_of(html)
    ids = {e[1].get("id") for e in Page(html).elements}
    wanted = set(re.findall(r'byId\("([\w-]+)"\)', script)) | {"amper-texts", "topic-options"}
    assert wanted <= ids, wanted - ids
    texts = texts_of(html)
    assert set(re.findall(r"texts\.(\w+)", script)) <= set(texts)
    assert texts["typing"] == "L'assistant écrit…"
    assert texts["copied"] == "Copié"
    line = {"when": "mardi 8 décembre", "hours": "de 9 h à 11 h"}
    assert texts["cancelLine"].format(**line) == \
        "Annuler l'intervention du mardi 8 décembre de 9 h à 11 h"
    assert texts["changeLine"].format(**line) == \
        "Changer l'horaire du mardi 8 décembre de 9 h à 11 h"
    # on screen « Annuler l'intervention », for the ear the whole line (label in name)
    assert texts["cancelLine"].startswith(texts["cancelShort"])
    assert texts["changeLine"].startswith(texts["changeShort"])
    assert texts["clientButton"].format(name="M. René Leroy", number=1006) == \
        "M. René Leroy (n° 1006)"
    assert texts["fileTitle"].format(name="M. René Leroy") == "Dossier de M. René Leroy"
    # the accessible names the script builds itself
    for name in ('"Copier la réponse"', '"Confiance"', '"meter"', '"Étiqueter"', '"Sujet"'):
        assert name in script, name


def test_the_page_never_inserts_text_as_markup():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "|safe" not in text.replace(" ", "") and "Markup(" not in text
    assert "autoescape false" not in text
    codes = {name: (WEB / "static" / name).read_text(encoding="utf-8") for name in SCRIPTS}
    for name, code in codes.items():
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "setAttribute(\"style\"", ".style.cssText"):
            assert sink not in code, (name, sink)
    code = "\n".join(codes.values())
    assert "textContent" in code and "createTextNode" in code


def test_a_template_escapes_what_the_server_gives():
    app = gateway()
    env = aiohttp_jinja2.get_env(app)
    html = env.get_template("conseiller.html").render(
        faq_topics=[("x", "<script>alert(1)</script>")], callback_topics=[("a", "<b>A</b>")],
        new_topic=("nouveau", "Nouveau sujet"), staff=None, phone="", phone_href="")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>A</b>" not in html


def test_the_text_stays_at_16_px_at_least():
    css = STYLE.read_text(encoding="utf-8")
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)rem", css)]
    assert sizes and min(sizes) * 16 >= 16, "un texte fait moins de 16 px"
    assert "px" not in re.sub(r"/\*.*?\*/", "", css, flags=re.S).replace("1px", "") \
        .replace("2px", "").replace("10000px", "")
    assert re.search(r"min-height:\s*2\.5rem", css)  # 40 px targets
    assert "forced-colors" in css


def test_the_static_files_are_served():
    for path, kind in (*((f"/static/{name}", "text/javascript") for name in SCRIPTS),
                       ("/static/conseiller.css", "text/css")):
        status, headers, body = fetch(path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body, path


def test_setting_up_twice_is_harmless():
    app = gateway()
    staff_pages.setup_staff_pages(app)
    pages.setup_pages(app)
    assert fetch("/conseiller", app)[0] == 200
