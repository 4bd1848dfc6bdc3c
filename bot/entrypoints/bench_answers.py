"""``make bench``, the staff's answer panel (issue 21): keystroke to answer through the gateway.

    .venv/bin/python -m bot.entrypoints.bench_answers --duration 20      # this case alone

N staff members (1 and 10) each type phone-style questions into the panel, character by
character at ~8 characters a second (random gaps, longer pauses between some words, a
pause to read the answer between questions); like the page, a query leaves only when the
typing pauses for :data:`DEBOUNCE` (the page's debounce), without waiting for the previous
answer.  Measured: from the moment a debounced query leaves (the end of the pause) to its
answer read, through the gateway (``GET /api/conseiller/reponse``, session of a staff
member, cache and coalescing of :mod:`bot.web.staff_answers`) and our Rasa channel's
``/webhooks/rest/answers``.  The debounce itself (a choice of the page) is not counted.

The yardstick, measured in the same run on the same stack just before each level: a plain
FAQ turn (``POST /webhooks/rest/webhook``, the same number of simultaneous conversations).
Goal: p95 ≤ 150 ms at 10 staff members on this machine.

The gateway runs as a process of its own (``bench_answers gateway``): the route wired as the
gateway does, staff sessions made in its store, a ``/bench/…`` route to empty its cache
between levels and read where each answer came from (cache, Rasa, or a twin in flight).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot.entrypoints.bench_report import Row, quantile
from bot.entrypoints.launcher import LOOPBACK, free_port
from bot.settings import PROJECT_ROOT

LEVELS = (1, 10)
DEBOUNCE = 0.25          # seconds of pause before the page sends the query
CHARS_PER_SECOND = 8.0
GOAL_P95_MS = 150.0
SECRET = "bench-secret-0123456789-0123456789-abcdef"
STAFF_KIND, FAQ_KIND = "réponse conseiller (passerelle)", "tour FAQ (webhook)"
SERVER = "conseiller"

#: what a phone agent types while the caller talks: a few words, no capitals, few accents
QUESTIONS = [
    "cesu", "délai annulation", "embaucher l'aide à domicile directement", "paiement cheque",
    "facture par mail", "durée minimum intervention", "intervenant malade qui remplace",
    "changer les horaires", "toujours la meme personne", "menage ponctuel", "premiere visite",
    "annuler si hospitalisé", "prelevement automatique", "recevoir factures dome",
    "delai pour modifier horaire", "combien de temps minimum", "absent rendez vous",
    "recruter l'auxiliaire en direct", "remplacement pendant les congés", "debut des interventions",
    "même intervenante tous les jours", "service ponctuel grand menage", "payer en cesu",
    "annulation moins de 48h facturée",
]


# -- the gateway, as a process of its own -----------------------------------------------------

def serve_gateway(port: int, rasa_url: str, users: int, cookies: Path) -> None:
    """The gateway with the staff answer route and ``users`` staff sessions (their ids
    written to ``cookies``); ``/bench/reset`` empties the answer cache."""
    from aiohttp import web

    from bot.web import staff_answers
    from bot.web.app import create_app
    from bot.web.http import SESSIONS

    app = create_app(None, rasa_url, secret=SECRET)
    if staff_answers.ANSWERS not in app:  # the gateway wires it with one line
        staff_answers.add_routes(app)
    ids = []
    for i in range(users):
        session = app[SESSIONS].new()
        session.staff = f"bench.{i}"
        ids.append(session.id)

    @web.middleware
    async def source(request, handler):
        response = await handler(request)
        if request.get(staff_answers.SOURCE):
            response.headers["X-Bench-Source"] = request[staff_answers.SOURCE]
        return response

    async def reset(request):
        cache = request.app[staff_answers.ANSWERS]
        cache._panels.clear()
        cache.hits = cache.misses = cache.joined = 0
        return web.json_response({"ok": True})

    app.middlewares.append(source)
    app.router.add_get("/bench/reset", reset)
    cookies.write_text(json.dumps(ids), encoding="utf-8")
    web.run_app(app, host=LOOPBACK, port=port, print=None, access_log=None)


class Gateway:
    def __init__(self, rasa_url: str, users: int, work: Path, env: Dict[str, str]) -> None:
        self.port, self.rasa_url, self.users, self.work, self.env = (
            free_port(), rasa_url, users, work, env)
        self.cookies = work / f"staff-sessions-{self.port}.json"
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> List[str]:
        log = open(self.work / "gateway-staff.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.entrypoints.bench_answers", "gateway", "--port",
             str(self.port), "--rasa-url", self.rasa_url, "--users", str(self.users),
             "--cookies", str(self.cookies)],
            cwd=str(PROJECT_ROOT), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env, "AMPER_SECRET": SECRET}, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("Erreur : la passerelle du banc s'est arrêtée au démarrage.")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:
                    if resp.status == 200 and self.cookies.exists():
                        return json.loads(self.cookies.read_text(encoding="utf-8"))
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("Erreur : la passerelle du banc ne démarre pas.")

    def reset(self) -> None:
        urllib.request.urlopen(self.url + "/bench/reset", timeout=5).read()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# -- typing ----------------------------------------------------------------------------------

def debounced(question: str, rng: random.Random) -> Tuple[List[Tuple[float, str]], float]:
    """([(second after the first keystroke when a query leaves, its text)], seconds typed):
    the keystrokes of ``question`` at ~CHARS_PER_SECOND, the queries the debounce lets out."""
    mean = 1.0 / CHARS_PER_SECOND
    t, strokes = 0.0, []
    for i in range(1, len(question) + 1):
        strokes.append((t, question[:i]))
        gap = rng.uniform(0.5 * mean, 1.5 * mean)
        if question[i - 1] == " " and rng.random() < 0.3:
            gap += rng.uniform(0.2, 0.6)  # looking for the next word
        t += gap
    sent = []
    for (at, text), (nxt, _) in zip(strokes, strokes[1:] + [(float("inf"), "")]):
        if nxt - at > DEBOUNCE and text.strip() and (not sent or sent[-1][1] != text):
            sent.append((at + DEBOUNCE, text))
    return sent, strokes[-1][0]


@dataclass
class Typing:
    latencies: List[float] = field(default_factory=list)
    by_source: Dict[str, List[float]] = field(default_factory=dict)
    errors: int = 0
    keystrokes: int = 0
    seconds: float = 0.0
    load: float = 0.0      # the machine's load average (1 min) at the end: others' work shows


async def staff_member(session, url: str, cookie: str, first: int, deadline: float,
                       rng: random.Random, out: Typing) -> None:
    tasks = []

    async def query(text: str) -> None:
        t0 = time.monotonic()
        try:
            async with session.get(url + "/api/conseiller/reponse", params={"q": text},
                                   headers={"Cookie": f"amper_session={cookie}"}) as resp:
                body = await resp.json(content_type=None)
                ok = resp.status == 200 and "answers" in body
                where = resp.headers.get("X-Bench-Source", "?")
        except Exception:  # noqa: BLE001 - any failure is an error of this query
            ok, where = False, "?"
        latency = time.monotonic() - t0
        if ok:
            out.latencies.append(latency)
            out.by_source.setdefault(where, []).append(latency)
        else:
            out.errors += 1

    n = first
    while time.monotonic() < deadline:
        question = QUESTIONS[n % len(QUESTIONS)]
        n += 1
        start = time.monotonic()
        sent, typed = debounced(question, rng)
        out.keystrokes += len(question)
        for at, text in sent:
            delay = start + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.monotonic() >= deadline:
                break
            tasks.append(asyncio.ensure_future(query(text)))
        await asyncio.sleep(rng.uniform(1.0, 2.5))  # reading the answer to the caller
    await asyncio.gather(*tasks)


async def typing_level(url: str, cookies: List[str], level: int, duration: float,
                       seed: int = 21) -> Typing:
    import aiohttp

    out = Typing()
    deadline = time.monotonic() + duration
    t0 = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(
            staff_member(session, url, cookies[i], i * len(QUESTIONS) // level, deadline,
                         random.Random(seed + i), out) for i in range(level)))
    out.seconds = time.monotonic() - t0
    out.load = os.getloadavg()[0]
    return out


# -- the case ----------------------------------------------------------------------------------

def staff_case(rest_url: str, work: Path, env: Dict[str, str], duration: float,
               levels=LEVELS) -> Tuple[List[Row], List[str]]:
    """(rows, report section): FAQ turns then staff typing at each level, same stack."""
    from bot.entrypoints.bench import faq_conversation, run_level
    from bot.entrypoints.bench_report import rows_of

    rows: List[Row] = []
    typing: Dict[int, Typing] = {}
    gateway = Gateway(rest_url, max(levels), work, env)
    cookies = gateway.start()
    try:
        for level in levels:
            print(f"  {level} conversation(s) FAQ (étalon du panneau), {duration:.0f} s…", flush=True)
            turns = asyncio.run(run_level(rest_url, level, duration, faq_conversation))
            rows += [Row(SERVER, r.level, FAQ_KIND, r.count, r.errors, r.p50, r.p95, r.p99, r.rate)
                     for r in rows_of(SERVER, level, turns) if r.kind == "faq"]
            print(f"  {level} conseiller(s) tapant leurs questions, {duration:.0f} s…", flush=True)
            gateway.reset()
            out = asyncio.run(typing_level(gateway.url, cookies, level, duration))
            typing[level] = out
            lat = out.latencies
            rows.append(Row(SERVER, level, STAFF_KIND, len(lat), out.errors,
                            quantile(lat, 50) * 1000, quantile(lat, 95) * 1000,
                            quantile(lat, 99) * 1000, len(lat) / out.seconds if out.seconds else 0))
    finally:
        gateway.stop()
    return rows, section(rows, typing)


def section(rows: List[Row], typing: Dict[int, Typing]) -> List[str]:
    faq = {r.level: r for r in rows if r.kind == FAQ_KIND}
    lines_alone: List[str] = []
    out = ["", "## Panneau du conseiller : de la frappe à la réponse (issue 21)", "",
           f"Chaque conseiller tape ses questions caractère par caractère (~{CHARS_PER_SECOND:.0f} "
           f"caractères/s) ; la page n'envoie une requête qu'après {DEBOUNCE * 1000:.0f} ms sans "
           "frappe (délai de la page, non compté). Mesure : de l'envoi de la requête à la réponse, "
           "à travers la passerelle (cache et regroupement compris). Étalon : un tour FAQ "
           "(POST /webhooks/rest/webhook) mesuré dans la même exécution.", "",
           "| conseillers simultanés | frappes | requêtes | dont cache / Rasa / jumelées | p50 | p95 "
           "| p95 des requêtes allées à Rasa | tour FAQ p95 | rapport p95 | objectif p95 ≤ 150 ms "
           "| charge de la machine (1 min) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for level, t in sorted(typing.items()):
        lat = t.latencies
        p50, p95 = quantile(lat, 50) * 1000, quantile(lat, 95) * 1000
        sources = {k: len(v) for k, v in t.by_source.items()}
        rasa_p95 = quantile(t.by_source.get("rasa", []), 95) * 1000
        base = faq.get(level)
        ratio = p95 / base.p95 if base and base.p95 else float("nan")
        mark = "✓" if p95 <= GOAL_P95_MS else "✗"
        alone = faq.get(1)
        lines_alone.append(f"{level} : {p95 / alone.p95:.2f} ×" if alone and alone.p95 else "")
        out.append(f"| {level} | {t.keystrokes} | {len(lat)} (+{t.errors} erreurs) | "
                   f"{sources.get('cache', 0)} / {sources.get('rasa', 0)} / {sources.get('joined', 0)} | "
                   f"{p50:.0f} ms | {p95:.0f} ms | {rasa_p95:.0f} ms | "
                   f"{base.p95 if base else float('nan'):.0f} ms | {ratio:.2f} × | {mark} | {t.load:.1f} |")
    out += ["", "Les tours FAQ tournent en boucle fermée (chaque conversation renvoie un message dès "
            "sa réponse) : à 10 conversations le serveur sature et attend ; les conseillers, eux, "
            "n'envoient qu'à chaque pause de frappe.  Rapport p95 du panneau au tour FAQ à une "
            "seule conversation : " + ("; ".join(x for x in lines_alone if x) or "—") + "."]
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_answers", description="Banc du panneau du conseiller.")
    sub = parser.add_subparsers(dest="command")
    gw = sub.add_parser("gateway", help="(interne) la passerelle du banc")
    gw.add_argument("--port", type=int, required=True)
    gw.add_argument("--rasa-url", required=True)
    gw.add_argument("--users", type=int, default=10)
    gw.add_argument("--cookies", type=Path, required=True)
    parser.add_argument("--duration", type=float, default=20.0, help="secondes par palier (20)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "amper.tar.gz")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "gateway":
        serve_gateway(args.port, args.rasa_url, args.users, args.cookies)
        return 0
    from bot.entrypoints.bench import STARTUP_TIMEOUT, first_answer, prepared_stack

    if not args.model.exists():
        print(f"Erreur : modèle introuvable ({args.model}). Lancez « make train ».", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="amper-bench-staff-") as tmp:
        work = Path(tmp)
        stack, _, _ = prepared_stack(work, args.model, 10)
        print("Pile complète : démarrage…", flush=True)
        t0 = time.monotonic()
        try:
            stack.start()
            first_answer(stack.config.rest_url, t0 + STARTUP_TIMEOUT, lambda: not stack.dead())
            _, lines = staff_case(stack.config.rest_url, work, stack.config.env, args.duration)
        finally:
            stack.stop()
    text = "\n".join([f"# Panneau du conseiller — {time.strftime('%Y-%m-%d %H:%M')}, "
                      f"{os.cpu_count()} cœurs, {args.duration:.0f} s par palier", *lines]) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench-staff.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
