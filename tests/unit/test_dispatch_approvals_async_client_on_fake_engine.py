"""Approval requests of an ``AsyncCodex`` through the dispatcher, on the fake engine (no extension).

The async runner's side of tests/unit/test_dispatch_approvals_on_fake_engine.py: callbacks and
raw handlers run as tasks of the client's own loop (sync ones in a worker thread), and fail
closed the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from codex import (
    Allow,
    ApprovalRequest,
    AsyncCodex,
    Codex,
    Deny,
)
from codex.errors import TransportClosedError
from tests.fakes.fake_engine import Event, FakeEngine, ScriptedTurn
from tests.unit.approval_scripts import (
    COMMAND,
    FILE_CHANGE,
    PARAMS,
    one_request,
    only_reply,
    resolved,
    run_one,
)
from tests.unit.conftest import FAKE_API_KEY

# -- AsyncCodex: user code in a task of the running loop ----------------------------------------


async def _run_one_async(client: AsyncCodex, fake: FakeEngine, method: str) -> list[object]:
    fake.script_turn(one_request(method, **PARAMS[method]))
    thread = await client.thread_start()
    turn = await thread.turn("go")
    return [event.payload async for event in turn.stream()]


def _run_async_client(fake: FakeEngine, tmp_path: Path, method: str, **options: Any) -> list[object]:
    async def main() -> list[object]:
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), **options) as client:
            return await _run_one_async(client, fake, method)

    return asyncio.run(main())


def test_an_async_client_awaits_an_async_callback_on_its_own_loop(fake_engine: FakeEngine, tmp_path: Path) -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    client_loop: list[asyncio.AbstractEventLoop] = []

    async def callback(request: ApprovalRequest) -> Allow:
        loops.append(asyncio.get_running_loop())
        return Allow()

    async def main() -> list[object]:
        client_loop.append(asyncio.get_running_loop())
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
            return await _run_one_async(client, fake_engine, FILE_CHANGE)

    (record,) = resolved(asyncio.run(main()))
    assert loops == client_loop
    assert only_reply(fake_engine) == ("answer", {"decision": "accept"})
    assert (record.allowed, record.source) == (True, "callback")


def test_an_async_client_runs_a_sync_callback_in_a_worker_thread(fake_engine: FakeEngine, tmp_path: Path) -> None:
    ran_on: list[str] = []

    def callback(request: ApprovalRequest) -> Deny:
        ran_on.append(threading.current_thread().name)
        return Deny("not today")

    (record,) = resolved(_run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=callback))
    assert [name.startswith("codex-callback") for name in ran_on] == [True]
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.allowed, record.reason) == (False, "not today")


def test_an_async_client_awaits_what_a_sync_callback_returns_when_it_is_awaitable(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    async def decide() -> Allow:
        return Allow(for_session=True)

    def callback(request: ApprovalRequest) -> Awaitable[Allow]:
        return decide()

    _run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=callback)
    assert only_reply(fake_engine) == ("answer", {"decision": "acceptForSession"})


@pytest.mark.parametrize("is_async", [False, True])
def test_an_async_client_declines_when_the_callback_raises(
    fake_engine: FakeEngine, tmp_path: Path, is_async: bool
) -> None:
    def sync_callback(request: ApprovalRequest) -> Allow:
        raise ValueError("bad rule")

    async def async_callback(request: ApprovalRequest) -> Allow:
        raise ValueError("bad rule")

    callback = async_callback if is_async else sync_callback
    (record,) = resolved(_run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=callback))
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.source, record.reason) == ("error", "the approval callback raised ValueError: bad rule")


def test_an_async_client_declines_a_callback_slower_than_the_timeout(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def slow(request: ApprovalRequest) -> Allow:
        await asyncio.sleep(30)  # cancelled by the timeout
        return Allow()

    payloads = _run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=slow, approval_timeout=0.05)
    (record,) = resolved(payloads)
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.allowed, record.source) == (False, "timeout")


@pytest.mark.parametrize("kind", ["sync", "async", "sync returning an awaitable"])
def test_an_async_client_sends_the_raw_handlers_answer(fake_engine: FakeEngine, tmp_path: Path, kind: str) -> None:
    answer = {"decision": "accept"}

    async def async_handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        return answer

    def sync_handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        return answer

    def deferred_handler(method: str, params: dict[str, Any]) -> Awaitable[dict[str, Any]]:
        return async_handler(method, params)

    handler = {"sync": sync_handler, "async": async_handler, "sync returning an awaitable": deferred_handler}[kind]
    (record,) = resolved(_run_async_client(fake_engine, tmp_path, COMMAND, approval_handler=handler))
    assert only_reply(fake_engine) == ("answer", answer)
    assert (record.allowed, record.source) == (True, "handler")


def test_an_async_client_declines_when_the_raw_handler_raises(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise PermissionError("nope")

    (record,) = resolved(_run_async_client(fake_engine, tmp_path, FILE_CHANGE, approval_handler=handler))
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.source, record.reason) == ("error", "the approval handler raised PermissionError")


def test_an_async_client_answers_the_current_time_and_declines_without_a_callback(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    def script(turn: ScriptedTurn) -> list[Event]:
        return [
            turn.started(),
            turn.request("currentTime/read"),
            turn.request(COMMAND, **PARAMS[COMMAND]),
            turn.completed(),
        ]

    async def main() -> list[object]:
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
            fake_engine.script_turn(script)
            turn = await (await client.thread_start()).turn("go")
            return [event.payload async for event in turn.stream()]

    (record,) = resolved(asyncio.run(main()))
    time_answer, command_answer = fake_engine.answers.values()
    assert set(time_answer) == {"currentTimeAt"}
    assert command_answer == {"decision": "decline"}
    assert (record.request_method, record.source) == (COMMAND, "default")


def test_closing_an_async_client_cancels_a_raw_handler_still_deciding(fake_engine: FakeEngine, tmp_path: Path) -> None:
    cancelled: list[bool] = []

    async def main() -> None:
        deciding = asyncio.Event()

        async def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
            deciding.set()
            try:
                await asyncio.Event().wait()  # never decides
            except asyncio.CancelledError:
                cancelled.append(True)
                raise
            return {"decision": "accept"}

        client = AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler)
        fake_engine.script_turn(one_request(COMMAND, **PARAMS[COMMAND]))
        turn = await (await client.thread_start()).turn("go")

        async def consume() -> None:
            async for _event in turn.stream():
                pass

        reader = asyncio.create_task(consume())
        await deciding.wait()
        await client.close()
        with pytest.raises(TransportClosedError):
            await reader

    asyncio.run(main())
    assert cancelled == [True]
    assert fake_engine.answers == {}
    assert fake_engine.failed_requests == {}  # the engine declines what it still has queued


def test_without_a_time_limit_a_slow_callback_is_waited_for(fake_engine: FakeEngine, tmp_path: Path) -> None:
    with Codex(
        api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=lambda request: Allow(), approval_timeout=None
    ) as client:
        run_one(client, fake_engine, COMMAND)
    assert only_reply(fake_engine) == ("answer", {"decision": "accept"})
