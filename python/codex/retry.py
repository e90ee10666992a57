"""``retry_on_overload``: the official SDK's helper for transient overload errors."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import ConfigurationError, is_retryable_error

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
