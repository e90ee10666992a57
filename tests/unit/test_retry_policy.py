"""Retrying (codex.retry) and adding up usage (codex.metrics): retry_on_overload's backoff,
RetryPolicy's options, when it retries and what the result's metrics say afterwards."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import (
    ConfigurationError,
    InvalidParamsError,
    RetryAttempt,
    RetryPolicy,
    ServerBusyError,
    TurnFailedError,
    TurnMetrics,
    Usage,
    retry_on_overload,
)
from codex.errors import turn_failed_error
from codex.protocol.models import TokenUsageBreakdown, TurnStatus
from codex.turns import TurnResult


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses the code under test sleeps, recorded instead of slept (sync and async)."""
    slept: list[float] = []

    async def asleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(time, "sleep", slept.append)
    monkeypatch.setattr(asyncio, "sleep", asleep)
    return slept


def _busy() -> ServerBusyError:
    return ServerBusyError(-32001, "server overloaded")


def _outcomes(*outcomes: Exception | str) -> tuple[Callable[[], str], list[int]]:
    """An operation that raises or returns its outcomes in turn, and the count of its calls."""
    calls = [0]
    pending = list(outcomes)

    def op() -> str:
        calls[0] += 1
        outcome = pending.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return op, calls


# -- retry_on_overload ------------------------------------------------------------------------
def test_a_first_success_is_returned_without_a_pause(pauses: list[float]) -> None:
    op, calls = _outcomes("done")
    assert retry_on_overload(op) == "done"
    assert calls == [1]
    assert pauses == []


def test_overload_is_retried_with_doubling_pauses_up_to_the_cap(pauses: list[float]) -> None:
    op, calls = _outcomes(_busy(), _busy(), _busy(), _busy(), "done")
    result = retry_on_overload(op, max_attempts=5, initial_delay_s=0.5, max_delay_s=1.5, jitter_ratio=0)
    assert result == "done"
    assert calls == [5]
    assert pauses == [0.5, 1.0, 1.5, 1.5]


def test_a_transient_turn_failure_is_retried_too(pauses: list[float]) -> None:
    failed = turn_failed_error("boom", thread_id="t", turn_id="u", codex_error_info="internalServerError")
    op, calls = _outcomes(failed, "done")
    assert retry_on_overload(op, initial_delay_s=0) == "done"
    assert calls == [2]


@pytest.mark.parametrize(
    "error",
    [
        InvalidParamsError(-32602, "bad params"),
        ValueError("not ours"),
        turn_failed_error("nope", thread_id="t", turn_id="u", codex_error_info="unauthorized"),
    ],
)
def test_an_error_that_is_not_transient_is_raised_at_once(error: Exception, pauses: list[float]) -> None:
    op, calls = _outcomes(error, "never")
    with pytest.raises(type(error)) as caught:
        retry_on_overload(op)
    assert caught.value is error
    assert calls == [1]
    assert pauses == []


def test_when_attempts_run_out_the_last_error_is_raised(pauses: list[float]) -> None:
    errors = [_busy(), _busy(), _busy()]
    op, calls = _outcomes(*errors, "too late")
    with pytest.raises(ServerBusyError) as caught:
        retry_on_overload(op, max_attempts=3, jitter_ratio=0)
    assert caught.value is errors[-1]
    assert calls == [3]
    assert len(pauses) == 2


