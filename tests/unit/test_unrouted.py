"""The shared drain of the engine's unrouted notifications (a fake subscription beside the e2e tests)."""

from __future__ import annotations

import json

from codex._unrouted import StartupNotices, UnroutedNotifications

_Raw = tuple[bool, str, str | None, str]


class _FakeSubscription:
    def __init__(self) -> None:
        self.pending: list[_Raw] = []

    def next_batch(self, max_events: int = 512, timeout: float | None = None) -> list[_Raw]:
        assert timeout == 0.0, "draining never waits"
        taken, self.pending = self.pending[:max_events], self.pending[max_events:]
        return taken


def _note(method: str, **params: object) -> tuple[bool, str, str | None, str]:
    return (False, method, None, json.dumps(params))


def test_each_reader_gets_its_own_method_and_nothing_is_lost() -> None:
    subscription = _FakeSubscription()
    store = UnroutedNotifications(subscription)  # type: ignore[arg-type]
    subscription.pending = [
        _note("account/login/completed", loginId="a"),
        _note("mcpServer/startupStatus/updated", threadId="t1", name="x", status="failed"),
        _note("thread/status/changed", threadId="t9"),
        _note("mcpServer/startupStatus/updated", threadId="t2", name="y", status="ready"),
    ]
    startup = "mcpServer/startupStatus/updated"
    assert store.take(startup, where=lambda p: p["threadId"] == "t1") == [
        {"threadId": "t1", "name": "x", "status": "failed"}
    ]
    assert subscription.pending == []
    # The login reader still finds its notification, the other thread's stays kept.
    assert store.take("account/login/completed") == [{"loginId": "a"}]
    assert store.take(startup) == [{"threadId": "t2", "name": "y", "status": "ready"}]
    assert store.take(startup) == []
    # A method nobody reads is not kept, but counted.
    assert store.take("thread/status/changed") == []
    assert store.dropped == 1


def test_a_flood_of_other_notifications_does_not_push_a_login_out() -> None:
    subscription = _FakeSubscription()
    store = UnroutedNotifications(subscription)  # type: ignore[arg-type]
    flood = [_note("item/agentMessage/delta", threadId="t", delta="x") for _ in range(20_000)]
    subscription.pending = [_note("account/login/completed", loginId="a"), *flood]
    store.drain()
    assert subscription.pending == [], "drained in batches until empty"
    assert store.take("account/login/completed") == [{"loginId": "a"}]
    assert store.dropped == 20_000


def test_startup_notices_keep_the_latest_per_thread_and_server() -> None:
    notices = StartupNotices()
    notices.note({"threadId": "t1", "name": "docs", "status": "starting"})
    notices.note({"threadId": "t1", "name": "docs", "status": "failed", "error": "no such file"})
    notices.note({"threadId": "t2", "name": "docs", "status": "ready"})
    notices.note({"threadId": 7, "name": "bad"})  # not a thread's notice: ignored
    assert notices.of_thread("t1") == {
        "docs": {"threadId": "t1", "name": "docs", "status": "failed", "error": "no such file"}
    }
    assert notices.of_thread("t2") == {"docs": {"threadId": "t2", "name": "docs", "status": "ready"}}
    assert notices.of_thread("t3") == {}


def test_a_late_starting_notice_does_not_hide_the_outcome() -> None:
    notices = StartupNotices()
    notices.note({"threadId": "t", "name": "gone", "status": "failed", "error": "no such file"})
    notices.note({"threadId": "t", "name": "gone", "status": "starting"})
    notices.note({"threadId": "t", "name": "ok", "status": "starting"})
    notices.note({"threadId": "t", "name": "ok", "status": "ready"})
    latest = notices.of_thread("t")
    assert (latest["gone"]["status"], latest["gone"]["error"]) == ("failed", "no such file")
    assert latest["ok"]["status"] == "ready"
