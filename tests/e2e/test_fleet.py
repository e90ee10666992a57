"""codex.fleet end to end: worker processes and Ray actors run real engines against the loopback mock.

The mock runs in this process; every worker reaches it through ``WorkerOptions.base_url``
and reads its key from the environment variable ``WorkerOptions.api_key_env`` names
(set here before any worker starts), never from a task argument.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex import RetryPolicy
from codex.fleet import (
    DirectoryWorkspace,
    FleetError,
    FleetTask,
    FleetTaskError,
    GitWorkspace,
    TaskResult,
    TaskStatus,
    TaskTimeoutError,
    WorkerLostError,
    WorkerOptions,
    run_fleet,
    run_fleet_async,
)
from codex.testing import MockResponsesServer, RecordedRequest, responses
from codex.testing.responses import ScriptedResponse

from .conftest import default_sigint
from .fleet_scripts import Answer, fleet_responder, requests_for

KEY_ENV = "CODEX_FLEET_TEST_KEY"
KEY = "sk-fleet-from-the-workers-environment"


@pytest.fixture
def fleet_mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockResponsesServer]:
    monkeypatch.setenv(KEY_ENV, KEY)
    with MockResponsesServer(responder=fleet_responder) as server:
        yield server


@pytest.fixture
def source_dir(codex_workspace: Path) -> Path:
    source = codex_workspace / "source"
    source.mkdir()
    (source / "seed.txt").write_text("the original\n")
    return source


def worker_options(mock: MockResponsesServer) -> WorkerOptions:
    # The engine's own retries are off: every retry seen is the fleet's RetryPolicy.
    return WorkerOptions(base_url=mock.base_url, api_key_env=KEY_ENV, request_max_retries=0, stream_max_retries=0)


def write_task(task_id: str, workspace: DirectoryWorkspace | GitWorkspace) -> FleetTask:
    return FleetTask(id=task_id, prompt=f"TASK[{task_id}] write notes", workspace=workspace, metadata={"n": task_id})


def assert_wrote_notes(result: TaskResult) -> None:
    assert result.status is TaskStatus.completed, result.error
    assert result.changed_files == [f"notes-{result.task_id}.md"]
    assert f"+++ b/notes-{result.task_id}.md\n" in result.diff
    assert f"+written by {result.task_id}\n" in result.diff
    assert result.final_response == f"{result.task_id} is done"
    assert result.usage.total_tokens > 0
    assert result.attempts == 1


def assert_key_came_from_the_environment(mock: MockResponsesServer) -> None:
    keys = {request.headers.get("authorization") for request in mock.response_requests}
    assert keys == {f"Bearer {KEY}"}


def _parse(line: str) -> dict[str, object] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) and value.get("status") == "completed" else None


def make_repo(path: Path) -> Path:
    path.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "t@example.com"], ["config", "user.name", "t"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    (path / "tracked.txt").write_text("tracked at the first commit\n")
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "first"], cwd=path, check=True)
    return path


def test_local_fleet_copied_and_git_workspaces_diffs_structured_output_tools_and_approvals(
    fleet_mock: MockResponsesServer, source_dir: Path, codex_workspace: Path, outside_dir: Path
) -> None:
    repo = make_repo(codex_workspace / "repo")
    # 40 tasks in all: 35 plain ones beside the five of other kinds.
    copies = [write_task(f"copy-{index}", DirectoryWorkspace(str(source_dir))) for index in range(35)]
    tasks = [
        *copies,
        write_task("git-0", GitWorkspace(str(repo), "main")),
        FleetTask(id="json-0", prompt="TASK[json-0] json", output_type=Answer),
        FleetTask(id="badjson-0", prompt="TASK[badjson-0] badjson", output_type=Answer),
        FleetTask(id="tool-0", prompt="TASK[tool-0] tool", tools=("tests.e2e.fleet_scripts:FLEET_TOOLS",)),
        FleetTask(
            id="escalate-0",
            prompt=f"TASK[escalate-0] escalate {outside_dir}",
            approval_callback="tests.e2e.fleet_scripts:allow_fleet_echo",
        ),
    ]
    heard: list[str] = []
    results = list(
        run_fleet(
            tasks,
            concurrency=4,
            workers=2,
            worker_options=worker_options(fleet_mock),
            workspace_root=codex_workspace / "fleet",
            on_result=lambda result: heard.append(result.task_id),
        )
    )
    by_id = {result.task_id: result for result in results}
    assert sorted(by_id) == sorted(task.id for task in tasks)
    assert len(results) == len(tasks)
    assert sorted(heard) == sorted(by_id)
    for task in copies:
        assert_wrote_notes(by_id[task.id])
        assert by_id[task.id].metadata == {"n": task.id}
    git = by_id["git-0"]
    assert_wrote_notes(git)
    assert "new file mode" in git.diff
    # The agent's copies and worktree were private: the sources are untouched and no worktree is left.
    assert sorted(path.name for path in source_dir.iterdir()) == ["seed.txt"]
    assert sorted(path.name for path in repo.iterdir()) == [".git", "tracked.txt"]
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True)
    assert len(worktrees.stdout.splitlines()) == 1
    assert not list((codex_workspace / "fleet").iterdir())
    assert by_id["json-0"].output == Answer(task="json-0", count=7)
    bad = by_id["badjson-0"]
    assert bad.status is TaskStatus.failed
    assert bad.error is not None
    assert bad.error.error_type == "StructuredOutputError"
    # The tool ran in a worker process, not here.
    answer = by_id["tool-0"].final_response or ""
    assert answer.startswith("the tool said value-of-tool-0-from-pid-")
    assert not answer.endswith(f"-pid-{os.getpid()}")
    # The worker asked the task's own approval callback, which allowed the command outside the workspace.
    assert by_id["escalate-0"].status is TaskStatus.completed
    assert (outside_dir / "escalate-0.txt").read_text() == "approved-in-worker\n"
    # One engine per worker process, both used, and each ran several tasks.
    assert {result.worker for result in results} == {"local-0", "local-1"}
    assert_key_came_from_the_environment(fleet_mock)


def test_failing_task_is_retried_then_reported_with_a_typed_error_and_a_timeout_interrupts(
    fleet_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    tasks = [
        FleetTask(id="fail-0", prompt="TASK[fail-0] fail"),
        # 5 s: the turn reaches the model well before, even on a loaded machine; its reply takes a minute.
        FleetTask(id="slow-0", prompt="TASK[slow-0] slow", timeout_s=5.0),
        FleetTask(id="plain-0", prompt="TASK[plain-0] plain"),
    ]
    retry = RetryPolicy(max_attempts=3, backoff=0.01, jitter=0.0)
    results = {
        result.task_id: result
        for result in run_fleet(
            tasks,
            concurrency=3,
            workers=1,
            worker_options=worker_options(fleet_mock),
            retry=retry,
            workspace_root=codex_workspace / "fleet",
        )
    }
    failed = results["fail-0"]
    assert failed.status is TaskStatus.failed
    assert failed.attempts == 3
    assert requests_for(fleet_mock, "fail-0") == 3
    assert failed.error is not None
    assert (failed.error.error_type, failed.error.retryable) == ("HttpStatusError", True)
    with pytest.raises(FleetTaskError) as raised:
        failed.raise_for_error()
    assert raised.value.retryable
    assert raised.value.task_id == "fail-0"

    slow = results["slow-0"]
    assert slow.status is TaskStatus.timeout
    assert requests_for(fleet_mock, "slow-0") == 1
    with pytest.raises(TaskTimeoutError):
        slow.raise_for_error()

    assert results["plain-0"].status is TaskStatus.completed
    assert results["plain-0"].final_response == "answer for plain-0"


def test_checkpoint_resumes_without_redoing_finished_tasks(
    fleet_mock: MockResponsesServer, source_dir: Path, codex_workspace: Path
) -> None:
    checkpoint = codex_workspace / "results.jsonl"
    tasks = [write_task(f"t-{index}", DirectoryWorkspace(str(source_dir))) for index in range(5)]
    options = {
        "concurrency": 2,
        "workers": 1,
        "worker_options": worker_options(fleet_mock),
        "checkpoint": checkpoint,
        "workspace_root": codex_workspace / "fleet",
    }
    first = [result.task_id for result in run_fleet(tasks[:3], **options)]  # type: ignore[arg-type]
    assert sorted(first) == ["t-0", "t-1", "t-2"]
    # A crash while writing the next line leaves it cut short.
    with checkpoint.open("a") as handle:
        handle.write('{"task_id": "t-3", "status": "compl')
    before = {task.id: requests_for(fleet_mock, task.id) for task in tasks}
    assert before == {"t-0": 2, "t-1": 2, "t-2": 2, "t-3": 0, "t-4": 0}

    second = list(run_fleet(tasks, **options))  # type: ignore[arg-type]
    assert sorted(result.task_id for result in second) == ["t-3", "t-4"]
    for result in second:
        assert_wrote_notes(result)
    after = {task.id: requests_for(fleet_mock, task.id) for task in tasks}
    assert after == dict.fromkeys(after, 2), "finished tasks must not run again"
    complete = [parsed for parsed in map(_parse, checkpoint.read_text().splitlines()) if parsed is not None]
    assert sorted(str(line["task_id"]) for line in complete) == [task.id for task in tasks]
    assert all("+written by" in str(line["diff"]) for line in complete)

    # Nothing left to do: a third run starts no worker and yields nothing.
    assert list(run_fleet(tasks, **options)) == []  # type: ignore[arg-type]


def _actor_processes() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"FleetActor" in command and _alive(int(entry)):
                found.append(int(entry))
    return found


# Ray's start plus 40 tasks on two actors: on a loaded 2-core machine this outlasts the default limit.
@pytest.mark.timeout(900)
def test_ray_backend_two_actors_on_a_local_instance_then_a_cancelled_fleet(
    fleet_mock: MockResponsesServer, source_dir: Path, codex_workspace: Path
) -> None:
    import ray  # a dev dependency: missing, this test fails rather than skips

    # ray.init leaves variables and a SIGTERM handler in this process: put them back for later tests.
    environment, on_sigterm = dict(os.environ), signal.getsignal(signal.SIGTERM)
    # Started here (after the key is in the environment): the raylet and so every actor inherit it.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        tasks = [write_task(f"ray-{index}", DirectoryWorkspace(str(source_dir))) for index in range(40)]
        options = {
            "backend": "ray",
            "concurrency": 4,
            "workers": 2,
            "worker_options": worker_options(fleet_mock),
            "workspace_root": codex_workspace / "fleet",
        }
        results = list(run_fleet(tasks, **options))  # type: ignore[arg-type]
        # The fleet used the connection it found and left it open.
        assert ray.is_initialized()
        # Its actors go (Ray ends their processes asynchronously): the next fleet's count is its own.
        _wait_for(lambda: not _actor_processes(), "the first fleet's actor processes to exit", 60)

        # Cancelling: dispatching stops, running turns are cancelled inside the actors.
        cancel = threading.Event()
        slow = [FleetTask(id=f"slow-{index}", prompt=f"TASK[slow-{index}] slow") for index in range(3)]
        actors_while_running: list[int] = []

        def cancel_when_all_slow_turns_run() -> None:
            _wait_for(lambda: all(requests_for(fleet_mock, task.id) for task in slow), "three slow turns")
            actors_while_running.extend(_actor_processes())
            cancel.set()

        watcher = threading.Thread(target=cancel_when_all_slow_turns_run, daemon=True)
        watcher.start()
        heard: list[TaskResult] = []
        yielded = list(run_fleet(slow, cancel_event=cancel, on_result=heard.append, **options))  # type: ignore[arg-type]
        watcher.join()
        assert yielded == []
        assert sorted((result.task_id, result.status) for result in heard) == [
            (task.id, TaskStatus.cancelled) for task in slow
        ]
        assert len(actors_while_running) == 2
        _wait_for(lambda: not _actor_processes(), "the actors' processes to exit", 60)

        # An actor that cannot start its engine fails the fleet with a typed error, not a hang.
        broken = {**options, "worker_options": WorkerOptions(base_url=fleet_mock.base_url, api_key_env="UNSET_KEY")}
        with pytest.raises(FleetError, match="UNSET_KEY"):
            list(run_fleet(tasks[:1], **broken))  # type: ignore[arg-type]
    finally:
        ray.shutdown()
        os.environ.clear()
        os.environ.update(environment)
        signal.signal(signal.SIGTERM, on_sigterm)
    assert sorted(result.task_id for result in results) == sorted(task.id for task in tasks)
    for result in results:
        assert_wrote_notes(result)
    assert {result.worker for result in results} == {"ray-actor-0", "ray-actor-1"}
    assert sorted(path.name for path in source_dir.iterdir()) == ["seed.txt"]
    assert_key_came_from_the_environment(fleet_mock)


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _wait_for(condition: object, what: str, limit_s: float = 120.0) -> None:
    """Waits for a condition (not a timing assertion: the limit only bounds a hang)."""
    deadline = time.monotonic() + limit_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_sigint_mid_fleet_stops_the_cli_and_leaves_no_worker_behind(
    fleet_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    tasks_file = codex_workspace / "tasks.jsonl"
    out = codex_workspace / "results.jsonl"
    lines = [{"id": "plain-0", "prompt": "TASK[plain-0] plain"}]
    lines += [{"id": f"slow-{index}", "prompt": f"TASK[slow-{index}] slow"} for index in range(2)]
    tasks_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    command = [sys.executable, "-m", "codex", "fleet", "run", str(tasks_file), "--out", str(out)]
    command += ["--workers", "2", "--concurrency", "4", "--base-url", fleet_mock.base_url, "--api-key-env", KEY_ENV]
    command += ["--workspace-root", str(codex_workspace / "fleet"), "--quiet"]
    cli = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint
    )
    try:
        _wait_for(lambda: out.exists() and "plain-0" in out.read_text(), "the plain task's result")
        _wait_for(
            lambda: all(requests_for(fleet_mock, f"slow-{index}") for index in range(2)),
            "both slow turns to reach the model",
        )
        workers = _children_of(cli.pid)
        assert len(workers) >= 2
        cli.send_signal(signal.SIGINT)
        _, stderr = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert cli.returncode == 130, stderr
    assert "fleet cancelled" in stderr
    assert "Traceback" not in stderr, stderr
    _wait_for(lambda: not any(_alive(pid) for pid in workers), "the worker processes to exit", 30)
    recorded = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line["task_id"], line["status"]) for line in recorded] == [("plain-0", "completed")]
    assert not list((codex_workspace / "fleet").glob("*/*")), "cancelled tasks' workspaces are removed"


def _spawned_workers() -> list[int]:
    """This process's multiprocessing-spawned children (fleet workers), alive."""
    found = []
    for pid in _children_of(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command and _alive(pid):
            found.append(pid)
    return found


def test_async_twin_yields_results_and_leaving_early_cancels_the_rest(
    fleet_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    tasks = [FleetTask(id="plain-0", prompt="TASK[plain-0] plain")]
    tasks += [FleetTask(id=f"slow-{index}", prompt=f"TASK[slow-{index}] slow") for index in range(2)]
    heard: list[TaskResult] = []

    async def first_result() -> TaskResult:
        fleet = run_fleet_async(
            tasks,
            concurrency=3,
            workers=1,
            worker_options=worker_options(fleet_mock),
            workspace_root=codex_workspace / "fleet",
            on_result=heard.append,
        )
        async with contextlib.aclosing(fleet) as results:
            async for result in results:
                return result
        raise AssertionError("the fleet yielded nothing")

    first = asyncio.run(first_result())
    assert (first.task_id, first.status) == ("plain-0", TaskStatus.completed)
    assert first.final_response == "answer for plain-0"
    # Leaving the loop cancelled the slow tasks (whether or not they had reached the model yet)
    # and stopped the worker before aclose() returned.
    assert sorted((result.task_id, result.status) for result in heard) == [
        ("plain-0", TaskStatus.completed),
        ("slow-0", TaskStatus.cancelled),
        ("slow-1", TaskStatus.cancelled),
    ]
    assert _spawned_workers() == []


def test_a_worker_that_dies_reports_its_task_lost(fleet_mock: MockResponsesServer, codex_workspace: Path) -> None:
    def kill_the_worker(request: RecordedRequest) -> ScriptedResponse:
        # The only fleet worker is the process asking; it dies mid-turn.
        (worker,) = _spawned_workers()
        os.kill(worker, signal.SIGKILL)
        return responses.slow_stream(["never ", "read"], delay_s=0.5)

    fleet_mock.set_responder(kill_the_worker)
    (result,) = run_fleet(
        [FleetTask(id="doomed", prompt="TASK[doomed] plain")],
        workers=1,
        worker_options=worker_options(fleet_mock),
        workspace_root=codex_workspace / "fleet",
    )
    assert result.status is TaskStatus.failed
    assert result.error is not None
    assert (result.error.error_type, result.error.retryable) == ("WorkerLostError", True)
    with pytest.raises(WorkerLostError):
        result.raise_for_error()
    assert _spawned_workers() == []


def test_workers_that_cannot_start_fail_the_fleet_with_a_typed_error(
    fleet_mock: MockResponsesServer, codex_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UNSET_KEY", raising=False)
    options = WorkerOptions(base_url=fleet_mock.base_url, api_key_env="UNSET_KEY")
    fleet = run_fleet(
        [FleetTask(id="never", prompt="TASK[never] plain")],
        workers=1,
        worker_options=options,
        workspace_root=codex_workspace / "fleet",
    )
    with pytest.raises(FleetError, match="UNSET_KEY"):
        list(fleet)
    assert fleet_mock.response_requests == []
    assert _spawned_workers() == []


def test_cli_runs_a_tasks_file_with_schemas_and_git_workspaces_and_exits_1_on_a_failure(
    fleet_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    make_repo(codex_workspace / "repo")
    schema = {
        "type": "object",
        "properties": {"task": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["task", "count"],
        "additionalProperties": False,
    }
    lines = [
        {"id": "json-1", "prompt": "TASK[json-1] json", "output_schema": schema},
        {"id": "git-1", "prompt": "TASK[git-1] write", "workspace": {"git": "repo", "revision": "main"}},
        {"id": "reject-1", "prompt": "TASK[reject-1] reject", "metadata": {"team": "search"}},
    ]
    tasks_file = codex_workspace / "tasks.jsonl"
    tasks_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = codex_workspace / "results.jsonl"
    command = [sys.executable, "-m", "codex", "fleet", "run", str(tasks_file), "--out", str(out), "--workers", "1"]
    command += ["--base-url", fleet_mock.base_url, "--api-key-env", KEY_ENV, "--max-attempts", "2"]
    command += ["--workspace-root", str(codex_workspace / "fleet")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    results = {line["task_id"]: line for line in map(json.loads, out.read_text().splitlines())}
    assert sorted(results) == ["git-1", "json-1", "reject-1"]
    assert results["json-1"]["output"] == {"task": "json-1", "count": 7}
    assert results["json-1"]["status"] == "completed"
    assert results["git-1"]["changed_files"] == ["notes-git-1.md"]
    assert "+written by git-1\n" in results["git-1"]["diff"]
    rejected = results["reject-1"]
    assert rejected["status"] == "failed"
    # A 400 is not retryable: the retry policy gave up after the first attempt.
    assert (rejected["attempts"], rejected["error"]["retryable"]) == (1, False)
    assert rejected["error"]["error_type"] == "TurnFailedError"
    assert "the mock rejects reject-1" in rejected["error"]["message"]
    assert rejected["metadata"] == {"team": "search"}
    assert requests_for(fleet_mock, "reject-1") == 1
    # The progress display went to stderr and ended on the totals.
    assert "2 done" in done.stderr
    assert "1 failed" in done.stderr


def test_a_task_whose_worker_dies_runs_again_on_another_worker_under_the_retry_policy(
    fleet_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    marker = codex_workspace / "crashed-once"
    task = FleetTask(
        id="crash-0", prompt=f"TASK[crash-0] crash {marker}", tools=("tests.e2e.fleet_scripts:FLEET_TOOLS",)
    )
    (result,) = run_fleet(
        [task],
        workers=2,
        worker_options=worker_options(fleet_mock),
        retry=RetryPolicy(max_attempts=2, backoff=0.01),
        workspace_root=codex_workspace / "fleet",
    )
    assert result.status is TaskStatus.completed, result.error
    assert result.final_response == "crash-0 survived"
    # The first worker (local-0: the least busy, first of equals) died in the tool; local-1 ran it again.
    assert result.attempts == 2
    assert result.worker == "local-1"
    dead = int(marker.read_text())
    assert not _alive(dead)
    assert _spawned_workers() == []
