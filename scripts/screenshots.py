"""Screenshots of the client's chat page and of the staff's screen for the documentation:

    .venv/bin/python scripts/screenshots.py        (after `make train`)

Starts the real stack (Rasa, actions, web gateway) on free loopback ports with a temporary
store holding the demo data, logs in as client1001 with Debian's Chromium (Playwright, no
browser download), has a short conversation and writes docs/img/chat-desktop.png
(1280×800) and docs/img/chat-phone.png (390×844); then logs in as bureau.nord on
/conseiller (an answer, a caller's file, a short caller chat) and writes
docs/img/conseiller.png (1280×800); then records a few requests of Sud clients in the store
and logs in as bureau.sud on /bureau (the inbox, one request open) and writes
docs/img/bureau.png (1280×800) and docs/img/bureau-phone.png (390×844).

    .venv/bin/python scripts/screenshots.py bureau.png    (only the named screenshots)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.entrypoints.launcher import Stack, StackConfig, free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "docs" / "img"
SHOTS = {"chat-desktop.png": {"width": 1280, "height": 800},
         "chat-phone.png": {"width": 390, "height": 844}}
STAFF_SHOT = ("conseiller.png", {"width": 1280, "height": 800})
OFFICE_SHOTS = {"bureau.png": {"width": 1280, "height": 800},
                "bureau-phone.png": {"width": 390, "height": 844}}
SECRET = "screenshots-secret-0123456789-0123456789-abc"


def start_stack(var_dir: Path) -> Stack:
    from bot.adapters import db
    from bot.service_layer.demo import load_demo_data
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    url = f"sqlite:///{var_dir / 'amper.db'}"
    db.upgrade(url)
    load_demo_data(SqlAlchemyUnitOfWork(url))
    office_requests(SqlAlchemyUnitOfWork(url))
    stack = Stack(StackConfig(rasa_port=free_port(), actions_port=free_port(),
                              gateway_port=free_port(), var_dir=var_dir, dispatcher=False,
                              env={"AMPER_SECRET": SECRET, "AMPER_DATABASE_URL": url,
                                   "AMPER_WEB_HOST": "127.0.0.1"}))
    return stack.start()


def office_requests(uow) -> None:
    """A few open requests of Sud clients for the office's inbox: a cancellation (personal
    reason), one with a medical reason (exemption pending), a schedule change."""
    from datetime import timedelta

    from bot.domain.errors import ServiceError
    from bot.service_layer.services import requests, views

    for number, what in (("1011", "personnel"), ("1013", "hospitalisation"),
                         ("1014", "change"), ("1012", "personnel")):
        lines = views.upcoming_interventions(uow, number, limit=3)
        if not lines:
            continue
        line = lines[-1] if number == "1012" else lines[0]
        try:
            if what == "change":
                requests.create_schedule_change_request(
                    uow, client_number=number, intervention_id=line.external_id,
                    new_start=line.start + timedelta(hours=2),
                    new_end=line.end + timedelta(hours=2), channel="web",
                    actor="client", accept_out_of_notice=True)
            else:
                requests.create_cancellation_request(
                    uow, client_number=number, intervention_id=line.external_id, reason=what,
                    channel="phone" if number == "1013" else "web",
                    actor="accueil" if number == "1013" else "client")
        except ServiceError as refused:  # a rule of the demo's day: that one is left out
            print(f"demande de démonstration non créée ({number}) : {refused}")


def shoot(gateway: str, only=()) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"],
                                     headless=True)
        for name, viewport in SHOTS.items():
            if only and name not in only:
                continue
            context = browser.new_context(locale="fr-FR", viewport=viewport)
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto(gateway + "/")
            page.get_by_role("textbox", name="Numéro de client ou identifiant").fill("client1001")
            page.get_by_label("Mot de passe", exact=True).fill("amper-demo")
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_role("heading", name="Mon planning").wait_for()
            box = page.get_by_role("textbox", name="Votre message")
            box.fill("Je peux payer en CESU ?")
            page.get_by_role("button", name="Envoyer", exact=True).click()
            page.get_by_role("log", name="Conversation").filter(has_text="CESU").wait_for()
            page.get_by_text("L'assistant écrit…").wait_for(state="hidden")
            page.get_by_role("log", name="Conversation").filter(
                has_text="préfinancés").wait_for()
            page.evaluate("document.activeElement && document.activeElement.blur()")
            if viewport["width"] >= 800:  # desktop: the top of the page, both columns
                page.evaluate("window.scrollTo(0, 0)")
            else:  # phone: from the conversation's first message down
                page.get_by_role("log", name="Conversation").evaluate(
                    "el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 12)")
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / name))
            print(f"écrit : {OUT / name}")
            context.close()
        if not only or STAFF_SHOT[0] in only:
            shoot_staff(browser, gateway)
        for name, viewport in OFFICE_SHOTS.items():
            if not only or name in only:
                shoot_office(browser, gateway, name, viewport)
        browser.close()


def shoot_staff(browser, gateway: str) -> None:
    """The staff's screen: an answer with its rule highlighted, a Nord caller's file and
    the start of a cancellation taken for them in the caller chat."""
    name, viewport = STAFF_SHOT
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(gateway + "/conseiller")
    page.get_by_label("Identifiant", exact=True).fill("bureau.nord")
    page.get_by_label("Mot de passe", exact=True).fill("amper-demo")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()
    page.get_by_role("searchbox", name="Question de l'appelant").fill("délai pour annuler")
    page.get_by_role("region", name="Réponses").get_by_role("heading").first.wait_for()
    page.get_by_role("searchbox", name="Rechercher un client").fill("moreau")
    page.get_by_role("button", name="Mme Odette Moreau (n° 1007)").click()
    page.get_by_role("heading", name="Dossier de Mme Odette Moreau").wait_for()
    page.locator("#file-lines .line-actions button").nth(6).click()  # a line a few days ahead
    log = page.get_by_role("log", name="Conversation avec l'appelant")
    log.get_by_role("button", name="Raison personnelle").wait_for()
    page.get_by_text("L'assistant écrit…").wait_for(state="hidden")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)  # no hover left on a button
    page.evaluate("window.scrollTo(0, 0); document.getElementById('file-lines').scrollTop = 0")
    page.wait_for_timeout(300)
    page.screenshot(path=str(OUT / name))
    print(f"écrit : {OUT / name}")
    context.close()


def shoot_office(browser, gateway: str, name: str, viewport) -> None:
    """The sector office's inbox: bureau.sud's open requests, the first one open (on a
    phone, the detail is shown where it is)."""
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(gateway + "/bureau")
    page.get_by_label("Identifiant", exact=True).fill("bureau.sud")
    page.get_by_label("Mot de passe", exact=True).fill("amper-demo")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Demandes du bureau Sud").wait_for()
    first = page.locator("#requests-body .open-request").first
    first.wait_for()
    first.click()
    page.locator("#detail-body").wait_for()
    page.get_by_role("button", name="Accepter").wait_for()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    if viewport["width"] >= 800:
        page.evaluate("window.scrollTo(0, 0)")
    else:
        page.locator("#detail-body").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(OUT / name))
    print(f"écrit : {OUT / name}")
    context.close()


def main(only=()) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amper-shots-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            shoot(stack.config.gateway_url, tuple(only))
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
