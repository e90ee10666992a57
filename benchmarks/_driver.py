"""What compare_official.py and soak.py share: the mock, the workers, the run's metadata."""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from _proctree import engine_build_profile
from codex.testing import MockResponsesServer, RecordedRequest, ScriptedResponse, responses

HERE = Path(__file__).resolve().parent
OFFICIAL_VENV = Path.home() / ".cache" / "codex-embedded" / "official-venv"
STREAM_DELTAS = 2_000
#: The stream that ours also measures Python's share of the engine's rate on: 2,000 deltas leave
#: the engine in ~10 ms, where one scheduler stall of a few ms moves the share by tens of percent.
LONG_STREAM_DELTAS = 20_000


def responder(request: RecordedRequest) -> ScriptedResponse:
    texts = request.input_texts()
    if "stream" in texts:
        return responses.streamed_text([f"d{i} " for i in range(STREAM_DELTAS)])
    if "stream-long" in texts:
        return responses.streamed_text([f"d{i} " for i in range(LONG_STREAM_DELTAS)])
    return responses.text("ok")


def setup_official() -> Path:
    python = OFFICIAL_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OFFICIAL_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "openai-codex==0.163.0", "openai-codex-cli-bin==0.163.0"],
        check=True,
    )
    return python


def default_official_python() -> str:
    """The venv --setup-official makes, else the one CONTRIBUTING.md describes."""
    for venv in (OFFICIAL_VENV, Path.home() / ".cache" / "official-venv"):
        if (venv / "bin" / "python").exists():
            return str(venv / "bin" / "python")
    return str(OFFICIAL_VENV / "bin" / "python")


class Mock:
    """The instant loopback mock, its recorded requests dropped every second (a soak sends
    thousands of requests; the driver's memory is not what is measured, but it shares the
    machine)."""

    def __init__(self) -> None:
        self.server = MockResponsesServer(responder=responder)
        self._stop = threading.Event()

    def __enter__(self) -> Mock:
        self.server.start()
        threading.Thread(target=self._clear, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.stop()

    def _clear(self) -> None:
        while not self._stop.wait(1.0):
            self.server.clear()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def round_trip_ms(self, count: int = 30) -> float:
        """Median time of one plain-turn request to the mock, read to the end, from Python.

        The floor of a turn: one loopback HTTP round trip (a new connection each, as the mock
        speaks HTTP/1.0) plus the mock's own work.
        """
        url = urlsplit(self.base_url)
        body = json.dumps(
            {
                "model": "gpt-5.5",
                "stream": True,
                "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "plain"}]}],
            }
        )
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
            conn.request("POST", f"{url.path}/responses", body, {"content-type": "application/json"})
            conn.getresponse().read()
            conn.close()
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)


def run_worker(
    python: str, impl: str, base_url: str, args: list[str], *, timeout: float = 600, live_stderr: bool = False
) -> dict[str, Any]:
    cache = Path.home() / ".cache" / "codex-embedded"
    cache.mkdir(parents=True, exist_ok=True)
    home_root = Path(tempfile.mkdtemp(prefix=f"bench-{impl}-", dir=cache))
    try:
        done = subprocess.run(
            [python, str(HERE / "_worker.py"), impl, base_url, str(home_root), *args],
            check=True,
            stdout=subprocess.PIPE,
            stderr=None if live_stderr else subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{impl} worker failed:\n{(exc.stderr or '')[-4000:]}") from exc
    finally:
        shutil.rmtree(home_root, ignore_errors=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_meta(profile_label: str | None) -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "engine_build": engine_build_profile(profile_label),
    }


def print_build(meta: dict[str, Any], file: TextIO) -> None:
    build = meta["engine_build"]
    source = build["source"]
    if build["profile"] != build["inferred"]:
        source += f", the file says {build['inferred']}"
    size = build.get("extension_mb", "?")
    print(
        f"codex-embedded engine build profile: {build['profile']} ({source}; {build['extension']}, {size} MB)",
        file=file,
    )
    if build["profile"] in ("dev", "unknown"):
        print("  warning: not an optimized build; these figures are not results (docs/benchmarks.md)", file=file)
    load = ", ".join(f"{value:.2f}" for value in meta["load_average_at_start"])
    print(f"machine: {meta['cpus']} CPUs, load average at start {load}", file=file)


def write_json(path: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2)
    if path == "-":
        print(text)
    else:
        Path(path).write_text(text + "\n")
        print(f"wrote {path}", file=sys.stderr)
