"""MCP server models as the engine's ``mcp_servers.<name>`` tables, telling plain dicts apart,
and the edges of start-up errors and ``mcp_status`` (the async twin waiting for a late notice).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from codex import AsyncCodex, McpHttpServer, McpServer, McpStdioServer
from codex.errors import InternalRpcError
from codex.mcp import McpStartupError, mcp_config_overrides, mcp_startup_errors
from tests.fakes.fake_engine import FakeEngine

SERVERS: TypeAdapter[McpStdioServer | McpHttpServer] = TypeAdapter(McpServer)


def test_a_stdio_servers_table_has_an_absolute_cwd_and_its_tool_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/tester")
    server = McpStdioServer(
        name="docs",
        command="docs-server",
        cwd="~/servers/docs",
        enabled_tools=["search"],
        disabled_tools=["delete"],
        tool_approval="writes",
        tool_approvals={"search": "approve"},
    )
    assert server.engine_table() == {
        "command": "docs-server",
        "args": [],
        "cwd": "/home/tester/servers/docs",
        "enabled": True,
        "default_tools_approval_mode": "writes",
        "tools": {"search": {"approval_mode": "approve"}},
        "enabled_tools": ["search"],
        "disabled_tools": ["delete"],
    }
    relative = McpStdioServer(name="rel", command="x", cwd="servers")
    assert relative.engine_table()["cwd"] == os.path.join(os.getcwd(), "servers")


def test_an_http_servers_table_names_the_variables_its_headers_come_from() -> None:
    server = McpHttpServer(
        name="search",
        url="https://mcp.example.com/",
        http_headers={"X-Team": "core"},
        env_http_headers={"Authorization": "SEARCH_TOKEN"},
        required=True,
    )
    assert mcp_config_overrides([server]) == {
        "mcp_servers.search": {
            "url": "https://mcp.example.com/",
            "http_headers": {"X-Team": "core"},
            "env_http_headers": {"Authorization": "SEARCH_TOKEN"},
            "enabled": True,
            "required": True,
        }
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": "a", "command": "run-a"}, McpStdioServer),
        ({"name": "b", "url": "http://127.0.0.1:9/mcp"}, McpHttpServer),
        ({"name": "c", "transport": "streamable_http", "url": "http://127.0.0.1:9/mcp"}, McpHttpServer),
        ({"name": "d", "transport": "stdio", "command": "run-d"}, McpStdioServer),
    ],
)
def test_a_plain_dict_is_told_apart_by_its_transport_or_its_fields(value: dict[str, Any], expected: type) -> None:
    assert type(SERVERS.validate_python(value)) is expected


def test_a_server_object_validates_as_itself() -> None:
    server = McpStdioServer(name="a", command="run-a")
    assert SERVERS.validate_python(server) is server


@pytest.mark.parametrize(
    "value",
    [{"name": "x"}, ["not", "a", "server"], {"name": "y", "transport": "websocket", "url": "ws://h"}],
)
def test_a_value_that_names_no_transport_is_refused_with_a_message_that_says_what_to_add(value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        SERVERS.validate_python(value)
    assert [error["msg"] for error in raised.value.errors()] == [
        "an MCP server needs `command` (stdio) or `url` (streamable HTTP)"
    ]


def test_a_startup_error_raised_inside_is_passed_on_unchanged() -> None:
    original = McpStartupError(-32603, "required MCP servers failed to initialize: docs", None)
    with pytest.raises(McpStartupError) as raised, mcp_startup_errors():
        raise original
    assert raised.value is original
    with pytest.raises(InternalRpcError) as other, mcp_startup_errors():
        raise InternalRpcError(-32603, "disk full", None)
    assert type(other.value) is InternalRpcError


def test_the_async_twin_waits_for_a_failure_notice_that_trails_the_list(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    listed = asyncio.Event()
    failed_server = {"name": "broken", "tools": {}, "authStatus": "unsupported"}

    def list_servers(params: dict[str, Any]) -> dict[str, Any]:
        loop.call_soon_threadsafe(listed.set)
        return {"data": [failed_server], "nextCursor": None}

    fake_engine.handlers["mcpServerStatus/list"] = list_servers

    async def main() -> tuple[str | None, str | None]:
        async with AsyncCodex(api_key="sk-fake-key", cwd=str(tmp_path)) as client:
            thread = await client.thread_start()

            async def late_notice() -> None:
                await listed.wait()
                notice = {"threadId": thread.id, "name": "broken", "status": "failed", "error": "exit 1"}
                fake_engine.emit_unrouted("mcpServer/startupStatus/updated", notice)

            sender = asyncio.create_task(late_notice())
            (broken,) = await thread.mcp_status()
            await sender
            return broken.startup_status, broken.startup_error

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(main()) == ("failed", "exit 1")
    finally:
        loop.close()
