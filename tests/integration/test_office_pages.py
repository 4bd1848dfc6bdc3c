"""The sector office's page (``/bureau``, bot/web/office_pages.py) under aiohttp's test
client: served in French with the accessible names of docs/office-contract.md, the security
headers (CSP, no-store), the request of ``/bureau/demande/{reference}`` passed to the script
(a malformed one ignored), and never any text turned into markup.

Fast: no Rasa, no store (the JSON API has its own tests).
"""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp_jinja2
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web import office_pages, pages, wording
from bot.web.app import COOKIE, create_app
from bot.web.sessions import SessionStore
from tests.integration.test_web_pages import Page, script_names, scripts_of

WEB = Path(pages.__file__).resolve().parent
TEMPLATE = WEB / "templates" / "bureau.html"
SCRIPTS = ["common.js", "staff-login.js", "bureau-list.js", "bureau-detail.js", "bureau-live.js",
           "bureau-summary.js", "bureau.js"]
STYLE = WEB / "static" / "bureau.css"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("AMPER_SECRET", "s" * 32)
    monkeypatch.setenv("AMPER_OFFICE_PHONE", "01 99 88 77 66")


def gateway(sessions=None):
    app = create_app(None, "http://127.0.0.1:9/webhooks/rest/webhook", secret="s" * 32,
                     sessions=sessions)
    office_pages.setup_office_pages(app)  # a no-op once create_app calls it
    return app


def fetch(path, app=None, cookie=None):
    """(status, headers, body text) of GET ``path``."""
    found = {}

    async def main():
        client = TestClient(TestServer(app if app is not None else gateway()))
        await client.start_server()
        try:
            headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
            response = await client.get(path, headers=headers, allow_redirects=False)
            found.update(status=response.status, headers=response.headers,
                         text=await response.text())
        finally:
            await client.close()

    asyncio.run(main())
    return found["status"], found["headers"], found["text"]


def json_block(html, ident):
    block = re.search(rf'<script type="application/json" id="{ident}">(.*?)</script>',
                      html, re.S).group(1)
    return json.loads(block)


def hidden(page, ident):
    return "hidden" in page.by_id(ident)[1]


# --- the page -----------------------------------------------------------------------------------

def test_the_office_page_renders_in_french_with_the_contract_names():
    status, headers, html = fetch("/bureau")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in html
    assert "<title>Demandes — AMPER bureau</title>" in html
    page = Page(html)
    # the filters form (docs/office-contract.md, « Accessible names »)
    form = page.by_id("filters")
    assert (form[0], form[1]["aria-label"]) == ("form", "Filtrer les demandes")
    for ident, label, kind in (("filter-from", "Du", "date"), ("filter-to", "Au", "date"),
                               ("filter-client", "Client", "search"),
                               ("login", "Identifiant", "text"),
                               ("password", "Mot de passe", "password"),
                               ("summary-month", "Mois", "month")):
        assert page.label_of(ident) == label, ident
        assert page.by_id(ident)[1]["type"] == kind, ident
    assert page.label_of("filter-status") == "Statut" and page.by_id("filter-status")[0] == "select"
    assert page.label_of("filter-kind") == "Type" and page.by_id("filter-kind")[0] == "select"
    assert page.label_of("refusal-reason") == "Motif du refus"
    assert page.label_of("refusal-note") == "Précision (facultatif, sans information médicale)"
    assert page.by_id("refusal-note")[1]["maxlength"] == "200"
    for name in ("Filtrer", "Se connecter", "Se déconnecter", "Confirmer le refus", "Réessayer"):
        assert page.named("button", name), name
    [export] = page.named("a", "Exporter la liste (CSV)")
    assert export[1]["href"].startswith("/api/bureau/export.csv")
    assert page.named("a", "Synthèse du mois")
    # the table, its caption, in a focusable labelled region (it scrolls on a phone)
    assert "<caption>Demandes</caption>" in html
    scroll = [e for e in page.elements if "table-scroll" in e[1].get("class", "")][0]
    assert scroll[1]["role"] == "region" and scroll[1]["tabindex"] == "0" \
        and scroll[1]["aria-label"]
    # the detail region (named by its heading « Demande AMP-… »), the live announcements
    assert page.by_id("detail")[1]["aria-labelledby"] == "detail-title"
    assert page.by_id("live")[1]["role"] == "status"
    headings = [(e[0], " ".join(e[2].split())) for e in page.elements
                if re.fullmatch(r"h[1-6]", e[0])]
    assert [tag for tag, _ in headings].count("h1") == 1 and headings[0][0] == "h1"
    assert headings[0][1] == "Demandes du bureau de secteur"
    levels = [int(tag[1]) for tag, _ in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), headings
    # the filters' values are the API's, the labels French
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', html)
    assert ("open", "En cours") in options and ("all", "Toutes") in options
    assert ("cancellation", "Annulation") in options and ("", "Tous") in options
    assert re.search(r'<select id="filter-status" name="statut">\s*<option value="open">', html)


