"""Screenshots of the client's chat page and of the staff's screen for the documentation:

    .venv/bin/python scripts/screenshots.py        (after `make train`)

Starts the real stack (Rasa, actions, web gateway) on free loopback ports with a temporary
store holding the demo data, logs in as client1001 with Debian's Chromium (Playwright, no
browser download), has a short conversation and writes docs/img/chat-desktop.png
(1280×800) and docs/img/chat-phone.png (390×844); then logs in as bureau.nord on
/conseiller (an answer, a caller's file, a short caller chat) and writes
docs/img/conseiller.png (1280×800).
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
SECRET = "screenshots-secret-0123456789-0123456789-abc"


def start_stack(var_dir: Path) -> Stack:
    from bot.adapters import db
    from bot.service_layer.demo import load_demo_data
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    url = f"sqlite:///{var_dir / 'amper.db'}"
    db.upgrade(url)
    load_demo_data(SqlAlchemyUnitOfWork(url))
    stack = Stack(StackConfig(rasa_port=free_port(), actions_port=free_port(),
                              gateway_port=free_port(), var_dir=var_dir, dispatcher=False,
                              env={"AMPER_SECRET": SECRET, "AMPER_DATABASE_URL": url,
                                   "AMPER_WEB_HOST": "127.0.0.1"}))
    return stack.start()


def shoot(gateway: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"],
                                     headless=True)
        for name, viewport in SHOTS.items():
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
        shoot_staff(browser, gateway)
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


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amper-shots-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            shoot(stack.config.gateway_url)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
