"""``make bench``, one Rasa instance against two (issue 23): throughput and p95 of FAQ turns
on this machine, with the cluster's real configuration (PostgreSQL tracker store, Redis lock
store, `amper serve rasa`), and the memory of each instance.

    scripts/with-postgres.sh scripts/with-redis.sh sh -c '.venv/bin/python \\
        -m bot.entrypoints.bench_cluster --postgres "$AMPER_TEST_POSTGRES_URL" \\
        --redis "$AMPER_TEST_REDIS_URL" --append reports/bench.md'

Closed loop: N conversations (8 and 16) each send a FAQ question, read the answer, send the
next, for ``--duration`` seconds.  First every conversation goes to instance 1 (the
reference, measured in the same run), then they are spread over both instances by the
gateway's rendezvous hashing.  Reported: turns per second, p50/p95, the ratio two/one, and
each instance's resident memory (RSS of its process tree) after the run.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional

from bot.entrypoints.bench import FAQ_QUESTIONS
from bot.entrypoints.bench_report import quantile
from bot.entrypoints.cluster_stack import Cluster, demo_databases
from bot.settings import PROJECT_ROOT

LEVELS = (8, 16)


def _turn(base: str, sender: str, question: str) -> float:
    body = json.dumps({"sender": sender, "message": question}).encode()
    request = urllib.request.Request(base + "/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
    return time.perf_counter() - t0


def load(bases: List[str], conversations: int, seconds: float) -> Dict[str, float]:
    """Closed-loop FAQ turns; conversation i always goes to the instance the gateway's
    rendezvous hashing gives its sender among ``bases``."""
    from bot.web.rasa_pool import RasaPool

    pool = RasaPool(bases, timeout=120)
    latencies: List[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def talk(n: int) -> None:
        sender = f"bench-{uuid.uuid4().hex[:10]}"
        base = pool.order(sender)[0]
        rng = random.Random(n)
        while time.monotonic() < stop:
            try:
                took = _turn(base, sender, rng.choice(FAQ_QUESTIONS))
            except OSError:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(conversations)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"turns": len(latencies), "errors": errors[0], "rate": len(latencies) / elapsed,
            "p50": quantile(latencies, 50) * 1000, "p95": quantile(latencies, 95) * 1000}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            continue
    return total / 1024


def tracker_cost(tracker_url: str, conversations: int = 40, turns: int = 12) -> dict:
    """What one turn costs the shared tracker store on PostgreSQL, alone: a retrieve of the
    conversation then a save of the turn's events (what Rasa does per message), for
    conversations growing to ``turns`` turns; p50/p95 in ms and the turns per second one
    connection sustains."""
    import asyncio

    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.utils.endpoints import EndpointConfig

    from bot.adapters.tracker_store import AmperSQLTrackerStore
    from bot.entrypoints.endpoints import endpoints_config

    section = endpoints_config(actions_url="http://127.0.0.1:5055/webhook",
                               tracker_url=tracker_url)["tracker_store"]
    store = TrackerStore.create(EndpointConfig.from_dict(section), Domain.empty())
    while not isinstance(store, AmperSQLTrackerStore):  # Rasa's AwaitableTrackerStore
        store = store._tracker_store
    from rasa.shared.core.trackers import DialogueStateTracker

    async def run() -> List[float]:
        found = []
        for n in range(conversations):
            sender = f"bench-tracker-{n}"
            for turn in range(turns):
                t0 = time.perf_counter()
                tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
                tracker.update(UserUttered(FAQ_QUESTIONS[turn % len(FAQ_QUESTIONS)],
                                           intent={"name": "faq", "confidence": 0.9}))
                tracker.update(ActionExecuted("utter_faq"))
                tracker.update(BotUttered("Réponse de la FAQ, quelques phrases."))
                tracker.update(ActionExecuted("action_listen"))
                await store.save(tracker)
                found.append(time.perf_counter() - t0)
        return found

    took = asyncio.run(run())
    store.engine.dispose()
    return {"p50": quantile(took, 50) * 1000, "p95": quantile(took, 95) * 1000,
            "rate": len(took) / sum(took), "turns": turns}


def measure(model: Path, seconds: float, server: str, redis_url: str,
            work: Optional[Path] = None) -> dict:
    """``server``: a PostgreSQL server's URL (two databases are made beside its own);
    ``redis_url``: a Redis for the lock store (flushed by nobody: keys are per sender)."""
    booking, tracker = demo_databases(server, "bench")
    with tempfile.TemporaryDirectory(prefix="amper-bench-cluster-", dir=work) as tmp:
        cluster = Cluster(var=Path(tmp), model=model, booking_url=booking,
                          tracker_url=tracker, redis_url=redis_url).start(
            rasa=2, actions=1, gateways=0)
        try:
            bases = cluster.rasa_urls()
            for base in bases:  # warm both (first turns load lazily)
                for question in FAQ_QUESTIONS[:3]:
                    _turn(base, "bench-warm", question)
            result = {"levels": {}, "cores": os.cpu_count()}
            for level in LEVELS:
                result["levels"][level] = {"one": load(bases[:1], level, seconds),
                                           "two": load(bases, level, seconds)}
            result["rss"] = {n: rss_mb(p.proc.pid) for n, p in cluster.processes.items()}
        finally:
            cluster.stop()
    result["tracker"] = tracker_cost(tracker)
    return result


def section(result: dict) -> List[str]:
    out = ["", f"## Une instance Rasa contre deux ({result['cores']} cœurs, PostgreSQL + Redis)",
           "", "Tours FAQ en boucle fermée, même exécution : d'abord toutes les conversations "
           "sur l'instance 1 (référence), puis réparties sur les deux par le hachage de la "
           "passerelle.", "",
           "| conversations | instances | tours/s | p50 | p95 | erreurs | débit 2/1 | p95 2/1 |",
           "|---|---|---|---|---|---|---|---|"]
    for level, pair in result["levels"].items():
        one, two = pair["one"], pair["two"]
        for label, row in (("1", one), ("2", two)):
            ratio = (f"{two['rate'] / one['rate']:.2f} ×" if label == "2" and one["rate"]
                     else "")
            p95 = f"{two['p95'] / one['p95']:.2f} ×" if label == "2" and one["p95"] else ""
            out.append(f"| {level} | {label} | {row['rate']:.1f} | {row['p50']:.0f} ms | "
                       f"{row['p95']:.0f} ms | {row['errors']} | {ratio} | {p95} |")
    out += ["", "Mémoire résidente après la mesure : " + ", ".join(
        f"{name} {mb:.0f} Mo" for name, mb in sorted(result["rss"].items())) + "."]
    cost = result.get("tracker")
    if cost:
        out += ["", f"Base des conversations (PostgreSQL) seule, par tour (lecture de la "
                f"conversation puis écriture du tour, conversations jusqu'à {cost['turns']} "
                f"tours, une connexion) : p50 {cost['p50']:.1f} ms, p95 {cost['p95']:.1f} ms, "
                f"soit {cost['rate']:.0f} tours/s pour une connexion."]
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_cluster",
                                     description="une instance Rasa contre deux")
    parser.add_argument("--duration", type=float, default=20.0, help="secondes par mesure")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "amper.tar.gz")
    parser.add_argument("--append", type=Path, metavar="FICHIER")
    parser.add_argument("--postgres", required=True, metavar="URL",
                        help="un serveur PostgreSQL (make bench : celui de scripts/with-postgres.sh)")
    parser.add_argument("--redis", required=True, metavar="URL",
                        help="un Redis (make bench : celui de scripts/with-redis.sh)")
    args = parser.parse_args(argv)
    lines = section(measure(args.model, args.duration, args.postgres, args.redis))
    print("\n".join(lines))
    if args.append is not None:
        with args.append.open("a", encoding="utf-8") as report:
            report.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
