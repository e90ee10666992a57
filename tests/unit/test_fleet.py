"""codex.fleet pieces that need no engine: task files, checkpoints, diffs, typed errors.

The fleet itself runs end to end in tests/e2e/test_fleet.py.
"""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path

import pytest

from codex import ApprovalMode, ConfigurationError, RetryPolicy, Sandbox, TextInput, Usage
from codex.fleet import (
    Checkpoint,
    DirectoryWorkspace,
    FleetTask,
    FleetTaskError,
    GitWorkspace,
    TaskCancelledError,
    TaskError,
    TaskResult,
    TaskStatus,
    TaskTimeoutError,
    WorkerLostError,
    WorkerOptions,
    WorkspaceError,
    load_tasks,
    run_fleet,
)
from codex.fleet.workspaces import directory_diff, prepare_workspace


def test_tasks_file_fields_and_relative_workspaces(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "prompt": "hi", "workspace": "repo-a", "sandbox": "read-only", "approval_mode": "deny_all"},
        {"input": ["look", {"type": "localImage", "path": "x.png"}], "workspace": {"git": "/srv/r", "revision": "v1"}},
        {"id": "c", "prompt": "json", "output_schema": {"type": "object"}, "tools": "pkg.mod:TOOLS", "timeout_s": 5},
        {"id": "d", "prompt": "careful", "approval_callback": "pkg.approvals:POLICY"},
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("# a comment\n\n" + "\n".join(json.dumps(line) for line in lines) + "\n")
    first, second, third, fourth = load_tasks(path)
    assert first.workspace == DirectoryWorkspace(str(tmp_path / "repo-a"))
    assert (first.sandbox, first.approval_mode) == (Sandbox.read_only, ApprovalMode.deny_all)
    assert second.id == "line-4"
    assert second.workspace == GitWorkspace("/srv/r", "v1")
    assert isinstance(second.input, list)
    assert second.input[0] == "look"
    assert third.output_type == {"type": "object"}
    assert (third.tools, third.timeout_s) == (("pkg.mod:TOOLS",), 5)
    assert fourth.approval_callback == "pkg.approvals:POLICY"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": "x"}, "exactly one of prompt= or input="),
        ({"id": "x", "prompt": "p", "input": ["q"]}, "exactly one of prompt= or input="),
        ({"id": "x", "prompt": "p", "sandbox": "everything"}, "sandbox must be one of"),
        ({"id": "x", "prompt": "p", "colour": "red"}, r"unknown fields \['colour'\]"),
        ({"id": "x", "prompt": "p", "workspace": 3}, "workspace must be a path"),
        ({"id": "x", "prompt": "p", "tools": ["no_colon"]}, "import paths"),
        ({"id": "x", "prompt": "p", "approval_callback": "no_colon"}, "import paths"),
        ({"id": "x", "input": [{"type": "video"}]}, "unsupported input item"),
    ],
)
def test_bad_task_lines_raise_configuration_errors(tmp_path: Path, line: dict[str, object], message: str) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(line) + "\n")
    with pytest.raises(ConfigurationError, match=message):
        load_tasks(path)


def test_duplicate_ids_and_bad_options_are_refused_before_any_worker_starts() -> None:
    twins = [FleetTask(id="same", prompt="a"), FleetTask(id="same", prompt="b")]
    with pytest.raises(ConfigurationError, match="share the id 'same'"):
        run_fleet(twins)
    with pytest.raises(ConfigurationError, match="backend must be"):
        run_fleet([], backend="threads")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="concurrency"):
        run_fleet([], concurrency=0)


def test_worker_options_refuse_credentials_in_overrides() -> None:
    with pytest.raises(ConfigurationError, match="credential"):
        WorkerOptions(config_overrides=("model_providers.x.experimental_bearer_token=sk-1",))
    options = WorkerOptions(base_url="http://127.0.0.1:1/v1", api_key_env="MY_KEY")
    task = FleetTask(id="t", input=[TextInput("hi")])
    blob = pickle.dumps((task, options, RetryPolicy(max_attempts=2)))
    assert pickle.loads(blob) == (task, options, RetryPolicy(max_attempts=2))


