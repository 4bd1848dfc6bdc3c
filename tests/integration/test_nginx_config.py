"""deploy/nginx/amper.conf.template with Debian's real nginx, on loopback, in front of two
small gateways that say who they are and what they were sent: both get visitors, nginx
makes the request id and the forwarded address (never trusting the visitor's), a gateway
that refuses connections is skipped, a POST is never sent twice, the offices' event stream
arrives as it is written (each event at once), and a large body stops at nginx."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.entrypoints.cluster_stack import render_nginx
from tests.integration.web_harness import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(),
                                reason="nginx absent (apt-get install nginx-light)")


class Gateway:
    """A stand-in gateway: its name, the headers and body it got; /api/bureau/evenements
    streams three events one second apart."""

    def __init__(self, name):
        self.name, self.seen, self.posts = name, [], 0

    async def any(self, request):
        body = await request.read()
        if request.method == "POST":
            self.posts += 1
            await asyncio.sleep(0.2)
        self.seen.append(dict(request.headers))
        return web.json_response({"gateway": self.name, "body": len(body),
                                  "xff": request.headers.get("X-Forwarded-For"),
                                  "rid": request.headers.get("X-Request-Id")})

    async def events(self, request):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for n in range(3):
            await response.write(f"event: demandes\ndata: {n}\n\n".encode())
            await asyncio.sleep(1.0)
        return response

    def app(self):
        app = web.Application()
        app.router.add_get("/api/bureau/evenements", self.events)
        app.router.add_route("*", "/{tail:.*}", self.any)
        return app


async def _serve(app, port):
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_nginx_spreads_over_the_gateways_and_keeps_the_rules(tmp_path):
    ports = [free_port(), free_port()]
    dead = free_port()       # nothing listens: refused
    listen = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx()(f"127.0.0.1:{listen}",
                              [f"127.0.0.1:{p}" for p in ports] + [f"127.0.0.1:{dead}"],
                              str(tmp_path), standalone=True))
    gateways = [Gateway("a"), Gateway("b")]

    async def main():
        runners = [await _serve(g.app(), p) for g, p in zip(gateways, ports)]
        nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf),
                                  "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{listen}"
            async with aiohttp.ClientSession() as http:
                for _ in range(50):
                    try:
                        async with http.get(base + "/health"):
                            break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                answers = []
                for _ in range(12):
                    async with http.get(base + "/api/session", headers={
                            "X-Request-Id": "visitor-chosen-id", "X-Forwarded-For": "6.6.6.6"}) as r:
                        assert r.status == 200
                        data = await r.json()
                        assert r.headers["X-Request-Id"] == data["rid"]
                        answers.append(data)
                assert {a["gateway"] for a in answers} == {"a", "b"}
                assert all(a["xff"] == "127.0.0.1" for a in answers)       # replaced
                assert all(a["rid"] != "visitor-chosen-id" and len(a["rid"]) == 32
                           for a in answers)
                assert len({a["rid"] for a in answers}) == 12
                posts_before = sum(g.posts for g in gateways)
                async with http.post(base + "/api/messages", data=b'{"message": "x"}',
                                     headers={"Content-Type": "application/json"}) as r:
                    assert r.status == 200
                assert sum(g.posts for g in gateways) == posts_before + 1
                async with http.post(base + "/api/messages", data=b"x" * 40_000) as r:
                    assert r.status == 413
                started = time.monotonic()
                arrivals = []
                async with http.get(base + "/api/bureau/evenements") as r:
                    async for line in r.content:
                        if line.startswith(b"data:"):
                            arrivals.append(time.monotonic() - started)
                assert len(arrivals) == 3 and arrivals[0] < 0.8  # not held until the end
        finally:
            nginx.terminate()
            nginx.wait(10)
            for runner in runners:
                await runner.cleanup()

    asyncio.run(main())
