"""``python -m codex demo`` and ``python -m codex`` itself, in this process on the fake engine.

The demo's real turn (three model calls through the engine) is an e2e matter; here the fake
engine plays what the engine would report for it, and the fake "agent" writes the demo's files
into the workspace the demo gave its thread, so that what the demo prints and the status it
exits with can be checked for each outcome.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pytest

from codex import cli, verify
from tests.fakes.fake_engine import Event, FakeEngine, Script, ScriptedTurn
from tests.unit.test_cli_commands import command_item, patch_item


def workspace_of(fake_engine: FakeEngine) -> Path:
    """The directory the demo started its thread in."""
    (thread_start,) = fake_engine.params_of("thread/start")
    return Path(thread_start["cwd"])


def demo_turn(fake_engine: FakeEngine, *, write_files: bool = True, status: str = "completed") -> Script:
    """What the engine reports for the demo's turn: a command, a patch, streamed text."""

    def script(turn: ScriptedTurn) -> list[Event]:
        if write_files:
            workspace = workspace_of(fake_engine)
            (workspace / "greeting.txt").write_text("hello from the sandbox\n")
            (workspace / cli.DEMO_FILE).write_text("# Notes\nWritten by the demo agent.\n")
        command = command_item("cmd-1", cli.DEMO_COMMAND, "completed", 0)
        command["aggregatedOutput"] = "hello from the sandbox\n"
        return [
            turn.started(),
            turn.item_completed(command),
            turn.item_completed(patch_item("patch-1", cli.DEMO_FILE)),
            *(turn.delta(chunk) for chunk in cli.DEMO_ANSWER),
            turn.agent_message("".join(cli.DEMO_ANSWER)),
            turn.completed(status),
        ]

    return script


def test_demo_prints_the_turn_the_files_and_the_timings_and_exits_0(
    fake_engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.script_turn(demo_turn(fake_engine))
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    workspace = workspace_of(fake_engine)
    assert f"workspace: {workspace}" in out
    assert "mock Responses API: http://127.0.0.1:" in out
    # The shell item, the patch item and the streamed answer, in the order they came.
    shell = f"[shell] $ {cli.DEMO_COMMAND}\n[shell] exit 0: hello from the sandbox\n"
    patch = f"[patch] completed: {cli.DEMO_FILE}\n"
    answer = "".join(cli.DEMO_ANSWER)
    assert out.index(shell) < out.index(patch) < out.index(answer)
    assert f"status: completed; final response: {answer!r}" in out
    assert "greeting.txt: 'hello from the sandbox'" in out
    assert f"{cli.DEMO_FILE}: '# Notes\\nWritten by the demo agent.\\n'" in out
    # The fake engine never calls the model: the mock served nothing.
    assert "model requests served by the mock: 0" in out
    timing_lines = out.split("\ntimings:\n")[1].splitlines()
    names = [line.rsplit(None, 2)[0].strip() for line in timing_lines]
    assert names == ["engine start", "thread start", "turn (3 model calls)", "first text delta", "close"]
    assert all(line.endswith(" ms") for line in timing_lines)
    # The workspace is a temporary directory, removed when the demo ends.
    assert not workspace.exists()


def test_demo_sends_the_prompt_in_a_workspace_write_sandbox(fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(demo_turn(fake_engine))
    assert cli.main(["demo"]) == 0
    (thread_start,) = fake_engine.params_of("thread/start")
    assert thread_start["sandbox"] == "workspace-write"
    (turn_start,) = fake_engine.params_of("turn/start")
    assert turn_start["input"][0]["text"] == "Say hello from a sandboxed shell, then write some notes."
    assert fake_engine.options is not None
    overrides = dict(map(tuple, fake_engine.options["overrides"]))
    assert overrides["model_providers.codex-embedded.base_url"].startswith("http://127.0.0.1:")
    assert overrides["model_providers.codex-embedded.experimental_bearer_token"] == "sk-demo-not-a-real-key"


def test_demo_exits_1_and_names_the_files_the_agent_did_not_write(
    fake_engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.script_turn(demo_turn(fake_engine, write_files=False))
    assert cli.main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "greeting.txt missing!" in out
    assert f"{cli.DEMO_FILE} missing!" in out
    assert "status: completed" in out


def test_demo_exits_1_when_the_turn_does_not_complete(
    fake_engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.script_turn(demo_turn(fake_engine, status="interrupted"))
    assert cli.main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "status: interrupted;" in out
    # The files were written: only the status decides.
    assert "greeting.txt: 'hello from the sandbox'" in out


def test_demo_without_streamed_text_reports_no_first_delta_timing(
    fake_engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    def whole_answer(turn: ScriptedTurn) -> list[Event]:
        workspace = workspace_of(fake_engine)
        (workspace / "greeting.txt").write_text("hi\n")
        (workspace / cli.DEMO_FILE).write_text("notes\n")
        return [turn.started(), turn.agent_message("all at once"), turn.completed()]

    fake_engine.script_turn(whole_answer)
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "first text delta" not in out
    # An agent message item is neither a shell nor a patch line.
    assert "[shell]" not in out
    assert "[patch]" not in out
    assert "final response: 'all at once'" in out


def test_ms_formats_seconds_as_right_aligned_milliseconds() -> None:
    assert cli._ms(0.0123) == "    12.3 ms"
    assert cli._ms(1.5) == "  1500.0 ms"


def test_a_command_the_parser_accepts_but_main_does_not_know_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A sub-command whose parser renames the command (a new command wired into the parser
    # but not into main) must not fall through silently with status 0.
    def renaming(parser: argparse.ArgumentParser) -> None:
        parser.set_defaults(command="mystery")

    monkeypatch.setattr(verify, "add_arguments", renaming)
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify"])
    assert exited.value.code == 2
    assert "unknown command mystery" in capsys.readouterr().err


# -- python -m codex ----------------------------------------------------------------------------


def run_codex_main_module(run_name: str) -> dict[str, Any]:
    """``codex/__main__.py`` run as ``runpy.run_module("codex", run_name=...)`` runs it.

    Compiled from its file, not through its loader: when codex-embedded is installed, pytest
    loads the package's modules with its assertion-rewriting hook (the package holds a pytest
    plugin), which runpy cannot get code from."""
    path = Path(cli.__file__).with_name("__main__.py")
    namespace: dict[str, Any] = {"__name__": run_name, "__package__": "codex", "__file__": str(path)}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


def test_python_dash_m_codex_runs_main_with_the_process_arguments_and_exits_with_its_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m codex", "parity", "--no-harvest"])
    monkeypatch.delitem(sys.modules, "codex.__main__", raising=False)
    with pytest.raises(SystemExit) as exited:
        run_codex_main_module("__main__")
    assert exited.value.code == 2
    assert capsys.readouterr().err == cli.PARITY_MOVED


def test_importing_codex_main_under_another_name_does_not_run_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fleet workers are spawned processes that import the parent's main module by another name.
    monkeypatch.setattr(sys, "argv", ["worker", "parity"])
    monkeypatch.delitem(sys.modules, "codex.__main__", raising=False)
    namespace = run_codex_main_module("__mp_main__")
    assert namespace["main"] is cli.main
    assert capsys.readouterr().err == ""
