"""One benchmark run of one SDK, in a fresh process. Prints a JSON object (last stdout line).

The same code drives both SDKs: only the import differs, which is the point.

    python _worker.py {ours,official} BASE_URL HOME_ROOT [--mode compare|soak] [options]

``compare`` (benchmarks/compare_official.py): start-up, one turn, streamed deltas, 16
concurrent turns, CPU per warm turn and thread start, N concurrent threads.
``soak`` (benchmarks/soak.py): sequential turns on one client, then N concurrent threads.

Tree RSS and CPU time come from a sampler process (``_proctree.py``), started before the SDK
is imported and excluded from the tree it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-not-a-real-key"
CONCURRENT = 16

parser = argparse.ArgumentParser()
parser.add_argument("impl", choices=("ours", "official"))
parser.add_argument("base_url")
parser.add_argument("home_root", type=Path)
parser.add_argument("--mode", choices=("compare", "soak"), default="compare")
parser.add_argument("--warm-turns", type=int, default=40, help="compare: warm turns (and thread starts) for CPU")
parser.add_argument("--threads", type=int, default=256, help="concurrent threads, one turn each")
parser.add_argument("--turns", type=int, default=1000, help="soak: sequential turns")
parser.add_argument("--turns-per-thread", type=int, default=0, help="soak: new thread every K turns (0: one)")
parser.add_argument(
    "--unsubscribe", action="store_true", help="soak: unsubscribe a thread before the next starts (where supported)"
)
parser.add_argument(
    "--unload-after-ms", type=int, help="ours: CodexConfig.unload_idle_threads_after_ms (default: the engine's)"
)
ARGS = parser.parse_args()
IMPL: str = ARGS.impl
BASE_URL: str = ARGS.base_url
HOME_ROOT: Path = ARGS.home_root


class TreeSampler:
    """Client of the ``_proctree.py`` sampler process following this process's tree."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(HERE / "_proctree.py"), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, command: str) -> dict[str, float]:
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        reply: dict[str, float] = json.loads(self._proc.stdout.readline())
        return reply

    def mark(self) -> dict[str, float]:
        """Current RSS, peak since the last call, CPU seconds; sampling on from here."""
        return self._ask("mark")

    def hold(self) -> dict[str, float]:
        """Like :meth:`mark`, with sampling paused until the next call."""
        return self._ask("hold")

    def stop(self) -> float:
        """Peak tree RSS (MB) over the whole run."""
        peak = self._ask("quit")["overall_peak_mb"]
        self._proc.wait()
        return peak


# Started before the SDK is imported: nothing of the engine is forked.
SAMPLER = TreeSampler()

T_IMPORT = time.perf_counter()
if IMPL == "ours":
    import codex as sdk

    SDK_VERSION = sdk.__version__

    def make_config(home: Path) -> Any:
        extra = {} if ARGS.unload_after_ms is None else {"unload_idle_threads_after_ms": ARGS.unload_after_ms}
        return sdk.CodexConfig(codex_home=str(home), base_url=BASE_URL, api_key=KEY, stream_max_retries=0, **extra)
else:
    import openai_codex as sdk  # type: ignore[import-not-found, no-redef]

    SDK_VERSION = sdk.__version__

    HERMETIC = (
        "features.plugins=false",
        "features.remote_plugin=false",
        "features.apps=false",
        "analytics.enabled=false",
        "feedback.enabled=false",
        "check_for_update_on_startup=false",
        "features.shell_snapshot=false",
    )

    def make_config(home: Path) -> Any:
        provider = (
            'model_provider="mock"',
            'model_providers.mock.name="mock"',
            f'model_providers.mock.base_url="{BASE_URL}"',
            'model_providers.mock.wire_api="responses"',
            f'model_providers.mock.experimental_bearer_token="{KEY}"',
            "model_providers.mock.stream_max_retries=0",
            'model="gpt-5.5"',
        )
        return sdk.CodexConfig(config_overrides=HERMETIC + provider, env={"CODEX_HOME": str(home)})


IMPORT_MS = (time.perf_counter() - T_IMPORT) * 1000

# Imported after the SDK, so that what an SDK's import pulls in (asyncio: ~16 ms) is its cost,
# as in a program that imports nothing else first.
import asyncio  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402


def fresh_home(name: str) -> Path:
    home = HOME_ROOT / f"{IMPL}-{name}"
    home.mkdir(parents=True, exist_ok=True)
    return home


