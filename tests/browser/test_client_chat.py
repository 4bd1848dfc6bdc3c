"""A visitor's chat in the browser: an FAQ answer, feedback, larger text, a phone screen,
reload, a network error and « Réessayer », the assistant down (docs/web-contract.md).

The answers are checked against the FAQ texts of domain.yml, not against guesses.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

from bot.entrypoints.launcher import free_port
from bot.settings import PROJECT_ROOT
from tests.browser.conftest import (
    OFFICE_PHONE, api_get, axe_check, conversation, folded, response_text, send,
    user_messages, wait_for_text, wait_idle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "je peux payer en CESU ?"
ANSWER = "utter_faq/payment_methods"
RETRIED = "comment je reçois mes factures ?"
RETRIED_ANSWER = "utter_faq/invoices"


def test_faq_answer_feedback_text_size_phone_and_reload(page, stack):
    page.goto(stack.config.gateway_url + "/")
    log = conversation(page)
    log.wait_for()
    assert page.get_attribute("html", "lang", timeout=5000).startswith("fr")
    assert log.get_attribute("aria-live") in (None, "polite")  # role=log is polite already
    for name in ("Annuler une intervention", "Changer un horaire", "Mes demandes"):
        assert page.get_by_role("button", name=name, exact=True).is_visible(), name
    assert page.get_by_role("link", name="Parler à quelqu'un").is_visible()
    axe_check(page, "page vide")

    def slow_answer(route):  # long enough to see « L'assistant écrit… »
        response = route.fetch()
        typing.append(page.get_by_text("L'assistant écrit…").is_visible())
        route.fulfill(response=response)

    typing = []
    page.route("**/api/messages", slow_answer)
    with page.expect_response("**/api/messages") as sent:
        send(page, QUESTION)
    answer = response_text(ANSWER)
    wait_for_text(page, answer)
    page.unroute("**/api/messages")
    assert typing == [True], "« L'assistant écrit… » n'apparaît pas pendant l'attente"
    [message] = sent.value.json()["messages"]
    assert folded(message["text"]) == answer and message["id"], message
    body = sent.value.request.post_data_json
    assert body["message"] == QUESTION
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", body["id"]), body
    assert sent.value.request.headers.get("x-csrf-token"), "pas d'en-tête X-CSRF-Token"
    wait_idle(page)
    assert QUESTION in log.inner_text()
    assert page.get_by_role("textbox", name="Votre message").input_value() == ""
    axe_check(page, "après une réponse")

    useful = page.get_by_role("button", name="Réponse utile", exact=True).last
    with page.expect_response("**/api/feedback") as voted:
        useful.click()
    assert voted.value.request.post_data_json == {"answer": message["id"], "value": "up"}
    assert voted.value.status == 200 and voted.value.json()["ok"] is True, voted.value.json()
    page.wait_for_function("b => b.getAttribute('aria-pressed') === 'true'",
                           arg=useful.element_handle())
    assert page.get_by_role("button", name="Réponse pas utile", exact=True).last \
        .get_attribute("aria-pressed") == "false"

    bigger = page.get_by_role("button", name="Texte plus grand")
    assert bigger.get_attribute("aria-pressed") == "false"
    size = _font_size(page)
    bigger.click()
    assert bigger.get_attribute("aria-pressed") == "true"
    page.wait_for_timeout(100)
    assert _font_size(page) > size, "« Texte plus grand » n'agrandit pas le texte"
    axe_check(page, "texte plus grand")

    page.reload()
    wait_for_text(page, answer)
    text = folded(conversation(page).inner_text())
    assert QUESTION in text and text.count(folded(answer)) == 1
    assert page.get_by_role("button", name="Réponse utile", exact=True).last \
        .get_attribute("aria-pressed") == "true", "le vote n'est pas gardé au rechargement"
    history = api_get(page, "/api/session")["body"]["history"]
    user, bot = history[-2:]
    assert (set(user), user["from"], user["text"]) == ({"from", "id", "text"}, "user", QUESTION)
    assert {"from", "id", "text", "feedback"} <= set(bot) <= {"from", "id", "text", "buttons",
                                                               "feedback"}, bot
    assert (bot["from"], bot["id"], bot["feedback"]) == ("bot", message["id"], "up")

    if bigger.get_attribute("aria-pressed") != "true":
        bigger.click()  # the phone with the larger text: the hardest case for the layout
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_timeout(100)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"la page déborde de {overflow} px en largeur sur un téléphone"
    for name in ("Envoyer", "Annuler une intervention", "Texte plus grand"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, name
    axe_check(page, "téléphone 360 px")


def _font_size(page) -> float:
    """The computed font size of the conversation's text, in px."""
    return page.evaluate("""() => {
        const log = document.querySelector('[role=log]');
        const p = log.querySelector('p, li, div') || log;
        return parseFloat(getComputedStyle(p).fontSize);
    }""")


