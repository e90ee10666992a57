"""One benchmark run of one SDK, in a fresh process. Prints a JSON object.

The same code drives both SDKs: only the import differs, which is the point.
usage: python _worker.py {ours,official} BASE_URL HOME_ROOT
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

IMPL, BASE_URL, HOME_ROOT = sys.argv[1], sys.argv[2], Path(sys.argv[3])
KEY = "sk-bench-not-a-real-key"
CONCURRENT = 16

HERMETIC = (
    "features.plugins=false",
    "features.remote_plugin=false",
    "features.apps=false",
    "analytics.enabled=false",
    "feedback.enabled=false",
    "check_for_update_on_startup=false",
    "features.shell_snapshot=false",
)

if IMPL == "ours":
    import codex as sdk

    def make_config(home: Path) -> Any:
        return sdk.CodexConfig(codex_home=str(home), base_url=BASE_URL, api_key=KEY, stream_max_retries=0)
else:
    import openai_codex as sdk  # type: ignore[import-not-found, no-redef]

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


class TreeRssSampler:
    """Peak of (RSS of this process + all its descendants), sampled every few ms.

    ``ru_maxrss`` of children is useless here: a child forked from a large process
    reports the parent's pages, and children are not summed.
    """

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TreeRssSampler:
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024

    def _run(self) -> None:
        root = os.getpid()
        while not self._stop.is_set():
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry)] = int(fields[1])
                rss[int(entry)] = int(fields[21]) * PAGE_KB
            tree = {root}
            changed = True
            while changed:
                changed = False
                for pid, parent in parents.items():
                    if parent in tree and pid not in tree:
                        tree.add(pid)
                        changed = True
            self.peak_kb = max(self.peak_kb, sum(rss.get(pid, 0) for pid in tree))
            self._stop.wait(0.005)


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def fresh_home(name: str) -> Path:
    home = HOME_ROOT / f"{IMPL}-{name}"
    home.mkdir(parents=True, exist_ok=True)
    return home


def main() -> None:
    out: dict[str, Any] = {}
    sampler = TreeRssSampler().start()
    t0 = time.perf_counter()
    codex = sdk.Codex(make_config(fresh_home("main")))
    out["client_ready_ms"] = (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    thread = codex.thread_start()
    out["thread_start_ms"] = (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    thread.run("plain")
    out["plain_turn_ms"] = (time.perf_counter() - t0) * 1000

    # 2,000 deltas (the driver's mock answers "stream" prompts with them).
    turn = thread.turn("stream")
    times = []
    for event in turn.stream():
        if event.method == "item/agentMessage/delta":
            times.append(time.perf_counter())
    out["deltas_received"] = len(times)
    out["deltas_per_s"] = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0

    # 16 concurrent turns from Python threads, each on its own thread.
    threads = [codex.thread_start() for _ in range(CONCURRENT)]
    t0 = time.perf_counter()
    workers = [threading.Thread(target=t.run, args=("plain",)) for t in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out["concurrent_threads_ms"] = (time.perf_counter() - t0) * 1000
    codex.close()

    async def async_concurrent() -> float:
        async with sdk.AsyncCodex(make_config(fresh_home("async"))) as client:
            ts = [await client.thread_start() for _ in range(CONCURRENT)]
            start = time.perf_counter()
            await asyncio.gather(*(t.run("plain") for t in ts))
            return (time.perf_counter() - start) * 1000

    out["concurrent_asyncio_ms"] = asyncio.run(async_concurrent())
    out["peak_rss_total_mb"] = sampler.stop()
    out["peak_rss_python_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
