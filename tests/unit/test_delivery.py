"""Delivery statistics: the counters, and the warning when the engine loses events (a fake engine)."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from codex import DeliveryStats
from codex.delivery import DeliveryMonitor


def _raw(delivered: int, lagged: int = 0, declined: int = 0, dropped: int = 0) -> dict[str, int]:
    return {
        "events_delivered": delivered,
        "events_lagged": lagged,
        "requests_declined": declined,
        "unrouted_dropped": dropped,
    }


def test_stats_are_frozen_and_read_from_the_engines_counters() -> None:
    stats = DeliveryStats.from_engine(_raw(10, 2, 1, 3))
    assert stats == DeliveryStats(delivered=10, lagged=2, requests_declined=1, unrouted_dropped=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.lagged = 0  # type: ignore[misc]
    assert DeliveryStats() == DeliveryStats(0, 0, 0, 0)


def test_a_growing_lag_count_warns_once_per_growth(caplog: pytest.LogCaptureFixture) -> None:
    monitor = DeliveryMonitor()
    with caplog.at_level(logging.WARNING, logger="codex"):
        monitor.observe(_raw(5))
        monitor.observe(_raw(9))
        assert caplog.records == []
        monitor.observe(_raw(12, lagged=3))
        monitor.observe(_raw(15, lagged=3))
        monitor.observe(_raw(20, lagged=10))
    messages = [record.getMessage() for record in caplog.records]
    assert [record.levelno for record in caplog.records] == [logging.WARNING, logging.WARNING]
    assert [record.name for record in caplog.records] == ["codex", "codex"]
    assert "dropped 3 event(s)" in messages[0]
    assert "dropped 7 event(s)" in messages[1]
    assert "(10 since" in messages[1]
    assert monitor.last == DeliveryStats(delivered=20, lagged=10)


def test_an_older_snapshot_does_not_go_back_or_warn_again(caplog: pytest.LogCaptureFixture) -> None:
    monitor = DeliveryMonitor()
    with caplog.at_level(logging.WARNING, logger="codex"):
        monitor.observe(_raw(20, lagged=4))
        monitor.observe(_raw(18, lagged=2))  # read before the first, reported after it
    assert len(caplog.records) == 1
    assert monitor.last.lagged == 4


class _FakeEngine:
    """Stands in for NativeEngine: counters that the test moves."""

    def __init__(self) -> None:
        self.raw = _raw(0)

    def stats(self) -> dict[str, int]:
        return dict(self.raw)


def test_the_sessions_delivery_stats_read_the_engine_and_warn(caplog: pytest.LogCaptureFixture) -> None:
    from codex._dispatch import ServerRequestDispatcher
    from codex._session import Session

    session = Session("{}", ServerRequestDispatcher(), cleanup=lambda: None)
    engine = _FakeEngine()
    session._engine = engine  # type: ignore[assignment]
    engine.raw = _raw(7)
    assert session.delivery_stats() == DeliveryStats(delivered=7)
    engine.raw = _raw(9, lagged=2)
    with caplog.at_level(logging.WARNING, logger="codex"):
        session.note_delivery()  # what the end of a turn stream calls
    assert any("dropped 2 event(s)" in record.getMessage() for record in caplog.records)
    session._engine = None
    assert session.delivery_stats() == DeliveryStats(delivered=9, lagged=2), "a closed client keeps its last counts"
