"""The live suite: real turns against the real OpenAI API, opt-in.

Deselected unless ``CODEX_TEST_LIVE=1`` (deselected, not skipped: a run without a key must
never report these as passed). With it set, ``OPENAI_API_KEY`` must hold a key; the model is
the engine's default unless ``CODEX_TEST_LIVE_MODEL`` names one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex import Codex

LIVE = os.environ.get("CODEX_TEST_LIVE") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LIVE:
        return
    live = [item for item in items if item.path.is_relative_to(Path(__file__).parent)]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if item not in live]


@pytest.fixture
def live_workspace() -> Iterator[Path]:
    path = Path.home() / ".cache" / "codex-embedded" / "workspaces" / f"live-{secrets.token_hex(6)}"
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def live_api_key() -> None:
    """Fails (never skips) a live test that has no key to run with."""
    if not os.environ.get("OPENAI_API_KEY"):
        pytest.fail("CODEX_TEST_LIVE=1 needs OPENAI_API_KEY")


@pytest.fixture
def live_client(live_api_key: None, live_workspace: Path) -> Iterator[Codex]:
    with Codex(api_key_env="OPENAI_API_KEY", cwd=str(live_workspace)) as codex:
        yield codex


@pytest.fixture
def live_model() -> str | None:
    return os.environ.get("CODEX_TEST_LIVE_MODEL") or None
