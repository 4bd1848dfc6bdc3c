"""A client's requests in the browser: log in (demo logins), « Mon planning », cancel a line
with the mouse and with the keyboard only, the reference « AMP-… » recorded in the store
(``amper requests list --json``) and shown under « Mes demandes »; log out."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import (
    DEMO_PASSWORD, api_get, axe_check, conversation, folded, log_in, requests_of, send,
    wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REFERENCE = re.compile(r"AMP-[A-Z0-9-]+")
#: a planning line and a request of /api/planning (docs/web-contract.md)
LINE_KEYS = {"id", "when", "date", "hours", "caregiver", "service", "cancel", "change"}
REQUEST_KEYS = {"reference", "kind", "status", "intervention"}
WHEN = re.compile(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) (1er|[0-9]{1,2}) "
                  r"[a-zéû]+")
HOURS = re.compile(r"de [0-9]{1,2} h( [0-9]{2})? à [0-9]{1,2} h( [0-9]{2})?")
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def french_date(day: date) -> str:
    """« mardi 8 décembre » (docs/web-contract.md)."""
    from bot.domain.fr_format import MONTHS

    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()]} {number} {MONTHS[day.month - 1]}"


def cancellable_line(page, min_days: int = 3) -> dict:
    """A planning line at least ``min_days`` away whose day is the only one of its kind in
    the planning (so that its buttons' names are unique)."""
    planning = api_get(page, "/api/planning")
    assert planning["status"] == 200, planning
    lines = planning["body"]["interventions"]
    assert lines, "planning vide"
    for line in lines:
        assert set(line) == LINE_KEYS, line
        assert WHEN.fullmatch(line["when"]) and HOURS.fullmatch(line["hours"]), line
        assert line["when"] == french_date(date.fromisoformat(line["date"])), line
    days = [line["when"] for line in lines]
    soon = date.today() + timedelta(days=min_days)
    for line in lines:
        if days.count(line["when"]) == 1 and date.fromisoformat(line["date"]) >= soon:
            return line
    raise AssertionError(f"aucune ligne utilisable dans {days}")


def reference_in(page) -> str:
    log = conversation(page)
    log.filter(has_text=REFERENCE).wait_for()
    found = REFERENCE.findall(log.inner_text())
    assert found, log.inner_text()
    return found[-1]


def bot_button(page, title: str):
    """The last button ``title`` offered in the conversation."""
    return conversation(page).get_by_role("button", name=title).last


def test_log_in_cancel_with_buttons_and_keyboard_and_see_the_request(page, stack):
    page.goto(stack.config.gateway_url + "/")
    page.get_by_role("button", name="Se connecter").wait_for()
    axe_check(page, "non connecté")

    page.get_by_role("textbox", name="Numéro de client ou identifiant").fill("client1001")
    page.get_by_label("Mot de passe", exact=True).fill("mauvais")
    with page.expect_response("**/api/login") as refused:
        page.get_by_role("button", name="Se connecter").click()
    assert refused.value.status == 401
    error = refused.value.json()["error"]
    page.get_by_role("alert").filter(has_text=error).wait_for()
    axe_check(page, "connexion refusée")

    before = session_cookie(page.context, stack)
    log_in(page)
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert session_cookie(page.context, stack) != before, "session non renouvelée à la connexion"
    axe_check(page, "connecté, planning")

    line = cancellable_line(page)
    cancel = page.get_by_role("button", name=f"Annuler l'intervention du {line['when']} {line['hours']}")
    cancel.wait_for()  # the planning is drawn after the login's answer
    assert cancel.count() == 1
    assert page.get_by_role("button", name=f"Changer l'horaire du {line['when']} {line['hours']}").count() == 1
    names = page.locator(".visit-actions button").evaluate_all(
        "nodes => nodes.map(n => n.textContent.trim())")
    assert len(names) == len(set(names)), "deux boutons du planning portent le même nom"
    cancel.click()
    bot_button(page, "Raison personnelle").wait_for()
    axe_check(page, "formulaire : raison")
    bot_button(page, "Raison personnelle").click()

    conversation(page).filter(has_text="Confirmez-vous").wait_for()
    wait_idle(page)
    assert requests_of(stack, "1001") == [], "une demande enregistrée avant le « oui »"
    box = page.get_by_role("textbox", name="Votre message")
    box.fill("oui")
    box.press("Enter")  # the keyboard this time
    reference = reference_in(page)
    wait_idle(page)
    axe_check(page, "demande enregistrée")

    [row] = requests_of(stack, "1001")
    assert row["reference"] == reference
    assert (row["kind"], row["channel"], row["intervention_start"][:10]) == \
        ("cancellation", "web", line["date"])

    # « Mes demandes » shows it after the answer, and still after a reload
    requests_section(page).filter(has_text=reference).wait_for()
    page.reload()
    requests_section(page).filter(has_text=reference).wait_for()
    requests = api_get(page, "/api/planning")["body"]["requests"]
    assert [r["reference"] for r in requests] == [reference]
    assert set(requests[0]) == REQUEST_KEYS, requests[0]
    # no dispatcher in this stack: the request waits in the outbox
    assert requests[0]["status"] == "Enregistrée, transmission en cours", requests[0]
    assert requests[0]["kind"] == "Annulation"
    assert line["when"] in requests[0]["intervention"]
    text = folded(requests_section(page).inner_text())
    assert "Annulation" in text and requests[0]["status"] in text, text
    axe_check(page, "Mes demandes")


def requests_section(page):
    """The part of the page under the heading « Mes demandes »."""
    page.get_by_role("heading", name="Mes demandes").wait_for()
    return page.locator("section", has=page.get_by_role("heading", name="Mes demandes")).last


def focused(page) -> str:
    """The accessible-ish name of the focused element (its aria-label or text)."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el) return '';
        return (el.getAttribute('aria-label') || el.innerText || el.value || '').trim();
    }""")