def test_network_error_then_retry_reaches_the_assistant_once(page, stack):
    """The first send reaches the gateway (and Rasa) but its answer is lost on the way back:
    the page says so (role=alert, « Réessayer »); the retry sends the same id and the
    gateway answers without asking the assistant twice."""
    page.goto(stack.config.gateway_url + "/")
    conversation(page).wait_for()
    bodies = []

    def lose_the_answer(route):
        bodies.append(route.request.post_data_json)
        route.fetch()            # the gateway gets it and answers…
        route.abort("failed")    # …but the browser sees a network error

    page.route("**/api/messages", lose_the_answer)
    send(page, RETRIED)
    alert = page.get_by_role("alert")
    alert.wait_for()
    retry = page.get_by_role("button", name="Réessayer")
    retry.wait_for()
    assert alert.inner_text().strip(), "l'alerte est vide"
    axe_check(page, "état d'erreur")
    page.unroute("**/api/messages")

    with page.expect_request("**/api/messages") as sent:
        retry.click()
    wait_for_text(page, response_text(RETRIED_ANSWER))
    assert sent.value.post_data_json["id"] == bodies[0]["id"], "« Réessayer » change d'id"
    assert sent.value.post_data_json["message"] == bodies[0]["message"]
    page.get_by_role("alert").wait_for(state="hidden")
    assert user_messages(stack, RETRIED) == 1, "le message a atteint l'assistant deux fois"
    history = api_get(page, "/api/session")["body"]["history"]
    assert [e["text"] for e in history if e["from"] == "user"].count(RETRIED) == 1
    assert folded(conversation(page).inner_text()).count(RETRIED) == 1


# --- the assistant down, then back --------------------------------------------------------------

class Relay:
    """A TCP relay from a free port to Rasa: « down » while closed (connection refused),
    « back » once opened.  A second gateway talks to Rasa through it."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target = free_port(), target_port
        self.server = None

    def open(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.fixture
def gateway_without_rasa(stack):
    """A second real gateway (same store, same secret) whose Rasa goes through a closed
    relay: the assistant is down until ``relay.open()``."""
    relay = Relay(stack.config.rasa_port)
    port = free_port()
    env = dict(os.environ, **stack.config.env, AMPER_WEB_PORT=str(port),
               AMPER_RASA_PORT=str(relay.port), PYTHONUNBUFFERED="1")
    log = open(stack.config.var_dir / "log" / f"gateway-down-{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot.entrypoints.cli", "serve", "gateway"],
                            cwd=str(PROJECT_ROOT), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url + "/health", proc)
        yield url, relay
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
        relay.close()


def _wait_http(url: str, proc, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"la passerelle s'est arrêtée (code {proc.returncode})"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} ne répond pas")


def test_assistant_down_shows_the_french_alert_and_retry_sends_once(page, gateway_without_rasa,
                                                                    stack):
    url, relay = gateway_without_rasa
    page.goto(url + "/")
    conversation(page).wait_for()
    question = "je peux payer par chèque ?"
    with page.expect_response("**/api/messages") as refused:
        send(page, question)
    assert refused.value.status == 503
    error = refused.value.json()["error"]
    alert = page.get_by_role("alert")
    alert.wait_for()
    text = folded(alert.inner_text())
    assert "L'assistant ne répond pas pour le moment" in text, text
    assert folded(error) in text and OFFICE_PHONE in text, (error, text)
    call = page.get_by_role("link", name="Parler à quelqu'un")
    assert call.get_attribute("href").startswith("tel:"), "pas de lien tel: pour joindre le bureau"
    assert call.get_attribute("href")[4:].replace("+33", "0") == OFFICE_PHONE.replace(" ", "")
    retry = page.get_by_role("button", name="Réessayer")
    axe_check(page, "assistant injoignable")
    assert user_messages(stack, question) == 0

    relay.open()  # the assistant is back
    retry.click()
    wait_for_text(page, response_text(ANSWER))
    page.get_by_role("alert").wait_for(state="hidden")
    assert folded(conversation(page).inner_text()).count(question) == 1
    assert user_messages(stack, question) == 1, "le message a atteint l'assistant deux fois"
    axe_check(page, "après le retour de l'assistant")
