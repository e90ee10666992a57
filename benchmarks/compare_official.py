"""Side by side: the official SDK (subprocess engine) and codex-embedded (in-process engine).

Both run the same workload against the same loopback mock, in the same run, each in
fresh worker processes; the table shows medians over --runs and the ratio ours/official,
with the goal of issue 14 for each ratio.

    .venv/bin/python benchmarks/compare_official.py [--runs 3] [--official-python PATH]
        [--quick] [--warm-turns 40] [--threads 256] [--json FILE|-] [--profile-label NAME]

The official side needs ``openai-codex==0.163.0`` and ``openai-codex-cli-bin==0.163.0``;
``--setup-official`` creates a venv for them under ~/.cache/codex-embedded/official-venv.
Build ours optimized first: ``CODEX_EMBEDDED_PROFILE=release bash scripts/install.sh``.
The engine build profile of ours is read from the extension's ELF sections (dev: symbols, no
debug info; profiling: line tables; release/wheel: stripped); --profile-label overrides it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from _driver import (
    LONG_STREAM_DELTAS,
    STREAM_DELTAS,
    Mock,
    default_official_python,
    print_build,
    run_meta,
    run_worker,
    setup_official,
)
from _driver import write_json as write_json_file

# key, label, unit, better, goal for ours/official (issue 14), None where there is none.
METRICS: list[tuple[str, str, str, str, float | None]] = [
    ("import_client_ready_ms", "import + client ready (fresh home)", "ms", "lower", 1 / 5),
    ("client_ready_ms", "client ready (fresh home)", "ms", "lower", None),
    ("thread_start_ms", "thread start", "ms", "lower", 1 / 3),
    ("plain_turn_ms", "one plain turn", "ms", "lower", 1 / 3),
    ("first_turn_total_ms", "import to first turn done (import + ready + thread start + turn)", "ms", "lower", None),
    ("warm_turn_ms", "warm plain turn (median of {warm})", "ms", "lower", None),
    ("warm_turn_cpu_ms", "CPU per warm plain turn, process tree", "ms", "lower", 1 / 3),
    ("warm_thread_start_ms", "warm thread start (median of {warm})", "ms", "lower", None),
    ("warm_thread_start_cpu_ms", "CPU per warm thread start, process tree", "ms", "lower", None),
    ("deltas_per_s", f"{STREAM_DELTAS:,} deltas: deltas/s reaching Python", "/s", "higher", 5.0),
    ("peak_rss_total_mb", "peak RSS, process tree", "MB", "lower", 1 / 2),
    ("concurrent_threads_ms", "16 concurrent turns (threads)", "ms", "lower", 1 / 3),
    ("concurrent_asyncio_ms", "16 concurrent turns (asyncio)", "ms", "lower", 1 / 3),
    ("many_threads_wall_ms", "{threads} concurrent threads, one turn each", "ms", "lower", 1 / 4),
    ("many_threads_rss_per_thread_kb", "RSS per thread ({threads} concurrent)", "KB", "lower", None),
]


def goal_text(better: str, goal: float | None) -> str:
    if goal is None:
        return ""
    return f"≥ {goal:g}x" if better == "higher" else f"≤ 1/{round(1 / goal)}"


def report_share(results: list[dict[str, Any]], medians: dict[str, float], prefix: str, text: str, out: Any) -> None:
    """Prints (and adds to the medians) Python's share of the engine's delta rate, with each worker's."""
    emitted = [r for r in results if f"{prefix}deltas_share_of_engine_rate" in r]
    if not emitted:
        return
    engine_rate = statistics.median(r[f"{prefix}engine_deltas_per_s"] for r in emitted)
    share = statistics.median(r[f"{prefix}deltas_share_of_engine_rate"] for r in emitted)
    each = ", ".join(f"{r[f'{prefix}deltas_share_of_engine_rate']:.2f}" for r in emitted)
    medians[f"{prefix}engine_deltas_per_s"] = engine_rate
    medians[f"{prefix}deltas_share_of_engine_rate"] = share
    met = "met" if share >= 0.95 else "not met"
    print(
        f"{text.format(rate=f'{engine_rate:,.0f}')}; Python received them at {share:.2f} of that rate"
        f" ({each}; goal >= 0.95: {met})",
        file=out,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="worker runs per SDK (default 3, --quick 1)")
    parser.add_argument("--warm-turns", type=int, default=None, help="warm turns for CPU (default 40, --quick 10)")
    parser.add_argument("--threads", type=int, default=None, help="concurrent threads (default 256, --quick 64)")
    parser.add_argument("--quick", action="store_true", help="small N: a few minutes with both SDKs")
    parser.add_argument("--official-python", default=default_official_python())
    parser.add_argument("--setup-official", action="store_true")
    parser.add_argument("--ours-only", action="store_true", help="skip the official SDK (no ratios)")
    parser.add_argument("--profile-label", help="engine build profile of ours, when the file cannot tell")
    parser.add_argument("--json", metavar="FILE", help="all figures as JSON ('-': stdout, table to stderr)")
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    warm = args.warm_turns or (10 if args.quick else 40)
    threads = args.threads or (64 if args.quick else 256)
    out = sys.stderr if args.json == "-" else sys.stdout

    impls = ["ours"] if args.ours_only else ["official", "ours"]
    pythons = {"ours": sys.executable}
    if not args.ours_only:
        pythons["official"] = str(setup_official()) if args.setup_official else args.official_python
        if not Path(pythons["official"]).exists():
            parser.error(f"{pythons['official']} not found: pass --setup-official, --official-python or --ours-only")

    meta = run_meta(args.profile_label)
    meta.update(runs=runs, warm_turns=warm, threads=threads, stream_deltas=STREAM_DELTAS)
    print_build(meta, out)
    worker_args = ["--warm-turns", str(warm), "--threads", str(threads)]
    samples: dict[str, list[dict[str, Any]]] = {impl: [] for impl in impls}
    with Mock() as mock:
        meta["mock_round_trip_ms"] = mock.round_trip_ms()
        for run in range(runs):
            # Alternate so drift on the machine hits both sides alike.
            for impl in impls:
                print(f"run {run + 1}/{runs}: {impl}", file=out, flush=True)
                samples[impl].append(run_worker(pythons[impl], impl, mock.base_url, worker_args))
    meta["load_average_at_end"] = os.getloadavg()

    for impl, results in samples.items():
        for result in results:
            if result["deltas_received"] != STREAM_DELTAS:
                print(f"warning: {impl} received {result['deltas_received']} of {STREAM_DELTAS} deltas", file=out)
            if result.get("long_deltas_received", LONG_STREAM_DELTAS) != LONG_STREAM_DELTAS:
                received = result["long_deltas_received"]
                print(f"warning: {impl} received {received} of {LONG_STREAM_DELTAS} deltas", file=out)

    medians = {
        impl: {key: statistics.median(r[key] for r in results) for key, *_ in METRICS}
        for impl, results in samples.items()
    }
    ratios: dict[str, float] = {}
    if "official" in medians:
        for key, *_ in METRICS:
            official = medians["official"][key]
            ratios[key] = medians["ours"][key] / official if official else float("nan")

    versions = ", ".join(f"{impl} {results[0]['sdk_version']}" for impl, results in samples.items())
    print(f"\nmedian of {runs} run(s) each ({versions}); ratio = ours / official", file=out)
    print(f"mock round trip (the floor of a turn): {meta['mock_round_trip_ms']:.2f} ms\n", file=out)
    header = "| metric | official 0.163 | codex-embedded | ratio | goal | met |"
    print(header if ratios else "| metric | codex-embedded |", file=out)
    print("|---|---:|---:|---:|---|---|" if ratios else "|---|---:|", file=out)
    for key, label, unit, better, goal in METRICS:
        name = label.format(warm=warm, threads=threads)
        ours = medians["ours"][key]
        if not ratios:
            print(f"| {name} | {ours:,.1f} {unit} |", file=out)
            continue
        official, ratio = medians["official"][key], ratios[key]
        met = "" if goal is None else ("yes" if (ratio >= goal if better == "higher" else ratio <= goal) else "no")
        cells = f"{official:,.1f} {unit} | {ours:,.1f} {unit} | {ratio:.2f}x | {goal_text(better, goal)} | {met}"
        print(f"| {name} | {cells} |", file=out)

    shares = [
        ("", f"\nours, {STREAM_DELTAS:,} deltas", "(timed in Rust as they leave it)"),
        ("long_", f"ours, {LONG_STREAM_DELTAS:,} deltas", "(a warm client, ~100 ms of stream)"),
    ]
    for prefix, what, how in shares:
        report_share(samples["ours"], medians["ours"], prefix, f"{what}: the engine emitted {{rate}}/s {how}", out)

    if args.json:
        goals = {key: {"better": better, "ratio": goal} for key, _, _, better, goal in METRICS if goal is not None}
        write_json_file(args.json, {"meta": meta, "runs": samples, "median": medians, "ratio": ratios, "goals": goals})
    return 0


if __name__ == "__main__":
    sys.exit(main())
