"""The sector office's inbox (/bureau, issue 22) in the browser, against the real stack with
its dispatcher and a local SMTP server (docs/office-contract.md): a client of Sud cancels an
intervention in the chat; bureau.sud, its page open in another browser, sees the request come
in without reloading (the list, the title's count, « Nouvelle demande : AMP-… »), opens it and
accepts it (a double click sends one decision); a second bureau.sud page that was writing a
refusal on the same version is told the request was « déjà acceptée » and shows it again;
bureau.nord never sees it.  The client's « Mes demandes » says « acceptée », the assistant
tells them at their next message, and their e-mail arrives exactly once.  The login is for
office accounts only (the phone line and the clients are told so).  axe-core on the login,
the list, the detail and the refusal form.

Its own stack (the shared one has no dispatcher), demo clients 1011 (Sud, with an e-mail)
and 1012, used by no other module.
"""
from __future__ import annotations

import re
import time

import pytest

from bot.entrypoints.launcher import Stack, StackConfig, free_port
from tests.browser.conftest import (
    ANSWER_MS, DEMO_PASSWORD, OFFICE_PHONE, SECRET, api_get, axe_check, conversation, folded,
    load_demo, log_in, send, wait_idle,
)
from tests.browser.test_client_requests import (
    bot_button, cancellable_line, reference_in, requests_section,
)
from tests.integration.fakes_office import SmtpSink, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CLIENT, CLIENT_LOGIN = "1011", "client1011"
CLIENT_EMAIL = "client1011@example.org"
OTHER_CLIENT = "client1012"
OFFICE, OTHER_OFFICE, PHONE_LINE = "bureau.sud", "bureau.nord", "accueil"
#: the page's live list: the gateway looks for changes every AMPER_WEB_INBOX_POLL seconds
LIVE_MS = 20_000
MAIL_WAIT_S = 60.0


# --- the stack: the shared one's, plus the dispatcher and an SMTP server ------------------------

@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def office_stack(model_path, tmp_path_factory, smtp):
    var_dir = tmp_path_factory.mktemp("office")
    url = f"sqlite:///{var_dir / 'amper.db'}"
    load_demo(url)
    env = {"AMPER_OFFICE_PHONE": OFFICE_PHONE, "AMPER_SECRET": SECRET,
           "AMPER_DATABASE_URL": url, "AMPER_WEB_HOST": "127.0.0.1",
           "AMPER_WEB_INBOX_POLL": "0.5", "AMPER_DISPATCH_POLL_INTERVAL": "0.2",
           "AMPER_OUTBOX_BACKOFF_BASE": "1", "AMPER_OUTBOX_BACKOFF_MAX": "2", **smtp.env()}
    stack = Stack(StackConfig(rasa_port=free_port(), actions_port=free_port(),
                              gateway_port=free_port(), model=model_path, var_dir=var_dir,
                              env=env, dispatcher=True))
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def gateway(office_stack):
    return office_stack.config.gateway_url


# --- helpers -------------------------------------------------------------------------------------

