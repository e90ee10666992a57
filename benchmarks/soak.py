"""Soak: 1,000 sequential plain turns on one client, then 256 concurrent threads.

Against the instant loopback mock, in a fresh worker process (benchmarks/_worker.py, the same
code for both SDKs). Reports the process tree's RSS at start (client ready, one thread
started), after the first 100 turns and at the end, the growth from 100 turns to the end
(the leak indicator: the first 100 turns include one-time initialisation) and from the
start, the median and p95 latency of the first 100 vs the last 100 turns, then the wall time
and RSS per thread of N concurrent threads with one turn each, on the same client.

    .venv/bin/python benchmarks/soak.py [--turns 1000] [--turns-per-thread K] [--threads 256]
        [--unsubscribe [--unload-after-ms N]] [--official-python PATH] [--json FILE|-]
        [--profile-label NAME]

Ours only by default; ``--official-python`` also runs the official SDK the same way. By
default all turns run on one thread, whose history grows by one short exchange per turn (the
engine resends it every turn); ``--turns-per-thread K`` starts a new thread every K turns.
With ``--unsubscribe`` each finished thread is unsubscribed; the engine unloads it once idle
without a subscriber for 30 minutes, or for ``--unload-after-ms`` (ours only).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from _driver import Mock, print_build, run_meta, run_worker
from _driver import write_json as write_json_file

ROWS = [
    ("rss_start_mb", "RSS at start", "MB"),
    ("rss_after_window_mb", "RSS after {window} turns", "MB"),
    ("rss_end_mb", "RSS at end", "MB"),
    ("rss_growth_pct", "RSS growth, {window} turns to end", "%"),
    ("rss_growth_from_start_pct", "RSS growth, start to end", "%"),
    ("first_median_ms", "first {window} turns: median", "ms"),
    ("first_p95_ms", "first {window} turns: p95", "ms"),
    ("last_median_ms", "last {window} turns: median", "ms"),
    ("last_p95_ms", "last {window} turns: p95", "ms"),
    ("latency_drift_pct", "median latency, last vs first", "%"),
    ("soak_wall_s", "{turns} sequential turns, wall", "s"),
    ("many_threads_wall_ms", "{threads} concurrent threads, one turn each", "ms"),
    ("many_threads_rss_per_thread_kb", "RSS per thread ({threads} concurrent)", "KB"),
    ("peak_rss_total_mb", "peak RSS, process tree (points and the concurrent run)", "MB"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--turns-per-thread", type=int, default=0, help="new thread every K turns (0: one thread)")
    parser.add_argument("--threads", type=int, default=256, help="concurrent threads after the soak")
    parser.add_argument(
        "--unsubscribe",
        action="store_true",
        help="with --turns-per-thread: unsubscribe each finished thread (ours; the official SDK has no such call)",
    )
    parser.add_argument(
        "--unload-after-ms",
        type=int,
        help="ours: unload a thread idle without a subscriber after N ms (CodexConfig.unload_idle_threads_after_ms)",
    )
    parser.add_argument("--official-python", help="also run the official SDK with this interpreter")
    parser.add_argument("--profile-label", help="engine build profile of ours, when the file cannot tell")
    parser.add_argument("--json", metavar="FILE", help="all figures as JSON ('-': stdout, table to stderr)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per worker")
    args = parser.parse_args()
    if args.turns < 2:
        parser.error("--turns must be at least 2")
    if args.official_python and not Path(args.official_python).exists():
        parser.error(f"{args.official_python} not found")
    out = sys.stderr if args.json == "-" else sys.stdout

    pythons = {"ours": sys.executable}
    if args.official_python:
        pythons["official"] = args.official_python
    meta = run_meta(args.profile_label)
    meta.update(turns=args.turns, turns_per_thread=args.turns_per_thread or args.turns, threads=args.threads)
    print_build(meta, out)
    worker_args = ["--mode", "soak", "--turns", str(args.turns), "--threads", str(args.threads)]
    worker_args += ["--turns-per-thread", str(args.turns_per_thread)]
    if args.unsubscribe:
        worker_args.append("--unsubscribe")
    if args.unload_after_ms is not None:
        worker_args += ["--unload-after-ms", str(args.unload_after_ms)]
        meta["unload_after_ms"] = args.unload_after_ms
    results: dict[str, dict[str, Any]] = {}
    with Mock() as mock:
        meta["mock_round_trip_ms"] = mock.round_trip_ms()
        for impl, python in pythons.items():
            print(f"soak: {impl}", file=out, flush=True)
            results[impl] = run_worker(python, impl, mock.base_url, worker_args, timeout=args.timeout, live_stderr=True)
    meta["load_average_at_end"] = os.getloadavg()

    first = next(iter(results.values()))
    names = {"window": first["window"], "turns": args.turns, "threads": args.threads}
    impls = list(results)
    print(f"\nmock round trip (the floor of a turn): {meta['mock_round_trip_ms']:.2f} ms\n", file=out)
    print("| measure | " + " | ".join(f"{impl} {results[impl]['sdk_version']}" for impl in impls) + " |", file=out)
    print("|---|" + "---:|" * len(impls), file=out)
    for key, label, unit in ROWS:
        cells = " | ".join(f"{results[impl][key]:,.1f} {unit}" for impl in impls)
        print(f"| {label.format(**names)} | {cells} |", file=out)

    if args.json:
        write_json_file(args.json, {"meta": meta, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
