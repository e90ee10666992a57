"""MCP servers through the real engine: a server written with the ``mcp`` package, started over stdio
(or reached over streamable HTTP), its tools listed by the engine and called by the mock model.

The engine offers MCP tools as deferred tools: the model finds them with ``tool_search``
and calls them in the ``mcp__<server>`` namespace, as the scripts below do.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex import ApprovalMode, AsyncCodex, Codex, McpHttpServer, McpStdioServer, Sandbox, TurnStatus
from codex.events import McpToolCallThreadItem, ThreadItem
from codex.manifest import load_manifest
from codex.mcp import McpStartupError
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs

FIXTURE_SERVER = Path(__file__).resolve().parent.parent / "fixtures" / "mcp_server.py"


def fixture_server(name: str = "fixture", *, log: Path | None = None, **options: Any) -> McpStdioServer:
    args = [str(FIXTURE_SERVER)] + (["--log", str(log)] if log is not None else [])
    return McpStdioServer(name=name, command=sys.executable, args=args, **options)


def _mcp_items(items: list[ThreadItem]) -> list[McpToolCallThreadItem]:
    return [item.root for item in items if isinstance(item.root, McpToolCallThreadItem)]


def _calls_seen(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_engine_lists_the_tools_and_the_result_reaches_the_model(
    codex_mock: MockResponsesServer, codex_client: Codex, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    codex_mock.enqueue(
        responses.tool_search("echo text back"),
        responses.mcp_tool_call("fixture", "echo", {"text": "hello"}),
        responses.text("the server said hello"),
    )
    thread = codex_client.thread_start(mcp_servers=[fixture_server(log=log, tool_approval="approve")])
    result = thread.run("use the echo tool")

    assert result.status is TurnStatus.completed
    assert result.final_response == "the server said hello"
    # The engine did the handshake and listed the server's tools for the model.
    (search_output,) = [
        item for item in codex_mock.response_requests[1].input_items if item.get("type") == "tool_search_output"
    ]
    (namespace,) = search_output["tools"]
    assert namespace["name"] == "mcp__fixture"
    echo = next(tool for tool in namespace["tools"] if tool["name"] == "echo")
    assert echo["description"] == "Echoes the text back, prefixed with 'echo: '."
    assert echo["parameters"]["required"] == ["text"]
    # The call is a typed MCP item with the server's result.
    (call,) = _mcp_items(result.items)
    wire = call.to_dict()
    assert (call.server, call.tool, wire["status"]) == ("fixture", "echo", "completed")
    assert call.arguments == {"text": "hello"}
    assert wire["result"]["content"] == [{"type": "text", "text": "echo: hello"}]
    assert _calls_seen(log) == ["echo"]
    # ... and the result went back to the model.
    (output,) = codex_mock.response_requests[2].tool_outputs()
    assert "echo: hello" in str(output["output"])


def test_client_level_servers_on_the_async_client(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> McpToolCallThreadItem:
        codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "async"}), responses.text("ok"))
        kwargs = client_kwargs(codex_mock, codex_workspace, mcp_servers=[fixture_server(tool_approval="approve")])
        async with AsyncCodex(**kwargs) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            result = await thread.run("echo")
        (call,) = _mcp_items(result.items)
        return call

    call = asyncio.run(scenario())
    assert call.status == "completed"
    assert "echo: async" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])


def test_tool_error_is_a_failed_item_the_model_sees(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(
        responses.mcp_tool_call("fixture", "fail", {"reason": "disk on fire"}),
        responses.text("the tool failed"),
        responses.text("still alive"),
    )
    thread = codex_client.thread_start(mcp_servers=[fixture_server(tool_approval="approve")])
    result = thread.run("call the failing tool")

    assert result.status is TurnStatus.completed
    (call,) = _mcp_items(result.items)
    assert call.status == "failed"
    assert "fail tool refused: disk on fire" in str(call.to_dict()["result"])
    assert "fail tool refused: disk on fire" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])
    assert thread.run("again").final_response == "still alive"


def test_server_crash_mid_call_fails_the_call_not_the_client(
    codex_mock: MockResponsesServer, codex_client: Codex, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    codex_mock.enqueue(responses.mcp_tool_call("fixture", "crash", {}), responses.text("the server died"))
    thread = codex_client.thread_start(mcp_servers=[fixture_server(log=log, tool_approval="approve")])
    result = thread.run("crash it")

    assert result.status is TurnStatus.completed
    assert _calls_seen(log) == ["crash"]
    (call,) = _mcp_items(result.items)
    wire = call.to_dict()
    assert wire["status"] == "failed"
    assert "Transport closed" in wire["error"]["message"]
    assert "Transport closed" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])

    # The client goes on: a new thread starts a fresh server whose tools work.
    codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "back"}), responses.text("ok"))
    again = codex_client.thread_start(mcp_servers=[fixture_server(tool_approval="approve")]).run("echo")
    (call,) = _mcp_items(again.items)
    assert call.status == "completed"


def test_missing_command_leaves_the_thread_without_its_tools(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    missing = McpStdioServer(name="gone", command="/nonexistent/mcp-server", tool_approval="approve")
    codex_mock.enqueue(responses.mcp_tool_call("gone", "echo", {"text": "x"}), responses.text("no such tool"))
    thread = codex_client.thread_start(mcp_servers=[missing, fixture_server()])
    result = thread.run("call it")

    assert result.status is TurnStatus.completed
    assert _mcp_items(result.items) == []
    assert "unsupported call" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])
    by_name = {status.name: status for status in thread.mcp_status()}
    gone = by_name["gone"]
    assert (gone.started, gone.tools, gone.startup_status) == (False, {}, "failed")
    assert "No such file or directory" in (gone.startup_error or "")
    assert by_name["fixture"].started
    assert by_name["fixture"].startup_status == "ready"
    assert sorted(by_name["fixture"].tools) == ["crash", "echo", "fail"]


def test_missing_required_server_raises_a_typed_error(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    missing = McpStdioServer(name="gone", command="/nonexistent/mcp-server", required=True)
    with pytest.raises(McpStartupError, match=r"gone: No such file or directory"):
        codex_client.thread_start(mcp_servers=[missing])
    assert codex_client.thread_start().run("still here").final_response == "Hello from the mock."


def test_unapproved_call_fails_closed_without_a_handler(
    codex_mock: MockResponsesServer, codex_client: Codex, tmp_path: Path
) -> None:
    """The tool has no read-only annotation, so the engine asks first; no handler means no."""
    log = tmp_path / "calls.log"
    codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "x"}), responses.text("declined"))
    result = codex_client.thread_start(mcp_servers=[fixture_server(log=log)]).run("echo")

    (call,) = _mcp_items(result.items)
    assert call.status == "failed"
    assert _calls_seen(log) == []
    assert "rejected" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])


def test_approval_handler_can_allow_a_call(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    asked: list[dict[str, Any]] = []

    def handler(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        asked.append({"method": method, **params})
        return {"action": "accept", "content": {}} if method == "mcpServer/elicitation/request" else None

    codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "allowed"}), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_handler=handler) as codex:  # type: ignore[arg-type]
        result = codex.thread_start(mcp_servers=[fixture_server(log=log)]).run("echo")

    assert [entry["method"] for entry in asked] == ["mcpServer/elicitation/request"]
    assert asked[0]["serverName"] == "fixture"
    (call,) = _mcp_items(result.items)
    assert call.status == "completed"
    assert _calls_seen(log) == ["echo"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def http_server_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(FIXTURE_SERVER), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the HTTP MCP fixture did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_streamable_http_server(codex_mock: MockResponsesServer, codex_client: Codex, http_server_url: str) -> None:
    codex_mock.enqueue(responses.mcp_tool_call("remote", "echo", {"text": "over http"}), responses.text("ok"))
    server = McpHttpServer(name="remote", url=http_server_url, tool_approval="approve")
    result = codex_client.thread_start(mcp_servers=[server]).run("echo")

    (call,) = _mcp_items(result.items)
    assert (call.server, call.status) == ("remote", "completed")
    assert "echo: over http" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])


def test_servers_from_a_manifest_run_in_the_engine(
    codex_mock: MockResponsesServer, codex_client: Codex, tmp_path: Path
) -> None:
    manifest_file = tmp_path / "tools.toml"
    manifest_file.write_text(
        f"[mcp_servers.fixture]\ncommand = {json.dumps(sys.executable)}\nargs = [{json.dumps(str(FIXTURE_SERVER))}]\n"
        'tool_approval = "approve"\n'
    )
    manifest = load_manifest(manifest_file)
    codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "from a manifest"}), responses.text("ok"))
    result = codex_client.thread_start(mcp_servers=manifest.servers()).run("echo")

    (call,) = _mcp_items(result.items)
    assert call.status == "completed"
    assert "echo: from a manifest" in str(codex_mock.response_requests[1].tool_outputs()[0]["output"])


@pytest.mark.parametrize(
    ("sandbox", "runs"),
    [(Sandbox.read_only, False), (Sandbox.full_access, True)],
)
def test_deny_all_rejects_unless_the_sandbox_is_full_access(
    codex_mock: MockResponsesServer, codex_client: Codex, tmp_path: Path, sandbox: Sandbox, runs: bool
) -> None:
    """With approval policy "never" the engine cannot ask: it rejects, but auto-approves under full access."""
    log = tmp_path / "calls.log"
    codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "x"}), responses.text("ok"))
    thread = codex_client.thread_start(
        approval_mode=ApprovalMode.deny_all, sandbox=sandbox, mcp_servers=[fixture_server(log=log)]
    )
    (call,) = _mcp_items(thread.run("echo").items)
    assert call.status == ("completed" if runs else "failed")
    assert _calls_seen(log) == (["echo"] if runs else [])


def test_required_server_failure_on_the_async_client(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> str | None:
        missing = McpStdioServer(name="gone", command="/nonexistent/mcp-server", required=True)
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            with pytest.raises(McpStartupError, match="gone"):
                await codex.thread_start(mcp_servers=[missing])
            thread = await codex.thread_start()
            statuses = await thread.mcp_status()
            assert statuses == []
            return (await thread.run("hi")).final_response

    assert asyncio.run(scenario()) == "Hello from the mock."


def test_thread_servers_belong_to_their_thread(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    with_server = codex_client.thread_start(mcp_servers=[fixture_server(tool_approval="approve")])
    without = codex_client.thread_start()
    assert [status.name for status in with_server.mcp_status()] == ["fixture"]
    assert without.mcp_status() == []

    codex_mock.enqueue(responses.mcp_tool_call("fixture", "echo", {"text": "x"}), responses.text("ok"))
    without.run("echo")
    assert "unsupported call" in str(codex_mock.response_requests[-1].tool_outputs()[0]["output"])