def new_page(browser):
    """A page in a browser context of its own (its own cookies: its own login), failing the
    test on any JavaScript error or dialog."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(ANSWER_MS)
    page = context.new_page()
    page.problems = []
    page.on("dialog", lambda d: (page.problems.append(f"dialog : {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.problems.append(f"erreur JavaScript : {e}"))
    return page


def close(*pages) -> None:
    problems = []
    for page in pages:
        problems += page.problems
        page.context.close()
    assert not problems, "\n".join(problems)


def office_log_in(page, gateway, login=OFFICE, path="/bureau"):
    page.goto(gateway + path)
    page.get_by_label("Identifiant", exact=True).fill(login)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()


def open_count(page) -> int:
    match = re.match(r"\((\d+)\) ", page.title())
    return int(match.group(1)) if match else 0


def detail(page, reference):
    return page.get_by_role("region", name=f"Demande {reference}")


def status_code(page, path) -> int:
    return page.evaluate("async (p) => (await fetch(p, {credentials: 'same-origin'})).status",
                         path)


def client_mails(smtp):
    with smtp.lock:
        return [m for _, rcpt, m in smtp.messages if CLIENT_EMAIL in rcpt]


# --- the login -------------------------------------------------------------------------------------

def test_only_office_accounts_get_the_inbox(browser, gateway):
    page = new_page(browser)
    try:
        page.goto(gateway + "/bureau")
        page.get_by_role("heading", name="Connexion du bureau de secteur").wait_for()
        assert page.get_by_role("form", name="Filtrer les demandes").count() == 0
        axe_check(page, "connexion")
        for login, words in ((PHONE_LINE, "poste conseiller"), (OTHER_CLIENT, "page d'accueil")):
            page.get_by_label("Identifiant", exact=True).fill(login)
            page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            alert = page.get_by_role("alert").filter(has_text="réservée aux bureaux de secteur")
            alert.wait_for()
            assert words in alert.inner_text(), alert.inner_text()
            assert page.get_by_role("form", name="Filtrer les demandes").is_hidden()
            axe_check(page, f"compte {login} refusé")
            assert status_code(page, "/api/bureau/demandes") == 401  # logged out again
        page.get_by_label("Identifiant", exact=True).fill(OFFICE)
        page.get_by_label("Mot de passe", exact=True).fill("mauvais")
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("alert").filter(has_text="incorrect").wait_for()
        # in from a request's link, then out: the login form again, the address back to /bureau
        office_log_in(page, gateway, path="/bureau/demande/AMP-2026-999999")
        page.get_by_role("button", name="Se déconnecter").click()
        page.get_by_role("heading", name="Connexion du bureau de secteur").wait_for()
        assert page.url.endswith("/bureau")
        assert status_code(page, "/api/bureau/demandes") == 401
    finally:
        close(page)


# --- the issue's story --------------------------------------------------------------------------

def test_a_cancellation_reaches_the_office_live_and_the_decision_reaches_the_client(
        browser, gateway, office_stack, smtp):
    office = new_page(browser)
    second = new_page(browser)
    nord = new_page(browser)
    client = new_page(browser)
    try:
        office_log_in(office, gateway)
        office.get_by_role("heading", level=1, name="Demandes du bureau Sud").wait_for()
        office.get_by_role("table", name="Demandes").wait_for()
        office.wait_for_function("() => !document.getElementById('requests-body')"
                                 ".hasAttribute('aria-busy')")
        before = open_count(office)
        axe_check(office, "liste")
        office_log_in(nord, gateway, OTHER_OFFICE)
        nord.get_by_role("heading", level=1, name="Demandes du bureau Nord").wait_for()
        decisions = []
        office.on("request", lambda r: decisions.append(r.url)
                  if r.method == "POST" and r.url.endswith("/decision") else None)

        # the client cancels an intervention in the chat
        client.goto(gateway + "/")
        log_in(client, CLIENT_LOGIN)
        line = cancellable_line(client)
        client.get_by_role(
            "button", name=f"Annuler l'intervention du {line['when']} {line['hours']}").click()
        bot_button(client, "Raison personnelle").click()
        conversation(client).filter(has_text="Confirmez-vous").wait_for()
        wait_idle(client)
        send(client, "oui")
        reference = reference_in(client)
        wait_idle(client)

        # the office sees it come in, without a reload
        office.get_by_role("button", name=f"Ouvrir {reference}", exact=True).wait_for(
            timeout=LIVE_MS)
        office.get_by_role("status").filter(
            has_text=f"Nouvelle demande : {reference}").wait_for(timeout=LIVE_MS)
        office.wait_for_function(
            "(n) => document.title === `(${n}) Demandes — AMPER bureau`", arg=before + 1,
            timeout=LIVE_MS)
        assert office.title() == f"({before + 1}) Demandes — AMPER bureau"
        # the dispatcher forwards it to the office (status « forwarded »): wait for it, so
        # that both office pages show the same version
        assert wait_until(lambda: api_get(office, f"/api/bureau/demandes/{reference}")
                          ["body"]["request"]["status"] == "forwarded", 30), \
            api_get(office, f"/api/bureau/demandes/{reference}")
        # bureau.nord does not see it
        assert status_code(nord, f"/api/bureau/demandes/{reference}") == 404
        nord.reload()
        nord.get_by_role("table", name="Demandes").wait_for()
        nord.wait_for_function("() => !document.getElementById('requests-body')"
                               ".hasAttribute('aria-busy')")
        assert nord.get_by_role("button", name=f"Ouvrir {reference}").count() == 0

        # a second bureau.sud page opens it from the e-mail's link and starts a refusal
        office_log_in(second, gateway, OFFICE, f"/bureau/demande/{reference}")
        detail(second, reference).get_by_role("button", name="Refuser").click()
        second.get_by_role("combobox", name="Motif du refus").select_option("slot_unavailable")

        # the first page opens it, looks at the refusal form, and accepts (a double click)
        office.get_by_role("button", name=f"Ouvrir {reference}", exact=True).click()
        region = detail(office, reference)
        region.get_by_role("button", name="Accepter").wait_for()
        assert region.get_by_role("button", name="Prendre en compte").is_visible()
        assert line["when"] in folded(region.inner_text())
        axe_check(office, "demande ouverte")
        region.get_by_role("button", name="Refuser").click()
        region.get_by_role("combobox", name="Motif du refus").wait_for()
        region.get_by_role("textbox", name="Précision (facultatif, sans information médicale)") \
            .wait_for()
        region.get_by_role("button", name="Confirmer le refus").wait_for()
        axe_check(office, "formulaire de refus")
        region.get_by_role("button", name="Ne pas refuser").click()
        with office.expect_response(lambda r: r.url.endswith("/decision")) as answered:
            region.get_by_role("button", name="Accepter").dblclick()
        assert answered.value.status == 200, answered.value.text()
        assert answered.value.json()["applied"] is True
        region.get_by_role("button", name="Accepter").wait_for(state="detached")
        assert "acceptée" in folded(region.inner_text())
        office.wait_for_timeout(1000)
        assert len(decisions) == 1, decisions
        assert open_count(office) == before
        axe_check(office, "demande acceptée")

        # the filters: the request among the closed ones, the export following them
        office.get_by_role("form", name="Filtrer les demandes").get_by_label("Statut") \
            .select_option("closed")
        office.get_by_role("searchbox", name="Client").fill(CLIENT)
        with office.expect_response(lambda r: "/api/bureau/demandes?" in r.url) as listed:
            office.get_by_role("button", name="Filtrer").click()
        assert "statut=closed" in listed.value.url and f"client={CLIENT}" in listed.value.url
        office.get_by_role("button", name=f"Ouvrir {reference}", exact=True).wait_for()
        export = office.get_by_role("link", name="Exporter la liste (CSV)").get_attribute("href")
        assert export == f"/api/bureau/export.csv?statut=closed&client={CLIENT}", export

        # the second page was refusing the version it showed: « déjà acceptée », refreshed
        with second.expect_response(lambda r: r.url.endswith("/decision")) as refused:
            detail(second, reference).get_by_role("button", name="Confirmer le refus").click()
        assert refused.value.status == 409, refused.value.text()
        alert = second.get_by_role("alert").filter(has_text="déjà")
        alert.wait_for()
        assert "acceptée" in alert.inner_text() and OFFICE in alert.inner_text()
        detail(second, reference).get_by_role("button", name="Accepter").wait_for(
            state="detached")
        assert second.get_by_role("button", name="Confirmer le refus").is_hidden()

        # the client: told at their next message, once; « Mes demandes » says « acceptée »
        send(client, "Bonjour")
        told = f"Votre demande {reference}"
        conversation(client).filter(has_text=told).wait_for()
        wait_idle(client)
        text = folded(conversation(client).inner_text())
        assert re.search(re.escape(told) + r" [^.]*a été acceptée par le bureau de secteur", text), \
            text
        client.reload()
        section = requests_section(client)
        section.filter(has_text=reference).wait_for()
        assert "acceptée par le bureau de secteur" in folded(section.inner_text()).lower()
        send(client, "Merci")
        wait_idle(client)
        assert folded(conversation(client).inner_text()).count(told) == 1

        # the e-mail: exactly once, even after the dispatcher had time to send it again
        assert wait_until(lambda: len(client_mails(smtp)) >= 1, MAIL_WAIT_S), \
            [m["To"] for _, _, m in smtp.messages]
        time.sleep(5)
        mails = client_mails(smtp)
        assert len(mails) == 1, [m["Subject"] for m in mails]
        body = folded(mails[0].get_body(preferencelist=("plain",)).get_content())
        assert reference in body + mails[0]["Subject"] and "acceptée" in body, body

        # the month's summary
        office.get_by_role("link", name="Synthèse du mois").click()
        summary = office.get_by_role("region", name="Synthèse du mois")
        summary.get_by_role("heading", name=re.compile(r"^Synthèse de .+ \d{4}$")).wait_for()
        month = office.get_by_label("Mois", exact=True).input_value()
        assert re.fullmatch(r"\d{4}-\d{2}", month), month
        assert summary.get_by_role("link", name="Télécharger la synthèse (CSV)") \
            .get_attribute("href") == f"/api/bureau/synthese.csv?mois={month}"
        axe_check(office, "synthèse du mois")
    finally:
        close(office, second, nord, client)


def test_the_live_list_says_when_it_is_cut_off_and_comes_back(browser, gateway):
    page = new_page(browser)
    try:
        page.context.route("**/api/bureau/evenements", lambda route: route.abort())
        office_log_in(page, gateway, OTHER_OFFICE)
        lost = page.get_by_text("Mise à jour en direct interrompue, nouvelle tentative…")
        lost.wait_for()
        axe_check(page, "mise à jour interrompue")
        page.context.unroute("**/api/bureau/evenements")
        lost.wait_for(state="hidden", timeout=LIVE_MS)
    finally:
        close(page)
