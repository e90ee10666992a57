"""Private workspaces for fleet tasks, and the unified diff of what a task changed."""

from __future__ import annotations

import contextlib
import difflib
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import CodexError
from .tasks import DirectoryWorkspace, GitWorkspace, WorkspaceSpec

__all__ = ["PreparedWorkspace", "WorkspaceError", "default_workspace_root", "prepare_workspace"]

_IGNORED_DIRS = frozenset({".git"})


class WorkspaceError(CodexError):
    """A task's workspace could not be prepared (missing directory, bad revision, git failure)."""


def default_workspace_root() -> Path:
    """Under the user's cache, not /tmp: the engine looks for a git root above the workspace,
    and stray sandbox mount points under /tmp would change what it finds."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codex-embedded" / "fleet"


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WorkspaceError(f"git {args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        raise WorkspaceError(f"git {' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _is_remote(repository: str) -> bool:
    return "://" in repository or (repository.count(":") == 1 and "@" in repository.split(":")[0])


@dataclass(slots=True)
class PreparedWorkspace:
    """A task's working directory and how to diff and remove it."""

    path: Path
    spec: WorkspaceSpec | None
    #: For a git worktree: the repository it belongs to (removed through it).
    worktree_of: Path | None = None

    def diff(self) -> tuple[str, list[str]]:
        """(unified diff, changed paths) of the workspace against where it came from."""
        if isinstance(self.spec, GitWorkspace):
            return self._git_diff()
        source = Path(self.spec.path) if isinstance(self.spec, DirectoryWorkspace) else None
        return directory_diff(source, self.path)

    def _git_diff(self) -> tuple[str, list[str]]:
        # Staging everything makes new files part of the diff; the index is the task's own.
        _git("add", "-A", cwd=self.path)
        diff = _git("-c", "core.quotePath=false", "diff", "--cached", "--binary", "--no-color", "HEAD", cwd=self.path)
        names = _git("-c", "core.quotePath=false", "diff", "--cached", "--name-only", "HEAD", cwd=self.path)
        return diff, [name for name in names.splitlines() if name]

    def remove(self) -> None:
        if self.worktree_of is not None:
            try:
                _git("worktree", "remove", "--force", str(self.path), cwd=self.worktree_of)
            except WorkspaceError:
                shutil.rmtree(self.path, ignore_errors=True)
                _git_quiet("worktree", "prune", cwd=self.worktree_of)
            return
        shutil.rmtree(self.path, ignore_errors=True)


def _git_quiet(*args: str, cwd: Path) -> None:
    with contextlib.suppress(WorkspaceError):
        _git(*args, cwd=cwd)


def prepare_workspace(spec: WorkspaceSpec | None, root: Path, task_id: str) -> PreparedWorkspace:
    """Creates the task's private directory under ``root``: a copy, a worktree, a clone,
    or an empty directory when the task names no workspace."""
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in task_id)[:60]
    path = root / f"{safe}-{secrets.token_hex(4)}"
    root.mkdir(parents=True, exist_ok=True)
    if spec is None:
        path.mkdir()
        return PreparedWorkspace(path, None)
    if isinstance(spec, DirectoryWorkspace):
        source = Path(spec.path).expanduser()
        if not source.is_dir():
            raise WorkspaceError(f"workspace directory {source} does not exist (on this machine)")
        try:
            shutil.copytree(source, path, symlinks=True, ignore=shutil.ignore_patterns(*spec.exclude))
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(path, ignore_errors=True)
            raise WorkspaceError(f"copying {source} failed: {exc}") from exc
        return PreparedWorkspace(path, spec)
    if _is_remote(spec.repository):
        _git("clone", "--quiet", "--no-checkout", spec.repository, str(path))
        try:
            _git("checkout", "--quiet", "--detach", spec.revision, cwd=path)
        except WorkspaceError:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return PreparedWorkspace(path, spec)
    repository = Path(spec.repository).expanduser()
    if not (repository / ".git").exists() and not (repository / "HEAD").is_file():
        raise WorkspaceError(f"{repository} is not a git repository (on this machine)")
    _git("worktree", "add", "--quiet", "--detach", str(path), spec.revision, cwd=repository)
    return PreparedWorkspace(path, spec, worktree_of=repository)


def _files(root: Path | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    if root is None or not root.is_dir():
        return found
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if name not in _IGNORED_DIRS)
        for name in filenames:
            full = Path(directory) / name
            found[full.relative_to(root).as_posix()] = full
    return found


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        if path.is_symlink():
            return f"symlink -> {os.readlink(path)}".encode()
        return path.read_bytes()
    except OSError:
        return None


def _lines(data: bytes) -> list[str] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def directory_diff(source: Path | None, copy: Path) -> tuple[str, list[str]]:
    """A git-style unified diff turning ``source`` (None: empty) into ``copy``; ``.git`` skipped."""
    before, after = _files(source), _files(copy)
    chunks: list[str] = []
    changed: list[str] = []
    for name in sorted(set(before) | set(after)):
        old, new = _read(before.get(name)), _read(after.get(name))
        if old == new:
            continue
        changed.append(name)
        old_label = f"a/{name}" if old is not None else "/dev/null"
        new_label = f"b/{name}" if new is not None else "/dev/null"
        header = f"diff --git a/{name} b/{name}\n"
        if old is None:
            header += "new file mode 100644\n"
        elif new is None:
            header += "deleted file mode 100644\n"
        old_lines, new_lines = _lines(old or b""), _lines(new or b"")
        if old_lines is None or new_lines is None:
            chunks.append(f"{header}Binary files {old_label} and {new_label} differ\n")
            continue
        body = "".join(difflib.unified_diff(old_lines, new_lines, fromfile=old_label, tofile=new_label))
        chunks.append(header + body)
    return "".join(chunks), changed
