"""Events/s of the Python half of the event path, without the engine.

The extension hands a turn's events over in batches of raw tuples ``(is_request, method,
request_id, params_json)``; ``codex.turns`` decodes each into a typed
:class:`~codex.events.Notification`, routes it by turn, folds it into the turn's result and
yields it. This feeds recorded wire events (a real turn of the dev build: a command, a
streamed answer) to a real ``TurnHandle`` / ``AsyncTurnHandle`` through a stand-in
subscription and session, so only the Python work is timed:

- ``deltas``: one turn of N ``item/agentMessage/delta`` events (the hot path), then
  ``turn/completed``;
- ``mix``: turns as the engine streams them (thread status, turn started, a user message, a
  command's items, token usage, an answer of a few deltas, completion), repeated;
- ``parse``: the decoding alone, per event kind: the two-step path (``json.loads`` then
  ``validate_python``, as the SDK did before) against what ``codex.events`` does now.

    .venv/bin/python benchmarks/event_parse.py [--deltas N] [--turns N] [--rounds N]

Figures are medians of ``--rounds`` runs; compare before/after on the same machine and build.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any, cast

from codex import _constants, events, protocol
from codex._dispatch import ServerRequestDispatcher
from codex.errors import scrub
from codex.events import Notification, UnknownNotification
from codex.turns import AsyncTurnHandle, TurnHandle

RawEvent = tuple[bool, str, "str | None", str]

THREAD = "01a24316-c5c2-7724-b997-c4d42468ef3f"
TURN = "01a24316-c607-7287-b834-a9a9def9a15c"

# One turn of the dev build against the mock (exec_command, then a streamed answer), as the
# extension handed it over; ``{turn}`` is replaced per turn.
_RECORDED_BEFORE_ANSWER = [
    ("thread/status/changed", {"status": {"activeFlags": [], "type": "active"}, "threadId": THREAD}),
    (
        "turn/started",
        {
            "threadId": THREAD,
            "turn": {
                "completedAt": None,
                "durationMs": None,
                "error": None,
                "id": "{turn}",
                "items": [],
                "itemsView": "notLoaded",
                "startedAt": 1796421895,
                "status": "inProgress",
            },
        },
    ),
]
_USER_ITEM = {
    "clientId": None,
    "content": [{"text": "use the tools", "text_elements": [], "type": "text"}],
    "id": "01a24316-c699-76e7-a700-4fda56d39072",
    "type": "userMessage",
}
_COMMAND_ITEM = {
    "aggregatedOutput": None,
    "command": "/bin/bash -c 'echo hi > a.txt && cat a.txt'",
    "commandActions": [{"command": "echo hi > a.txt && cat a.txt", "type": "unknown"}],
    "cwd": "/tmp/tmpxs22rifj",
    "durationMs": None,
    "exitCode": None,
    "id": "call_4",
    "processId": "51580",
    "source": "unifiedExecStartup",
    "status": "inProgress",
    "type": "commandExecution",
}
_USAGE = {
    "last": {
        "cacheWriteInputTokens": 0,
        "cachedInputTokens": 0,
        "inputTokens": 10,
        "outputTokens": 5,
        "reasoningOutputTokens": 0,
        "totalTokens": 15,
    },
    "modelContextWindow": 258400,
    "total": {
        "cacheWriteInputTokens": 0,
        "cachedInputTokens": 0,
        "inputTokens": 20,
        "outputTokens": 10,
        "reasoningOutputTokens": 0,
        "totalTokens": 30,
    },
}


def _in_turn(extra: dict[str, Any]) -> dict[str, Any]:
    return {**extra, "threadId": THREAD, "turnId": "{turn}"}


def _turn_events(answer: list[str]) -> list[tuple[str, dict[str, Any]]]:
    done_command = {**_COMMAND_ITEM, "aggregatedOutput": "hi\n", "durationMs": 0, "exitCode": 0, "status": "completed"}
    agent = {"id": "msg_6", "memoryCitation": None, "phase": None, "text": "", "type": "agentMessage"}
    return [
        *_RECORDED_BEFORE_ANSWER,
        ("item/started", _in_turn({"item": _USER_ITEM, "startedAtMs": 1796421895833})),
        ("item/completed", _in_turn({"item": _USER_ITEM, "completedAtMs": 1796421895833})),
        ("item/started", _in_turn({"item": _COMMAND_ITEM, "startedAtMs": 1796421896171})),
        ("item/completed", _in_turn({"item": done_command, "completedAtMs": 1796421896171})),
        ("thread/tokenUsage/updated", _in_turn({"tokenUsage": _USAGE})),
        ("item/started", _in_turn({"item": agent, "startedAtMs": 1796421896194})),
        *[("item/agentMessage/delta", _in_turn({"delta": chunk, "itemId": "msg_6"})) for chunk in answer],
        ("item/completed", _in_turn({"item": {**agent, "text": "".join(answer)}, "completedAtMs": 1796421896195})),
        ("thread/tokenUsage/updated", _in_turn({"tokenUsage": _USAGE})),
        ("thread/status/changed", {"status": {"type": "idle"}, "threadId": THREAD}),
        (
            "turn/completed",
            {
                "threadId": THREAD,
                "turn": {
                    "completedAt": 1796421896,
                    "durationMs": 511,
                    "error": None,
                    "id": "{turn}",
                    "items": [],
                    "itemsView": "notLoaded",
                    "startedAt": 1796421895,
                    "status": "completed",
                },
            },
        ),
    ]


def _raw(method: str, params: dict[str, Any], turn_id: str) -> RawEvent:
    # The engine's serde_json output: compact, keys sorted.
    text = json.dumps(params, separators=(",", ":"), sort_keys=True).replace("{turn}", turn_id)
    return (False, method, None, text)


def delta_turn(count: int, turn_id: str = TURN) -> list[RawEvent]:
    answer = [f"tok{i % 97} " for i in range(count)]
    chunk = [(m, p) for m, p in _turn_events(answer) if m in ("item/agentMessage/delta", "turn/completed")]
    return [_raw(method, params, turn_id) for method, params in chunk]


def mix_turn(turn_id: str, deltas: int = 8) -> list[RawEvent]:
    return [_raw(method, params, turn_id) for method, params in _turn_events([f"w{i} " for i in range(deltas)])]


# --------------------------------------------------------------------------- stand-ins


class _Subscription:
    """Hands out pre-made batches as the extension's subscription would."""

    def __init__(self, raw: list[RawEvent]) -> None:
        self._raw = raw
        self._at = 0

    def next_batch(self, max_events: int = _constants.EVENT_BATCH, timeout: float | None = None) -> list[RawEvent]:
        batch = self._raw[self._at : self._at + max_events]
        self._at += len(batch)
        return batch

    async def next_batch_async(self, max_events: int = _constants.EVENT_BATCH) -> list[RawEvent]:
        return self.next_batch(max_events)

    def close(self) -> None:
        pass


