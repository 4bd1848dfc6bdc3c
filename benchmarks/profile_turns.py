"""Where the time of a conversation turn goes: py-spy on the Rasa and action servers.

    .venv/bin/python benchmarks/profile_turns.py --scenario demande --level 1 --duration 20

Starts the full stack as `make bench` does (planning imported, tokens minted), runs
one scenario for a bounded time while py-spy samples both servers (wall-clock,
idle included: a blocked fsync counts), and prints, per server, the functions
holding the largest share of the samples (inclusive).  Raw stacks are kept in
reports/profile/<server>.txt (py-spy "raw" format, for speedscope or flamegraph.pl).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.entrypoints.bench import (  # noqa: E402
    faq_conversation, prepared_stack, request_conversation, run_level)

OUT = ROOT / "reports" / "profile"


def top_functions(raw: Path, limit: int, filters=()) -> list:
    """(share of samples, function) for the functions present in most samples."""
    counts: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n = int(n)
        total += n
        frames = {f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].split("/")[-1] + ")"
                  if " (" in f else f for f in stack.split(";")}
        for frame in frames:
            if not filters or any(x in frame for x in filters):
                counts[frame] += n
    return [(c / total if total else 0.0, f) for f, c in counts.most_common(limit)], total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=("faq", "demande"), default="demande")
    parser.add_argument("--level", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install -c constraints.txt -e '.[bench]'")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amper-profile-") as tmp:
        stack, numbers, tokens = prepared_stack(Path(tmp), ROOT / "models" / "amper.tar.gz", 3000)
        try:
            stack.start()
            scenario = faq_conversation if args.scenario == "faq" else request_conversation
            # warm-up: the first turns load lazily
            asyncio.run(run_level(stack.config.rest_url, 1, 3.0, scenario,
                                  clients=list(reversed(numbers)), tokens=tokens))
            spies = {name: subprocess.Popen(
                [str(py_spy), "record", "--pid", str(stack.procs[name].pid), "--idle",
                 "--duration", str(int(args.duration)), "--rate", "200", "--format", "raw",
                 "--output", str(OUT / f"{name}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for name in ("rasa", "actions")}
            time.sleep(1.0)
            turns = asyncio.run(run_level(stack.config.rest_url, args.level, args.duration,
                                          scenario, clients=numbers, tokens=tokens))
            for spy in spies.values():
                spy.wait(timeout=args.duration + 60)
        finally:
            stack.stop()
    for kind, lat in turns.latencies.items():
        lat = sorted(lat)
        print(f"{kind}: {len(lat)} turns, median {lat[len(lat) // 2] * 1000:.0f} ms")
    for name in ("rasa", "actions"):
        path = OUT / f"{name}.txt"
        if not path.exists():
            print(f"{name}: no profile (py-spy needs ptrace rights)")
            continue
        rows, total = top_functions(path, args.top)
        print(f"\n== {name}: {total} samples; share of samples per function (inclusive)")
        for share, frame in rows:
            print(f"{share:6.1%}  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