def test_the_request_of_the_address_is_passed_to_the_script():
    html = fetch("/bureau/demande/AMP-2026-000123")[2]
    assert json_block(html, "amper-data") == {"reference": "AMP-2026-000123"}
    html = fetch("/bureau/demande/amp-2026-000042")[2]  # the e-mail's link, lower-cased
    assert json_block(html, "amper-data") == {"reference": "AMP-2026-000042"}
    assert json_block(fetch("/bureau")[2], "amper-data") == {"reference": None}


@pytest.mark.parametrize("reference", ["AMP-26-1", "AMP-2026-0001234", "nimporte",
                                       "AMP-2026-00012%3Cb%3E", "%22%3E%3Cscript%3E"])
def test_a_bad_reference_shows_the_list(reference):
    status, _, html = fetch(f"/bureau/demande/{reference}")
    assert status == 200
    assert json_block(html, "amper-data") == {"reference": None}
    assert "<script>" not in html.split('id="amper-data">')[1].split("</script>")[0]


def test_the_page_starts_on_the_login_form_unless_an_office():
    page = Page(fetch("/bureau")[2])
    assert not hidden(page, "login-panel") and hidden(page, "inbox") and hidden(page, "staff-bar")

    sessions = SessionStore()
    office = sessions.new()
    office.staff, office.sectors = "bureau.sud", ["Sud"]
    office.office = True  # set by the login of an office account
    phone_line = sessions.new()
    phone_line.staff, phone_line.sectors = "accueil", ["Nord", "Sud"]
    client = sessions.new()
    client.client_number = "1011"
    page = Page(fetch("/bureau", gateway(sessions), cookie=office.id)[2])
    assert hidden(page, "login-panel") and not hidden(page, "inbox")
    for other in (phone_line, client):
        page = Page(fetch("/bureau", gateway(sessions), cookie=other.id)[2])
        assert not hidden(page, "login-panel") and hidden(page, "inbox")


def test_every_control_has_a_name_and_nothing_is_inline():
    html = fetch("/bureau")[2]
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
                or attrs in ({"type": "application/json", "id": "amper-texts"},
                             {"type": "application/json", "id": "amper-data"}), attrs
        if tag == "link" and attrs.get("rel") == "stylesheet":
            assert attrs["href"].startswith("/static/"), attrs
    assert "<style" not in html
    assert script_names(html) == SCRIPTS
    assert 'href="/static/bureau.css"' in html


@pytest.mark.parametrize("path", ["/bureau", "/bureau/demande/AMP-2026-000123"])
def test_the_page_has_the_security_headers(path):
    status, headers, _ = fetch(path)
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'self';" in csp
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert "amper_session=" in headers.get("Set-Cookie", "")