def progress(message: str) -> None:
    print(f"[{IMPL}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def many_threads(codex: Any, count: int) -> dict[str, float]:
    """``count`` Python threads released together, each starts a thread and runs one turn.

    RSS per thread = (peak tree RSS during the run - tree RSS just before) / count.
    """
    barrier = threading.Barrier(count + 1)
    errors: list[BaseException] = []
    overload_retries = [0]

    def retrying(call: Any) -> Any:
        # The official app-server sheds load with JSON-RPC -32001 "Server overloaded; retry
        # later" and documents retrying with backoff: a program would, so the benchmark does.
        for attempt in range(60):
            try:
                return call()
            except Exception as exc:
                if "-32001" not in str(exc) and "overloaded" not in str(exc).lower():
                    raise
                overload_retries[0] += 1
                time.sleep(min(0.2, 0.005 * 2**attempt) * (0.5 + random.random()))
        return call()

    def one() -> None:
        barrier.wait()
        try:
            thread = retrying(codex.thread_start)
            retrying(lambda: thread.run("plain"))
        except BaseException as exc:  # reported below, the run must not hang
            errors.append(exc)

    workers = [threading.Thread(target=one) for _ in range(count)]
    for w in workers:
        w.start()
    before = SAMPLER.mark()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    wall_ms = (time.perf_counter() - t0) * 1000
    after = SAMPLER.hold()
    if errors:
        raise RuntimeError(f"{len(errors)} of {count} concurrent turns failed; first: {errors[0]!r}")
    return {
        "many_threads": count,
        "many_threads_wall_ms": wall_ms,
        "many_threads_rss_before_mb": before["rss_mb"],
        "many_threads_peak_rss_mb": after["peak_mb"],
        "many_threads_rss_per_thread_kb": (after["peak_mb"] - before["rss_mb"]) * 1024 / count,
        "many_threads_cpu_s": after["cpu_s"] - before["cpu_s"],
        "many_threads_overload_retries": overload_retries[0],
    }


def compare() -> dict[str, Any]:
    out: dict[str, Any] = {}
    SAMPLER.mark()
    t0 = time.perf_counter()
    codex = sdk.Codex(make_config(fresh_home("main")))
    out["client_ready_ms"] = (time.perf_counter() - t0) * 1000
    out["import_ms"] = IMPORT_MS
    out["import_client_ready_ms"] = IMPORT_MS + out["client_ready_ms"]

    t0 = time.perf_counter()
    thread = codex.thread_start()
    out["thread_start_ms"] = (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    thread.run("plain")
    out["plain_turn_ms"] = (time.perf_counter() - t0) * 1000
    # What a program pays from its import to its first answer: the three figures above split
    # it by where each SDK's work happens to fall (ours: a race with the protocol warm-up).
    out["first_turn_total_ms"] = out["import_client_ready_ms"] + out["thread_start_ms"] + out["plain_turn_ms"]

    # 2,000 deltas (the driver's mock answers "stream" prompts with them).
    out.update(stream_rates(codex, thread, "stream"))

    # 16 concurrent turns from Python threads, each on its own thread.
    threads = [codex.thread_start() for _ in range(CONCURRENT)]
    t0 = time.perf_counter()
    workers = [threading.Thread(target=t.run, args=("plain",)) for t in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out["concurrent_threads_ms"] = (time.perf_counter() - t0) * 1000

    # CPU time of the whole tree (for the official SDK: with its app-server child) per warm
    # plain turn and per warm thread start. Sampling is paused meanwhile.
    n = ARGS.warm_turns
    warm = codex.thread_start()
    warm.run("plain")
    before = SAMPLER.hold()
    latencies = []
    for _ in range(n):
        t0 = time.perf_counter()
        warm.run("plain")
        latencies.append((time.perf_counter() - t0) * 1000)
    after = SAMPLER.hold()
    out["warm_turns"] = n
    out["warm_turn_ms"] = statistics.median(latencies)
    out["warm_turn_cpu_ms"] = (after["cpu_s"] - before["cpu_s"]) * 1000 / n
    latencies = []
    for _ in range(n):
        t0 = time.perf_counter()
        codex.thread_start()
        latencies.append((time.perf_counter() - t0) * 1000)
    started = SAMPLER.mark()
    out["warm_thread_start_ms"] = statistics.median(latencies)
    out["warm_thread_start_cpu_ms"] = (started["cpu_s"] - after["cpu_s"]) * 1000 / n
    codex.close()

    async def async_concurrent() -> float:
        async with sdk.AsyncCodex(make_config(fresh_home("async"))) as client:
            ts = [await client.thread_start() for _ in range(CONCURRENT)]
            start = time.perf_counter()
            await asyncio.gather(*(t.run("plain") for t in ts))
            return (time.perf_counter() - start) * 1000

    out["concurrent_asyncio_ms"] = asyncio.run(async_concurrent())

    # N concurrent threads on a fresh client, warmed by one thread and turn.
    codex = sdk.Codex(make_config(fresh_home("many")))
    codex.thread_start().run("plain")
    out.update(many_threads(codex, ARGS.threads))
    codex.close()
    return out


def long_stream_share() -> dict[str, float]:
    """Python's share of the engine's rate again, over 20,000 deltas (~100 ms) on a warm client.

    Run after every other measure, the peak RSS included, so that it changes none of them."""
    codex = sdk.Codex(make_config(fresh_home("long")))
    thread = codex.thread_start()
    thread.run("plain")
    rates = stream_rates(codex, thread, "stream-long")
    codex.close()
    return {f"long_{key}": value for key, value in rates.items()}


def stream_rates(codex: Any, thread: Any, prompt: str) -> dict[str, float]:
    """The rate at which a streamed answer's deltas reach Python, and (ours) the engine's own."""
    out: dict[str, float] = {}
    turn = thread.turn(prompt)
    times = []
    for event in turn.stream():
        if event.method == "item/agentMessage/delta":
            times.append(time.perf_counter())
    out["deltas_received"] = len(times)
    out["deltas_per_s"] = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    if IMPL == "ours":
        # The engine's own emission rate of the same deltas (timed as they leave it, in Rust).
        stats = codex.delivery_stats()
        if stats.turn_text_deltas > 1 and stats.turn_text_delta_span_s > 0:
            engine_rate = (stats.turn_text_deltas - 1) / stats.turn_text_delta_span_s
            out["engine_deltas_per_s"] = engine_rate
            out["deltas_share_of_engine_rate"] = out["deltas_per_s"] / engine_rate
    return out


def soak() -> dict[str, Any]:
    out: dict[str, Any] = {"turns": ARGS.turns, "turns_per_thread": ARGS.turns_per_thread or ARGS.turns}
    out["unsubscribes"] = bool(ARGS.unsubscribe and hasattr(sdk.Thread, "unsubscribe"))
    window = min(100, max(1, ARGS.turns // 2))
    out["window"] = window
    codex = sdk.Codex(make_config(fresh_home("soak")))
    thread = codex.thread_start()
    out["rss_start_mb"] = SAMPLER.hold()["rss_mb"]
    per_thread = ARGS.turns_per_thread or ARGS.turns
    latencies: list[float] = []
    t_start = time.perf_counter()
    for i in range(ARGS.turns):
        if i and i % per_thread == 0:
            if ARGS.unsubscribe and hasattr(thread, "unsubscribe"):
                # The engine keeps a thread loaded while a client is subscribed to it, and
                # unloads it once idle without one for --unload-after-ms (ours) or 30 minutes.
                thread.unsubscribe()
            thread = codex.thread_start()
        t0 = time.perf_counter()
        thread.run("plain")
        latencies.append((time.perf_counter() - t0) * 1000)
        if i + 1 == window:
            out["rss_after_window_mb"] = SAMPLER.hold()["rss_mb"]
        if (i + 1) % 100 == 0:
            progress(f"{i + 1}/{ARGS.turns} turns, last 100 median {statistics.median(latencies[-100:]):.1f} ms")
    out["soak_wall_s"] = time.perf_counter() - t_start
    end = SAMPLER.hold()
    out["rss_end_mb"] = end["rss_mb"]
    out["rss_growth_pct"] = (end["rss_mb"] / out["rss_after_window_mb"] - 1) * 100
    out["rss_growth_from_start_pct"] = (end["rss_mb"] / out["rss_start_mb"] - 1) * 100
    first, last = latencies[:window], latencies[-window:]
    out["first_median_ms"] = statistics.median(first)
    out["first_p95_ms"] = percentile(first, 0.95)
    out["last_median_ms"] = statistics.median(last)
    out["last_p95_ms"] = percentile(last, 0.95)
    out["latency_drift_pct"] = (out["last_median_ms"] / out["first_median_ms"] - 1) * 100
    progress(f"{ARGS.threads} concurrent threads")
    out.update(many_threads(codex, ARGS.threads))
    codex.close()
    return out


def main() -> None:
    out = compare() if ARGS.mode == "compare" else soak()
    out["sdk_version"] = SDK_VERSION
    out["peak_rss_total_mb"] = SAMPLER.stop()
    out["peak_rss_python_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if ARGS.mode == "compare" and IMPL == "ours":
        out.update(long_stream_share())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
