"""pytest fixtures for testing agents built on codex-embedded.

Enabled automatically once the package is installed (a ``pytest11`` entry point):

- ``codex_mock``: a running :class:`~codex.testing.MockResponsesServer`.
- ``codex_client``: a :class:`~codex.Codex` wired to ``codex_mock``, closed after the test.
- ``codex_workspace``: an empty working directory for the agent (a tmp dir outside ``/tmp``
  is not required for workspaces; only the engine home must avoid ``/tmp``).
"""

from __future__ import annotations

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


@pytest.fixture
def codex_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return workspace


@pytest.fixture
def codex_client(codex_mock: MockResponsesServer, codex_workspace: Path) -> Iterator[Codex]:
    with Codex(
        base_url=codex_mock.base_url,
        api_key=MOCK_API_KEY,
        cwd=str(codex_workspace),
    ) as client:
        yield client
