"""The engine's own tools through the real sandbox: exec_command and apply_patch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from codex import AsyncCodex, Codex, Sandbox, TurnStatus
from codex.events import CommandExecutionThreadItem, FileChangeThreadItem, ThreadItem
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs


def _command_items(items: Sequence[ThreadItem]) -> list[CommandExecutionThreadItem]:
    return [item.root for item in items if isinstance(item.root, CommandExecutionThreadItem)]


def test_exec_command_writes_inside_workspace(
    codex_mock: MockResponsesServer, codex_client: Codex, codex_workspace: Path
) -> None:
    codex_mock.enqueue(
        responses.exec_command("echo sandboxed > inside.txt && cat inside.txt", login=False),
        responses.text("done"),
    )
    thread = codex_client.thread_start(sandbox=Sandbox.workspace_write)
    result = thread.run("write a file")

    assert result.status is TurnStatus.completed
    assert (codex_workspace / "inside.txt").read_text() == "sandboxed\n"
    (command,) = _command_items(result.items)
    assert command.exit_code == 0
    # The engine's unified exec can finish the item before its output transcript is filled
    # (its own race, seen under load): the item then has no aggregated output. When it has
    # one, it is the command's.
    assert command.aggregated_output is None or "sandboxed" in command.aggregated_output
    # The engine sent the command's output back to the model.
    follow_up = codex_mock.response_requests[1]
    outputs = follow_up.tool_outputs()
    assert outputs
    assert "sandboxed" in str(outputs[0].get("output"))


def test_exec_command_cannot_write_outside_workspace(
    codex_mock: MockResponsesServer, codex_client: Codex, outside_dir: Path
) -> None:
    target = outside_dir / "escaped.txt"
    codex_mock.enqueue(responses.exec_command(f"echo escaped > {target}", login=False), responses.text("tried"))
    thread = codex_client.thread_start(sandbox=Sandbox.workspace_write)
    result = thread.run("escape")

    assert not target.exists()
    assert result.final_response == "tried"
    # The model is told the write was refused by the sandbox.
    (output,) = codex_mock.response_requests[1].tool_outputs()
    assert "read-only file system" in str(output["output"]).lower()
    assert "exited with code 1" in str(output["output"]).lower()


def test_apply_patch_adds_a_file(codex_mock: MockResponsesServer, codex_client: Codex, codex_workspace: Path) -> None:
    codex_mock.enqueue(
        responses.apply_patch(responses.add_file_patch("hello.txt", "hello\nworld")),
        responses.text("patched"),
    )
    result = codex_client.thread_start(sandbox=Sandbox.workspace_write).run("add a file")

    assert (codex_workspace / "hello.txt").read_text() == "hello\nworld\n"
    (change,) = [item.root for item in result.items if isinstance(item.root, FileChangeThreadItem)]
    assert change.status == "completed"
    assert [Path(c.path).name for c in change.changes] == ["hello.txt"]
    assert result.final_response == "patched"


def test_async_exec_command(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        codex_mock.enqueue(responses.exec_command("echo async > a.txt", login=False), responses.text("ok"))
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start(sandbox=Sandbox.workspace_write)
            result = await thread.run("go")
            assert result.final_response == "ok"

    asyncio.run(scenario())
    assert (codex_workspace / "a.txt").read_text() == "async\n"


def test_escalation_request_is_declined_without_a_handler(
    codex_mock: MockResponsesServer, codex_client: Codex, outside_dir: Path
) -> None:
    """The model asks to run outside the sandbox; with no handler the request fails closed."""
    target = outside_dir / "escalated.txt"
    codex_mock.enqueue(
        responses.function_call(
            "exec_command",
            {
                "cmd": f"echo escalated > {target}",
                "sandbox_permissions": "require_escalated",
                "justification": "needs to write outside",
            },
        ),
        responses.text("ok"),
    )
    thread = codex_client.thread_start(sandbox=Sandbox.workspace_write)
    result = thread.run("escalate")
    assert result.status is TurnStatus.completed
    assert not target.exists()
    stats = codex_client._native_engine().stats()
    assert stats["events_lagged"] == 0


def test_escalation_request_reaches_the_handler_which_can_allow(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "allowed.txt"
    seen: list[str] = []

    def handler(method: str, params: dict[str, object]) -> dict[str, object] | None:
        seen.append(method)
        return {"decision": "accept"} if method == "item/commandExecution/requestApproval" else None

    codex_mock.enqueue(
        responses.function_call(
            "exec_command",
            {"cmd": f"echo allowed > {target}", "sandbox_permissions": "require_escalated", "justification": "x"},
        ),
        responses.text("ok"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_handler=handler) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("escalate")
    assert seen == ["item/commandExecution/requestApproval"]
    assert target.read_text() == "allowed\n"


def _escalating_call(target: Path) -> responses.ScriptedResponse:
    return responses.function_call(
        "exec_command",
        {"cmd": f"echo hi > {target}", "sandbox_permissions": "require_escalated", "justification": "x"},
    )


def test_handler_that_raises_fails_closed(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "never.txt"

    def handler(method: str, params: dict[str, object]) -> dict[str, object] | None:
        raise RuntimeError("handler bug")

    codex_mock.enqueue(_escalating_call(target), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_handler=handler) as codex:  # type: ignore[arg-type]
        result = codex.thread_start(sandbox=Sandbox.workspace_write).run("escalate")
    assert result.status is TurnStatus.completed
    assert not target.exists()


def test_async_handler_allows_on_async_client(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "async-allowed.txt"

    async def handler(method: str, params: dict[str, object]) -> dict[str, object] | None:
        await asyncio.sleep(0.01)
        return {"decision": "accept"}

    async def scenario() -> None:
        codex_mock.enqueue(_escalating_call(target), responses.text("ok"))
        kwargs = client_kwargs(codex_mock, codex_workspace)
        async with AsyncCodex(**kwargs, approval_handler=handler) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start(sandbox=Sandbox.workspace_write)
            await thread.run("escalate")

    asyncio.run(scenario())
    assert target.read_text() == "hi\n"
