"""The phone-line staff's screen (``/conseiller``, issue 21): the page only.

The template (templates/conseiller.html) holds every French sentence and the lists the page
offers (FAQ topics for labelling, callback topics); the scripts (static/common.js, staff-login.js, then
staff-answers.js, staff-caller.js, staff-questions.js and conseiller.js) talk to the
``/api/conseiller/…`` routes of docs/staff-contract.md and inserts what they return as
text.  Whether the visitor is a staff member is decided by the API (``GET /api/session``);
the page only starts on the right panel.
"""
from __future__ import annotations

from typing import List, Tuple

import aiohttp_jinja2
from aiohttp import web

from bot.web import pages
from bot.web.http import CONFIG

STAFF_PAGES = web.AppKey("staff_pages", bool)

#: The callback form's « Sujet » (value sent to POST /api/conseiller/rappels, French label).
CALLBACK_TOPICS: List[Tuple[str, str]] = [
    ("annulation", "Annulation"),
    ("changement", "Changement d'horaire"),
    ("facturation", "Facturation"),
    ("autre", "Autre"),
]
#: The label of a question the FAQ has no topic for yet.
NEW_TOPIC = ("nouveau", "Nouveau sujet")


def setup_staff_pages(app: web.Application) -> None:
    """``GET /conseiller`` on the gateway (once; a second call is a no-op).  Sets up the
    templates and static files first when :func:`bot.web.pages.setup_pages` has not."""
    if app.get(STAFF_PAGES):
        return
    app[STAFF_PAGES] = True
    pages.setup_pages(app)
    app.router.add_get("/conseiller", staff_page)


async def staff_page(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("conseiller.html", request, staff_context(request))


def staff_context(request: web.Request) -> dict:
    config = request.app[CONFIG]
    contact = config.get("contact")
    session = request.get("session")
    staff = getattr(session, "staff", None) if session is not None else None
    phone = getattr(contact, "phone", "") or ""
    return {"faq_topics": faq_topics(config), "callback_topics": CALLBACK_TOPICS,
            "new_topic": NEW_TOPIC, "staff": staff, "phone": phone,
            "phone_href": pages.phone_href(phone) if phone else ""}


def faq_topics(config) -> List[Tuple[str, str]]:
    """[(key, title)] of the FAQ, in the FAQ page's order: what the gateway configured
    (``faq_topics``), else the registry of bot.faq.topics."""
    given = config.get("faq_topics") if hasattr(config, "get") else None
    if given:
        return [(str(key), str(title)) for key, title in given]
    from bot.faq.topics import FAQ_TOPICS

    return list(FAQ_TOPICS.items())
