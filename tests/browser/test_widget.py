"""The widget on another site: the demo host page (another port, so another origin) embeds
``<gateway>/widget.js``; « Discuter avec AMPER » opens the iframe « Assistant AMPER », where
the chat and the login work (the session cookie inside the iframe).  A site that is not in
AMPER_WEB_EMBED_ORIGINS cannot frame /widget (CSP frame-ancestors)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import (
    axe_check, conversation, log_in, response_text, send, wait_for_text, wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "je peux payer en CESU ?"
ANSWER = "utter_faq/payment_methods"


def widget_frame(page):
    handle = page.wait_for_selector('iframe[title="Assistant AMPER"]')
    frame = handle.content_frame()
    assert frame is not None
    return frame


def test_widget_on_another_site_chats_and_logs_in(page, stack):
    host, gateway = stack.config.demo_host_url, stack.config.gateway_url
    assert host.split(":")[-1] != gateway.split(":")[-1]
    page.goto(host + "/")
    assert page.locator(f'script[src="{gateway}/widget.js"]').count() == 1
    opener = page.get_by_role("button", name="Discuter avec AMPER")
    opener.wait_for()
    axe_check(page, "site hôte, widget fermé")
    opener.click()

    widget = page.frame_locator('iframe[title="Assistant AMPER"]')
    conversation(widget).wait_for()
    frame = widget_frame(page)
    assert frame.url.startswith(gateway + "/widget"), frame.url
    if opener.get_attribute("aria-expanded") is not None:
        assert opener.get_attribute("aria-expanded") == "true"

    send(widget, QUESTION)
    wait_for_text(widget, response_text(ANSWER))
    wait_idle(widget)
    axe_check(page, "site hôte, widget ouvert")
    axe_check(frame, "contenu du widget")

    # the session cookie works inside the iframe (same site, SameSite=Lax)
    log_in(widget, "client1005")
    widget.get_by_role("button", name="Se déconnecter").wait_for()
    widget.get_by_role("button", name="Annuler l'intervention du").first.wait_for()
    axe_check(frame, "widget, connecté")


def test_a_site_not_in_the_embed_origins_cannot_frame_the_widget(page, context, stack,
                                                                other_site):
    gateway = stack.config.gateway_url
    other_site.pages["/cadre"] = ('<!doctype html><html lang="fr"><title>Autre site</title>'
                                  f'<iframe title="volé" src="{gateway}/widget"></iframe>')
    answer = context.request.get(gateway + "/widget")
    csp = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors" in csp and other_site.url not in csp, csp
    assert stack.config.demo_host_url in csp, csp

    refused = []
    page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
    with page.expect_response(lambda r: r.url == gateway + "/widget") as framed:
        page.goto(other_site.url + "/cadre")
    assert framed.value.status == 200  # served, but the browser must not show it
    page.wait_for_timeout(500)
    stolen = page.frame_locator('iframe[title="volé"]')
    assert stolen.get_by_role("textbox", name="Votre message").count() == 0, \
        "le widget s'affiche dans un site non autorisé"
    assert refused, "Chromium n'a pas signalé le refus (frame-ancestors)"
