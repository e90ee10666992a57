"""What the package does before, or without, the extension: the lazy side of ``codex._engine``.

``codex._native`` is imported when an engine starts, not when ``codex`` is imported; the log
bridge receives the extension's functions from ``_engine`` then. Without the extension the
pure-Python API imports and works, and starting a client raises the ImportError.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codex import _logging


class FakeBridge:
    def __init__(self, records: list[_logging.EngineLogRecord]) -> None:
        self.levels: list[int] = []
        self.records = records

    def set_log_level(self, levelno: int, /) -> None:
        self.levels.append(levelno)

    def next_log_records(self, max_records: int, timeout: float, /) -> list[_logging.EngineLogRecord]:
        taken, self.records = self.records[:max_records], self.records[max_records:]
        return taken


def test_an_attached_bridge_gets_the_level_and_its_records_reach_python_logging(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Put the real bridge (if a test loaded the extension) back afterwards.
    monkeypatch.setattr(_logging, "_bridge", _logging._bridge)
    monkeypatch.setattr(_logging, "_pushed_level", _logging._pushed_level)
    # A pump of its own: attaching to the shared one would start its thread on this fake bridge
    # if an earlier test's client asked for engine logs, and that thread would outlive the test.
    monkeypatch.setattr(_logging, "engine_log_pump", _logging._EngineLogPump())
    record = (logging.INFO, "codex_core::turn", "started sk-abcdefgh123", [("n", "1")], "t1", "u1", 1.5, None, None)
    bridge = FakeBridge([record])
    caplog.set_level(logging.DEBUG, logger="codex")
    _logging.attach_engine_bridge(bridge)
    assert bridge.levels == [logging.DEBUG]
    _logging.flush_engine_logs()
    (emitted,) = [r for r in caplog.records if r.name == "codex.engine.codex_core.turn"]
    assert (emitted.thread_id, emitted.turn_id) == ("t1", "u1")  # type: ignore[attr-defined]
    assert emitted.getMessage() == f"started {_logging.REDACTED} n=1"


WITHOUT_EXTENSION = textwrap.dedent(
    """
    import importlib.abc, logging, sys, threading

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname == "codex._native":
                raise ModuleNotFoundError("no extension here", name=fullname)

    sys.meta_path.insert(0, Blocked())
    import codex
    from codex import _engine, _logging
    from codex.errors import CodexError

    # The API, the logger and the engine layer's own logic work.
    _logging.configure_logging(logging.DEBUG, stream=sys.stderr)
    _logging.start_engine_logging()
    assert "codex-engine-logs" not in {t.name for t in threading.enumerate()}, "no bridge to pump"
    try:
        _engine.call(lambda: (_ for _ in ()).throw(CodexError("passes through")))
    except CodexError as exc:
        assert str(exc) == "passes through"
    assert _engine.NativeError.__name__ == "_UnloadedNativeError"
    # Starting an engine needs the extension, and says so.
    try:
        codex.Codex(api_key="sk-no-extension-here")
    except ImportError as exc:
        print("start:", exc.name, "reinstall" in str(exc))
    """
)


def test_without_the_extension_codex_imports_and_starting_a_client_raises_the_import_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTENSION], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "start: codex._native True"
