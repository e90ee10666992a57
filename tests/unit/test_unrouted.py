"""The shared drain of the engine's unrouted notifications (a fake engine beside the e2e tests)."""

from __future__ import annotations

import json

from codex._unrouted import StartupNotices, UnroutedNotifications


class _FakeEngine:
    def __init__(self) -> None:
        self.pending: list[tuple[bool, str, str | None, str]] = []

    def take_unrouted(self) -> list[tuple[bool, str, str | None, str]]:
        taken, self.pending = self.pending, []
        return taken


def _note(method: str, **params: object) -> tuple[bool, str, str | None, str]:
    return (False, method, None, json.dumps(params))


def test_each_reader_gets_its_own_method_and_nothing_is_lost() -> None:
    engine = _FakeEngine()
    store = UnroutedNotifications()
    engine.pending = [
        _note("account/login/completed", loginId="a"),
        _note("mcpServer/startupStatus/updated", threadId="t1", name="x", status="failed"),
        (True, "item/tool/call", "7", "{}"),
        _note("mcpServer/startupStatus/updated", threadId="t2", name="y", status="ready"),
    ]
    startup = "mcpServer/startupStatus/updated"
    assert store.take(engine, startup, where=lambda p: p["threadId"] == "t1") == [  # type: ignore[arg-type]
        {"threadId": "t1", "name": "x", "status": "failed"}
    ]
    assert engine.pending == []
    # The login reader still finds its notification, the other thread's stays kept.
    assert store.take(engine, "account/login/completed") == [{"loginId": "a"}]  # type: ignore[arg-type]
    assert store.take(engine, startup) == [{"threadId": "t2", "name": "y", "status": "ready"}]  # type: ignore[arg-type]
    assert store.take(engine, startup) == []  # type: ignore[arg-type]
    assert store.take(engine, "item/tool/call") == []  # type: ignore[arg-type]


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
