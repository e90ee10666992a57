"""Retrying transient failures: ``retry_on_overload`` (as in the official SDK) and
:class:`RetryPolicy`, which ``thread.run(..., retry=...)`` uses to re-run failed turns."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ._logging import logger
from .errors import ConfigurationError, is_retryable_error
from .metrics import Usage

if TYPE_CHECKING:
    from .turns import TurnResult

T = TypeVar("T")


def retry_on_overload(
    op: Callable[[], T],
    *,
    max_attempts: int = 3,
    initial_delay_s: float = 0.25,
    max_delay_s: float = 2.0,
    jitter_ratio: float = 0.2,
) -> T:
    """Calls ``op`` until it succeeds, retrying retryable errors with exponential backoff.

    Retryable: overload JSON-RPC errors and failed turns whose engine error info says
    the failure was transient (5xx, 429, dropped streams); see ``is_retryable_error``.
    """
    if max_attempts < 1:
        raise ConfigurationError("max_attempts must be >= 1")
    delay = initial_delay_s
    attempt = 0
    while True:
        attempt += 1
        try:
            return op()
        except Exception as exc:
            if attempt >= max_attempts or not is_retryable_error(exc):
                raise
        jitter = delay * jitter_ratio
        pause = min(max_delay_s, delay) + random.uniform(-jitter, jitter)
        if pause > 0:
            time.sleep(pause)
        delay = min(max_delay_s, delay * 2)


@dataclass(frozen=True, slots=True)
class RetryAttempt:
    """Told to ``RetryPolicy.on_retry`` before each new attempt."""

    #: The attempt that just failed (1 for the first).
    attempt: int
    max_attempts: int
    error: Exception
    #: How long the policy waits before the next attempt, in seconds.
    delay_s: float


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how ``thread.run(..., retry=...)`` re-runs a failed turn.

    A turn that raised an error for which ``retry_if`` is true (default:
    :func:`~codex.errors.is_retryable_error`: overload, 5xx, 429, dropped streams)
    is started again, up to ``max_attempts`` turns in all. The pause before attempt
    ``n + 1`` is ``backoff * multiplier ** (n - 1)``, capped at ``max_backoff``, at
    least the error's ``retry_after`` when it has one, and spread by ``jitter`` (a
    fraction: 0.2 means +-20%). ``on_retry`` hears about every retry before the pause.
    When attempts run out, the last error is raised.
    """

    max_attempts: int = 3
    backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 30.0
    jitter: float = 0.2
    retry_if: Callable[[BaseException], bool] = is_retryable_error
    on_retry: Callable[[RetryAttempt], None] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or isinstance(self.max_attempts, bool) or self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be an int >= 1, got {self.max_attempts!r}")
        for name in ("backoff", "max_backoff", "jitter"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value >= 0:  # NaN too
                raise ConfigurationError(f"{name} must be a number >= 0, got {value!r}")
        if not isinstance(self.multiplier, int | float) or not self.multiplier >= 1:
            raise ConfigurationError(f"multiplier must be >= 1, got {self.multiplier!r}")
        if self.jitter > 1:
            raise ConfigurationError(f"jitter is a fraction of the pause (0..1), got {self.jitter!r}")

    def delay_for(self, attempt: int, error: BaseException) -> float:
        """The pause after failed attempt ``attempt`` (1-based)."""
        base = min(self.max_backoff, self.backoff * self.multiplier ** (attempt - 1))
        spread = base * self.jitter
        pause = max(0.0, base + random.uniform(-spread, spread))
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > pause:
            pause = float(retry_after)
        return pause

    def _should_retry(self, attempt: int, error: Exception) -> float | None:
        """The pause before the next attempt, or None to give up and re-raise."""
        if attempt >= self.max_attempts or not self.retry_if(error):
            return None
        delay = self.delay_for(attempt, error)
        logger.info("attempt %d/%d failed (%s); retrying in %.2fs", attempt, self.max_attempts, error, delay)
        if self.on_retry is not None:
            self.on_retry(RetryAttempt(attempt, self.max_attempts, error, delay))
        return delay

    def run(self, attempt_turn: Callable[[], TurnResult]) -> TurnResult:
        """Runs ``attempt_turn`` under this policy (sync)."""
        started = time.perf_counter()
        failures: list[Exception] = []
        attempt = 0
        while True:
            attempt += 1
            try:
                result = attempt_turn()
            except Exception as exc:
                delay = self._should_retry(attempt, exc)
                if delay is None:
                    raise
                failures.append(exc)
                time.sleep(delay)
                continue
            return _with_attempts(result, failures, started)

    async def run_async(self, attempt_turn: Callable[[], Awaitable[TurnResult]]) -> TurnResult:
        """Runs ``attempt_turn`` under this policy (async)."""
        import asyncio

        started = time.perf_counter()
        failures: list[Exception] = []
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await attempt_turn()
            except Exception as exc:
                delay = self._should_retry(attempt, exc)
                if delay is None:
                    raise
                failures.append(exc)
                await asyncio.sleep(delay)
                continue
            return _with_attempts(result, failures, started)


def _with_attempts(result: TurnResult, failures: list[Exception], started: float) -> TurnResult:
    metrics = result.metrics
    metrics.attempts = len(failures) + 1
    metrics.attempt_errors = failures
    metrics.usage = sum((_usage_of(error) for error in failures), metrics.usage)
    metrics.total_duration_s = time.perf_counter() - started
    return result


def _usage_of(error: Exception) -> Usage:
    usage = getattr(error, "usage", None)
    return usage if isinstance(usage, Usage) else Usage()
