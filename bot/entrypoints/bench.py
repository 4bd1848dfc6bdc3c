"""``make bench``: speed and memory of the assistant, against the Rasa floor, on loopback.

    .venv/bin/python -m bot.entrypoints.bench                          # 1, 10, 50 × 20 s
    .venv/bin/python -m bot.entrypoints.bench --duration 5 --levels 1,10

Two servers, one after the other (the machine is small):

* **ours** — the whole stack (Rasa + action server + dispatcher, SQL tracker store, booking
  store with a planning imported);
* **floor** — the same model served by ``rasa run`` alone: no action endpoint, in-memory
  tracker store.

Simulated clients (aiohttp) hold N concurrent conversations for a bounded time: FAQ-only
conversations (both servers) and full cancellation conversations (ours: through the action
server and the store).  Per turn type: p50/p95/p99 latency, messages/s, errors; peak RSS of
each process (VmHWM); start-up time to the first answer; the staff's answer panel, keystroke
to answer at 1 and 10 staff members against a plain FAQ turn (:mod:`.bench_answers`).  Writes
reports/bench.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.entrypoints import bench_reference, bench_answers
from bot.entrypoints.bench_report import Row, report, rows_of
from bot.entrypoints.launcher import LOOPBACK, Stack, StackConfig, free_port
from bot.domain.clock import PARIS
from bot.entrypoints.rasa_server import RASA_ENV
from bot.settings import PROJECT_ROOT

FAQ_QUESTIONS = [
    "je peux payer en CESU ?",
    "comment je reçois mes factures ?",
    "quelle est la durée minimale d'une intervention ?",
    "que se passe-t-il si l'intervenant est absent ?",
    "est-ce toujours la même personne qui vient ?",
]
SECRET = "bench-secret-0123456789-0123456789-abcdef"
STARTUP_TIMEOUT = 300.0  # seconds
HTTP_TIMEOUT = 120.0


# -- servers ----------------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def first_answer(url: str, deadline: float, alive) -> float:
    """Polls with a FAQ question until a non-empty answer; returns the monotonic time."""
    import urllib.error
    import urllib.request

    body = json.dumps({"sender": "bench-startup", "message": FAQ_QUESTIONS[0]}).encode()
    while time.monotonic() < deadline:
        if not alive():
            raise SystemExit("Erreur : le serveur s'est arrêté au démarrage.")
        try:
            req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                if resp.status == 200 and json.loads(resp.read()):
                    return time.monotonic()
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit("Erreur : délai de démarrage dépassé.")


class Floor:
    """``rasa run`` alone: no action endpoint, in-memory tracker store."""

    def __init__(self, model: Path, work: Path) -> None:
        self.port = free_port()
        self.model = model
        self.work = work
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/webhooks/rest/webhook"

    def start(self) -> float:
        endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
        endpoints.pop("action_endpoint", None)
        endpoints.pop("tracker_store", None)
        path = self.work / "endpoints-floor.yml"
        path.write_text(yaml.safe_dump(endpoints or {}), encoding="utf-8")
        # Rasa's own REST channel: the floor carries none of our code.
        credentials = self.work / "credentials-floor.yml"
        credentials.write_text("rest:\n", encoding="utf-8")
        log = open(self.work / "floor.log", "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "-i", LOOPBACK, "-p", str(self.port),
             "--model", str(self.model), "--endpoints", str(path),
             "--credentials", str(credentials)],
            cwd=str(PROJECT_ROOT), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env=dict(os.environ, **RASA_ENV))  # same TensorFlow and allocator settings as ours
        log.close()
        ready = first_answer(self.url, t0 + STARTUP_TIMEOUT, lambda: self.proc.poll() is None)
        return ready - t0

    def pids(self) -> Dict[str, int]:
        return {"rasa": self.proc.pid} if self.proc else {}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def import_planning(db_url: str, clients: int, work: Path) -> List[str]:
    """One intervention tomorrow per client; returns the client numbers."""
    base = datetime.now(PARIS).replace(minute=0, second=0, microsecond=0)
    start = base + timedelta(hours=24)
    numbers = [str(50000 + i) for i in range(clients)]
    lines = ["intervention_id;client_id;client_name;sector;caregiver;start;end;service"]
    for n in numbers:
        lines.append(f"B{n};{n};Client {n};Nord;Julie Martin;{start.isoformat(timespec='minutes')};"
                     f"{(start + timedelta(hours=1)).isoformat(timespec='minutes')};Aide à domicile")
    csv = work / "planning.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = dict(os.environ, AMPER_DATABASE_URL=db_url)
    subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", "import-planning", str(csv)],
                   env=env, cwd=str(PROJECT_ROOT), check=True, capture_output=True, timeout=300)
    return numbers


# -- load -------------------------------------------------------------------------------------


@dataclass
class Turns:
    latencies: Dict[str, List[float]] = field(default_factory=dict)
    errors: Dict[str, int] = field(default_factory=dict)
    messages: int = 0
    seconds: float = 0.0

    def add(self, kind: str, latency: Optional[float]) -> None:
        self.messages += 1
        if latency is None:
            self.errors[kind] = self.errors.get(kind, 0) + 1
        else:
            self.latencies.setdefault(kind, []).append(latency)


async def say(session, url: str, sender: str, text: str, auth: Optional[str],
              turns: Turns, kind: str, expect: Optional[str] = None) -> list:
    payload = {"sender": sender, "message": text}
    if auth:
        payload["metadata"] = {"auth": auth}
    t0 = time.monotonic()
    try:
        async with session.post(url, json=payload) as resp:
            answer = await resp.json(content_type=None) if resp.status == 200 else None
    except Exception:  # noqa: BLE001 - any failure is an error of this turn
        answer = None
    latency = time.monotonic() - t0
    said = " ".join(str(r.get("text") or "") for r in answer or [] if isinstance(r, dict))
    ok = bool(answer) and (expect is None or expect in said)
    turns.add(kind, latency if ok else None)
    return answer or []


async def faq_conversation(session, url: str, turns: Turns, **_) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    # single-topic questions: a two-topic one is answered by action_clarify, which the floor
    # and the reference (no action server) cannot run; its extra cost is measured apart
    for question in FAQ_QUESTIONS[:3]:
        await say(session, url, sender, question, None, turns, "faq")


async def request_conversation(session, url: str, turns: Turns, clients, tokens) -> None:
    number = clients.pop() if clients else None
    if number is None:
        return
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    auth = tokens[number]
    await say(session, url, sender, "je suis malade, annulez demain", auth, turns,
              "demande (début)", expect="Confirmez-vous")
    await say(session, url, sender, "oui", auth, turns, "demande (confirmation)",
              expect="sera transmise")


async def run_level(url: str, level: int, duration: float, scenario, **kw) -> Turns:
    import aiohttp

    turns = Turns()
    deadline = time.monotonic() + duration
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)

    async def worker(session) -> None:
        while time.monotonic() < deadline:
            before = turns.messages
            await scenario(session, url, turns, **kw)
            if turns.messages == before:  # nothing left to do (no clients left)
                return

    t0 = time.monotonic()
    connector = aiohttp.TCPConnector(limit=level)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(level)))
    turns.seconds = time.monotonic() - t0
    return turns


def prepared_stack(work: Path, model: Path, clients: int):
    """(stack not yet started, client numbers, their tokens): a store migrated in ``work``
    with a planning of ``clients`` clients imported, as the bench and the profiler use it."""
    from bot.chat.identity import mint_token

    db_url = f"sqlite:///{work / 'amper.db'}"
    subprocess.run([sys.executable, "-m", "bot.entrypoints.cli", "db", "upgrade"],
                   env=dict(os.environ, AMPER_DATABASE_URL=db_url), cwd=str(PROJECT_ROOT),
                   check=True, capture_output=True, timeout=300)
    numbers = import_planning(db_url, clients, work)
    tokens = {n: mint_token(n, secret=SECRET, ttl_seconds=24 * 3600) for n in numbers}
    stack = Stack(StackConfig(rasa_port=free_port(), actions_port=free_port(), model=model,
                              var_dir=work / "ours", env={"AMPER_SECRET": SECRET,
                                                          "AMPER_DATABASE_URL": db_url}))
    return stack, numbers, tokens


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description="Mesures de vitesse et de mémoire.")
    parser.add_argument("--duration", type=float, default=20.0, help="secondes par palier (20)")
    parser.add_argument("--levels", default="1,10,50", help="conversations simultanées (1,10,50)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "amper.tar.gz")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports")
    parser.add_argument("--clients", type=int, default=3000, help="clients du planning importé")
    parser.add_argument("--training", action="store_true",
                        help="mesurer aussi le temps d'un entraînement complet (~5 min sur 2 cœurs)")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if not args.model.exists():
        print(f"Erreur : modèle introuvable ({args.model}). Lancez « make train ».", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    command = "make bench" if not argv else "python -m bot.entrypoints.bench " + " ".join(argv)

    rows: List[Row] = []
    startup: Dict[str, float] = {}
    rss: Dict[str, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="amper-bench-") as tmp:
        work = Path(tmp)
        stack, numbers, tokens = prepared_stack(work, args.model, args.clients)
        clients = list(reversed(numbers))

        print("Nous : démarrage de la pile complète…", flush=True)
        t0 = time.monotonic()
        try:
            stack.start()
            startup["nous"] = first_answer(stack.config.rest_url, t0 + STARTUP_TIMEOUT,
                                           lambda: not stack.dead()) - t0
            for level in levels:
                for name, scenario in (("FAQ", faq_conversation), ("demande", request_conversation)):
                    print(f"  {level} conversation(s) {name}, {args.duration:.0f} s…", flush=True)
                    turns = asyncio.run(run_level(stack.config.rest_url, level, args.duration,
                                                  scenario, clients=clients, tokens=tokens))
                    rows += rows_of("nous", level, turns)
            print("Panneau du conseiller (bot/entrypoints/bench_answers.py)…", flush=True)
            staff_rows, staff_lines = bench_answers.staff_case(stack.config.rest_url, work,
                                                             stack.config.env, args.duration)
            rows += staff_rows
            rss["nous"] = {name: peak_rss_mb(p.pid) for name, p in stack.procs.items()}
        finally:
            stack.stop()

        def alone(server: str, model: Path) -> None:
            """FAQ conversations at each level against ``rasa run`` serving ``model`` alone."""
            floor = Floor(model, work)
            try:
                startup[server] = floor.start()
                for level in levels:
                    print(f"  {level} conversation(s) FAQ, {args.duration:.0f} s…", flush=True)
                    turns = asyncio.run(run_level(floor.url, level, args.duration, faq_conversation))
                    rows.extend(rows_of(server, level, turns))
                rss[server] = {name: peak_rss_mb(pid) for name, pid in floor.pids().items()}
            finally:
                floor.stop()

        print("Plancher : rasa run seul (sans actions, suivi en mémoire)…", flush=True)
        alone("plancher", args.model)
        print("Référence : Rasa nu entraîné sur nos données (bot/entrypoints/bench_reference.py)…",
              flush=True)
        reference_model, reference_training = bench_reference.train(work / "reference")
        alone("référence", reference_model)

    text = report(rows, startup, rss, args, command, reference_training)
    text += "\n".join(staff_lines) + "\n"
    training_s: Optional[float] = None
    if args.training:
        print("Entraînement complet (rasa train) pour en mesurer la durée…", flush=True)
        with tempfile.TemporaryDirectory(prefix="amper-bench-train-") as tmp:
            t0 = time.monotonic()
            proc = subprocess.run([sys.executable, "-m", "rasa", "train", "--out", tmp,
                                   "--fixed-model-name", "bench", "--quiet"],
                                  cwd=str(PROJECT_ROOT), capture_output=True, text=True,
                                  # cold caches of its own (Rasa's, the embeddings'): from scratch
                                  env=dict(os.environ, RASA_CACHE_DIRECTORY=str(Path(tmp) / "cache"),
                                           AMPER_EMBEDDING_CACHE=str(Path(tmp) / "embeddings")))
            seconds = time.monotonic() - t0
            training_s = seconds if proc.returncode == 0 else None
        text += (f"\nEntraînement complet (`rasa train`, config.yml du projet) : {seconds:.0f} s.\n"
                 if proc.returncode == 0 else
                 f"\nEntraînement complet : échec (code {proc.returncode}).\n")
    (args.out / "bench.md").write_text(text, encoding="utf-8")
    (args.out / "bench.json").write_text(json.dumps(
        {"date": datetime.now().isoformat(timespec="seconds"), "command": command,
         "rows": [r.__dict__ for r in rows], "startup_s": startup, "peak_rss_mb": rss,
         "training_s": training_s},
        ensure_ascii=False, indent=2), encoding="utf-8")
    print(text)
    print(f"Rapport : {args.out / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
