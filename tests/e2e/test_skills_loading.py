"""A thread start no longer waits for its skills (the codex-core and codex-core-skills patches,
vendor/codex/README.md): the start begins loading them and answers; the thread's first turn
waits for that load (or makes it) before it builds its prompt. What the skills feed must
still arrive: the first model request lists them, and a skill that fails to load is logged.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from codex import Codex, CodexConfig
from codex.testing import MockResponsesServer

from .conftest import client_kwargs


def _write_skill(home: Path, name: str, text: str) -> Path:
    path = home / "skills" / name / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_the_first_turn_right_after_a_start_lists_the_threads_skills(codex_workspace: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    front_matter = "---\nname: widget-sorter\ndescription: Sorts widgets by colour.\n---\n"
    skill = _write_skill(home, "widget-sorter", front_matter)
    with MockResponsesServer() as mock:
        with Codex(CodexConfig(codex_home=str(home), **client_kwargs(mock, codex_workspace))) as client:  # type: ignore[arg-type]
            # No pause between the start and the turn: the turn must wait for the skills.
            client.thread_start().run("sort them")
            # A second thread of the same configuration reads the loaded skills.
            client.thread_start().run("again")
        posts = [request for request in mock.requests if request.method == "POST"]

    assert len(posts) == 2
    for request in posts:
        body = json.dumps(request.body)
        assert f"widget-sorter: Sorts widgets by colour. (file: {skill})" in body
        assert "skill-creator" in body  # a bundled system skill


def test_a_skill_that_fails_to_load_is_still_logged(
    codex_workspace: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    broken = _write_skill(home, "broken", "no front matter here\n")
    _write_skill(home, "fine", "---\nname: fine\ndescription: Loads.\n---\n")
    with MockResponsesServer() as mock, caplog.at_level(logging.ERROR, logger="codex"):
        with Codex(CodexConfig(codex_home=str(home), **client_kwargs(mock, codex_workspace))) as client:  # type: ignore[arg-type]
            client.thread_start().run("hello")
            # The engine's log lines cross to Python on their own thread.
            deadline = time.monotonic() + 10
            while str(broken) not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.02)
        body = json.dumps(mock.requests[-1].body)

    failures = [record for record in caplog.records if "failed to load skill" in record.getMessage()]
    assert [str(broken) in record.getMessage() for record in failures] == [True]
    assert "fine: Loads." in body
    assert str(broken) not in body


def test_closing_a_client_after_its_skills_were_watched_warns_of_nothing(
    codex_workspace: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A thread start watches the skill roots: the home's skills directory recursively and the
    # bundled system skills inside it. Closing the client removes the parent's watch first,
    # which takes the inner one with it (the codex-file-watcher patch, vendor/codex/README.md).
    home = str(tmp_path / "home")
    with MockResponsesServer() as mock, caplog.at_level(logging.DEBUG, logger="codex.engine"):
        with Codex(CodexConfig(codex_home=home, **client_kwargs(mock, codex_workspace))) as client:  # type: ignore[arg-type]
            client.thread_start().run("hello")
        # close() returns once the app-server has stopped; the thread's watches are removed as
        # its state is dropped, which can end a few milliseconds later. The engine's log lines
        # cross to Python on their own thread, and a DEBUG line that arrives after caplog has
        # restored the logger's level is dropped, so the wait stays inside at_level.
        deadline = time.monotonic() + 10
        while "was no longer watched" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    watcher = [record for record in caplog.records if record.name == "codex.engine.codex_file_watcher"]

    assert [record.getMessage() for record in watcher if record.levelno >= logging.WARNING] == []
    assert any("was no longer watched" in record.getMessage() for record in watcher), [
        record.getMessage() for record in watcher
    ]
