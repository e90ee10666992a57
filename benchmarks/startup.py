"""Start-up cost: ``import codex``, client ready, thread start and the first turn.

Each run is a fresh process (imports are cached per process), against a loopback
mock; the table shows medians. ``--baseline DIR`` also runs another checkout's
``python/`` directory (e.g. ``git archive`` of an older commit, plus the built
``_native`` module) in alternation, so that load on the machine hits both alike.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--baseline /tmp/base/python]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from codex.testing import MockResponsesServer, responses

PHASES = ("import_ms", "client_ready_ms", "thread_start_ms", "first_turn_ms", "total_ms")

# Runs in the fresh process: argv = base_url, home.
WORKER = """
import sys, time, json
start = time.perf_counter()
import codex
imported = time.perf_counter()
client = codex.Codex(codex.CodexConfig(codex_home=sys.argv[2], base_url=sys.argv[1], api_key="sk-bench"))
ready = time.perf_counter()
thread = client.thread_start()
started = time.perf_counter()
thread.run("hello")
done = time.perf_counter()
client.close()
ms = lambda a, b: (b - a) * 1000
print(json.dumps({"import_ms": ms(start, imported), "client_ready_ms": ms(imported, ready),
    "thread_start_ms": ms(ready, started), "first_turn_ms": ms(started, done), "total_ms": ms(start, done)}))
"""


def run_once(base_url: str, python_path: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = python_path
    home = tempfile.mkdtemp(prefix="bench-startup-")
    try:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, base_url, home],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"worker failed:\n{exc.stderr[-4000:]}") from exc
    finally:
        shutil.rmtree(home, ignore_errors=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="a python/ directory holding another version of the codex package")
    args = parser.parse_args()
    sides: dict[str, str | None] = {"this tree": None}
    if args.baseline:
        sides = {"baseline": str(Path(args.baseline).resolve()), **sides}
    samples: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with MockResponsesServer(responder=lambda _request: responses.text("ok")) as mock:
        for _ in range(args.runs):
            for side, path in sides.items():
                samples[side].append(run_once(mock.base_url, path))
    print(f"\nmedian of {args.runs} fresh processes (ms)\n")
    print("| phase | " + " | ".join(sides) + " |")
    print("|---|" + "---:|" * len(sides))
    for phase in PHASES:
        cells = [f"{statistics.median(run[phase] for run in samples[side]):.0f}" for side in sides]
        print(f"| {phase.removesuffix('_ms')} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
