"""The sector office's inbox (``/bureau``, issue 22): the page only.

The template (templates/bureau.html) holds the page's fixed French (headings, labels, help);
the sentences the scripts show are in :data:`bot.web.wording.OFFICE_PAGE_TEXTS`, given to
them as JSON (``<script type="application/json" id="amper-texts">``), beside the page's data
(``id="amper-data"``: the request to open).  The scripts (static/common.js, staff-login.js, then
bureau-list.js, bureau-detail.js, bureau-live.js, bureau-summary.js and bureau.js) talk to
the ``/api/bureau/…`` routes of docs/office-contract.md and insert what they return as text.
Whether the visitor is an office is decided by the API (``GET /api/session``); the page only
starts on the right panel.

``GET /bureau/demande/{reference}`` (the link of the forwarding e-mail) is the same page,
opening that request; a reference of the wrong shape is ignored (the list is shown).
"""
from __future__ import annotations

import re
from typing import Optional

import aiohttp_jinja2
from aiohttp import web

from bot.web import pages, wording

OFFICE_PAGES = web.AppKey("office_pages", bool)
REFERENCE = re.compile(r"AMP-\d{4}-\d{6}")


def setup_office_pages(app: web.Application) -> None:
    """``GET /bureau`` and ``GET /bureau/demande/{reference}`` on the gateway (once; a second
    call is a no-op).  Sets up the templates and static files first when
    :func:`bot.web.pages.setup_pages` has not."""
    if app.get(OFFICE_PAGES):
        return
    app[OFFICE_PAGES] = True
    pages.setup_pages(app)
    app.router.add_get("/bureau", office_page)
    app.router.add_get("/bureau/demande/{reference}", office_page)


async def office_page(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("bureau.html", request, office_context(request))


def office_reference(raw: Optional[str]) -> Optional[str]:
    """``raw`` when it is a request reference (``AMP-2026-000123``, any case), upper-cased;
    else None."""
    value = (raw or "").strip().upper()
    return value if REFERENCE.fullmatch(value) else None


def office_context(request: web.Request) -> dict:
    session = request.get("session")
    office = bool(getattr(session, "office", False)) and bool(getattr(session, "staff", None))
    return {"texts": wording.OFFICE_PAGE_TEXTS, "title": wording.OFFICE_PAGE_TITLE,
            "status_filters": wording.OFFICE_STATUS_FILTERS,
            "kind_filters": wording.OFFICE_KIND_FILTERS, "office": office,
            "data": {"reference": office_reference(request.match_info.get("reference"))}}
