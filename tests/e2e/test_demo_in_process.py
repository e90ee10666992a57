"""``python -m codex demo`` in this process: one real turn through the engine against the built-in mock.

The demo is what the README tells a new user to run first, so what it prints is checked here:
the sandboxed command and its output, the patch, the streamed answer and the timings table.
"""

from __future__ import annotations

import pytest

from codex import cli


def test_demo_runs_a_command_and_a_patch_and_streams_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "mock Responses API: http://127.0.0.1:" in out
    shell_lines = [line for line in out.splitlines() if line.startswith(("[shell]", "agent> [shell]"))]
    assert len(shell_lines) == 2, out
    assert shell_lines[1].startswith("[shell] exit 0: "), out
    # The command's output follows; a login shell's own start-up noise may come before it (pyenv's
    # rehash in ~/.bashrc reports that the sandbox keeps its shims read-only).
    command_output = out.split("[shell] exit 0: ", 1)[1].split("agent> ", 1)[0].splitlines()
    assert command_output[-1] == "hello from the sandbox", out
    patch_lines = [line for line in out.splitlines() if "[patch] completed: " in line]
    assert len(patch_lines) == 1
    assert patch_lines[0].endswith(cli.DEMO_FILE)
    answer = "".join(cli.DEMO_ANSWER)
    assert answer in out
    assert f"status: completed; final response: {answer!r}" in out
    assert "greeting.txt: 'hello from the sandbox'" in out
    assert f"{cli.DEMO_FILE}: '# Notes\\nWritten by the demo agent.\\n'" in out
    assert "model requests served by the mock: 3" in out
    timings = out.split("timings:")[1].splitlines()
    names = [line.split("  ")[1].strip() for line in timings if line.strip()]
    assert names[:3] == ["engine start", "thread start", "turn (3 model calls)"]
    assert names[-1] == "close"
    assert all(line.rstrip().endswith(" ms") for line in timings if line.strip())
