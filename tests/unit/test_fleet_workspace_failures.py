"""Fleet workspaces when something goes wrong: nothing half-made is left behind, and the error
says what failed. (The happy paths are in test_fleet.py; in e2e runs these functions run in
worker processes.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from codex.fleet.tasks import DirectoryWorkspace, GitWorkspace
from codex.fleet.workspaces import WorkspaceError, default_workspace_root, directory_diff, prepare_workspace


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path) -> Path:
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    git("config", "user.email", "t@example.com", cwd=path)
    git("config", "user.name", "t", cwd=path)
    (path / "file.txt").write_text("content\n")
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    return path


def test_the_default_root_is_under_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_workspace_root() == tmp_path / "codex-embedded" / "fleet"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_workspace_root() == tmp_path / "home" / ".cache" / "codex-embedded" / "fleet"


def test_a_clone_whose_revision_is_missing_fails_and_leaves_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    root = tmp_path / "work"
    with pytest.raises(WorkspaceError, match="git checkout --quiet failed"):
        prepare_workspace(GitWorkspace(f"file://{repo}", "no-such-revision"), root, "t")
    assert list(root.iterdir()) == []


def test_a_copy_that_fails_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_text("a")
    root = tmp_path / "work"

    def copy_then_fail(src: Path, dst: Path, **kwargs: object) -> None:
        Path(dst).mkdir()
        (Path(dst) / "a.txt").write_text("half")
        raise shutil.Error([(str(src / "b.txt"), str(dst), "disk full")])

    monkeypatch.setattr(shutil, "copytree", copy_then_fail)
    with pytest.raises(WorkspaceError, match=r"copying .* failed"):
        prepare_workspace(DirectoryWorkspace(str(source)), root, "t")
    assert list(root.iterdir()) == []


def test_without_git_a_git_workspace_fails_with_a_workspace_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries-here"))
    with pytest.raises(WorkspaceError, match="git worktree failed"):
        prepare_workspace(GitWorkspace(str(repo)), tmp_path / "work", "t")


def test_a_worktree_git_cannot_remove_is_deleted_and_pruned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    workspace = prepare_workspace(GitWorkspace(str(repo)), tmp_path / "work", "t")
    assert str(workspace.path) in git("worktree", "list", cwd=repo)
    # Break the worktree's link to its repository: `git worktree remove` now refuses it.
    (workspace.path / ".git").unlink()
    workspace.remove()
    assert not workspace.path.exists()
    assert str(workspace.path) not in git("worktree", "list", cwd=repo)


def test_task_ids_become_safe_directory_names(tmp_path: Path) -> None:
    workspace = prepare_workspace(None, tmp_path / "work", "../escape/ me" + "x" * 100)
    assert workspace.path.parent == tmp_path / "work"
    assert workspace.path.name.startswith(".._escape__me")
    assert len(workspace.path.name) == 60 + 1 + 8
    assert workspace.diff() == ("", [])


def test_a_diff_shows_symlinks_by_target_and_skips_git_directories(tmp_path: Path) -> None:
    source, copy = tmp_path / "source", tmp_path / "copy"
    source.mkdir()
    copy.mkdir()
    (source / "link").symlink_to("old-target")
    (copy / "link").symlink_to("new-target")
    (copy / ".git").mkdir()
    (copy / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    diff, changed = directory_diff(source, copy)
    assert changed == ["link"]
    assert "-symlink -> old-target" in diff
    assert "+symlink -> new-target" in diff


def test_a_diff_against_no_source_adds_every_file(tmp_path: Path) -> None:
    (tmp_path / "new.txt").write_text("hello")
    diff, changed = directory_diff(None, tmp_path)
    assert changed == ["new.txt"]
    assert "new file mode 100644" in diff
    assert "+hello\n\\ No newline at end of file" in diff
