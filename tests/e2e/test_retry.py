"""thread.run(retry=RetryPolicy(...)): retryable failures re-run the turn; metrics count every attempt."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from codex import (
    AsyncCodex,
    Codex,
    CodexConfig,
    ContextWindowExceededError,
    HttpStatusError,
    RateLimitError,
    RetryAttempt,
    RetryPolicy,
    TurnFailedError,
    Usage,
    UsageLimitExceededError,
)
from codex.testing import MockResponsesServer, responses
from codex.testing.responses import ScriptedResponse

from .conftest import client_kwargs

# The engine's own retries are off, so every retry seen here is the SDK's.
NO_ENGINE_RETRIES = CodexConfig(request_max_retries=0, stream_max_retries=0)


def fast(**options: Any) -> RetryPolicy:
    """A policy with (almost) no pause, so tests stay quick."""
    return RetryPolicy(**{"backoff": 0.01, "jitter": 0.0, **options})


def _client(mock: MockResponsesServer, workspace: Path) -> Codex:
    return Codex(NO_ENGINE_RETRIES, **client_kwargs(mock, workspace))  # type: ignore[arg-type]


def test_http_429_is_retried_and_succeeds(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.http_error(429, "slow down", retry_after_s=0.05), responses.text("made it"))
    heard: list[RetryAttempt] = []
    with _client(codex_mock, codex_workspace) as codex:
        result = codex.thread_start().run("hi", retry=fast(max_attempts=3, on_retry=heard.append))
    assert result.final_response == "made it"
    assert result.metrics.attempts == 2
    assert len(codex_mock.response_requests) == 2
    assert [attempt.attempt for attempt in heard] == [1]
    error = heard[0].error
    assert isinstance(error, RateLimitError)
    assert (error.code, error.http_status, error.retryable) == ("responseTooManyFailedAttempts", 429, True)
    # The engine drops the HTTP Retry-After header: nothing to honour from a bare 429.
    assert error.retry_after is None
    assert result.metrics.attempt_errors == [error]


def test_rate_limit_message_wait_is_honoured(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    arrivals: list[float] = []
    replies = [
        responses.failed("rate_limit_exceeded", "Rate limit reached for the model. Please try again in 0.6s."),
        responses.text("after waiting"),
    ]

    def responder(_request: object) -> ScriptedResponse:
        arrivals.append(time.monotonic())
        return replies.pop(0)

    codex_mock.set_responder(responder)
    heard: list[RetryAttempt] = []
    with _client(codex_mock, codex_workspace) as codex:
        result = codex.thread_start().run("hi", retry=fast(on_retry=heard.append))
    assert result.final_response == "after waiting"
    error = heard[0].error
    assert isinstance(error, RateLimitError)
    assert error.retry_after == pytest.approx(0.6)
    assert heard[0].delay_s == pytest.approx(0.6)
    assert arrivals[1] - arrivals[0] >= 0.6


def test_persistent_500_gives_up_after_max_attempts(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(*[responses.http_error(500) for _ in range(3)])
    heard: list[RetryAttempt] = []
    with _client(codex_mock, codex_workspace) as codex:
        thread = codex.thread_start()
        with pytest.raises(HttpStatusError) as caught:
            thread.run("doomed", retry=fast(max_attempts=3, on_retry=heard.append))
        assert len(codex_mock.response_requests) == 3
        assert [attempt.attempt for attempt in heard] == [1, 2]
        last = caught.value
        assert last.code == "internalServerError"
        assert last.retryable
        assert last.thread_id == thread.id
        # The raised error is the third attempt's, not an earlier one.
        turn_ids = {attempt.error.turn_id for attempt in heard if isinstance(attempt.error, TurnFailedError)}
        assert last.turn_id not in turn_ids
        assert len(turn_ids) == 2
        codex_mock.enqueue(responses.text("usable"))
        assert thread.run("still there?").final_response == "usable"


@pytest.mark.parametrize(
    ("reply", "error_type"),
    [
        (responses.failed("context_length_exceeded", "too long"), ContextWindowExceededError),
        (responses.failed("insufficient_quota", "no quota"), UsageLimitExceededError),
        (responses.http_error(401, "bad key"), HttpStatusError),
    ],
)
def test_non_retryable_failure_is_not_retried(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    reply: ScriptedResponse,
    error_type: type[TurnFailedError],
) -> None:
    codex_mock.enqueue(reply, responses.text("must not be reached"))
    heard: list[RetryAttempt] = []
    with _client(codex_mock, codex_workspace) as codex, pytest.raises(error_type) as caught:
        codex.thread_start().run("x", retry=fast(max_attempts=5, on_retry=heard.append))
    assert caught.value.retryable is False
    assert heard == []
    assert len(codex_mock.response_requests) == 1


def test_retry_if_decides(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.http_error(500), responses.text("never"))
    with _client(codex_mock, codex_workspace) as codex, pytest.raises(HttpStatusError):
        codex.thread_start().run("x", retry=fast(retry_if=lambda exc: False))
    assert len(codex_mock.response_requests) == 1


def test_usage_sums_every_model_call_and_attempt(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(
        # Attempt 1: a tool call (usage reported), then the follow-up request fails.
        responses.with_usage(
            responses.function_call("no_such_tool", {}), input_tokens=100, cached_tokens=40, output_tokens=7
        ),
        responses.http_error(500),
        # Attempt 2: a tool call and a final answer, two model calls.
        responses.with_usage(
            responses.function_call("no_such_tool", {}), input_tokens=200, cached_tokens=50, output_tokens=9
        ),
        responses.with_usage(
            responses.text("done"), input_tokens=300, cached_tokens=60, output_tokens=11, reasoning_tokens=3
        ),
    )
    with _client(codex_mock, codex_workspace) as codex:
        thread = codex.thread_start()
        result = thread.run("use a tool", retry=fast())
        assert result.final_response == "done"
        assert result.metrics.attempts == 2
        usage = result.metrics.usage
        assert (usage.input_tokens, usage.cached_input_tokens, usage.output_tokens, usage.reasoning_output_tokens) == (
            600,
            150,
            27,
            3,
        )
        failed = result.metrics.attempt_errors[0]
        assert isinstance(failed, TurnFailedError)
        assert failed.usage == Usage(100, 40, 7, 0, 107)

        codex_mock.enqueue(responses.with_usage(responses.text("second turn"), input_tokens=50, output_tokens=5))
        second = thread.run("again")
    # Across turns: our sum over results equals the engine's running thread total.
    across = sum((result.metrics.usage, second.metrics.usage), Usage())
    assert second.usage is not None
    assert (across.input_tokens, across.output_tokens) == (650, 32)
    assert (second.usage.total.input_tokens, second.usage.total.output_tokens) == (650, 32)


def test_latency_metrics(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.slow_stream(["a", "b", "c"], delay_s=0.15))
    with _client(codex_mock, codex_workspace) as codex:
        started = time.perf_counter()
        result = codex.thread_start().run("slow")
        wall = time.perf_counter() - started
    metrics = result.metrics
    assert metrics.time_to_first_token_s is not None
    assert metrics.duration_s is not None
    # The first event comes after one pause; the whole stream takes at least five.
    assert 0.15 <= metrics.time_to_first_token_s < metrics.duration_s
    assert 0.75 <= metrics.duration_s <= wall
    assert metrics.attempts == 1
    assert metrics.attempt_errors == []


def test_async_retry(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        codex_mock.enqueue(responses.truncated(), responses.http_error(500), responses.text("third time"))
        heard: list[RetryAttempt] = []
        async with AsyncCodex(NO_ENGINE_RETRIES, **client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            result = await thread.run("x", retry=fast(max_attempts=3, on_retry=heard.append))
        assert result.final_response == "third time"
        assert result.metrics.attempts == 3
        assert [type(attempt.error).__name__ for attempt in heard] == ["StreamDisconnectedError", "HttpStatusError"]

    asyncio.run(scenario())