def test_the_scripts_find_their_elements_and_their_french_sentences_in_the_page():
    html = fetch("/bureau")[2]
    script = scripts_of(html)
    own = "\n".join((WEB / "static" / name).read_text(encoding="utf-8") for name in SCRIPTS[1:])
    ids = {e[1].get("id") for e in Page(html).elements}
    wanted = set(re.findall(r'byId\("([\w-]+)"\)', own)) | {"amper-texts", "announce"}
    assert wanted <= ids, wanted - ids
    texts = json_block(html, "amper-texts")
    assert texts == wording.OFFICE_PAGE_TEXTS
    used = set(re.findall(r"texts\.(\w+)", own))
    assert used <= set(texts), used - set(texts)
    # the decision buttons are named by texts[decision] (docs/office-contract.md)
    assert [texts[d] for d in ("acknowledge", "accept", "refuse", "grant_exemption")] == \
        ["Prendre en compte", "Accepter", "Refuser", "Exemption accordée"]
    assert texts["openButton"] + "AMP-2026-000123" == "Ouvrir AMP-2026-000123"
    assert texts["detailTitle"].format(reference="AMP-2026-000123") == "Demande AMP-2026-000123"
    assert texts["titleCount"].format(count=3) == "(3) Demandes — AMPER bureau"
    assert texts["newRequest"].format(reference="AMP-2026-000123") == \
        "Nouvelle demande : AMP-2026-000123"
    assert texts["liveLost"] == "Mise à jour en direct interrompue, nouvelle tentative…"
    assert texts["heading"].format(sectors="Sud") == "Demandes du bureau Sud"
    # the routes of the contract
    for route in ('"/api/bureau/demandes"', '"/api/bureau/evenements"', '"/api/bureau/export.csv"',
                  '"/api/bureau/synthese?mois="', '"/api/bureau/synthese.csv?mois="',
                  '"/decision"', '"/api/login"', '"/api/logout"'):
        assert route in script, route


def test_the_page_never_inserts_text_as_markup():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "|safe" not in text.replace(" ", "") and "Markup(" not in text
    assert "autoescape false" not in text
    codes = {name: (WEB / "static" / name).read_text(encoding="utf-8") for name in SCRIPTS}
    for name, code in codes.items():
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "setAttribute(\"style\"", ".style.cssText"):
            assert sink not in code, (name, sink)


def test_a_template_escapes_what_the_server_gives():
    app = gateway()
    env = aiohttp_jinja2.get_env(app)
    html = env.get_template("bureau.html").render(
        texts={**wording.OFFICE_PAGE_TEXTS, "headingOut": "<b>x</b>"}, title="<i>t</i>",
        status_filters=[("open", "<script>alert(1)</script>")], kind_filters=[],
        office=False, data={"reference": "</script><script>alert(2)</script>"})
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html and "<i>t</i>" not in html
    assert "</script><script>alert(2)" not in html


def test_the_text_stays_at_16_px_at_least():
    css = STYLE.read_text(encoding="utf-8")
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)rem", css)]
    assert not sizes or min(sizes) * 16 >= 16, "un texte fait moins de 16 px"
    assert "px" not in re.sub(r"/\*.*?\*/", "", css, flags=re.S).replace("1px", "") \
        .replace("2px", "")
    assert "forced-colors" in css


def test_the_static_files_are_served():
    for path, kind in (*((f"/static/{name}", "text/javascript") for name in SCRIPTS),
                       ("/static/bureau.css", "text/css")):
        status, headers, body = fetch(path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body, path


def test_setting_up_twice_is_harmless():
    app = gateway()
    office_pages.setup_office_pages(app)
    pages.setup_pages(app)
    assert fetch("/bureau", app)[0] == 200


def test_office_reference():
    assert office_pages.office_reference(" amp-2026-000123 ") == "AMP-2026-000123"
    for bad in (None, "", "AMP-2026-12345", "AMP-2026-000123x", "AMP 2026 000123"):
        assert office_pages.office_reference(bad) is None, bad
