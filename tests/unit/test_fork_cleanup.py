"""Cleanup that a forked child runs (unwinding a block, a finalizer) leaves the parent's files.

The child of ``os.fork()`` unwinds the parent's ``with`` blocks when it leaves them (``sys.exit``
raises ``SystemExit`` through them) and runs finalizers at exit. What it removes there is the
parent's: a client's private home, a ``temporary()`` attachment the parent still holds.
tests/e2e/test_fork.py covers the same through the real engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from codex.config import CodexConfig, resolve
from codex.files import FileStore

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")


def in_child(work: Callable[[], object]) -> int:
    """Runs ``work`` in a forked child and returns its exit code (1 if ``work`` raised)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            work()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_child_does_not_remove_the_private_home_its_parent_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    resolved = resolve(CodexConfig())
    assert resolved.owns_home
    resolved.home.mkdir(parents=True)
    assert in_child(resolved.cleanup) == 0
    assert resolved.home.is_dir(), "the child removed its parent's home"
    resolved.cleanup()
    assert not resolved.home.exists(), "the process that created the home removes it"


def test_a_home_created_in_the_child_is_removed_by_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def child() -> None:
        resolved = resolve(CodexConfig())
        resolved.home.mkdir(parents=True)
        (tmp_path / "child-home").write_text(str(resolved.home))
        resolved.cleanup()

    assert in_child(child) == 0
    assert not Path((tmp_path / "child-home").read_text()).exists()


def test_a_child_leaving_a_temporary_block_keeps_the_parents_attachment(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "attachments", prune_interval=None)
    parent = os.getpid()
    staged: list[Path] = []

    def stage_then_fork() -> int:
        with store.temporary(b"held by the parent " * 10, name="notes.txt") as attachment:
            staged.append(attachment.path)
            pid = os.fork()
            if pid == 0:
                return 0  # the child leaves the block: its cleanup runs in the child
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            assert attachment.path.exists(), "the child released the parent's hold and removed the file"
            return pid

    try:
        pid = stage_then_fork()
    except BaseException:
        if os.getpid() != parent:
            os._exit(1)
        raise
    if pid == 0:
        os._exit(0)
    assert not staged[0].exists(), "the parent's own block removes it"
