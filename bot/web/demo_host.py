"""A demo provider website (``amper serve widget-demo``): another origin embedding the chat.

One page, « Site de démonstration d'AMPER », with the gateway's ``<script src=…/widget.js>``
tag, under a strict CSP of its own (the widget needs nothing inline).  It shows what a
provider puts on its site, and lets the browser tests check the cross-origin embedding.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web.pages import STATIC, TEMPLATES

GATEWAY = web.AppKey("gateway", str)


def gateway_origin(url: str) -> str:
    """``scheme://host[:port]`` of the gateway's address; ValueError if it is not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise ValueError(f"adresse http(s) attendue, par exemple http://127.0.0.1:8000 : {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def create_demo_app(gateway_url: str) -> web.Application:
    app = web.Application()
    app[GATEWAY] = gateway_origin(gateway_url)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                         undefined=jinja2.StrictUndefined, default_helpers=False)
    app.router.add_get("/", home)
    app.router.add_get("/demo.css", stylesheet)
    app.router.add_get("/favicon.svg", icon)
    return app


async def home(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    own_origin = f"{request.scheme}://{request.host}"
    response = aiohttp_jinja2.render_template(
        "demo_host.html", request, {"gateway": gateway, "own_origin": own_origin})
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {gateway}; frame-src {gateway}; "
        "style-src 'self'; object-src 'none'; base-uri 'self'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=(STATIC / "demo.css").read_text(encoding="utf-8"),
                        content_type="text/css", charset="utf-8")


async def icon(request: web.Request) -> web.Response:
    return web.Response(body=(STATIC / "favicon.svg").read_bytes(), content_type="image/svg+xml")
