"""The gateway's pages: the chat (``/``), the same chat for an iframe (``/widget``), the embed
script (``/widget.js``) and the static files (``/static/…``).

Server-rendered with aiohttp-jinja2, autoescape on; the French a page shows lives in its
template (bot/web/templates/), the browser code in bot/web/static/.  The pages only ever put
what the API returns into the page as text (docs/web-contract.md).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Tuple

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import settings as app_settings
from bot.web.app import CONFIG, SECURITY_HEADERS

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

PAGES = web.AppKey("pages", bool)
FRAMEABLE = "amper_frameable"  # request key: this response may be framed (no X-Frame-Options)
ORIGIN = re.compile(r"^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?$")


def setup_pages(app: web.Application) -> None:
    """Templates, page routes and static files on the gateway (once; a second call is a no-op)."""
    if app.get(PAGES):
        return
    app[PAGES] = True
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                         undefined=jinja2.StrictUndefined, default_helpers=False)
    app.router.add_get("/", chat_page)
    app.router.add_get("/widget", widget_page)
    app.router.add_get("/widget.js", widget_script)
    app.router.add_static("/static/", STATIC, name="static")
    app.on_response_prepare.append(_allow_framing)


# --- pages -----------------------------------------------------------------------------------

async def chat_page(request: web.Request) -> web.Response:
    return aiohttp_jinja2.render_template("chat.html", request, _chat_context(request, False))


async def widget_page(request: web.Request) -> web.Response:
    response = aiohttp_jinja2.render_template("chat.html", request, _chat_context(request, True))
    response.headers["Content-Security-Policy"] = widget_policy(embed_origins(request.app))
    request[FRAMEABLE] = True
    return response


async def widget_script(request: web.Request) -> web.Response:
    text = aiohttp_jinja2.render_string("widget.js", request, {})
    response = web.Response(text=text, content_type="text/javascript", charset="utf-8")
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def render_notice(request: web.Request, title: str, message: str, *, status: int = 200,
                  back: bool = True) -> web.Response:
    """A short French HTML page (an error or an information), with a link back to « / »."""
    return aiohttp_jinja2.render_template(
        "notice.html", request, {"title": title, "message": message, "back": back},
        status=status)


def _chat_context(request: web.Request, compact: bool) -> dict:
    contact = request.app[CONFIG].get("contact") or app_settings.contact_settings()
    return {"compact": compact, "phone": contact.phone, "phone_href": phone_href(contact.phone),
            "email": contact.email}


def phone_href(phone: str) -> str:
    """``tel:`` and the digits of the number (a leading + kept): ``tel:0123456789``."""
    digits = re.sub(r"[^0-9]", "", phone)
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits


# --- framing ---------------------------------------------------------------------------------

def embed_origins(app: web.Application) -> Tuple[str, ...]:
    """The sites allowed to frame ``/widget`` (AMPER_WEB_EMBED_ORIGINS), well-formed ones only."""
    config = app[CONFIG].get("web")
    origins: Iterable[str] = getattr(config, "embed_origins", ()) or ()
    if isinstance(origins, str):
        origins = origins.split()
    return tuple(o.rstrip("/") for o in origins if ORIGIN.match(o.rstrip("/")))


def widget_policy(origins: Iterable[str]) -> str:
    """The page CSP, with ``frame-ancestors`` opened to ``origins`` besides the gateway."""
    ancestors = " ".join(["'self'", *origins])
    base = SECURITY_HEADERS["Content-Security-Policy"]
    return re.sub(r"frame-ancestors [^;]*", f"frame-ancestors {ancestors}", base)


async def _allow_framing(request: web.Request, response: web.StreamResponse) -> None:
    """The security middleware adds X-Frame-Options: SAMEORIGIN to every answer; the widget's
    own CSP (``frame-ancestors``) decides instead, so that header goes (it would win)."""
    if request.get(FRAMEABLE):
        response.headers.pop("X-Frame-Options", None)
