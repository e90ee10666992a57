"""Fleet throughput: N tasks against the instant mock, local vs Ray, and the official SDK.

usage: .venv/bin/python benchmarks/fleet.py [--tasks 200] [--concurrency 8] [--workers 2]
           [--backends local,ray] [--official-python PATH]

Every task copies a small workspace and runs one turn (one model call). Reported per run:
wall time from the call to the last result (worker and engine start included), tasks/s over
that, tasks/s after the first result (steady state), and the peak RSS of each worker process
(local: the spawned processes; ray: the actor processes; official: each ``codex app-server``
subprocess plus the one Python process driving them all).

The official SDK has no fleet: it is driven the way users glue it together, one client (so one
``codex`` subprocess) per concurrent agent, each running tasks from a shared queue on Python
threads. Its interpreter comes from ``--official-python`` (``benchmarks/compare_official.py
--setup-official`` creates one under ~/.cache/codex-embedded/official-venv).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
KEY_ENV = "CODEX_FLEET_BENCH_KEY"
KEY = "sk-bench-not-a-real-key"


class WorkerRssSampler:
    """Peak RSS per process whose command line contains one of ``markers`` (and, with
    ``descendants_of``, that descends from that process), sampled every 20 ms."""

    def __init__(self, markers: tuple[bytes, ...], descendants_of: int | None = None) -> None:
        self.markers = markers
        self.root = descendants_of
        self.peaks_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            parents: dict[int, int] = {}
            matching: dict[int, int] = {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry)] = int(fields[1])
                    command = Path(f"/proc/{entry}/cmdline").read_bytes()
                except OSError:
                    continue
                if any(marker in command for marker in self.markers):
                    matching[int(entry)] = int(fields[21]) * PAGE_KB
            for pid, rss_kb in matching.items():
                if self.root is None or self._descends(pid, parents):
                    self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), rss_kb)
            self._stop.wait(0.02)

    def _descends(self, pid: int, parents: dict[int, int]) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == self.root:
                return True
        return False

    def summary(self) -> dict[str, float]:
        peaks = sorted(self.peaks_kb.values())
        if not peaks:
            return {"workers_seen": 0}
        return {
            "workers_seen": len(peaks),
            "peak_rss_per_worker_mb_max": peaks[-1] / 1024,
            "peak_rss_per_worker_mb_median": peaks[len(peaks) // 2] / 1024,
        }


def _rates(count: int, started: float, first: float | None, last: float) -> dict[str, float]:
    wall = last - started
    steady = last - first if first is not None and count > 1 else 0.0
    return {
        "wall_s": wall,
        "tasks_per_s": count / wall if wall > 0 else 0.0,
        "steady_tasks_per_s": (count - 1) / steady if steady > 0 else 0.0,
    }


def run_ours(backend: str, base_url: str, source: Path, args: argparse.Namespace) -> dict[str, Any]:
    from codex.fleet import DirectoryWorkspace, FleetTask, TaskStatus, WorkerOptions, run_fleet

    tasks = [
        FleetTask(id=f"task-{index}", prompt=f"task {index}", workspace=DirectoryWorkspace(str(source)))
        for index in range(args.tasks)
    ]
    options = WorkerOptions(base_url=base_url, api_key_env=KEY_ENV, stream_max_retries=0)
    markers = (b"spawn_main",) if backend == "local" else (b"FleetActor",)
    root = os.getpid() if backend == "local" else None
    init = {"num_cpus": os.cpu_count() or 2, "include_dashboard": False, "log_to_driver": False}
    completed = 0
    first: float | None = None
    with WorkerRssSampler(markers, root) as sampler:
        started = time.perf_counter()
        for result in run_fleet(
            tasks,
            backend=backend,  # type: ignore[arg-type]
            concurrency=args.concurrency,
            workers=args.workers,
            worker_options=options,
            ray_init=init,
        ):
            first = first if first is not None else time.perf_counter()
            completed += result.status is TaskStatus.completed
        last = time.perf_counter()
    return {
        "impl": f"ours-{backend}",
        "completed": completed,
        **_rates(args.tasks, started, first, last),
        **sampler.summary(),
    }


def official_worker(base_url: str, tasks: int, concurrency: int, source: Path) -> None:
    """Runs inside the official SDK's interpreter: one client (subprocess) per concurrent agent."""
    import openai_codex  # type: ignore[import-not-found]

    config_overrides = (
        "features.plugins=false",
        "features.remote_plugin=false",
        "features.apps=false",
        "analytics.enabled=false",
        "feedback.enabled=false",
        "check_for_update_on_startup=false",
        "features.shell_snapshot=false",
        'model_provider="mock"',
        'model_providers.mock.name="mock"',
        f'model_providers.mock.base_url="{base_url}"',
        'model_providers.mock.wire_api="responses"',
        f'model_providers.mock.experimental_bearer_token="{KEY}"',
        "model_providers.mock.stream_max_retries=0",
        'model="gpt-5.5"',
    )
    todo: queue.Queue[int] = queue.Queue()
    for index in range(tasks):
        todo.put(index)
    scratch = Path(tempfile.mkdtemp(prefix="fleet-bench-official-", dir=source.parent))
    done: list[float] = []
    lock = threading.Lock()

    def agent(number: int) -> None:
        home = scratch / f"home-{number}"
        home.mkdir()
        config = openai_codex.CodexConfig(config_overrides=config_overrides, env={"CODEX_HOME": str(home)})
        with openai_codex.Codex(config) as client:
            while True:
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                workspace = scratch / f"task-{index}"
                shutil.copytree(source, workspace)
                client.thread_start(cwd=str(workspace)).run(f"task {index}")
                shutil.rmtree(workspace, ignore_errors=True)
                with lock:
                    done.append(time.perf_counter())

    with WorkerRssSampler((b"app-server",), os.getpid()) as sampler:
        started = time.perf_counter()
        agents = [threading.Thread(target=agent, args=(number,)) for number in range(concurrency)]
        for thread in agents:
            thread.start()
        for thread in agents:
            thread.join()
        last = time.perf_counter()
    shutil.rmtree(scratch, ignore_errors=True)
    first = min(done) if done else None
    driver_kb = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            driver_kb = int(line.split()[1])
    out = {"impl": "official-subprocess-per-agent", "completed": len(done), **_rates(tasks, started, first, last)}
    print(json.dumps({**out, **sampler.summary(), "driver_python_peak_rss_mb": driver_kb / 1024}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="local,ray")
    parser.add_argument("--official-python", default=None)
    parser.add_argument("--official-worker", nargs=2, metavar=("BASE_URL", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.official_worker:
        official_worker(args.official_worker[0], args.tasks, args.concurrency, Path(args.official_worker[1]))
        return 0

    from codex.testing import MockResponsesServer, responses

    os.environ[KEY_ENV] = KEY
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codex-embedded"
    cache.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    with MockResponsesServer(default=responses.text("done")) as mock, tempfile.TemporaryDirectory(dir=cache) as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        (source / "README.md").write_text("a small workspace\n")
        for backend in [name for name in args.backends.split(",") if name]:
            rows.append(run_ours(backend, mock.base_url, source, args))
            print(json.dumps(rows[-1]), flush=True)
        if args.official_python:
            command = [args.official_python, __file__, "--official-worker", mock.base_url, str(source)]
            command += ["--tasks", str(args.tasks), "--concurrency", str(args.concurrency)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'impl':<32}{'done':>6}{'wall s':>9}{'tasks/s':>9}{'steady/s':>10}{'RSS/worker MB':>15}")
    for row in rows:
        rss = row.get("peak_rss_per_worker_mb_max", 0.0)
        print(
            f"{row['impl']:<32}{row['completed']:>6}{row['wall_s']:>9.1f}{row['tasks_per_s']:>9.1f}"
            f"{row['steady_tasks_per_s']:>10.1f}{rss:>15.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
