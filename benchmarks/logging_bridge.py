"""What the engine-to-Python logging bridge costs.

Per event, measured on the emitting (engine) thread with the GIL released:
forwarding off, on but below the level, and on (record built and queued).
Then a whole turn against the mock server with ``codex`` at WARNING and at DEBUG.

    .venv/bin/python benchmarks/logging_bridge.py
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

from codex import Codex, _logging, _native
from codex.testing import MockResponsesServer, responses

EVENTS = 200_000
QUEUED_EVENTS = 5_000  # under the queue's capacity, so none is dropped


def per_event_ns(count: int, level: int) -> float:
    logging.getLogger("codex").setLevel(level)
    _logging.sync_engine_level()
    _logging.flush_engine_logs()
    samples = [_native.emit_probe_events(count, "probe message") for _ in range(5)]
    _logging.flush_engine_logs()
    return statistics.median(samples)


def turn_seconds(level: int, turns: int = 5) -> tuple[float, int]:
    logging.getLogger("codex").setLevel(level)
    forwarded_before = _native.log_bridge_stats()["forwarded"]
    durations = []
    with (
        tempfile.TemporaryDirectory() as workspace,
        MockResponsesServer() as mock,
        Codex(base_url=mock.base_url, api_key="sk-bench-key", cwd=str(Path(workspace))) as codex,
    ):
        thread = codex.thread_start()
        for _ in range(turns):
            mock.enqueue(responses.text("hello"))
            started = time.perf_counter()
            thread.run("hi")
            durations.append(time.perf_counter() - started)
        _logging.flush_engine_logs()
    records = _native.log_bridge_stats()["forwarded"] - forwarded_before
    return statistics.median(durations), records // turns


def main() -> None:
    # Handlers that do nothing: this measures the bridge, not a terminal.
    logging.getLogger("codex").addHandler(logging.NullHandler())
    logging.getLogger("codex").propagate = False
    print(f"off (level above CRITICAL):  {per_event_ns(EVENTS, logging.CRITICAL + 10):8.1f} ns/event")
    print(f"on, event below level:       {per_event_ns(EVENTS, logging.WARNING):8.1f} ns/event")
    print(f"on, event forwarded:         {per_event_ns(QUEUED_EVENTS, logging.DEBUG):8.1f} ns/event")
    for name, level in (("WARNING", logging.WARNING), ("DEBUG", logging.DEBUG)):
        seconds, records = turn_seconds(level)
        print(f"turn with codex at {name:7}:  {seconds * 1000:8.1f} ms median, {records} engine records per turn")


if __name__ == "__main__":
    main()
