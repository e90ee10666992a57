"""``delivery_stats()``: the engine's event counters, public on both clients."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from codex import AsyncCodex, Codex, DeliveryStats
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs


def test_a_turn_is_counted_as_delivered_and_nothing_is_lost(
    codex_mock: MockResponsesServer, codex_workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    codex_mock.enqueue(responses.text("one two three"))
    with caplog.at_level(logging.WARNING, logger="codex"), Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        before = codex.delivery_stats()
        handle = codex.thread_start().turn("count")
        seen = sum(1 for _ in handle.stream())
        after = codex.delivery_stats()
    assert isinstance(after, DeliveryStats)
    # Every notification the stream yielded was delivered by the engine (plus thread-level ones).
    assert after.delivered - before.delivered >= seen > 0
    assert (after.lagged, after.requests_declined) == (0, 0)
    closed = codex.delivery_stats()  # a closed client keeps its last counts
    assert closed.delivered >= after.delivered
    assert closed.lagged == 0
    assert not [record for record in caplog.records if "dropped" in record.getMessage()]


def test_the_engine_times_the_text_deltas_of_the_latest_turn(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    codex_mock.enqueue(responses.slow_stream([f"d{i} " for i in range(5)], delay_s=0.02))
    codex_mock.enqueue(responses.streamed_text(["a", "b", "c"]))
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        first = [e for e in thread.turn("slow").stream() if e.method == "item/agentMessage/delta"]
        slow = codex.delivery_stats()
        thread.run("fast")
        fast = codex.delivery_stats()
    assert len(first) == slow.turn_text_deltas == 5
    # Five deltas 20 ms apart left the engine over at least 4 gaps.
    assert slow.turn_text_delta_span_s >= 0.06
    # A new turn starts the count again.
    assert fast.turn_text_deltas == 3
    assert fast.turn_text_delta_span_s < slow.turn_text_delta_span_s


def test_the_async_client_reports_the_same_counters(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> tuple[DeliveryStats, DeliveryStats, DeliveryStats]:
        codex = AsyncCodex(**client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
        not_started = codex.delivery_stats()
        async with codex:
            thread = await codex.thread_start()
            await thread.run("hi")
            running = codex.delivery_stats()
        return not_started, running, codex.delivery_stats()

    not_started, running, closed = asyncio.run(scenario())
    assert not_started == DeliveryStats()
    assert running.delivered > 0
    assert running.lagged == 0
    assert closed.delivered >= running.delivered
    assert closed.lagged == 0
