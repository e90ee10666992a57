"""A client's SQLite databases (the codex-state patch opens the four of them together).

A fresh home gets all four files and what they keep still works: threads are listed, also by
the next client on the same home. A database that cannot be opened is reported by name, the
engine runs on without its state as it did before the patch, and when several fail the one
reported is the first in the engine's order (state, logs, goals, memories).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from codex import Codex
from codex.testing import MockResponsesServer

from .conftest import client_kwargs

DATABASES = ("state_5.sqlite", "logs_2.sqlite", "goals_1.sqlite", "memories_1.sqlite")


def test_a_fresh_home_gets_every_database_and_keeps_its_threads(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(home))) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        assert thread.run("hello").final_response == "Hello from the mock."
        assert sorted(path.name for path in home.glob("*.sqlite")) == sorted(DATABASES)
        assert [listed.id for listed in codex.thread_list(limit=10).data] == [thread.id]

    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(home))) as again:  # type: ignore[arg-type]
        assert [listed.id for listed in again.thread_list(limit=10).data] == [thread.id]
        assert again.thread_resume(thread.id).run("more").final_response == "Hello from the mock."


@pytest.mark.parametrize(
    ("unopenable", "reported"),
    [
        (("goals_1.sqlite",), "goals DB"),
        (("memories_1.sqlite", "logs_2.sqlite"), "log DB"),
        (("memories_1.sqlite", "goals_1.sqlite", "state_5.sqlite"), "state DB"),
    ],
)
def test_a_database_that_cannot_be_opened_is_reported_and_the_client_runs_on(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    unopenable: tuple[str, ...],
    reported: str,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for name in unopenable:
        (home / name).mkdir()  # SQLite cannot open a directory as its database file
    kwargs = client_kwargs(codex_mock, codex_workspace, codex_home=str(home))
    with caplog.at_level(logging.WARNING, logger="codex"), Codex(**kwargs) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("hello").final_response == "Hello from the mock."
    failures = [message for message in caplog.messages if "failed to initialize state runtime" in message]
    assert failures, caplog.messages
    assert f"failed to open {reported} at" in failures[0], failures[0]
