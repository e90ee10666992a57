"""pytest fixtures for testing agents built on codex-embedded.

Enabled automatically once the package is installed (a ``pytest11`` entry point):

- ``codex_mock``: a running :class:`~codex.testing.MockResponsesServer`.
- ``codex_client``: a :class:`~codex.Codex` wired to ``codex_mock``, closed after the test.
- ``codex_workspace``: an empty working directory for the agent, outside ``/tmp`` and removed
  after the test. The engine looks for a git root above the workspace, and a sandboxed command
  killed mid-run leaves an empty ``/tmp/.git`` behind (see docs/mcp-and-sandbox.md): under
  ``/tmp`` such a stray would change the diffs the engine reports.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..client import Codex
from .server import MockResponsesServer

MOCK_API_KEY = "sk-codex-testing-not-a-real-key"


@pytest.fixture
def codex_mock() -> Iterator[MockResponsesServer]:
    with MockResponsesServer() as server:
        yield server


def workspaces_root() -> Path:
    """Where ``codex_workspace`` creates workspaces: the user's cache, not ``/tmp``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codex-embedded" / "workspaces"


@pytest.fixture
def codex_workspace() -> Iterator[Path]:
    workspace = workspaces_root() / secrets.token_hex(6) / "workspace"
    workspace.mkdir(parents=True)
    yield workspace
    shutil.rmtree(workspace.parent, ignore_errors=True)


@pytest.fixture
def codex_client(codex_mock: MockResponsesServer, codex_workspace: Path) -> Iterator[Codex]:
    with Codex(
        base_url=codex_mock.base_url,
        api_key=MOCK_API_KEY,
        cwd=str(codex_workspace),
    ) as client:
        yield client