def tab_to(page, locator, presses: int = 120) -> None:
    """Presses Tab until ``locator`` has the focus (keyboard only: no click, no .focus())."""
    handle = locator.element_handle()
    for _ in range(presses):
        if page.evaluate("el => el === document.activeElement", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab n'atteint jamais {locator} (focus sur « {focused(page)} »)")


def assert_focus_visible(page) -> None:
    style = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return {outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow};
    }""")
    assert not style["outline"].startswith("none") or style["shadow"] != "none", \
        f"focus invisible sur « {focused(page)} » : {style}"


def session_cookie(context, stack) -> str:
    [value] = [c["value"] for c in context.cookies(stack.config.gateway_url)]
    return value


def test_keyboard_only_cancellation_then_logout(page, stack, browser):
    """Tab, Enter and Space only: log in, cancel a line, confirm; then log out."""
    page.goto(stack.config.gateway_url + "/")
    login_box = page.get_by_role("textbox", name="Numéro de client ou identifiant")
    login_box.wait_for()
    tab_to(page, login_box)
    page.keyboard.type("client1002")
    tab_to(page, page.get_by_label("Mot de passe", exact=True))
    page.keyboard.type(DEMO_PASSWORD)
    tab_to(page, page.get_by_role("button", name="Se connecter"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Mon planning").wait_for()

    line = cancellable_line(page)
    tab_to(page, page.get_by_role("button", name=f"Annuler l'intervention du {line['when']} {line['hours']}"))
    assert_focus_visible(page)
    page.keyboard.press("Space")
    reason = bot_button(page, "Raison personnelle")
    reason.wait_for()
    wait_idle(page)
    tab_to(page, reason)
    page.keyboard.press("Enter")
    yes = bot_button(page, "Oui")
    yes.wait_for()
    wait_idle(page)
    tab_to(page, yes)
    assert_focus_visible(page)
    page.keyboard.press("Space")
    reference = reference_in(page)
    [row] = requests_of(stack, "1002")
    assert (row["reference"], row["intervention_start"][:10]) == (reference, line["date"])
    axe_check(page, "demande au clavier")

    logged_in_cookie = session_cookie(page.context, stack)
    logout = page.get_by_role("button", name="Se déconnecter")
    tab_to(page, logout)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Se connecter").wait_for()
    assert page.get_by_role("heading", name="Mon planning").count() == 0
    assert api_get(page, "/api/planning")["status"] == 401
    assert api_get(page, "/api/session")["body"]["client"] is None
    axe_check(page, "déconnecté")
    # the cookie of before the logout opens nothing any more
    old = browser.new_context()
    old.add_cookies([{"name": "amper_session", "value": logged_in_cookie,
                      "url": stack.config.gateway_url}])
    assert old.request.get(stack.config.gateway_url + "/api/planning").status == 401
    old.close()

    # a request after the logout: the assistant asks who we are, nothing is recorded
    send(page, "je voudrais annuler une intervention")
    conversation(page).filter(has_text="je dois savoir qui vous êtes").wait_for()
    wait_idle(page)
    assert "connectez-vous" in folded(conversation(page).inner_text())
    assert len(requests_of(stack, "1002")) == 1
