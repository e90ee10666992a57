"""How a client's engine delivered its events: ``codex.delivery_stats()``.

The engine hands every notification and server request to the client through a bounded
channel. When a consumer falls far behind, the engine skips events rather than grow
without limit; a turn's stream then misses them. These counters make that visible, and
the ``codex`` logger warns as soon as the count of skipped events grows.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from ._logging import logger

__all__ = ["DeliveryStats"]


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """Counts since the client's engine started (a closed client keeps its last counts)."""

    #: Events (notifications and server requests) the engine handed to the client.
    delivered: int = 0
    #: Events the engine skipped under back-pressure: lost, no stream saw them.
    lagged: int = 0
    #: Server requests (approvals, tool calls) declined because no turn was listening for
    #: their thread, such as those of goal turns the engine started on its own.
    requests_declined: int = 0
    #: Notifications that belonged to no open stream and that nobody reads (those read,
    #: ``account/login/completed`` and MCP start-up status, are kept until taken).
    unrouted_dropped: int = 0
    #: ``item/agentMessage/delta`` notifications the engine emitted for the most recently
    #: started turn (of any thread), and the time from the first to the last of them leaving
    #: the engine: its own emission rate, to set against the rate a consumer sees.
    turn_text_deltas: int = 0
    turn_text_delta_span_s: float = 0.0

    @classmethod
    def from_engine(cls, raw: Mapping[str, int]) -> DeliveryStats:
        """From the engine's counters (``NativeEngine.stats()``)."""
        return cls(
            delivered=int(raw.get("events_delivered", 0)),
            lagged=int(raw.get("events_lagged", 0)),
            requests_declined=int(raw.get("requests_declined", 0)),
            unrouted_dropped=int(raw.get("unrouted_dropped", 0)),
            turn_text_deltas=int(raw.get("turn_text_deltas", 0)),
            turn_text_delta_span_s=int(raw.get("turn_text_delta_span_ns", 0)) / 1e9,
        )


class DeliveryMonitor:
    """One client's latest counts; warns once for every growth of the lost-event count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = DeliveryStats()

    @property
    def last(self) -> DeliveryStats:
        with self._lock:
            return self._last

    def observe(self, raw: Mapping[str, int]) -> DeliveryStats:
        stats = DeliveryStats.from_engine(raw)
        with self._lock:
            last = self._last
            # Counters only grow: a snapshot older than the kept one (a race) changes nothing.
            newer = stats.delivered >= last.delivered and stats.lagged >= last.lagged
            lost = stats.lagged - last.lagged if newer else 0
            if newer:
                self._last = stats
        if lost > 0:
            logger.warning(
                "the engine dropped %d event(s) under back-pressure (%d since the client started); "
                "streams missed them: consume turn streams promptly or raise CodexConfig.channel_capacity",
                lost,
                stats.lagged,
            )
        return stats
