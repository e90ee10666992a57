"""Long answers through the real engine: one huge delta, many small ones, and close() mid-stream.

A reply's text arrives three times in one SSE line each (the delta, ``output_item.done`` and
``response.completed``), so the cost of one long line decides how long answers behave. The
engine's SSE parser used to re-scan an unfinished line for every network chunk (quadratic:
2 MiB took over a minute); ``patches/engine-version/eventsource-stream-0.2.3.patch`` makes it
linear. These tests hang (and pytest-timeout fails them) if that comes back.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from codex import Codex
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs

TEN_MIB = 10 * 1024 * 1024


def _wait_for(condition: object, what: str, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.mark.timeout(300)
def test_one_ten_mib_delta_completes_the_turn(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(1024)) * (TEN_MIB // 1024)
    codex_mock.enqueue(responses.streamed_text([text]))
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as client:  # type: ignore[arg-type]
        turn = client.thread_start().turn("say a lot")
        streamed = "".join(turn.text_stream())
        result = turn.run()
    assert len(streamed) == len(text)
    assert streamed == text
    assert result.final_response == text


@pytest.mark.timeout(300)
def test_fifty_thousand_small_deltas_reach_a_slow_consumer_in_order(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    chunks = [f"<{i}>" for i in range(50_000)]
    codex_mock.enqueue(responses.streamed_text(chunks))
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as client:  # type: ignore[arg-type]
        turn = client.thread_start().turn("count for me")
        received: list[str] = []
        for piece in turn.text_stream():
            if not received:
                # Fall behind: the engine keeps producing while nobody reads.
                _wait_for(lambda: codex_mock.response_requests, "the model request")
                time.sleep(1.0)
            received.append(piece)
        result = turn.run()
        stats = client.delivery_stats()
    assert "".join(received) == "".join(chunks)
    assert len(received) == len(chunks)
    assert result.final_response == "".join(chunks)
    assert stats.lagged == 0, f"events lost: {stats}"
    assert stats.delivered >= len(chunks)


def test_close_mid_stream_hangs_up_on_the_provider(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.slow_stream(["still ", "going "] * 500, delay_s=0.05))
    client = Codex(**client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
    turn = client.thread_start().turn("talk slowly")
    stream = iter(turn.text_stream())
    assert next(stream) == "still "
    assert codex_mock.hung_up == 0
    client.close()
    _wait_for(lambda: codex_mock.hung_up == 1, "the engine to close its provider connection", limit_s=10.0)