def test_checkpoint_tolerates_a_cut_line_and_never_records_cancelled(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.jsonl"
    checkpoint = Checkpoint(path)
    checkpoint.append(TaskResult("done", TaskStatus.completed, usage=Usage(total_tokens=3), diff="+x\n"))
    checkpoint.append(TaskResult("gone", TaskStatus.cancelled))
    checkpoint.close()
    with path.open("a") as handle:
        handle.write('{"task_id": "half", "sta')
    checkpoint = Checkpoint(path)
    checkpoint.append(TaskResult("bad", TaskStatus.failed, error=TaskError("HttpStatusError", "500", http_status=500)))
    checkpoint.close()
    read = checkpoint.read()
    assert sorted(read) == ["bad", "done"]
    assert read["done"].usage.total_tokens == 3
    assert read["done"].diff == "+x\n"
    assert read["bad"].error == TaskError("HttpStatusError", "500", http_status=500)
    assert checkpoint.finished_ids() == {"bad", "done"}
    assert checkpoint.finished_ids(rerun_failed=True) == {"done"}


@pytest.mark.parametrize(
    ("status", "error_type", "raised"),
    [
        (TaskStatus.failed, "HttpStatusError", FleetTaskError),
        (TaskStatus.timeout, "TaskTimeoutError", TaskTimeoutError),
        (TaskStatus.cancelled, "TaskCancelledError", TaskCancelledError),
        (TaskStatus.failed, "WorkerLostError", WorkerLostError),
    ],
)
def test_raise_for_error_raises_the_typed_error(
    status: TaskStatus, error_type: str, raised: type[FleetTaskError]
) -> None:
    result = TaskResult("t", status, error=TaskError(error_type, "why", code="c", retryable=True))
    with pytest.raises(raised, match="why") as caught:
        result.raise_for_error()
    assert type(caught.value) is raised
    assert (caught.value.task_id, caught.value.code, caught.value.retryable) == ("t", "c", True)
    TaskResult("ok", TaskStatus.completed).raise_for_error()


def test_directory_diff_covers_edits_deletions_binary_and_missing_newlines(tmp_path: Path) -> None:
    source, copy = tmp_path / "source", tmp_path / "copy"
    for root in (source, copy):
        (root / "sub").mkdir(parents=True)
        (root / "same.txt").write_text("same\n")
        (root / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ignored")
    (source / "edit.txt").write_text("one\ntwo\n")
    (copy / "edit.txt").write_text("one\nTWO\n")
    (source / "sub" / "gone.txt").write_text("bye\n")
    (copy / "new.txt").write_text("no newline")
    (source / "blob.bin").write_bytes(b"\xff\x00")
    (copy / "blob.bin").write_bytes(b"\xfe\x00")
    diff, changed = directory_diff(source, copy)
    assert changed == ["blob.bin", "edit.txt", "new.txt", "sub/gone.txt"]
    assert "Binary files a/blob.bin and b/blob.bin differ\n" in diff
    assert "--- a/edit.txt\n+++ b/edit.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n" in diff
    assert "new file mode 100644\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+no newline\n\\ No newline" in diff
    assert "deleted file mode 100644\n--- a/sub/gone.txt\n+++ /dev/null\n" in diff
    assert ".git" not in diff
    assert "same.txt" not in diff


def test_a_result_whose_output_does_not_pickle_travels_as_json() -> None:
    from codex.fleet.worker import _picklable

    result = TaskResult("t", TaskStatus.completed, output={"f": lambda: 1, "n": 2}, metadata={"k": 1})
    travelled = pickle.loads(pickle.dumps(_picklable(result)))
    assert travelled.output["n"] == 2
    assert isinstance(travelled.output["f"], str)
    assert travelled.metadata == {"k": 1}


def _repo(path: Path) -> Path:
    path.mkdir()
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "t@example.com"], ["config", "user.name", "t"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    (path / "tracked.txt").write_text("first\n")
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "first"], cwd=path, check=True)
    (path / "tracked.txt").write_text("second\n")
    subprocess.run(["git", "commit", "-q", "-am", "second"], cwd=path, check=True)
    return path


@pytest.mark.parametrize("as_url", [False, True])
def test_git_workspaces_check_out_the_revision_and_diff_tracked_and_new_files(tmp_path: Path, as_url: bool) -> None:
    repo = _repo(tmp_path / "repo")
    spec = GitWorkspace(f"file://{repo}" if as_url else str(repo), "main~1")
    workspace = prepare_workspace(spec, tmp_path / "work", "task/1")
    assert workspace.path.parent == tmp_path / "work"
    assert (workspace.path / "tracked.txt").read_text() == "first\n"
    (workspace.path / "tracked.txt").write_text("edited\n")
    (workspace.path / "new.txt").write_text("new\n")
    diff, changed = workspace.diff()
    assert changed == ["new.txt", "tracked.txt"]
    assert "-first\n+edited\n" in diff
    assert "+++ b/new.txt\n@@ -0,0 +1 @@\n+new\n" in diff
    workspace.remove()
    assert not workspace.path.exists()
    listed = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True)
    assert len(listed.stdout.splitlines()) == 1
    assert (repo / "tracked.txt").read_text() == "second\n"


def test_missing_workspace_sources_raise_workspace_errors(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        prepare_workspace(DirectoryWorkspace(str(tmp_path / "nowhere")), tmp_path / "work", "t")
    with pytest.raises(WorkspaceError, match="not a git repository"):
        prepare_workspace(GitWorkspace(str(tmp_path)), tmp_path / "work", "t")
    with pytest.raises(WorkspaceError, match="git worktree"):
        prepare_workspace(GitWorkspace(str(_repo(tmp_path / "repo")), "no-such-rev"), tmp_path / "work", "t")