@given(
    initial=st.floats(0.01, 5),
    cap=st.floats(0.01, 10),
    jitter=st.floats(0, 1),
    attempts=st.integers(1, 6),
)
def test_every_pause_is_the_capped_delay_spread_by_the_jitter(
    initial: float, cap: float, jitter: float, attempts: int
) -> None:
    slept: list[float] = []
    op, _ = _outcomes(*[_busy() for _ in range(attempts)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "sleep", slept.append)
        with pytest.raises(ServerBusyError):
            retry_on_overload(op, max_attempts=attempts, initial_delay_s=initial, max_delay_s=cap, jitter_ratio=jitter)
    assert len(slept) <= attempts - 1
    delay = initial
    for pause in slept:
        base = min(cap, delay)
        assert base - delay * jitter - 1e-9 <= pause <= base + delay * jitter + 1e-9
        delay = min(cap, delay * 2)


@pytest.mark.parametrize("max_attempts", [0, -1])
def test_retry_on_overload_needs_at_least_one_attempt(max_attempts: int) -> None:
    op, calls = _outcomes("never")
    with pytest.raises(ConfigurationError, match=r"^max_attempts must be >= 1$"):
        retry_on_overload(op, max_attempts=max_attempts)
    assert calls == [0]


# -- RetryPolicy options --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_attempts": 0}, r"^max_attempts must be an int >= 1, got 0$"),
        ({"max_attempts": 2.0}, r"^max_attempts must be an int >= 1, got 2\.0$"),
        ({"max_attempts": "3"}, r"^max_attempts must be an int >= 1, got '3'$"),
        ({"max_attempts": True}, r"^max_attempts must be an int >= 1, got True$"),
        ({"backoff": "1"}, r"^backoff must be a number >= 0, got '1'$"),
        ({"backoff": math.nan}, r"^backoff must be a number >= 0, got nan$"),
        ({"max_backoff": None}, r"^max_backoff must be a number >= 0, got None$"),
        ({"jitter": -0.1}, r"^jitter must be a number >= 0, got -0\.1$"),
        ({"jitter": 1.5}, r"^jitter is a fraction of the pause \(0\.\.1\), got 1\.5$"),
        ({"multiplier": 0.9}, r"^multiplier must be >= 1, got 0\.9$"),
        ({"multiplier": "2"}, r"^multiplier must be >= 1, got '2'$"),
        ({"multiplier": None}, r"^multiplier must be >= 1, got None$"),
    ],
)
def test_a_bad_option_names_itself_and_what_it_must_be(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RetryPolicy(**options)


def test_the_edges_of_the_ranges_are_allowed() -> None:
    policy = RetryPolicy(max_attempts=1, backoff=0, multiplier=1, max_backoff=0, jitter=1)
    assert policy.delay_for(1, RuntimeError()) == 0.0
    assert RetryPolicy(jitter=0, backoff=2, multiplier=1).delay_for(5, RuntimeError()) == 2.0


# -- delay_for ----------------------------------------------------------------------------------
@given(
    attempt=st.integers(1, 30),
    backoff=st.floats(0, 10),
    multiplier=st.floats(1, 4),
    cap=st.floats(0, 60),
)
def test_without_jitter_the_delay_is_exponential_and_capped(
    attempt: int, backoff: float, multiplier: float, cap: float
) -> None:
    policy = RetryPolicy(backoff=backoff, multiplier=multiplier, max_backoff=cap, jitter=0)
    assert policy.delay_for(attempt, RuntimeError()) == pytest.approx(min(cap, backoff * multiplier ** (attempt - 1)))


@given(retry_after=st.floats(0, 100), attempt=st.integers(1, 5))
def test_the_delay_is_at_least_the_errors_retry_after(retry_after: float, attempt: int) -> None:
    error = TurnFailedError("slow down", thread_id="t", turn_id="u")
    error.retry_after = retry_after
    delay = RetryPolicy(backoff=1, jitter=0).delay_for(attempt, error)
    assert delay == max(retry_after, float(2 ** (attempt - 1)))


@pytest.mark.parametrize("retry_after", ["10", None, [10]])
def test_a_retry_after_that_is_not_a_number_is_ignored(retry_after: object) -> None:
    error = RuntimeError("x")
    error.retry_after = retry_after  # type: ignore[attr-defined]
    assert RetryPolicy(backoff=1, jitter=0).delay_for(1, error) == 1.0


# -- RetryPolicy.run / run_async ----------------------------------------------------------------
def completed_turn_result(usage: Usage | None = None) -> TurnResult:
    """A completed turn's result, with ``usage`` (default: one input token)."""
    return TurnResult(
        id="u",
        status=TurnStatus.completed,
        error=None,
        started_at=None,
        completed_at=None,
        duration_ms=None,
        final_response="ok",
        items=[],
        usage=None,
        metrics=TurnMetrics(usage=usage or Usage(input_tokens=1, total_tokens=1)),
    )


def _transient(usage: Usage | None = None) -> TurnFailedError:
    error = turn_failed_error("x", thread_id="t", turn_id="u", codex_error_info="internalServerError")
    error.usage = usage
    return error


def test_a_first_success_reports_one_attempt_and_no_errors(pauses: list[float]) -> None:
    result = RetryPolicy().run(completed_turn_result)
    assert result.metrics.attempts == 1
    assert result.metrics.attempt_errors == []
    assert result.metrics.usage == Usage(input_tokens=1, total_tokens=1)
    assert result.metrics.total_duration_s is not None
    assert result.metrics.total_duration_s >= 0
    assert pauses == []


def test_an_error_the_policy_does_not_retry_is_raised_at_once(pauses: list[float]) -> None:
    calls: list[int] = []
    heard: list[RetryAttempt] = []

    def attempt() -> TurnResult:
        calls.append(1)
        raise InvalidParamsError(-32602, "bad")

    with pytest.raises(InvalidParamsError):
        RetryPolicy(on_retry=heard.append).run(attempt)
    assert len(calls) == 1
    assert heard == []
    assert pauses == []


def test_retry_if_decides_what_is_retried(pauses: list[float]) -> None:
    outcomes: list[Exception | None] = [KeyError("flaky"), KeyError("flaky"), None]

    def attempt() -> TurnResult:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return completed_turn_result()

    policy = RetryPolicy(backoff=1, jitter=0, retry_if=lambda error: isinstance(error, KeyError))
    result = policy.run(attempt)
    assert result.metrics.attempts == 3
    assert [type(error) for error in result.metrics.attempt_errors] == [KeyError, KeyError]
    assert pauses == [1.0, 2.0]


def test_on_retry_hears_each_retry_with_the_pause_that_follows(pauses: list[float]) -> None:
    errors = [_transient(), _transient()]
    raised = list(errors)
    heard: list[RetryAttempt] = []

    def attempt() -> TurnResult:
        if raised:
            raise raised.pop(0)
        return completed_turn_result()

    RetryPolicy(max_attempts=3, backoff=0.25, multiplier=3, jitter=0, on_retry=heard.append).run(attempt)
    assert heard == [RetryAttempt(1, 3, errors[0], 0.25), RetryAttempt(2, 3, errors[1], 0.75)]
    assert pauses == [retry.delay_s for retry in heard]


def test_the_async_run_retries_and_sums_the_failed_attempts_usage(pauses: list[float]) -> None:
    failures = [_transient(Usage(input_tokens=10, total_tokens=10)), _transient(None)]
    failures[1].usage = "not a usage"  # type: ignore[assignment]  # ignored, as a missing one
    raised = list(failures)

    async def attempt() -> TurnResult:
        if raised:
            raise raised.pop(0)
        return completed_turn_result(Usage(input_tokens=2, output_tokens=3, total_tokens=5))

    result = asyncio.run(RetryPolicy(backoff=0.5, jitter=0).run_async(attempt))
    assert result.metrics.attempts == 3
    assert result.metrics.attempt_errors == failures
    assert result.metrics.usage == Usage(input_tokens=12, output_tokens=3, total_tokens=15)
    assert pauses == [0.5, 1.0]


def test_the_async_run_raises_a_non_retryable_error_at_once(pauses: list[float]) -> None:
    async def attempt() -> TurnResult:
        raise ValueError("bug in the caller")

    with pytest.raises(ValueError, match="bug in the caller"):
        asyncio.run(RetryPolicy().run_async(attempt))
    assert pauses == []


# -- Usage arithmetic ---------------------------------------------------------------------------
def test_usage_comes_from_the_engines_breakdown() -> None:
    breakdown = TokenUsageBreakdown(
        input_tokens=100, cached_input_tokens=40, output_tokens=7, reasoning_output_tokens=3, total_tokens=107
    )
    assert Usage.from_breakdown(breakdown) == Usage(
        input_tokens=100, cached_input_tokens=40, output_tokens=7, reasoning_output_tokens=3, total_tokens=107
    )


def test_sum_of_usages_starts_from_zero_and_no_usages_sum_to_zero() -> None:
    first = Usage(input_tokens=1, total_tokens=1)
    assert 0 + first == first
    assert sum([first, first]) == Usage(input_tokens=2, total_tokens=2)
    assert sum([], Usage()) == Usage()


@pytest.mark.parametrize("other", [1, 1.0, "x", None, {"input_tokens": 1}])
def test_usage_adds_only_to_usage(other: Any) -> None:
    with pytest.raises(TypeError):
        Usage() + other
    with pytest.raises(TypeError):
        other + Usage()


counts = st.integers(0, 10**12)
usages = st.builds(Usage, counts, counts, counts, counts, counts)


@given(usages, usages, usages)
def test_usage_addition_is_commutative_and_associative_with_zero_as_identity(a: Usage, b: Usage, c: Usage) -> None:
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a + Usage() == a
