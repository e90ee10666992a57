"""Token usage and latency of turns, summed across model calls, retry attempts and turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .protocol.models import TokenUsageBreakdown

__all__ = ["Usage", "TurnMetrics"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts; ``a + b`` and ``sum(...)`` add them up."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_breakdown(cls, breakdown: TokenUsageBreakdown) -> Usage:
        return cls(
            input_tokens=breakdown.input_tokens,
            cached_input_tokens=breakdown.cached_input_tokens,
            output_tokens=breakdown.output_tokens,
            reasoning_output_tokens=breakdown.reasoning_output_tokens,
            total_tokens=breakdown.total_tokens,
        )

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_output_tokens=self.reasoning_output_tokens + other.reasoning_output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )

    def __radd__(self, other: object) -> Usage:
        # ``sum()`` starts from the int 0.
        if other == 0:
            return self
        if isinstance(other, Usage):
            return other + self
        return NotImplemented


@dataclass(slots=True)
class TurnMetrics:
    """How a turn went, measured by the SDK.

    ``usage`` sums the per-request usage the engine reported for every model call of
    the turn, including the calls of failed attempts when the turn was retried.
    Times are wall-clock seconds of the last attempt: from just before ``turn/start``
    to the first model output (``time_to_first_token_s``: a text or reasoning delta,
    or the first item the model produced) and to ``turn/completed``
    (``duration_s``). ``total_duration_s`` spans every attempt and the pauses between.
    """

    usage: Usage = field(default_factory=Usage)
    attempts: int = 1
    time_to_first_token_s: float | None = None
    duration_s: float | None = None
    total_duration_s: float | None = None
    #: The failures of earlier attempts, oldest first (empty when the first attempt worked).
    attempt_errors: list[Exception] = field(default_factory=list)
