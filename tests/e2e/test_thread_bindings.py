"""A thread's own tools and approval callback follow it: into a fork, through resume, unsubscribe
and archive (the engine keeps the thread's tool declarations in each case)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codex import AsyncCodex, Codex, Sandbox, TurnStatus
from codex.approvals import Allow, ApprovalRequest, CommandApprovalRequest, Decision
from codex.testing import MockResponsesServer, RecordedRequest, responses
from codex.tools import tool

from .conftest import client_kwargs, recording_ping


def _offered_tools(request: RecordedRequest) -> list[str]:
    return [str(spec.get("name") or spec.get("type")) for spec in request.body.get("tools", [])]


def _outputs_by_call(request: RecordedRequest) -> dict[str, str]:
    return {str(item["call_id"]): str(item.get("output")) for item in request.tool_outputs()}


def _escalated(command: str, call_id: str) -> responses.ScriptedResponse:
    """The model asks to run ``command`` outside the sandbox: an approval request."""
    return responses.function_call(
        "exec_command",
        {"cmd": command, "sandbox_permissions": "require_escalated", "justification": "needs it"},
        call_id=call_id,
    )


def test_a_fork_keeps_its_parents_tools_and_approval_callback(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    calls: list[int] = []
    seen: list[ApprovalRequest] = []

    @tool
    def ping(n: int) -> str:
        """Pings."""
        calls.append(n)
        return f"pong {n}"

    def allow_commands(request: ApprovalRequest) -> Decision:
        seen.append(request)
        return Allow()

    target = outside_dir / "from-fork.txt"
    codex_mock.enqueue(
        responses.text("parent"),
        responses.function_call("ping", {"n": 3}, call_id="fork-ping"),
        _escalated(f"echo forked > {target}", "fork-exec"),
        responses.text("fork done"),
    )
    # The client itself has neither the tool nor a callback: only the parent thread does.
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        parent = codex.thread_start(sandbox=Sandbox.workspace_write, tools=[ping], approval_callback=allow_commands)
        assert parent.run("one").final_response == "parent"
        fork = codex.thread_fork(parent.id)
        assert fork.id != parent.id
        result = fork.run("two")

    assert result.status is TurnStatus.completed
    assert result.final_response == "fork done"
    _, fork_first, fork_after_tool, fork_after_exec = codex_mock.response_requests
    # The engine copied the declaration into the fork, and the fork's call ran the parent's tool.
    assert "ping" in _offered_tools(fork_first)
    assert calls == [3]
    assert _outputs_by_call(fork_after_tool)["fork-ping"] == "pong 3"
    # The parent's callback decided the fork's approval request: the command ran.
    assert [type(request) for request in seen] == [CommandApprovalRequest]
    assert target.read_text() == "forked\n"
    assert "fork-exec" in _outputs_by_call(fork_after_exec)


def test_an_async_fork_keeps_its_parents_tools(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    calls: list[str] = []

    @tool
    async def note(text: str) -> str:
        """Takes a note."""
        calls.append(text)
        return f"noted {text}"

    codex_mock.enqueue(
        responses.text("parent"),
        responses.function_call("note", {"text": "hi"}, call_id="fork-note"),
        responses.text("fork done"),
    )

    async def scenario() -> str | None:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            parent = await codex.thread_start(tools=[note])
            await parent.run("one")
            fork = await codex.thread_fork(parent.id)
            return (await fork.run("two")).final_response

    assert asyncio.run(scenario()) == "fork done"
    assert calls == ["hi"]
    assert _outputs_by_call(codex_mock.response_requests[2])["fork-note"] == "noted hi"


def test_thread_tools_keep_working_after_resume_unsubscribe_and_archive_in_the_same_client(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    """Why the SDK keeps a thread's tools until the client closes: each of these can come back."""
    calls: list[int] = []
    ping = recording_ping(calls)
    codex_mock.enqueue(
        responses.text("started"),
        responses.function_call("ping", {"n": 1}, call_id="after-resume"),
        responses.text("one"),
        responses.function_call("ping", {"n": 2}, call_id="after-unsubscribe"),
        responses.text("two"),
        responses.function_call("ping", {"n": 3}, call_id="after-unarchive"),
        responses.text("three"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(tools=[ping])
        thread.run("start")
        assert codex.thread_resume(thread.id).run("resumed").final_response == "one"
        assert thread.unsubscribe().status == "unsubscribed"
        assert codex.thread_resume(thread.id).run("resubscribed").final_response == "two"
        codex.thread_archive(thread.id)
        assert codex.thread_unarchive(thread.id).run("unarchived").final_response == "three"

    assert calls == [1, 2, 3]
    outputs: dict[str, str] = {}
    for request in codex_mock.response_requests:
        outputs.update(_outputs_by_call(request))
    assert {call: outputs.get(call) for call in ("after-resume", "after-unsubscribe", "after-unarchive")} == {
        "after-resume": "pong 1",
        "after-unsubscribe": "pong 2",
        "after-unarchive": "pong 3",
    }