class _Session:
    """What a turn handle uses of its session, without an engine."""

    is_open = True

    def __init__(self) -> None:
        self.server_requests = ServerRequestDispatcher()
        self.telemetry = self.server_requests.telemetry
        self.notices = 0

    def engine(self) -> object:
        return self

    def dispatch(self, *_args: object) -> None:
        raise AssertionError("no server requests here")

    def sdk_events(self, thread_id: str) -> list[Notification]:
        return self.server_requests.drain_events(thread_id)

    def note_thread_notice(self, _method: str, _params: object) -> None:
        self.notices += 1

    def note_delivery(self) -> None:
        pass


def run_sync(raw: list[RawEvent], turn_id: str) -> int:
    handle = TurnHandle(cast("Any", _Session()), THREAD, turn_id, cast("Any", _Subscription(raw)))
    seen = sum(1 for _ in handle.stream())
    handle.run()
    return seen


async def consume_async(raw: list[RawEvent], turn_id: str) -> int:
    handle = AsyncTurnHandle(cast("Any", _Session()), THREAD, turn_id, cast("Any", _Subscription(raw)))
    seen = 0
    async for _ in handle.stream():
        seen += 1
    await handle.run()
    return seen


def run_async(raw: list[RawEvent], turn_id: str) -> int:
    return asyncio.run(consume_async(raw, turn_id))


