"""The page against hostile text and hostile pages: markup in the planning and in a message is
shown as text (no dialog, no element injected); a cross-origin page posting to the API with
the visitor's cookie gets 403 and records nothing; the session cookie is HttpOnly, SameSite=Lax.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from bot.domain.clock import PARIS
from tests.browser.conftest import (
    DEMO_PASSWORD, api_get, axe_check, conversation, database_url, folded, log_in, send,
    user_messages, wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CAREGIVER = "<img src=x onerror=alert(1)>"
MESSAGE = "<script>alert(1)</script>"
XSS_CLIENT = "1003"

#: elements the hostile texts would create if inserted as HTML
INJECTED = """() => document.querySelectorAll(
    'img[src="x"], img[onerror], [role=log] script, main script').length"""


@pytest.fixture(scope="module")
def hostile_planning(stack):
    """A line of client 1003's planning whose caregiver is HTML (imported before any page)."""
    from bot.adapters.planning_import import PlanningRow
    from bot.service_layer import services
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    start = (datetime.now(PARIS) + timedelta(days=6)).replace(hour=10, minute=0, second=0,
                                                              microsecond=0)
    row = PlanningRow(line=1, intervention_id="XSS-1003-1", client_id=XSS_CLIENT,
                      client_name="Mme Suzanne Bernard", sector="Nord", caregiver=CAREGIVER,
                      start=start, end=start + timedelta(hours=1), service="Ménage")
    services.import_rows(SqlAlchemyUnitOfWork(database_url(stack)), [row])
    return row


def test_markup_in_the_planning_and_in_a_message_stays_text(page, stack, hostile_planning):
    page.goto(stack.config.gateway_url + "/")
    log_in(page, f"client{XSS_CLIENT}", DEMO_PASSWORD)
    lines = api_get(page, "/api/planning")["body"]["interventions"]
    assert CAREGIVER in [line["caregiver"] for line in lines], "la ligne hostile manque"
    planning = page.locator("section, div", has=page.get_by_role("heading", name="Mon planning"))
    page.get_by_text(CAREGIVER, exact=False).first.wait_for()
    assert CAREGIVER in planning.last.inner_text()

    send(page, MESSAGE)
    conversation(page).filter(has_text=MESSAGE).wait_for()
    wait_idle(page)
    # the assistant's answer to a request lists the interventions (with their caregivers?)
    send(page, "je voudrais annuler une intervention")
    conversation(page).filter(has_text="Quelle intervention").wait_for()
    wait_idle(page)
    assert MESSAGE in conversation(page).inner_text()
    assert page.evaluate(INJECTED) == 0, "un élément a été injecté dans la page"
    assert page.evaluate("() => window.__xss === undefined")
    axe_check(page, "textes hostiles")

    page.reload()  # the history comes back as text too
    conversation(page).filter(has_text=MESSAGE).wait_for()
    page.get_by_text(CAREGIVER, exact=False).first.wait_for()
    assert page.evaluate(INJECTED) == 0, "un élément a été injecté au rechargement"
    page.wait_for_timeout(300)  # a late onerror would have fired by now (the page fixture
    #                             fails the test on any dialog)


CROSS_ORIGIN_POST = """async ([url, body]) => {
    // a "simple" request: no preflight, the browser sends it (with the cookie if same-site)
    await fetch(url, {method: "POST", mode: "no-cors", credentials: "include",
                      headers: {"Content-Type": "text/plain"}, body});
    // the JSON one: the preflight must not let it through
    try {
        const r = await fetch(url, {method: "POST", credentials: "include",
                                    headers: {"Content-Type": "application/json",
                                              "X-CSRF-Token": "devine"}, body});
        return "lisible : " + r.status;
    } catch (e) {
        return "bloquée";
    }
}"""


def attack(context, site_url: str, gateway: str, route: str, body: dict) -> int:
    """From a page of ``site_url``, posts ``body`` to the gateway's /api/``route``; the
    status the gateway answered to the simple (no-cors) post."""
    attacker = context.new_page()
    attacker.goto(site_url + "/")
    statuses = []
    attacker.on("response", lambda r: statuses.append(r.status)
                if r.url == f"{gateway}/api/{route}" and r.request.method == "POST" else None)
    outcome = attacker.evaluate(CROSS_ORIGIN_POST, [f"{gateway}/api/{route}", json.dumps(body)])
    assert outcome == "bloquée", f"/api/{route} depuis {site_url} : {outcome}"
    attacker.wait_for_timeout(200)
    attacker.close()
    assert statuses, f"/api/{route} depuis {site_url} : la requête n'est pas partie"
    return statuses[0]


def test_cross_origin_posts_are_refused_and_record_nothing(page, context, stack, other_site):
    gateway = stack.config.gateway_url
    page.goto(gateway + "/")
    conversation(page).wait_for()
    before = api_get(page, "/api/session")["body"]
    assert before["client"] is None

    cookies = {c["name"]: c for c in context.cookies(gateway)}
    assert cookies, "pas de cookie de session"
    for cookie in cookies.values():
        assert cookie["httpOnly"], f"cookie {cookie['name']} lisible par JavaScript"
        assert cookie["sameSite"] == "Lax", cookie
        assert cookie["path"] == "/"
    assert page.evaluate("document.cookie") == ""

    # another origin of the same site (127.0.0.1, another port: the Lax cookie goes along),
    # then another site (localhost: it does not); both without the CSRF token
    said = "attaque-csrf : annulez tout"
    for site_url in (other_site.url, other_site.cross_site_url):
        assert attack(context, site_url, gateway, "messages",
                      {"message": said, "id": "csrf-attack-0001"}) == 403
        assert attack(context, site_url, gateway, "login",
                      {"login": "client1004", "password": DEMO_PASSWORD}) == 403

    after = api_get(page, "/api/session")["body"]
    assert after["client"] is None, "connexion forcée par une autre origine"
    assert all(e.get("text") != said for e in after["history"])
    assert user_messages(stack, said) == 0
    assert api_get(page, "/api/planning")["status"] == 401
    cookies_after = {c["name"]: c["value"] for c in context.cookies(gateway)}
    assert cookies_after == {name: c["value"] for name, c in cookies.items()}
    axe_check(page, "après les attaques")
