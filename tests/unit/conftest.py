"""Unit tests run with or without the compiled engine.

``CODEX_TEST_NO_NATIVE=1`` makes ``import codex._native`` fail with ImportError for the whole
run, as on a machine where the extension was never built: every unit test must pass so, or
say that it needs the engine (``@pytest.mark.needs_native``, or its module listed in
:data:`NATIVE_MODULES` when it reads the extension at import). Those are skipped under the
switch only, and counted at the end of the run; without the switch they run as usual.

Fixtures: ``fake_engine`` (a :class:`tests.fakes.fake_engine.FakeEngine` that every client the
test creates starts instead of the extension) and ``fake_codex`` (a ``Codex`` on it).
"""

from __future__ import annotations

import importlib.abc
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import codex.client
from codex import Codex, _logging
from codex._session import AsyncSession, Session
from tests.fakes.fake_engine import FakeEngine

EXTENSION = "codex._native"
NO_NATIVE = os.environ.get("CODEX_TEST_NO_NATIVE", "") not in ("", "0")
NEEDS_NATIVE_REASON = "needs the compiled engine (CODEX_TEST_NO_NATIVE=1)"

#: Modules that read the extension when imported, with what they test.
NATIVE_MODULES = {
    "test_native_errors.py": "the extension's own exception classes and their mapping",
    "test_protocol_fresh.py": "the generated models against the schema the extension exports",
    "test_protocol_roundtrip.py": "strategies built from the schema the extension exports",
}


class _NoExtension(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        if fullname == EXTENSION:
            raise ModuleNotFoundError(f"{EXTENSION} is blocked by CODEX_TEST_NO_NATIVE=1", name=fullname)
        return None


if NO_NATIVE:
    # Importing codex (the package's pytest plugin did, before this file) must not have
    # loaded the extension: then blocking it now would prove nothing.
    if EXTENSION in sys.modules:
        raise pytest.UsageError(f"{EXTENSION} was imported before the unit tests' switch could block it")
    sys.meta_path.insert(0, _NoExtension())

_skipped = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_native: the test needs the compiled engine (codex._native)")
    config.stash[_skipped] = []


class _NativeModule(pytest.Module):
    """A module of :data:`NATIVE_MODULES` under the switch: reported as one skip, not imported."""

    def collect(self) -> list[Any]:
        self.config.stash[_skipped].append(self.path.name)
        pytest.skip(f"{NEEDS_NATIVE_REASON}: {NATIVE_MODULES[self.path.name]}")


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if NO_NATIVE and module_path.name in NATIVE_MODULES and module_path.parent == Path(__file__).parent:
        return _NativeModule.from_parent(parent, path=module_path)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not NO_NATIVE:
        return
    for item in items:
        if item.get_closest_marker("needs_native") is not None:
            item.add_marker(pytest.mark.skip(reason=NEEDS_NATIVE_REASON))
            config.stash[_skipped].append(item.nodeid)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    skipped = config.stash.get(_skipped, [])
    if NO_NATIVE:
        modules = sum(name in NATIVE_MODULES for name in skipped)
        terminalreporter.write_line(
            f"CODEX_TEST_NO_NATIVE=1: {EXTENSION} blocked; skipped as needing it: "
            f"{len(skipped) - modules} tests and {modules} modules"
        )


# -- clients on the fake engine --------------------------------------------------------------

FAKE_API_KEY = "sk-fake-engine-key"


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    """A fake engine that every client created in the test starts instead of the extension."""
    engine = FakeEngine()

    class FakeSession(Session):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, start_engine=engine.start, **kwargs)

    class FakeAsyncSession(AsyncSession):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, start_engine=engine.start_async, **kwargs)

    # The clients open their sessions through these names (codex/client.py).
    monkeypatch.setattr(codex.client, "Session", FakeSession)
    monkeypatch.setattr(codex.client, "AsyncSession", FakeAsyncSession)
    return engine


@pytest.fixture
def fake_codex(fake_engine: FakeEngine, tmp_path: Path) -> Iterator[Codex]:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
        assert fake_engine.options is not None, "the client did not start its engine through the session seam"
        yield client


@pytest.fixture
def codex_logger() -> Iterator[logging.Logger]:
    """The codex logger, restored (handlers, level, bridge level) afterwards."""
    logger = logging.getLogger("codex")
    saved = (list(logger.handlers), logger.level)
    try:
        yield logger
    finally:
        logger.handlers[:], logger.level = saved
        _logging.sync_engine_level()
