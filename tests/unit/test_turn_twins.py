"""A turn's sync and async handles behave alike: same events, result, requests and calls.

Both are fed the same batches of raw events by a stand-in subscription and session (no
engine): what they stream, the result they build, the server requests they hand on, the
notices they file, the calls they make to steer and interrupt, and how they end.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any, cast

import pytest

from codex import TurnFailedError, TurnStatus
from codex.approvals import APPROVAL_RESOLVED_METHOD, ApprovalResolved
from codex.errors import TransportClosedError
from codex.events import Notification
from codex.telemetry import ClientTelemetry
from codex.turns import AsyncTurnHandle, TurnHandle, TurnResult

THREAD = "thread-1"
TURN = "turn-1"
RawEvent = tuple[bool, str, "str | None", str]


def _note(method: str, turn_id: str | None = TURN, **params: Any) -> RawEvent:
    body = {"threadId": THREAD, **({"turnId": turn_id} if turn_id else {}), **params}
    return (False, method, None, json.dumps(body))


def _turn(status: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": TURN, "items": [], "status": status, "error": error, "startedAt": 1, "completedAt": 2}


def _completed(status: str = "completed", error: dict[str, Any] | None = None) -> RawEvent:
    return (False, "turn/completed", None, json.dumps({"threadId": THREAD, "turn": _turn(status, error)}))


def _delta(text: str, turn_id: str = TURN) -> RawEvent:
    return _note("item/agentMessage/delta", turn_id, itemId="msg-1", delta=text)


def _answer(text: str) -> RawEvent:
    item = {"type": "agentMessage", "id": "msg-1", "text": text, "phase": "final_answer"}
    return _note("item/completed", item=item, completedAtMs=2)


USAGE = {"totalTokens": 3, "inputTokens": 2, "cachedInputTokens": 0, "outputTokens": 1, "reasoningOutputTokens": 0}
TOOL_CALL = {"threadId": THREAD, "turnId": TURN, "callId": "call-1", "tool": "lookup", "arguments": {"q": 1}}
RESOLVED = Notification(
    APPROVAL_RESOLVED_METHOD,
    ApprovalResolved(request_method="item/tool/call", kind="tool", thread_id=THREAD, allowed=True, source="callback"),
)

#: A turn: a thread-level notice, a tool call (its outcome recorded by the SDK before the next
#: event), another turn's delta, text, usage, completion, and an event after it that is not read.
BATCHES: list[list[RawEvent]] = [
    [
        _note("thread/status/changed", None, status={"type": "active", "activeFlags": []}),
        (False, "turn/started", None, json.dumps({"threadId": THREAD, "turn": _turn("inProgress")})),
        (True, "item/tool/call", "req-1", json.dumps(TOOL_CALL)),
    ],
    [
        _delta("stale", turn_id="turn-0"),
        _delta("Hello "),
        _delta("world"),
    ],
    [
        _answer("Hello world"),
        _note("thread/tokenUsage/updated", tokenUsage={"last": USAGE, "total": USAGE}),
        _completed(),
        _delta("after completion"),
    ],
]


class _Subscription:
    def __init__(self, batches: list[list[RawEvent]], after_interrupt: list[RawEvent] | None = None) -> None:
        self.batches = deque(batches)
        self.after_interrupt = after_interrupt
        self.closed = False

    def interrupted(self) -> None:
        if self.after_interrupt is not None:
            self.batches.append(self.after_interrupt)

    def next_batch(self, max_events: int = 512, timeout: float | None = None) -> list[RawEvent] | None:
        if self.batches:
            return self.batches.popleft()
        return [] if timeout is not None else None  # drained: as if the engine closed it

    async def next_batch_async(self, max_events: int = 512) -> list[RawEvent] | None:
        await asyncio.sleep(0)
        return self.next_batch(max_events)

    def close(self) -> None:
        self.closed = True


class _Session:
    """What a handle uses of its session; records every call."""

    def __init__(self, subscription: _Subscription) -> None:
        self.subscription = subscription
        self.telemetry = ClientTelemetry()
        self.is_open = True
        self.calls: list[tuple[str, Any]] = []
        self.own_events: list[Notification] = []

    def engine(self) -> object:
        return self

    def _answer(self, method: str, params: Any) -> Any:
        self.calls.append((method, params))
        if method == "turn/interrupt":
            self.subscription.interrupted()
            return {}
        return {"turnId": TURN}

    def dispatch(self, thread_id: str, turn_id: str, method: str, request_id: str, params: Any) -> None:
        self.calls.append(("dispatch", (thread_id, turn_id, method, request_id, params)))
        self.own_events.append(RESOLVED)  # the dispatcher records the outcome

    def sdk_events(self, thread_id: str) -> list[Notification]:
        assert thread_id == THREAD
        taken, self.own_events = self.own_events, []
        return taken

    def note_thread_notice(self, method: str, params: Any) -> None:
        self.calls.append(("notice", (method, params)))

    def note_delivery(self) -> None:
        self.calls.append(("note_delivery", None))


class _SyncSession(_Session):
    def request(self, method: str, params: Any) -> Any:
        return self._answer(method, params)


class _AsyncSession(_Session):
    async def request(self, method: str, params: Any) -> Any:
        await asyncio.sleep(0)
        return self._answer(method, params)


def _sync(
    batches: list[list[RawEvent]], after_interrupt: list[RawEvent] | None = None
) -> tuple[TurnHandle, _SyncSession, _Subscription]:
    subscription = _Subscription(batches, after_interrupt)
    session = _SyncSession(subscription)
    return TurnHandle(cast("Any", session), THREAD, TURN, cast("Any", subscription)), session, subscription


def _async(
    batches: list[list[RawEvent]], after_interrupt: list[RawEvent] | None = None
) -> tuple[AsyncTurnHandle, _AsyncSession, _Subscription]:
    subscription = _Subscription(batches, after_interrupt)
    session = _AsyncSession(subscription)
    return AsyncTurnHandle(cast("Any", session), THREAD, TURN, cast("Any", subscription)), session, subscription


def _outcome(result: TurnResult) -> tuple[Any, ...]:
    """A result without its timings."""
    usage = result.usage.to_dict() if result.usage is not None else None
    return (result.id, result.status, result.final_response, [item.to_dict() for item in result.items], usage)


def test_both_stream_the_same_events_and_build_the_same_result() -> None:
    handle, session, subscription = _sync(BATCHES)
    streamed = list(handle.stream())
    result = handle.run()

    async def consume() -> tuple[list[Notification], TurnResult, _AsyncSession, _Subscription]:
        twin, twin_session, twin_subscription = _async(BATCHES)
        events = [event async for event in twin.stream()]
        return events, await twin.run(), twin_session, twin_subscription

    twin_streamed, twin_result, twin_session, twin_subscription = asyncio.run(consume())

    assert [event.method for event in streamed] == [
        "turn/started",
        APPROVAL_RESOLVED_METHOD,
        "item/agentMessage/delta",
        "item/agentMessage/delta",
        "item/completed",
        "thread/tokenUsage/updated",
        "turn/completed",
    ]
    assert twin_streamed == streamed
    assert result.status is TurnStatus.completed
    assert result.final_response == "Hello world"
    assert result.metrics.usage.output_tokens == 1
    assert _outcome(twin_result) == _outcome(result)
    assert twin_session.calls == session.calls
    assert session.calls == [
        ("notice", ("thread/status/changed", json.loads(BATCHES[0][0][3]))),
        ("dispatch", (THREAD, TURN, "item/tool/call", "req-1", TOOL_CALL)),
        ("notice", ("item/agentMessage/delta", json.loads(BATCHES[1][0][3]))),
        ("note_delivery", None),
    ]
    assert subscription.closed
    assert twin_subscription.closed


def test_both_give_the_text_deltas() -> None:
    handle, _, _ = _sync(BATCHES)

    async def text() -> list[str]:
        twin, _, _ = _async(BATCHES)
        return [delta async for delta in twin.text_stream()]

    assert list(handle.text_stream()) == asyncio.run(text()) == ["Hello ", "world"]


def test_both_send_the_same_steer_and_interrupt() -> None:
    handle, session, _ = _sync(BATCHES)
    steered = handle.steer("also this")
    handle.interrupt()

    async def calls() -> tuple[Any, list[tuple[str, Any]]]:
        twin, twin_session, _ = _async(BATCHES)
        twin_steered = await twin.steer("also this")
        await twin.interrupt()
        return twin_steered, twin_session.calls

    twin_steered, twin_calls = asyncio.run(calls())
    assert steered.turn_id == TURN
    assert twin_steered == steered
    assert twin_calls == session.calls
    assert session.calls == [
        (
            "turn/steer",
            {
                "threadId": THREAD,
                "expectedTurnId": TURN,
                "input": [{"type": "text", "text": "also this", "text_elements": []}],
            },
        ),
        ("turn/interrupt", {"threadId": THREAD, "turnId": TURN}),
    ]


def test_a_stream_is_read_once() -> None:
    handle, _, _ = _sync(BATCHES)
    handle.stream()
    with pytest.raises(RuntimeError, match="already consumed"):
        handle.stream()

    async def twice() -> None:
        twin, _, _ = _async(BATCHES)
        twin.stream()
        twin.stream()

    with pytest.raises(RuntimeError, match="already consumed"):
        asyncio.run(twice())


def test_leaving_early_interrupts_the_turn() -> None:
    interrupted = [_completed("interrupted")]
    unfinished = BATCHES[:2]
    handle, session, subscription = _sync(unfinished, interrupted)
    with handle.stream() as stream:
        next(stream)
    # Sync: the handle waits for the engine to confirm, so the result is the interrupted turn.
    assert handle.run().status is TurnStatus.interrupted
    assert ("turn/interrupt", {"threadId": THREAD, "turnId": TURN}) in session.calls
    assert subscription.closed

    async def leave() -> tuple[_AsyncSession, _Subscription]:
        twin, twin_session, twin_subscription = _async(unfinished, interrupted)
        async with twin.stream() as twin_stream:
            await twin_stream.__anext__()
        return twin_session, twin_subscription

    twin_session, twin_subscription = asyncio.run(leave())
    assert ("turn/interrupt", {"threadId": THREAD, "turnId": TURN}) in twin_session.calls
    assert twin_subscription.closed


def test_cancelling_the_async_consumer_interrupts_the_turn() -> None:
    async def cancel() -> _AsyncSession:
        waiting = asyncio.Event()

        class _Waiting(_Subscription):
            async def next_batch_async(self, max_events: int = 512) -> list[RawEvent] | None:
                waiting.set()
                await asyncio.Event().wait()  # the engine sends nothing
                return None

        subscription = _Waiting([])
        session = _AsyncSession(subscription)
        twin = AsyncTurnHandle(cast("Any", session), THREAD, TURN, cast("Any", subscription))
        task = asyncio.create_task(twin.run())
        await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert subscription.closed
        return session

    assert ("turn/interrupt", {"threadId": THREAD, "turnId": TURN}) in asyncio.run(cancel()).calls


@pytest.mark.parametrize(
    ("batches", "expected"),
    [
        pytest.param([[_completed("failed", {"message": "boom"})]], TurnFailedError, id="failed"),
        pytest.param([[_delta("cut")]], TransportClosedError, id="closed"),
    ],
)
def test_both_fail_alike(batches: list[list[RawEvent]], expected: type[Exception]) -> None:
    handle, _, _ = _sync(batches)
    with pytest.raises(expected) as caught:
        handle.run()

    async def run() -> None:
        twin, _, _ = _async(batches)
        await twin.run()

    with pytest.raises(expected) as twin_caught:
        asyncio.run(run())
    assert str(twin_caught.value) == str(caught.value)