# --------------------------------------------------------------------------- parsing alone


def two_step_parse(method: str, params_json: str) -> Notification:
    """The SDK's decoding before one-parse: ``json.loads``, then the model from the dict."""
    params = json.loads(params_json)
    if method == "error":
        params = {**params, "error": scrub(params["error"])}
    model = protocol.notification_model(method)
    if model is None:
        return Notification(method, UnknownNotification(params))
    try:
        return Notification(method, protocol.adapter(model).validate_python(params))
    except ValueError:
        return Notification(method, UnknownNotification(params))


def current_parse() -> Callable[[str, str], Notification]:
    """What ``codex.events`` decodes raw events with now (the two-step path before one-parse)."""
    one_parse = getattr(events, "parse_notification_json", None)
    if one_parse is not None:
        return cast("Callable[[str, str], Notification]", one_parse)
    return lambda method, text: events.parse_notification(method, json.loads(text))


def _median_rate(count: int, run: Callable[[], object], rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def _parse_rates(raw: list[RawEvent], rounds: int) -> tuple[float, float]:
    pairs = [(method, text) for _, method, _, text in raw]
    parse = current_parse()
    for method, text in pairs:  # equal results, validators built
        assert parse(method, text) == two_step_parse(method, text), method

    def loop(fn: Callable[[str, str], Notification]) -> Callable[[], object]:
        return lambda: [fn(method, text) for method, text in pairs]

    return _median_rate(len(pairs), loop(two_step_parse), rounds), _median_rate(len(pairs), loop(parse), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deltas", type=int, default=20_000, help="deltas in the delta turn (default 20000)")
    parser.add_argument("--turns", type=int, default=200, help="turns of the mix (default 200)")
    parser.add_argument("--rounds", type=int, default=7, help="runs of each measure; the median is printed")
    args = parser.parse_args()

    deltas = delta_turn(args.deltas)
    turn_ids = [f"turn-{n}" for n in range(args.turns)]
    mixes = [mix_turn(turn_id) for turn_id in turn_ids]
    mix_count = sum(len(events) for events in mixes)

    def mix_sync() -> None:
        for turn_id, raw in zip(turn_ids, mixes, strict=True):
            run_sync(raw, turn_id)

    def mix_async() -> None:
        async def turns() -> None:
            for turn_id, raw in zip(turn_ids, mixes, strict=True):
                await consume_async(raw, turn_id)

        asyncio.run(turns())

    # Warm: validators built, code paths taken once.
    assert run_sync(deltas, TURN) == len(deltas)
    assert run_async(deltas, TURN) == len(deltas)
    mix_sync()
    mix_async()

    print(f"events/s through a turn's stream (median of {args.rounds}; stand-in engine, real handle)")
    print(f"  deltas, sync   {_median_rate(len(deltas), lambda: run_sync(deltas, TURN), args.rounds):>12,.0f}")
    print(f"  deltas, async  {_median_rate(len(deltas), lambda: run_async(deltas, TURN), args.rounds):>12,.0f}")
    print(
        f"  mix, sync      {_median_rate(mix_count, mix_sync, args.rounds):>12,.0f}   ({len(mixes[0])} events a turn)"
    )
    print(f"  mix, async     {_median_rate(mix_count, mix_async, args.rounds):>12,.0f}")

    print("decoding alone, events/s: two-step (json.loads + validate_python) -> codex.events now")
    by_method: dict[str, list[RawEvent]] = {}
    for event in mixes[0] * 200:
        by_method.setdefault(event[1], []).append(event)
    for name, raw in [("delta", deltas), ("mix", [e for m in mixes for e in m]), *sorted(by_method.items())]:
        before, now = _parse_rates(raw, args.rounds)
        print(f"  {name:28} {before:>10,.0f} -> {now:>10,.0f}  ({now / before:.2f}x)")


if __name__ == "__main__":
    main()
