"""The phone-line staff's screen (/conseiller, issue 21) in the browser, against the real
stack (docs/staff-contract.md): the login (a client account refused), the answer panel
(debounced, the stale answer dropped, Enter copies the first answer: read back from the
clipboard), the caller's file (a Nord client found by bureau.nord, a Sud one not), a
cancellation taken through the caller chat and recorded with channel ``phone`` and actor
``bureau.nord`` (``amper requests list --json``), the caller's history restored, a callback
request, and the questions the assistant could not answer — filled by real conversations on
the client page, labelled, exported and read back by Rasa's own NLU reader.  axe-core on
every state; the layout at 1280 and 1024 px.

Demo clients of this module: 1006–1010 (Nord) and 1016–1020 (Sud), used by no other module.
"""
from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import (
    DEMO_PASSWORD, api_get, axe_check, folded, requests_of, send, wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STAFF = "bureau.nord"
REFERENCE = re.compile(r"AMP-[A-Z0-9-]+")
STAFF_ROUTES_GET = ["/api/conseiller/reponse?q=paiement", "/api/conseiller/clients?q=Leroy",
                    "/api/conseiller/clients/1006", "/api/conseiller/questions",
                    "/api/conseiller/questions/export"]
STAFF_ROUTES_POST = [
    ("/api/conseiller/messages", {"client": "1006", "message": "bonjour", "id": "staff-test-0001"}),
    ("/api/conseiller/rappels", {"client": "1006", "phone": "0102030405", "best_time": "matin",
                                 "topic": "autre"}),
    ("/api/conseiller/questions/label", {"ids": [1], "topic": "nouveau"}),
]
#: an answer of GET /api/conseiller/reponse (docs/staff-contract.md)
ANSWER_KEYS = {"topic", "title", "text", "confidence", "confidence_words", "rules"}
LINE_KEYS = {"id", "when", "date", "hours", "caregiver", "service", "cancel", "change",
             "cancel_rule", "change_rule", "cancel_billed", "change_in_time"}


# --- the gateway serving /conseiller ------------------------------------------------------------

@pytest.fixture(scope="module")
def screen(stack):
    """The address of the stack's gateway (which serves /conseiller and its API)."""
    return stack.config.gateway_url


# --- helpers -----------------------------------------------------------------------------------

def open_screen(page, screen):
    page.goto(screen + "/conseiller")
    page.get_by_role("button", name="Se connecter").wait_for()


def staff_log_in(page, screen, login: str = STAFF) -> None:
    open_screen(page, screen)
    page.get_by_label("Identifiant", exact=True).fill(login)
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()


def answers_region(page):
    return page.get_by_role("region", name="Réponses")


def caller_chat(page):
    return page.get_by_role("log", name="Conversation avec l'appelant")


def question_box(page):
    return page.get_by_role("searchbox", name="Question de l'appelant")


def open_file(page, query: str, name: str, number: str):
    box = page.get_by_role("searchbox", name="Rechercher un client")
    box.fill(query)
    found = page.get_by_role("list", name="Clients trouvés")
    found.get_by_role("button", name=f"{name} (n° {number})", exact=True).click()
    page.get_by_role("heading", name=f"Dossier de {name}", exact=True).wait_for()


def bot_button(page, title: str):
    return caller_chat(page).get_by_role("button", name=title).last


def wait_chat_idle(page) -> None:
    page.get_by_text("L'assistant écrit…").wait_for(state="hidden")


def post_json(page, path: str, body: dict) -> dict:
    """POST ``body`` from the page with its cookies and the session's CSRF token."""
    return page.evaluate(
        """async ([path, body]) => {
            const s = await (await fetch("/api/session", {credentials: "same-origin"})).json();
            const r = await fetch(path, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": s.csrf},
                body: JSON.stringify(body)});
            let data = null;
            try { data = await r.json(); } catch (e) { data = null; }
            return {status: r.status, body: data};
        }""", [path, body])


def status_of(page, path: str) -> dict:
    return page.evaluate(
        """async (path) => {
            const r = await fetch(path, {credentials: "same-origin"});
            let data = null;
            try { data = await r.json(); } catch (e) { data = null; }
            return {status: r.status, body: data};
        }""", path)


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


# --- login ---------------------------------------------------------------------------------------

def test_a_client_account_cannot_use_the_staff_screen_nor_its_api(page, stack, screen):
    open_screen(page, screen)
    axe_check(page, "non connecté")
    for path in STAFF_ROUTES_GET:  # no login at all: 401
        assert status_of(page, path)["status"] == 401, path

    page.get_by_label("Identifiant", exact=True).fill("client1008")
    page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("alert").filter(has_text="Réservé aux conseillers.").wait_for()
    assert page.get_by_role("searchbox", name="Question de l'appelant").count() == 0
    axe_check(page, "compte client refusé")

    # a client's session (logged in through the API): 403 on every staff route
    login = post_json(page, "/api/login", {"login": "client1008", "password": DEMO_PASSWORD})
    assert login["status"] == 200 and login["body"]["client"] == 1008, login
    assert login["body"].get("staff") is None, login
    for path in STAFF_ROUTES_GET:
        answer = status_of(page, path)
        assert answer["status"] == 403, (path, answer)
        if path.endswith("/export"):
            continue
        assert answer["body"] == {"error": "Réservé aux conseillers."}, (path, answer)
    for path, body in STAFF_ROUTES_POST:
        answer = post_json(page, path, body)
        assert answer["status"] == 403 and answer["body"]["error"] == "Réservé aux conseillers.", \
            (path, answer)
    page.reload()
    page.get_by_role("alert").filter(has_text="Réservé aux conseillers.").wait_for()
    assert page.get_by_role("region", name="Réponses").count() == 0


# --- the answer panel -------------------------------------------------------------------------

def test_a_staff_member_types_a_question_and_copies_the_answer(page, context, stack, screen):
    context.grant_permissions(["clipboard-read", "clipboard-write"],
                              origin=screen)
    staff_log_in(page, screen)
    who = page.locator("#who").inner_text()
    assert STAFF in who and "Nord" in who, who
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/conseiller/reponse" in r.url else None)

    # typing: one query per pause, not per keystroke; the answer of the last one shown
    box = question_box(page)
    with page.expect_response(lambda r: "/api/conseiller/reponse" in r.url
                              and "annuler" in r.url) as answered:
        box.press_sequentially("délai pour annuler", delay=40)
    data = answered.value.json()
    assert set(data) >= {"query", "answers", "close"} and data["answers"], data
    for answer in data["answers"]:
        assert set(answer) >= ANSWER_KEYS, answer
        assert answer["confidence_words"] in ("sûr", "probable", "incertain"), answer
    best = data["answers"][0]
    region = answers_region(page)
    assert region.get_attribute("aria-live") == "polite"
    region.get_by_role("heading", name=best["title"], exact=True).wait_for()
    assert len(asked) <= 3, f"{len(asked)} requêtes pour {len('délai pour annuler')} touches"
    shown = len(data["answers"]) if data["close"] else 1
    assert region.get_by_role("button", name="Copier la réponse").count() == shown
    meter = region.get_by_role("meter", name="Confiance").first
    assert meter.get_attribute("aria-valuenow") == str(round(best["confidence"] * 100))
    assert best["confidence_words"] in folded(region.inner_text())
    marks = region.locator("article").first.locator("mark").all_inner_texts()
    assert marks and set(marks) <= set(best["rules"]) and marks[0] in best["text"], marks
    assert folded(best["text"]) in folded(region.inner_text())
    axe_check(page, "réponse affichée")

    # Enter in the box copies the first answer; « Copié » is shown
    box.press("Enter")
    region.get_by_text("Copié", exact=True).wait_for()
    assert clipboard(page) == best["text"]

    # the button, on the second answer when there is one
    page.evaluate("navigator.clipboard.writeText('')")
    region.get_by_role("button", name="Copier la réponse").last.click()
    region.get_by_text("Copié", exact=True).wait_for()
    assert clipboard(page) == data["answers"][shown - 1]["text"]

    # a slow answer to an older query never replaces the newest one's
    page.evaluate("""() => {
        const original = window.fetch;
        window.fetch = (url, init) => String(url).includes("facture")
            ? new Promise(done => setTimeout(done, 1500)).then(() => original(url, init))
            : original(url, init);
    }""")
    box.fill("recevoir ma facture")
    page.wait_for_timeout(450)  # the debounce is over: that query is on its way (slowly)
    with page.expect_response(lambda r: "/api/conseiller/reponse" in r.url
                              and "CESU" in r.url) as answered:
        box.fill("payer en CESU")
    newest = answered.value.json()["answers"][0]["title"]
    region.get_by_role("heading", name=newest, exact=True).wait_for()
    page.wait_for_timeout(1800)  # the older answer would have arrived by now
    headings = region.get_by_role("heading").all_inner_texts()
    assert headings[0] == newest, headings
    assert "payer en CESU" in region.inner_text()

    # too short, then nothing sure enough: said in words, nothing to copy
    box.fill("ab")
    region.get_by_text("Tapez au moins 3 caractères.").wait_for()
    with page.expect_response(lambda r: "/api/conseiller/reponse" in r.url) as answered:
        box.fill("zzzz qqqq wwww")
    nothing = answered.value.json()
    if not nothing["answers"]:
        region.get_by_text(nothing.get("message") or "Pas de réponse").wait_for()
        assert region.get_by_role("button", name="Copier la réponse").count() == 0


# --- the caller's file and the caller chat -------------------------------------------------------

def test_a_staff_member_cancels_for_a_caller_of_the_sector(page, stack, screen):
    staff_log_in(page, screen)
    axe_check(page, "connecté")

    # a Sud client is not found by bureau.nord, by name nor by number; its file is a 404
    search = page.get_by_role("searchbox", name="Rechercher un client")
    for query in ("Vincent", "1016"):
        with page.expect_response(lambda r: "/api/conseiller/clients?" in r.url):
            search.fill(query)
        page.get_by_text("Aucun client trouvé dans vos secteurs.").wait_for()
        assert page.get_by_role("list", name="Clients trouvés").count() == 0
    sud = status_of(page, "/api/conseiller/clients/1016")
    assert sud["status"] == 404 and sud["body"]["error"] == "Client introuvable dans vos secteurs."

    # a Nord client, found by a part of the name without its accent
    open_file(page, "moreau", "Mme Odette Moreau", "1007")
    axe_check(page, "dossier de l'appelant")
    file = api_get(page, "/api/conseiller/clients/1007")["body"]
    assert set(file) >= {"client", "interventions", "requests", "history"}
    lines = file["interventions"]
    for line in lines:
        assert set(line) >= LINE_KEYS, line
    billed = [line for line in lines if line["cancel_billed"]]
    assert billed, "aucune intervention à moins de 48 h dans la démo"
    section = page.locator("li", has_text=billed[0]["cancel_rule"]).first
    assert "Facturée" in section.inner_text()  # in words, and marked (the badge)
    late = [line for line in lines if not line["change_in_time"]]
    assert late and "Hors délai" in page.locator("li", has_text=late[0]["change_rule"]).first \
        .inner_text()
    assert page.get_by_label("Numéro à rappeler").input_value() == (file["client"]["phone"] or "")

    # the cancellation of a line far enough ahead, through the caller chat
    days = [line["when"] for line in lines]
    soon = date.today() + timedelta(days=3)
    line = next(x for x in lines if days.count(x["when"]) == 1
                and date.fromisoformat(x["date"]) >= soon)
    label = f"Annuler l'intervention du {line['when']} {line['hours']}"
    with page.expect_request("**/api/conseiller/messages") as sent:
        page.get_by_role("button", name=label, exact=True).click()
    body = sent.value.post_data_json
    assert body["client"] in ("1007", 1007) and body["message"] == line["cancel"], body
    assert body["label"] == label and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", body["id"]), body
    assert sent.value.headers.get("x-csrf-token"), "POST sans X-CSRF-Token"
    bot_button(page, "Raison personnelle").wait_for()
    wait_chat_idle(page)
    axe_check(page, "conversation avec l'appelant")
    bot_button(page, "Raison personnelle").click()
    caller_chat(page).filter(has_text="Confirmez-vous").wait_for()
    wait_chat_idle(page)
    assert requests_of(stack, "1007") == [], "une demande enregistrée avant le « oui »"
    box = page.get_by_role("textbox", name="Message pour l'assistant")
    box.fill("oui")
    box.press("Enter")
    caller_chat(page).filter(has_text=REFERENCE).wait_for()
    wait_chat_idle(page)
    reference = REFERENCE.findall(caller_chat(page).inner_text())[-1]

    [row] = requests_of(stack, "1007")
    assert (row["reference"], row["kind"], row["channel"], row["actor"]) == \
        (reference, "cancellation", "phone", STAFF), row
    assert row["intervention_id"] == line["id"]

    # the callback request
    page.get_by_label("Moment préféré").fill("demain matin")
    form = page.get_by_role("form", name="Demande de rappel")
    form.get_by_label("Sujet").select_option(label="Facturation")
    if not page.get_by_label("Numéro à rappeler").input_value():
        page.get_by_label("Numéro à rappeler").fill("01 23 45 67 89")
    with page.expect_response("**/api/conseiller/rappels") as answered:
        form.get_by_role("button", name="Demander le rappel").click()
    callback = answered.value.json()
    assert answered.value.status == 200 and callback.get("reference"), callback
    assert answered.value.request.post_data_json["topic"] == "facturation"
    form.get_by_role("status").filter(has_text=callback["reference"]).wait_for()
    axe_check(page, "rappel demandé")

    # the file shows the request (refreshed after the answer)
    after = api_get(page, "/api/conseiller/clients/1007")
    assert after["status"] == 200, f"dossier après la demande : {after}"
    assert reference in [r["reference"] for r in after["body"]["requests"]], after
    page.locator("#file-requests").filter(has_text=reference).wait_for()

    # the caller's history comes back with their file after a reload
    page.reload()
    page.get_by_role("button", name="Se déconnecter").wait_for()
    open_file(page, "1007", "Mme Odette Moreau", "1007")
    caller_chat(page).filter(has_text=reference).wait_for()
    assert label in caller_chat(page).inner_text()


def test_the_caller_chat_needs_a_caller_and_the_buttons_are_keyboard_reachable(page, stack, screen):
    staff_log_in(page, screen)
    send_button = page.get_by_role("button", name="Envoyer", exact=True)
    page.get_by_role("textbox", name="Message pour l'assistant").fill("bonjour")
    send_button.click()
    page.get_by_role("alert").filter(has_text="Choisissez d'abord un client").wait_for()
    # keyboard: the client search, Enter on the only result opens the file
    search = page.get_by_role("searchbox", name="Rechercher un client")
    search.focus()
    with page.expect_response(lambda r: "/api/conseiller/clients?" in r.url):
        page.keyboard.type("Lefebvre")
    page.get_by_role("button", name="M. Robert Lefebvre (n° 1010)").wait_for()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Dossier de M. Robert Lefebvre").wait_for()
    assert page.evaluate("document.activeElement.id") == "file-title"
    assert page.get_by_role("alert").filter(has_text="Choisissez").count() == 0


# --- the unanswered questions --------------------------------------------------------------------

UNANSWERED = ["Avez-vous un parking pour les visiteurs ?",
              "Quel temps fera-t-il demain à Lille ?"]


def test_unanswered_questions_from_real_conversations_labelled_and_exported(
        page, stack, screen, tmp_path):
    # a visitor on the client page asks what the FAQ cannot answer, and says so
    page.goto(screen + "/")
    log = page.get_by_role("log", name="Conversation")
    for question in UNANSWERED:
        send(page, question)
        wait_idle(page)
        with page.expect_response("**/api/feedback") as voted:
            log.get_by_role("button", name="Réponse pas utile").last.click()
        assert voted.value.status == 200, voted.value.text()

    # the staff sees them grouped, labels one, exports
    staff_log_in(page, screen)
    page.get_by_role("heading", name="Questions sans réponse").wait_for()
    group = page.locator("li.group", has_text="parking").first
    group.wait_for()
    text = folded(group.inner_text())
    assert "avis négatif" in text and re.search(r"\b[0-9]+ fois\b", text), text
    groups = api_get(page, "/api/conseiller/questions")["body"]["groups"]
    parking = next(g for g in groups if "parking" in g["example"])
    assert set(parking) >= {"id", "example", "count", "first", "last", "kinds", "questions"}
    assert parking["kinds"].get("thumbs_down", 0) >= 1 or parking["kinds"].get("fallback", 0) >= 1
    axe_check(page, "questions sans réponse")

    group.get_by_label("Sujet").select_option("nouveau")
    with page.expect_response("**/api/conseiller/questions/label") as labelled:
        group.get_by_role("button", name="Étiqueter").click()
    assert labelled.value.status == 200 and labelled.value.json()["labelled"] >= 1
    group.get_by_role("status").filter(has_text="étiquetée").wait_for()

    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter les questions étiquetées").click()
    exported = tmp_path / "questions-etiquetees.yml"
    download.value.save_as(exported)
    assert download.value.suggested_filename == "questions-etiquetees.yml"
    content = exported.read_text(encoding="utf-8")
    assert "parking" in content, content

    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(exported))
    examples = {m.get("text"): m.get("intent") for m in data.intent_examples}
    found = [t for t in examples if "parking" in t]
    assert found and examples[found[0]] == "nouveau_sujet", examples
    # and Rasa's own validator accepts it beside our domain (the next training's input)
    import subprocess
    import sys
    from pathlib import Path

    rasa = Path(sys.executable).with_name("rasa")
    checked = subprocess.run(
        [str(rasa), "data", "validate", "--data", str(exported), "--domain", "domain.yml"],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]


# --- the layout ---------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [1280, 1024])
def test_the_screen_fits_a_laptop_and_keeps_16_px_text(page, stack, screen, width):
    page.set_viewport_size({"width": width, "height": 768})
    staff_log_in(page, screen)
    open_file(page, "1009", "Mme Yvonne Laurent", "1009")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        "défilement horizontal"
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll(
        'main p, main li, main label, main button, main a, main input, main h2, main h3')]
        .filter(e => e.offsetParent !== null && e.textContent.trim())
        .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 16, f"texte de {smallest} px"
    boxes = {name: page.locator(f".{name}-panel").bounding_box()
             for name in ("answers", "file", "chat")}
    assert boxes["answers"]["x"] < boxes["chat"]["x"], boxes  # side by side, not stacked
    axe_check(page, f"{width} px")
