"""Interrupts, Ctrl-C and closing mid-turn: turns end cleanly, nothing hangs, clients stay usable."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from codex import AsyncCodex, Codex, TransportClosedError, TurnHandle, TurnStatus
from codex.events import AgentMessageDeltaNotification
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs

pytestmark = pytest.mark.usefixtures("python_sigint")

SLOW = responses.slow_stream([f"w{i} " for i in range(200)], delay_s=0.05)


def test_interrupt_mid_stream(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(SLOW)
    thread = codex_client.thread_start()
    turn = thread.turn("talk slowly")
    deltas = 0
    for event in turn.stream():
        if isinstance(event.payload, AgentMessageDeltaNotification):
            deltas += 1
            if deltas == 3:
                turn.interrupt()
    result = turn.run()
    assert result.status is TurnStatus.interrupted
    assert 3 <= deltas < 200

    codex_mock.enqueue(responses.text("still here"))
    assert thread.run("again").final_response == "still here"


def _consume_until_sigint(turn: TurnHandle, pause_in_loop_body: float) -> None:
    for event in turn.stream():
        if isinstance(event.payload, AgentMessageDeltaNotification):
            threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGINT)).start()
            time.sleep(pause_in_loop_body)


@pytest.mark.parametrize(
    "pause",
    [
        pytest.param(0.0, id="sigint-while-waiting-in-native-code"),
        pytest.param(0.2, id="sigint-in-the-loop-body"),
    ],
)
def test_ctrl_c_while_streaming_interrupts_the_turn(
    codex_mock: MockResponsesServer, codex_client: Codex, pause: float
) -> None:
    codex_mock.enqueue(SLOW)
    thread = codex_client.thread_start()
    turn = thread.turn("talk slowly")
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _consume_until_sigint(turn, pause)
    assert time.monotonic() - started < 9  # the stream would take 10 s to finish on its own
    assert turn.run().status is TurnStatus.interrupted

    codex_mock.enqueue(responses.text("usable"))
    assert thread.run("after ctrl-c").final_response == "usable"


def test_close_during_a_turn_does_not_hang(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(SLOW)
    codex = Codex(**client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
    turn = codex.thread_start().turn("talk slowly")
    stream = turn.stream()
    next(stream)
    started = time.monotonic()
    codex.close()
    assert time.monotonic() - started < 8
    with pytest.raises(TransportClosedError):
        for _ in stream:
            pass
    with pytest.raises(TransportClosedError):
        codex.thread_start()
    codex.close()  # idempotent


def test_close_from_another_thread_while_streaming(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(SLOW)
    codex = Codex(**client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
    turn = codex.thread_start().turn("talk slowly")
    threading.Timer(0.3, codex.close).start()
    with pytest.raises(TransportClosedError):
        turn.run()


def test_async_interrupt_and_cancel(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            codex_mock.enqueue(SLOW)
            turn = await thread.turn("slow")
            seen = 0
            async for event in turn.stream():
                if isinstance(event.payload, AgentMessageDeltaNotification):
                    seen += 1
                    if seen == 2:
                        await turn.interrupt()
            assert (await turn.run()).status is TurnStatus.interrupted

            codex_mock.enqueue(SLOW)
            turn = await thread.turn("slow again")
            task = asyncio.create_task(turn.run())
            # Cancel only once the engine has taken the slow reply: on a loaded machine an
            # early cancel would leave it queued for the next turn.
            deadline = time.monotonic() + 20
            while codex_mock.pending() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert not codex_mock.pending()
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The cancelled turn was interrupted: the thread takes a new turn.
            await asyncio.sleep(0.2)
            codex_mock.enqueue(responses.text("alive"))
            assert (await thread.run("next")).final_response == "alive"

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def test_async_close_during_turn(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        codex = AsyncCodex(**client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
        thread = await codex.thread_start()
        codex_mock.enqueue(SLOW)
        turn = await thread.turn("slow")
        task = asyncio.create_task(turn.run())
        await asyncio.sleep(0.3)
        await codex.close()
        with pytest.raises(TransportClosedError):
            await task

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
