"""The code inside every fleet worker (``TaskRunner``), run in this process on the fake engine.

The e2e fleet tests run it in worker processes against the real engine; there it is not
measured, and a task's failure modes (a bad import path, a timeout, an interrupted turn,
an output that does not pickle) are hard to provoke. Here each becomes a result, never an
exception, as the driver expects.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex.fleet.results import TaskResult, TaskStatus
from codex.fleet.tasks import DirectoryWorkspace, FleetTask, WorkerOptions
from codex.fleet.worker import TaskJob, TaskRunner, client_config
from codex.policies import allow_all
from codex.retry import RetryPolicy
from codex.tools import tool
from tests.fakes.fake_engine import Event, FakeEngine, ScriptedTurn


@tool
def shout(text: str) -> str:
    """Upper-cases ``text``."""
    return text.upper()


TOOLS = [shout]
NOT_A_TOOL = 42


ALLOW = allow_all()


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fleet-runner-test")


@pytest.fixture
def workspaces(tmp_path: Path) -> Path:
    return tmp_path / "workspaces"


@pytest.fixture
def runner(fake_engine: FakeEngine, keyed: None, workspaces: Path) -> Iterator[TaskRunner]:
    runner = TaskRunner(WorkerOptions(model="gpt-fleet"), workspaces, keep_workspaces=False, name="worker-1")
    asyncio.run(runner.start())
    yield runner
    asyncio.run(runner.close())


def run(
    runner: TaskRunner, task: FleetTask, *, retry: RetryPolicy | None = None, timeout: float | None = None
) -> TaskResult:
    async def main() -> TaskResult:
        # One loop for the turn: the client's async session outlives asyncio.run calls only
        # because the fake engine is thread-safe and loop-agnostic.
        return await runner.run(TaskJob(task, retry, timeout))

    return asyncio.run(main())


def test_client_config_carries_every_worker_option() -> None:
    options = WorkerOptions(
        base_url="http://127.0.0.1:9/v1",
        model="gpt-x",
        model_provider="openai",
        api_key_env="FLEET_KEY",
        codex_home="/srv/codex-home",
        config_overrides=("model_reasoning_effort=low",),
        request_max_retries=2,
        stream_max_retries=3,
        stream_idle_timeout_ms=4000,
    )
    config = client_config(options)
    assert (config.base_url, config.model, config.model_provider) == ("http://127.0.0.1:9/v1", "gpt-x", "openai")
    assert (config.api_key_env, config.codex_home) == ("FLEET_KEY", "/srv/codex-home")
    assert tuple(config.config_overrides) == ("model_reasoning_effort=low",)
    assert (config.request_max_retries, config.stream_max_retries, config.stream_idle_timeout_ms) == (2, 3, 4000)


def test_a_completed_task_carries_the_answer_usage_and_the_workspace_diff(
    runner: TaskRunner, fake_engine: FakeEngine, tmp_path: Path, workspaces: Path
) -> None:
    source = tmp_path / "repo"
    source.mkdir()
    (source / "README.md").write_text("old\n")

    def edits_the_readme(turn: ScriptedTurn) -> list[Event]:
        # What the agent would do in its copy of the workspace.
        cwd = Path(fake_engine.params_of("thread/start")[-1]["cwd"])
        (cwd / "README.md").write_text("new\n")
        return [turn.started(), turn.token_usage(10, 5), turn.agent_message("edited"), turn.completed()]

    fake_engine.script_turn(edits_the_readme)
    task = FleetTask("edit readme", prompt="edit it", workspace=DirectoryWorkspace(str(source)), metadata={"n": 1})
    result = run(runner, task)
    assert result.status is TaskStatus.completed, result.error
    assert result.final_response == "edited"
    assert result.usage.total_tokens == 15
    assert result.attempts == 1
    assert result.worker == "worker-1"
    assert result.metadata == {"n": 1}
    assert result.thread_id == fake_engine.params_of("turn/start")[0]["threadId"]
    assert result.changed_files == ["README.md"]
    assert "-old" in result.diff
    assert "+new" in result.diff
    assert (source / "README.md").read_text() == "old\n"  # the source is never touched
    assert list(workspaces.iterdir()) == []  # the task's copy is removed
    (thread_start,) = fake_engine.params_of("thread/start")
    assert thread_start["ephemeral"] is True
    assert fake_engine.options is not None
    assert ["model", "gpt-fleet"] in fake_engine.options["overrides"]  # the worker options reach the client


def test_keep_workspaces_leaves_the_copy(fake_engine: FakeEngine, keyed: None, workspaces: Path) -> None:
    runner = TaskRunner(WorkerOptions(), workspaces, keep_workspaces=True, name="")
    assert runner.name  # host:pid when not named

    async def main() -> TaskResult:
        await runner.start()
        try:
            return await runner.run(TaskJob(FleetTask("kept", prompt="x"), None, None))
        finally:
            await runner.close()

    assert asyncio.run(main()).status is TaskStatus.completed
    (kept,) = workspaces.iterdir()
    assert kept.name.startswith("kept-")


def test_a_failed_turn_is_a_failed_result_with_the_typed_error(runner: TaskRunner, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(
        lambda turn: [turn.started(), turn.token_usage(3, 0), turn.failed("model overloaded", "serverOverloaded")]
    )
    result = run(runner, FleetTask("t", prompt="x"))
    assert result.status is TaskStatus.failed
    assert result.error is not None
    # The engine's error info picks the typed error; its fields go into the (checkpointed) result.
    assert result.error.error_type == "HttpStatusError"
    assert result.error.retryable is True
    assert "model overloaded" in result.error.message
    assert result.usage.total_tokens == 3  # what the failed turn used is still counted
    assert result.attempts == 1


def test_an_interrupted_turn_is_a_failure_naming_its_status(runner: TaskRunner, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(lambda turn: [turn.started(), turn.completed("interrupted")])
    result = run(runner, FleetTask("t", prompt="x"))
    assert result.status is TaskStatus.failed
    assert result.error is not None
    assert result.error.error_type == "TurnNotCompletedError"
    assert result.error.message == "the turn ended with status interrupted"


def test_a_task_past_its_timeout_is_a_timeout_result(runner: TaskRunner, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(lambda turn: [turn.started()])  # never completes
    result = run(runner, FleetTask("slow", prompt="x"), timeout=0.2)
    assert result.status is TaskStatus.timeout
    assert result.error is not None
    assert result.error.error_type == "TaskTimeoutError"
    assert "0.2s" in result.error.message


def test_a_cancelled_task_is_a_cancelled_result_and_its_workspace_still_goes(
    runner: TaskRunner, fake_engine: FakeEngine, workspaces: Path
) -> None:
    fake_engine.script_turn(lambda turn: [turn.started()])  # never completes

    async def main() -> TaskResult:
        task = asyncio.ensure_future(runner.run(TaskJob(FleetTask("c", prompt="x"), None, None)))
        while not fake_engine.params_of("turn/start"):
            await asyncio.sleep(0.01)
        task.cancel()
        return await task

    result = asyncio.run(main())
    assert result.status is TaskStatus.cancelled
    assert result.error is not None
    assert result.error.error_type == "TaskCancelledError"
    assert list(workspaces.iterdir()) == []


def test_retries_are_counted_as_attempts(runner: TaskRunner, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(lambda turn: [turn.started(), turn.failed("overloaded", "serverOverloaded")])
    fake_engine.script_turn(lambda turn: [turn.started(), turn.agent_message("second time"), turn.completed()])
    heard: list[int] = []
    policy = RetryPolicy(max_attempts=3, backoff=0, on_retry=lambda attempt: heard.append(attempt.attempt))
    result = run(runner, FleetTask("t", prompt="x"), retry=policy)
    assert result.status is TaskStatus.completed, result.error
    assert result.final_response == "second time"
    assert result.attempts == 2
    assert heard == [1]  # the task's own on_retry still hears each retry


def test_named_tools_and_approval_callback_are_imported_in_the_worker(
    runner: TaskRunner, fake_engine: FakeEngine
) -> None:
    task = FleetTask(
        "t",
        prompt="x",
        tools=(f"{__name__}:TOOLS",),
        approval_callback=f"{__name__}:ALLOW",
    )
    fake_engine.script_turn(lambda turn: [turn.started(), turn.command_approval("make test"), turn.completed()])
    result = run(runner, task)
    assert result.status is TaskStatus.completed, result.error
    # The policy answered the engine's approval request.
    assert list(fake_engine.answers.values()) == [{"decision": "accept"}]
    (thread_start,) = fake_engine.params_of("thread/start")
    assert [spec["name"] for spec in thread_start["dynamicTools"]] == ["shout"]


@pytest.mark.parametrize(
    ("field", "path", "message"),
    [
        ("tools", "codex_no_such_module:TOOLS", "cannot import 'codex_no_such_module:TOOLS' in the worker"),
        ("tools", f"{__name__}:MISSING", f"cannot import '{__name__}:MISSING'"),
        ("tools", f"{__name__}:NOT_A_TOOL", "must name a Tool or a list of Tools, found int"),
        ("approval_callback", f"{__name__}:NOT_A_TOOL", "names a int, not a callable"),
    ],
)
def test_a_bad_import_path_fails_the_task_not_the_worker(
    runner: TaskRunner, fake_engine: FakeEngine, field: str, path: str, message: str
) -> None:
    task = FleetTask("t", prompt="x", **{field: (path,) if field == "tools" else path})  # type: ignore[arg-type]
    result = run(runner, task)
    assert result.status is TaskStatus.failed
    assert result.error is not None
    assert result.error.error_type == "ConfigurationError"
    assert message in result.error.message
    assert fake_engine.params_of("turn/start") == []
    # The worker goes on: the next task runs.
    assert run(runner, FleetTask("next", prompt="x")).status is TaskStatus.completed


def test_a_missing_workspace_fails_the_task(runner: TaskRunner, tmp_path: Path) -> None:
    result = run(runner, FleetTask("t", prompt="x", workspace=DirectoryWorkspace(str(tmp_path / "gone"))))
    assert result.status is TaskStatus.failed
    assert result.error is not None
    assert result.error.error_type == "WorkspaceError"
    assert result.thread_id is None
    assert result.attempts == 0


def test_run_before_start_fails_the_task(fake_engine: FakeEngine, workspaces: Path) -> None:
    runner = TaskRunner(WorkerOptions(), workspaces, keep_workspaces=False, name="w")
    result = asyncio.run(runner.run(TaskJob(FleetTask("t", prompt="x"), None, None)))
    assert result.status is TaskStatus.failed
    assert result.error is not None
    assert "start() was not awaited" in result.error.message


def test_metadata_that_does_not_pickle_travels_as_its_json_form(runner: TaskRunner) -> None:
    task = FleetTask("t", prompt="x", metadata={"when": 3, "callback": lambda: None})
    result = run(runner, task)
    assert result.status is TaskStatus.completed
    restored = pickle.loads(pickle.dumps(result))
    assert restored.metadata["when"] == 3
    assert restored.metadata["callback"].startswith("<function ")
