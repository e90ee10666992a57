"""``thread.mcp_status()`` on the fake engine: the list joined with the start-up notices.

The engine answers ``mcpServerStatus/list`` once start-up ended, but lists a server that
failed without saying why; the why arrives as a thread-less ``mcpServer/startupStatus/updated``
notice, possibly a moment after the list. tests/e2e/test_mcp.py proves this with real servers;
here the timing cases are pinned: a notice already there, one that trails the list, one seen
on a turn's stream, a ``starting`` notice that must not hide the outcome.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from codex import AsyncCodex, Codex
from codex.errors import InternalRpcError
from codex.mcp import McpStartupError
from tests.fakes.fake_engine import FakeEngine

STARTUP = "mcpServer/startupStatus/updated"
READY_SERVER: dict[str, Any] = {
    "name": "docs",
    "serverInfo": {"name": "docs-server", "version": "1.0"},
    "tools": {"search": {"name": "search", "inputSchema": {"type": "object"}}},
    "authStatus": "unsupported",
}
FAILED_SERVER: dict[str, Any] = {"name": "broken", "tools": {}, "authStatus": "unsupported"}


@pytest.fixture
def listing(fake_engine: FakeEngine) -> list[dict[str, Any]]:
    """What ``mcpServerStatus/list`` answers (tests fill it)."""
    servers: list[dict[str, Any]] = []
    fake_engine.handlers["mcpServerStatus/list"] = lambda params: {"data": list(servers), "nextCursor": None}
    return servers


def notice(thread_id: str, name: str, status: str, error: str | None = None) -> dict[str, Any]:
    return {"threadId": thread_id, "name": name, "status": status, "error": error}


def test_a_started_server_is_ready_and_a_failed_one_says_why(
    fake_codex: Codex, fake_engine: FakeEngine, listing: list[dict[str, Any]]
) -> None:
    thread = fake_codex.thread_start()
    listing += [READY_SERVER, FAILED_SERVER]
    fake_engine.emit_unrouted(STARTUP, notice(thread.id, "broken", "starting"))
    fake_engine.emit_unrouted(STARTUP, notice(thread.id, "broken", "failed", "No such file or directory"))
    fake_engine.emit_unrouted(STARTUP, notice("another-thread", "broken", "ready"))
    ready, broken = thread.mcp_status()
    assert (ready.name, ready.started, ready.startup_status) == ("docs", True, "ready")
    assert set(ready.tools) == {"search"}
    assert (broken.name, broken.started, broken.startup_status) == ("broken", False, "failed")
    assert broken.startup_error == "No such file or directory"
    assert fake_engine.params_of("mcpServerStatus/list") == [{"threadId": thread.id}]


def test_a_failure_notice_that_trails_the_list_is_waited_for(
    fake_codex: Codex, fake_engine: FakeEngine, listing: list[dict[str, Any]]
) -> None:
    thread = fake_codex.thread_start()
    listing.append(FAILED_SERVER)
    listed = threading.Event()
    answer = fake_engine.handlers["mcpServerStatus/list"]

    def list_then_notice(params: dict[str, Any]) -> dict[str, Any]:
        listed.set()
        return answer(params)

    fake_engine.handlers["mcpServerStatus/list"] = list_then_notice

    def late_notice() -> None:
        listed.wait(10)
        fake_engine.emit_unrouted(STARTUP, notice(thread.id, "broken", "failed", "exited with status 1"))

    sender = threading.Thread(target=late_notice)
    sender.start()
    (broken,) = thread.mcp_status()
    sender.join()
    assert broken.startup_status == "failed"
    assert broken.startup_error == "exited with status 1"


def test_a_notice_seen_on_a_turns_stream_counts(
    fake_codex: Codex, fake_engine: FakeEngine, listing: list[dict[str, Any]]
) -> None:
    thread = fake_codex.thread_start()
    # A server the turn started failed while the turn streamed: the notice came on the turn's
    # stream (it belongs to no turn, so the stream does not show it), not the thread-less one.
    fake_engine.script_turn(
        lambda turn: [
            turn.started(),
            (False, STARTUP, None, json.dumps(notice(thread.id, "broken", "cancelled"))),
            turn.agent_message("done"),
            turn.completed(),
        ]
    )
    events = [event.method for event in thread.turn("hi").stream()]
    assert STARTUP not in events
    listing.append(FAILED_SERVER)
    (broken,) = thread.mcp_status()
    assert broken.startup_status == "cancelled"


def test_a_server_still_starting_is_returned_as_starting_after_the_grace(
    fake_codex: Codex, fake_engine: FakeEngine, listing: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("codex.mcp._STARTUP_NOTICE_GRACE_S", 0.1)
    thread = fake_codex.thread_start()
    listing.append(FAILED_SERVER)
    fake_engine.emit_unrouted(STARTUP, notice(thread.id, "broken", "starting"))
    (broken,) = thread.mcp_status()
    assert broken.startup_status == "starting"
    assert broken.startup_error is None


def test_the_async_twin_joins_the_same_way(
    fake_engine: FakeEngine, listing: list[dict[str, Any]], tmp_path: Path
) -> None:
    async def main() -> None:
        async with AsyncCodex(api_key="sk-fake", cwd=str(tmp_path)) as client:
            thread = await client.thread_start()
            listing.extend([READY_SERVER, FAILED_SERVER])
            fake_engine.emit_unrouted(STARTUP, notice(thread.id, "broken", "failed", "boom"))
            ready, broken = await thread.mcp_status()
            assert ready.startup_status == "ready"
            assert (broken.startup_status, broken.startup_error) == ("failed", "boom")

    asyncio.run(main())


def test_required_servers_failing_at_thread_start_raise_mcp_startup_error(
    fake_codex: Codex, fake_engine: FakeEngine
) -> None:
    message = "required MCP servers failed to initialize: broken"
    fake_engine.fail_next("thread/start", -32603, message)
    with pytest.raises(McpStartupError, match="required MCP servers failed") as raised:
        fake_codex.thread_start()
    assert isinstance(raised.value.__cause__, InternalRpcError)
    # Another internal error stays what it is, and the client stays usable.
    fake_engine.fail_next("thread/start", -32603, "something else broke")
    with pytest.raises(InternalRpcError) as other:
        fake_codex.thread_start()
    assert not isinstance(other.value, McpStartupError)
    assert fake_codex.thread_start().id
