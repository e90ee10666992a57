"""A plain turn loads only its own thread item kinds; a command's item loads the others then.

In a fresh process (this one has long loaded every model): a plain turn through the engine,
then a turn that runs a command. The first must not load ``codex.protocol._items``; the
second's command item must arrive as the generated ``CommandExecutionThreadItem``, in the
stream and in the result, exactly as when every kind is loaded up front.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from codex.testing import MockResponsesServer, responses

from .conftest import API_KEY, run_python_program

PROGRAM = textwrap.dedent(
    """
    import json, sys
    from codex import Codex, Sandbox

    base_url, workspace, api_key = sys.argv[1:4]
    report = {}
    with Codex(base_url=base_url, api_key=api_key, cwd=workspace) as client:
        thread = client.thread_start(sandbox=Sandbox.workspace_write)
        plain = thread.run("plain")
        report["plain"] = [type(item.root).__name__ for item in plain.items]
        report["loaded_after_plain"] = "codex.protocol._items" in sys.modules
        stream = thread.turn("run a command").stream()
        streamed = [event.payload.item.root for event in stream if event.method == "item/completed"]
        result = stream.get_final_result()
        from codex.events import CommandExecutionThreadItem  # the public class, looked up after

        report["streamed"] = [type(item).__name__ for item in streamed]
        commands = [item.root for item in result.items if isinstance(item.root, CommandExecutionThreadItem)]
        report["commands"] = [[command.command, command.exit_code, type(command).__module__] for command in commands]
        report["final"] = result.final_response
        report["loaded_after_command"] = "codex.protocol._items" in sys.modules
    print(json.dumps(report))
    """
)


def test_a_plain_turn_leaves_the_other_item_kinds_unloaded_and_a_command_loads_them(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    codex_mock.enqueue(
        responses.text("plain answer"),
        responses.exec_command("echo lazy > lazy.txt", login=False),
        responses.text("ran it"),
    )
    done = run_python_program(PROGRAM, codex_mock.base_url, str(codex_workspace), API_KEY)
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["plain"] == ["UserMessageThreadItem", "AgentMessageThreadItem"]
    assert report["loaded_after_plain"] is False
    assert "CommandExecutionThreadItem" in report["streamed"]
    (command,) = report["commands"]
    assert "echo lazy" in command[0]
    assert command[1] == 0
    assert command[2] == "codex.protocol._items"
    assert report["final"] == "ran it"
    assert report["loaded_after_command"] is True
    assert (codex_workspace / "lazy.txt").read_text() == "lazy\n"
