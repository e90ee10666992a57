"""The error tree, its mapping from the engine's error info, and RetryPolicy's arithmetic."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import (
    CodexError,
    ConfigurationError,
    ContextWindowExceededError,
    EngineStartError,
    HttpStatusError,
    RateLimitError,
    RetryAttempt,
    RetryPolicy,
    SandboxDeniedError,
    ServerBusyError,
    StreamDisconnectedError,
    StructuredOutputError,
    ToolError,
    TransportClosedError,
    TurnFailedError,
    TurnInterruptedError,
    TurnResult,
    Usage,
    UsageLimitExceededError,
    is_retryable,
    is_retryable_error,
)
from codex.errors import InvalidParamsError, turn_failed_error
from codex.events import TurnCompletedNotification, parse_notification
from tests.unit.test_retry_policy import completed_turn_result

# (message, codex_error_info) pairs as this engine reports them (recorded from real turns).
ENGINE_FAILURES: list[tuple[str, Any, type[TurnFailedError], str | None, int | None, bool]] = [
    (
        "exceeded retry limit, last status: 429 Too Many Requests",
        {"responseTooManyFailedAttempts": {"httpStatusCode": 429}},
        RateLimitError,
        "responseTooManyFailedAttempts",
        429,
        True,
    ),
    (
        "We're currently experiencing high demand, which may cause temporary errors.",
        "internalServerError",
        HttpStatusError,
        "internalServerError",
        None,
        True,
    ),
    (
        "unexpected status 503 Service Unavailable: mock error, url: http://127.0.0.1:1/v1/responses",
        "other",
        HttpStatusError,
        "other",
        503,
        True,
    ),
    (
        "unexpected status 401 Unauthorized: nope, url: http://x/v1/responses",
        "other",
        HttpStatusError,
        "other",
        401,
        False,
    ),
    (
        "stream disconnected before completion: stream closed before response.completed",
        "other",
        StreamDisconnectedError,
        "other",
        None,
        True,
    ),
    (
        "Codex ran out of room in the model's context window. Start a new thread.",
        "contextWindowExceeded",
        ContextWindowExceededError,
        "contextWindowExceeded",
        None,
        False,
    ),
    (
        "You've hit your usage limit. Try again at Mar 17th, 2030 5:46 PM.",
        "usageLimitExceeded",
        UsageLimitExceededError,
        "usageLimitExceeded",
        None,
        False,
    ),
    ("sandbox denied", "sandboxError", SandboxDeniedError, "sandboxError", None, False),
    (
        "connection failed",
        {"httpConnectionFailed": {"httpStatusCode": None}},
        StreamDisconnectedError,
        "httpConnectionFailed",
        None,
        True,
    ),
    ("something else", None, TurnFailedError, None, None, False),
]


@pytest.mark.parametrize(("message", "info", "cls", "code", "status", "retryable"), ENGINE_FAILURES)
def test_turn_failures_map_to_their_cause(
    message: str, info: Any, cls: type[TurnFailedError], code: str | None, status: int | None, retryable: bool
) -> None:
    error = turn_failed_error(message, thread_id="t", turn_id="u", codex_error_info=info)
    assert type(error) is cls
    assert (error.code, error.error_kind, error.http_status, error.retryable) == (code, code, status, retryable)
    assert (error.thread_id, error.turn_id) == ("t", "u")
    assert is_retryable(error) is retryable
    assert isinstance(error, RuntimeError)
    assert isinstance(error, CodexError)


def test_retry_after_comes_from_the_providers_message() -> None:
    error = turn_failed_error(
        "stream disconnected before completion: Rate limit reached. Please try again in 1.5s.",
        thread_id="t",
        turn_id="u",
        codex_error_info="other",
    )
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 1.5
    assert error.retryable
    in_ms = turn_failed_error("Please try again in 250ms", thread_id="t", turn_id="u")
    assert in_ms.retry_after == 0.25
    assert turn_failed_error("try again later", thread_id="t", turn_id="u").retry_after is None


def test_every_error_is_a_codex_error() -> None:
    for cls in (
        ConfigurationError,
        EngineStartError,
        TransportClosedError,
        ToolError,
        StructuredOutputError,
        TurnInterruptedError,
        ServerBusyError,
    ):
        assert issubclass(cls, CodexError)
    interrupted = TurnInterruptedError(thread_id="t", turn_id="u")
    assert (interrupted.code, interrupted.retryable) == ("interrupted", False)
    assert isinstance(interrupted, TurnFailedError)


def test_is_retryable_for_rpc_and_other_errors() -> None:
    assert is_retryable is is_retryable_error
    assert is_retryable(ServerBusyError(-32001, "busy"))
    assert not is_retryable(InvalidParamsError(-32602, "bad"))
    assert not is_retryable(ValueError("x"))
    assert not is_retryable(ConfigurationError("x"))


def test_repr_names_the_structured_fields() -> None:
    error = turn_failed_error(
        "x", thread_id="t", turn_id="u", codex_error_info={"responseTooManyFailedAttempts": {"httpStatusCode": 429}}
    )
    text = repr(error)
    for field in ("RateLimitError", "code=", "http_status=429", "retryable=True", "retry_after=", "thread_id='t'"):
        assert field in text


# -- Usage ------------------------------------------------------------------------------
usages = st.builds(
    Usage,
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
)


@given(st.lists(usages, max_size=6))
def test_usage_sums_field_by_field(items: list[Usage]) -> None:
    total = sum(items, Usage())
    if items:
        assert total == sum(items)  # sum() from the int 0 works too
    assert total.input_tokens == sum(u.input_tokens for u in items)
    assert total.cached_input_tokens == sum(u.cached_input_tokens for u in items)
    assert total.output_tokens == sum(u.output_tokens for u in items)
    assert total.reasoning_output_tokens == sum(u.reasoning_output_tokens for u in items)


# -- RetryPolicy ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [{"max_attempts": 0}, {"backoff": -1}, {"jitter": 2}, {"multiplier": 0.5}, {"max_backoff": -0.1}],
)
def test_policy_rejects_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**options)


@given(attempt=st.integers(1, 20), jitter=st.floats(0, 1))
def test_delay_is_exponential_capped_and_jittered(attempt: int, jitter: float) -> None:
    policy = RetryPolicy(backoff=0.5, multiplier=2, max_backoff=10, jitter=jitter)
    base = min(10, 0.5 * 2 ** (attempt - 1))
    delay = policy.delay_for(attempt, RuntimeError())
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9


def test_delay_is_at_least_retry_after() -> None:
    error = turn_failed_error("Please try again in 3s", thread_id="t", turn_id="u")
    assert RetryPolicy(backoff=0.1, jitter=0).delay_for(1, error) == 3.0


def _failure(with_usage: Usage | None = None) -> TurnFailedError:
    error = turn_failed_error("x", thread_id="t", turn_id="u", codex_error_info="internalServerError")
    error.usage = with_usage
    return error


def test_policy_run_counts_attempts_and_sums_usage() -> None:
    outcomes: list[TurnFailedError | None] = [_failure(Usage(input_tokens=7, total_tokens=7)), _failure(), None]
    heard: list[RetryAttempt] = []

    def attempt() -> TurnResult:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return completed_turn_result(Usage(input_tokens=5, output_tokens=1, total_tokens=6))

    result = RetryPolicy(backoff=0, jitter=0, on_retry=heard.append).run(attempt)
    assert result.metrics.attempts == 3
    assert result.metrics.usage == Usage(input_tokens=12, output_tokens=1, total_tokens=13)
    assert [h.attempt for h in heard] == [1, 2]
    assert len(result.metrics.attempt_errors) == 2


def test_policy_run_async_gives_up_with_the_last_error() -> None:
    failures = [_failure(), _failure(), _failure()]
    raised = list(failures)

    async def attempt() -> TurnResult:
        raise raised.pop(0)

    with pytest.raises(TurnFailedError) as caught:
        asyncio.run(RetryPolicy(max_attempts=3, backoff=0).run_async(attempt))
    assert caught.value is failures[-1]


@pytest.mark.parametrize(
    ("info", "code", "status"),
    [
        ({"responseTooManyFailedAttempts": {"httpStatusCode": 429}}, "responseTooManyFailedAttempts", 429),
        ("internalServerError", "internalServerError", None),
    ],
)
def test_error_info_from_parsed_events_is_plain_json(info: Any, code: str, status: int | None) -> None:
    """Events carry the info as generated protocol models; errors expose the wire JSON."""
    params = {
        "threadId": "t",
        "turn": {"id": "u", "items": [], "status": "failed", "error": {"message": "m", "codexErrorInfo": info}},
    }
    payload = parse_notification("turn/completed", params).payload
    assert isinstance(payload, TurnCompletedNotification)
    assert payload.turn.error is not None
    error = turn_failed_error("m", thread_id="t", turn_id="u", codex_error_info=payload.turn.error.codex_error_info)
    assert error.codex_error_info == info
    assert (error.code, error.http_status) == (code, status)
    assert type(error.code) is str


def test_every_error_has_the_structured_fields() -> None:
    for error in (ConfigurationError("x"), TransportClosedError("x"), ToolError("x"), InvalidParamsError(-32602, "x")):
        assert error.retryable is False
        assert (error.http_status, error.retry_after, error.thread_id, error.turn_id) == (None, None, None, None)
    assert InvalidParamsError(-32602, "x").code == -32602
    assert ServerBusyError(-32001, "busy").retryable is True


def test_every_public_exception_is_a_codex_error() -> None:
    """An exception class anywhere in the public API that is not a CodexError is a defect:
    callers are promised that ``except CodexError`` catches everything the SDK raises."""
    import inspect

    import codex
    import codex.errors

    public = {getattr(codex, name) for name in codex.__all__} | {
        getattr(codex.errors, name) for name in codex.errors.__all__
    }
    exceptions = {value for value in public if inspect.isclass(value) and issubclass(value, BaseException)}
    assert len(exceptions) >= 20, sorted(cls.__name__ for cls in exceptions)
    outsiders = sorted(cls.__name__ for cls in exceptions if not issubclass(cls, codex.CodexError))
    assert outsiders == []
