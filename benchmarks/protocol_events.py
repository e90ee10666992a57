"""What it costs to turn one engine event into a typed Python object.

1. Per event, in Python alone: the engine hands over each event's params as JSON
   text; ``codex.turns`` decodes it and ``parse_notification`` validates it into
   the generated model. Measured for a small and a large event, also split into
   decoding and validation, and for ``to_dict()`` back to wire JSON.
2. End to end: deltas per second that reach Python from a real turn (the engine
   streams a mock answer of many chunks).

    .venv/bin/python benchmarks/protocol_events.py [--deltas N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codex import Codex
from codex.events import parse_notification
from codex.testing import MockResponsesServer, responses

DELTA = (
    "item/agentMessage/delta",
    {"threadId": "019a0000-0000-7000-8000-000000000001", "turnId": "2", "itemId": "msg_1", "delta": "hello "},
)
COMMAND_ITEM = (
    "item/completed",
    {
        "threadId": "019a0000-0000-7000-8000-000000000001",
        "turnId": "2",
        "completedAtMs": 1_700_000_000_000,
        "item": {
            "type": "commandExecution",
            "id": "call_1",
            "command": "/bin/bash -lc 'echo hi > a.txt && cat a.txt'",
            "cwd": "/work/project",
            "processId": "41",
            "source": "agent",
            "status": "completed",
            "commandActions": [{"type": "unknown", "command": "echo hi > a.txt"}],
            "aggregatedOutput": "hi\n",
            "exitCode": 0,
            "durationMs": 12,
        },
    },
)
TURN_COMPLETED = (
    "turn/completed",
    {
        "threadId": "019a0000-0000-7000-8000-000000000001",
        "turn": {"id": "2", "items": [], "status": "completed", "error": None, "startedAt": 1, "completedAt": 2},
    },
)


def per_call_us(call: Callable[[], Any], rounds: int = 7, calls: int = 20_000) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def micro() -> None:
    for method, params in (DELTA, COMMAND_ITEM, TURN_COMPLETED):
        text = json.dumps(params)
        parse_notification(method, json.loads(text))  # builds the model's validator once
        parsed = parse_notification(method, json.loads(text))
        assert parsed.to_dict() == {"method": method, "params": params}
        decode = per_call_us(lambda text=text: json.loads(text))  # type: ignore[misc]
        total = per_call_us(lambda method=method, text=text: parse_notification(method, json.loads(text)))  # type: ignore[misc]
        back = per_call_us(parsed.payload.to_dict)
        print(
            f"{method:26} {len(text):4} B  json.loads {decode:5.2f} us  + validate {total - decode:5.2f} us"
            f"  = {total:5.2f} us/event   to_dict {back:5.2f} us"
        )


def deltas_per_second(count: int) -> None:
    with tempfile.TemporaryDirectory() as workspace, MockResponsesServer() as mock:
        mock.enqueue(responses.text("warm"), responses.streamed_text([f"d{i} " for i in range(count)]))
        with Codex(base_url=mock.base_url, api_key="sk-bench-not-a-real-key", cwd=str(Path(workspace))) as codex:
            thread = codex.thread_start()
            thread.run("warm up")
            times = [
                time.perf_counter()
                for event in thread.turn("stream").stream()
                if event.method == "item/agentMessage/delta"
            ]
    rate = (len(times) - 1) / (times[-1] - times[0])
    print(f"{len(times)} of {count} deltas reached Python: {rate:,.0f} deltas/s (first to last)")


def main() -> None:
    parser = argparse.ArgumentParser(description="protocol event parsing cost")
    parser.add_argument("--deltas", type=int, default=2000)
    args = parser.parse_args()
    micro()
    deltas_per_second(args.deltas)


if __name__ == "__main__":
    main()
