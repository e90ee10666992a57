"""Suite-wide hygiene: the suite leaves no sandbox mount points behind in the temp directory,
and keeps the engine's pre-migrated databases and OS detection in a directory of its own, not the
user's cache.

While a sandboxed command runs, the engine's bubblewrap mounts an empty read-only directory over
``.git``, ``.agents`` and ``.codex`` in every writable root that lacks them, ``/tmp`` included,
creating the mount points on disk; it removes them when the command ends, but not when the
command is killed (an interrupted turn, a client closed mid-command). An empty ``/tmp/.git``
makes the engine take ``/tmp`` for a git root and changes the diffs it reports for any
workspace below it. The session removes the ones that appeared while it ran, and says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_MOUNT_POINT_NAMES = (".git", ".agents", ".codex")
_present_at_start = pytest.StashKey[set[Path]]()
_kept_dir = pytest.StashKey[str]()


def _temp_roots() -> list[Path]:
    return sorted({Path("/tmp"), Path(tempfile.gettempdir())})


def _mount_points() -> set[Path]:
    return {root / name for root in _temp_roots() for name in _MOUNT_POINT_NAMES if (root / name).exists()}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_present_at_start] = _mount_points()
    # Every client of the suite (and the programs it runs) copies its fresh home's databases
    # from here once the first client made them (codex.config.database_templates_dir).
    kept = tempfile.mkdtemp(prefix="codex-kept-")
    session.config.stash[_kept_dir] = kept
    os.environ.setdefault("CODEX_EMBEDDED_DATABASE_TEMPLATES", str(Path(kept) / "databases"))
    os.environ.setdefault("CODEX_EMBEDDED_OS_DETECTION_CACHE", str(Path(kept) / "os-detection.json"))
    os.environ.setdefault("CODEX_EMBEDDED_HELPER_CHECK_CACHE", str(Path(kept) / "helper-check"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    kept = session.config.stash.get(_kept_dir, None)
    if kept is not None:
        shutil.rmtree(kept, ignore_errors=True)
    before = session.config.stash.get(_present_at_start, set())
    removed = []
    for path in sorted(_mount_points() - before):
        try:
            path.rmdir()  # only an empty directory: anything else is not a stray mount point
        except OSError:
            continue
        removed.append(str(path))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if removed and reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"removed sandbox mount points left in the temp directory: {', '.join(removed)}")
