"""``python -m codex`` in-process: argument handling and the ``exec`` command on the fake engine.

The e2e suite runs the same programs in child processes against the real engine (where
coverage does not see them); these drive ``codex.cli.main`` with an argv in this process.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from codex import cli, exec_cli
from codex.errors import CodexError
from codex.fleet import cli as fleet_cli
from codex.fleet.results import TaskError, TaskResult, TaskStatus
from tests.fakes.fake_engine import TIMESTAMP, Event, FakeEngine, ScriptedTurn


def command_item(item_id: str, command: str, status: str, exit_code: int | None) -> dict[str, Any]:
    return {
        "type": "commandExecution",
        "id": item_id,
        "command": command,
        "commandActions": [],
        "cwd": "/workspace",
        "status": status,
        "exitCode": exit_code,
        "aggregatedOutput": "hi\n" if exit_code is not None else None,
    }


def patch_item(item_id: str, path: str) -> dict[str, Any]:
    change = {"path": path, "kind": {"type": "add"}, "diff": "+notes\n"}
    return {"type": "fileChange", "id": item_id, "status": "completed", "changes": [change]}


def busy_turn(turn: ScriptedTurn) -> list[Event]:
    """A turn that runs a command, applies a patch and streams two text deltas."""
    started = command_item("cmd-1", "printf hi", "inProgress", None)
    return [
        turn.started(),
        turn.notify("item/started", item=started, startedAtMs=TIMESTAMP * 1000),
        turn.item_completed(command_item("cmd-1", "printf hi", "completed", 0)),
        turn.item_completed(patch_item("patch-1", "NOTES.md")),
        turn.delta("Wrote "),
        turn.delta("the notes."),
        turn.agent_message("Wrote the notes."),
        turn.completed(),
    ]


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test")
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-login-here"))


# -- the top-level parser -----------------------------------------------------------------------


def test_parity_says_where_the_tool_went_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    # The tool's own arguments are accepted before it says so, rather than an argparse error.
    assert cli.main(["parity", "--no-harvest", "simple_turn"]) == 2
    captured = capsys.readouterr()
    assert cli.PARITY_COMMAND in captured.err
    assert captured.out == ""


def test_unknown_arguments_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["demo", "--bogus"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert exited.value.code == 2
    assert "required" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "module", "function"),
    [
        (["tools", "validate", "x.toml"], "manifest", "run_command"),
        (["exec", "hello"], "exec_cli", "run_command"),
        (["verify"], "verify", "run_command"),
        (["fleet", "run", "tasks.jsonl", "--out", "out.jsonl"], "fleet_cli", "run_command"),
    ],
)
def test_each_command_reaches_its_runner_and_returns_its_status(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], module: str, function: str
) -> None:
    seen: list[argparse.Namespace] = []

    def runner(args: argparse.Namespace) -> int:
        seen.append(args)
        return 7

    monkeypatch.setattr(getattr(cli, module), function, runner)
    assert cli.main(argv) == 7
    assert len(seen) == 1
    assert seen[0].command == argv[0]


def test_demo_is_dispatched_to_run_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    writers: list[object] = []

    def fake_demo(out: object) -> int:
        writers.append(out)
        return 3

    monkeypatch.setattr(cli, "run_demo", fake_demo)
    assert cli.main(["demo"]) == 3
    assert len(writers) == 1


def test_writer_writes_and_ends_lines(capsys: pytest.CaptureFixture[str]) -> None:
    writer = cli._Writer()
    writer.line("agent> ", end="")
    writer.line("hello")
    assert capsys.readouterr().out == "agent> hello\n"


# -- exec on the fake engine ----------------------------------------------------------------------


@pytest.mark.usefixtures("keyed")
def test_exec_streams_text_to_stdout_and_progress_to_stderr(
    fake_engine: FakeEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.script_turn(busy_turn)
    assert cli.main(["exec", "--cd", str(tmp_path), "--sandbox", "read-only", "write notes"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Wrote the notes.\n"
    assert captured.err.splitlines() == ["[exec] $ printf hi", "[exec] exit 0", "[patch] completed: NOTES.md"]
    (thread_start,) = fake_engine.params_of("thread/start")
    assert thread_start["cwd"] == str(tmp_path.resolve())
    assert thread_start["sandbox"] == "read-only"
    (turn_start,) = fake_engine.params_of("turn/start")
    assert turn_start["input"][0]["text"] == "write notes"
    # An API key from the environment: the engine gets a private home, not the login store.
    assert fake_engine.options is not None
    assert "no-login-here" not in json.dumps(fake_engine.options)


@pytest.mark.usefixtures("keyed")
def test_exec_json_prints_each_notification_as_one_json_line(
    fake_engine: FakeEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.script_turn(busy_turn)
    assert cli.main(["exec", "--json", "--cd", str(tmp_path), "write notes"]) == 0
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    methods = [event["method"] for event in events]
    assert methods[0] == "turn/started"
    assert methods[-1] == "turn/completed"
    deltas = [event["params"]["delta"] for event in events if event["method"] == "item/agentMessage/delta"]
    assert deltas == ["Wrote ", "the notes."]
    assert captured.err == ""  # no progress lines in JSON mode


@pytest.mark.usefixtures("keyed")
def test_exec_exits_1_and_names_the_status_when_the_turn_is_interrupted(
    fake_engine: FakeEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.script_turn(lambda turn: [turn.started(), turn.delta("half"), turn.completed("interrupted")])
    assert cli.main(["exec", "--cd", str(tmp_path), "anything"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "half\n"
    assert "turn interrupted" in captured.err


@pytest.mark.usefixtures("keyed")
def test_exec_passes_model_and_base_url_to_the_client(fake_engine: FakeEngine, tmp_path: Path) -> None:
    assert (
        cli.main(["exec", "--model", "gpt-cli", "--base-url", "http://127.0.0.1:1/v1", "--cd", str(tmp_path), "x"]) == 0
    )
    assert fake_engine.options is not None
    overrides = dict(map(tuple, fake_engine.options["overrides"]))
    assert overrides["model"] == "gpt-cli"
    assert "http://127.0.0.1:1/v1" in overrides.values()


def test_exec_without_a_key_uses_the_login_store_as_the_home(
    fake_engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "auth.json").write_text("{}")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CODEX_HOME", str(home))
    assert exec_cli.login_home() == home
    assert cli.main(["exec", "--cd", str(tmp_path), "x"]) == 0
    assert str(home) in json.dumps(fake_engine.options)


def test_exec_without_a_key_or_login_exits_2_before_starting_an_engine(
    fake_engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "empty"))
    assert exec_cli.login_home() is None
    assert cli.main(["exec", "x"]) == 2
    assert "set OPENAI_API_KEY" in capsys.readouterr().err
    assert fake_engine.options is None


def test_login_home_defaults_to_dot_codex_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CODEX_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert exec_cli.login_home() is None
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "auth.json").write_text("{}")
    assert exec_cli.login_home() == tmp_path / ".codex"


# -- fleet run: exit statuses ---------------------------------------------------------------------


def fleet_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["fleet", "run", str(tmp_path / "tasks.jsonl"), "--out", str(tmp_path / "out.jsonl"), *extra]


def result(task_id: str, status: TaskStatus) -> TaskResult:
    error = None if status is TaskStatus.completed else TaskError(error_type="X", message="boom")
    return TaskResult(task_id=task_id, status=status, error=error)


@pytest.mark.parametrize(
    ("statuses", "exit_code"),
    [([TaskStatus.completed, TaskStatus.completed], 0), ([TaskStatus.completed, TaskStatus.failed], 1)],
)
def test_fleet_run_exits_by_what_the_tasks_did(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, statuses: list[TaskStatus], exit_code: int
) -> None:
    (tmp_path / "tasks.jsonl").write_text('{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": "y"}\n')
    calls: list[dict[str, Any]] = []

    def fake_run_fleet(tasks: list[Any], **kwargs: Any) -> list[TaskResult]:
        calls.append({"tasks": tasks, **kwargs})
        return [result(task.id, status) for task, status in zip(tasks, statuses, strict=True)]

    monkeypatch.setattr(fleet_cli, "run_fleet", fake_run_fleet)
    argv = fleet_args(tmp_path, "--max-attempts", "3", "--quiet", "--config", "model=x", "--api-key-env", "KEY")
    assert cli.main(argv) == exit_code
    (call,) = calls
    assert [task.id for task in call["tasks"]] == ["a", "b"]
    assert call["retry"].max_attempts == 3
    assert call["progress"] is False
    assert call["checkpoint"] == str(tmp_path / "out.jsonl")
    assert call["worker_options"].config_overrides == ("model=x",)
    assert call["worker_options"].api_key_env == "KEY"


def test_fleet_run_without_retries_passes_no_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "tasks.jsonl").write_text('{"id": "a", "prompt": "x"}\n')
    policies: list[object] = []

    def fake_run_fleet(tasks: list[Any], **kwargs: Any) -> list[TaskResult]:
        policies.append(kwargs["retry"])
        return []

    monkeypatch.setattr(fleet_cli, "run_fleet", fake_run_fleet)
    assert cli.main(fleet_args(tmp_path)) == 0
    assert policies == [None]


def test_fleet_run_with_a_missing_tasks_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(fleet_args(tmp_path)) == 2
    assert capsys.readouterr().err.startswith("fleet: ")


def test_fleet_run_reports_a_codex_error_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tasks.jsonl").write_text('{"id": "a", "prompt": "x"}\n')

    def refuse(tasks: list[Any], **kwargs: Any) -> list[TaskResult]:
        raise CodexError("concurrency must be at least 1")

    monkeypatch.setattr(fleet_cli, "run_fleet", refuse)
    assert cli.main(fleet_args(tmp_path)) == 2
    assert "fleet: concurrency must be at least 1" in capsys.readouterr().err


def test_fleet_run_ctrl_c_exits_130_and_points_at_the_results(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tasks.jsonl").write_text('{"id": "a", "prompt": "x"}\n')

    def interrupted(tasks: list[Any], **kwargs: Any) -> list[TaskResult]:
        raise KeyboardInterrupt

    monkeypatch.setattr(fleet_cli, "run_fleet", interrupted)
    assert cli.main(fleet_args(tmp_path)) == 130
    assert "--out file" in capsys.readouterr().err
