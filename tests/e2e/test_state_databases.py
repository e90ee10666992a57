"""A client's SQLite databases (the codex-state patch opens the four of them together).

A fresh home gets all four files and what they keep still works: threads are listed, also by
the next client on the same home. A database that cannot be opened is reported by name, the
engine runs on without its state as it did before the patch, and when several fail the one
reported is the first in the engine's order (state, logs, goals, memories).

The first client of an engine build keeps a pre-migrated copy of the four databases; later
fresh homes start from it (the same schema and migrations as a home migrated from scratch), a
copy that does not fit the engine is replaced, a scratch copy a process left half made is
removed, other builds' copies that no home was seeded from for a month are removed, and none
is kept when it is turned off.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
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


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A templates directory of the test's own, where its clients keep pre-migrated copies."""
    directory = tmp_path / "templates"
    monkeypatch.setenv("CODEX_EMBEDDED_DATABASE_TEMPLATES", str(directory))
    return directory


def _wait_for_template(templates: Path) -> Path:
    """The build's template directory, once the first client made it in the background."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for made in templates.glob("*"):
            if not made.name.startswith(".") and all((made / name).is_file() for name in DATABASES):
                return made
        time.sleep(0.05)
    raise AssertionError(f"no pre-migrated databases appeared in {templates}: {list(templates.iterdir())}")


def _schema(database: Path) -> tuple[list[tuple[str, str, str | None]], list[tuple[int, bytes]]]:
    with sqlite3.connect(database) as connection:
        tables = connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        migrations = connection.execute("SELECT version, checksum FROM _sqlx_migrations ORDER BY version").fetchall()
    connection.close()
    return tables, migrations


def test_a_fresh_home_starts_from_the_databases_the_first_client_migrated(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    tmp_path: Path,
    templates: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first_home, seeded_home = tmp_path / "first", tmp_path / "seeded"
    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(first_home))) as codex:  # type: ignore[arg-type]
        template = _wait_for_template(templates)
        assert codex.thread_start().run("hello").final_response == "Hello from the mock."
    assert sorted(path.name for path in template.iterdir()) == sorted(DATABASES)

    kwargs = client_kwargs(codex_mock, codex_workspace, codex_home=str(seeded_home))
    with caplog.at_level(logging.DEBUG, logger="codex.engine"), Codex(**kwargs) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        assert thread.run("hello").final_response == "Hello from the mock."
        assert [listed.id for listed in codex.thread_list(limit=10).data] == [thread.id]
    assert any(f"seeded the databases of {seeded_home}" in message for message in caplog.messages), caplog.messages
    for name in DATABASES:
        assert _schema(seeded_home / name) == _schema(first_home / name), name

    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(seeded_home))) as again:  # type: ignore[arg-type]
        assert [listed.id for listed in again.thread_list(limit=10).data] == [thread.id]
        assert again.thread_resume(thread.id).run("more").final_response == "Hello from the mock."


def _change_a_migration_checksum(database: Path) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = (SELECT MIN(version) FROM _sqlx_migrations)"
        )
    connection.close()


@pytest.mark.parametrize(
    ("damaged", "damage"),
    [
        # A copy made by an engine whose first migration differs from this one's.
        ("state_5.sqlite", _change_a_migration_checksum),
        # A copy cut short on disk.
        ("goals_1.sqlite", lambda database: database.write_bytes(database.read_bytes()[:100])),
    ],
)
def test_pre_migrated_databases_that_do_not_fit_the_engine_are_migrated_again_and_replaced(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    tmp_path: Path,
    templates: Path,
    caplog: pytest.LogCaptureFixture,
    damaged: str,
    damage: Callable[[Path], object],
) -> None:
    first_home = tmp_path / "first"
    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(first_home))):  # type: ignore[arg-type]
        template = _wait_for_template(templates)
    damage(template / damaged)

    home = tmp_path / "home"
    kwargs = client_kwargs(codex_mock, codex_workspace, codex_home=str(home))
    with caplog.at_level(logging.WARNING, logger="codex"), Codex(**kwargs) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        assert thread.run("hello").final_response == "Hello from the mock."
        assert [listed.id for listed in codex.thread_list(limit=10).data] == [thread.id]
        replaced = _wait_for_template(templates)
    assert any("the pre-migrated databases did not open" in message for message in caplog.messages), caplog.messages
    for name in DATABASES:
        assert _schema(home / name) == _schema(first_home / name), name
        assert _schema(replaced / name) == _schema(first_home / name), name


def _leave_copy(directory: Path, content: bytes, seconds_ago: float) -> None:
    """A directory as another process left it in the templates directory, last changed then."""
    directory.mkdir(parents=True)
    (directory / "state_5.sqlite").write_bytes(content)
    then = time.time() - seconds_ago
    os.utime(directory, (then, then))


def test_scratch_left_by_a_process_that_ended_while_making_a_copy_is_removed(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path, templates: Path
) -> None:
    abandoned, recent = templates / ".scratch-1-1", templates / ".scratch-2-2"
    _leave_copy(abandoned, b"half a copy", seconds_ago=3600)
    _leave_copy(recent, b"half a copy", seconds_ago=0)
    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(tmp_path / "home"))):  # type: ignore[arg-type]
        _wait_for_template(templates)
    assert not abandoned.exists()
    assert recent.exists()  # another process may still be making it


def test_other_builds_copies_unused_for_a_month_are_removed_and_seeding_a_home_marks_a_copy_used(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path, templates: Path
) -> None:
    # Copies of two other engine builds (an upgraded install, a second virtualenv).
    unused, in_use = templates / "0.0.1-0000000000000000", templates / "0.0.1-1111111111111111"
    day = 24 * 60 * 60
    _leave_copy(unused, b"another build's copy", seconds_ago=31 * day)
    _leave_copy(in_use, b"another build's copy", seconds_ago=29 * day)

    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(tmp_path / "first"))):  # type: ignore[arg-type]
        template = _wait_for_template(templates)
        deadline = time.monotonic() + 10
        while unused.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not unused.exists()
    assert (in_use / "state_5.sqlite").read_bytes() == b"another build's copy"

    # This build's copy, last used over a month ago, seeds a fresh home and is marked used.
    over_a_month_ago = time.time() - 31 * day
    os.utime(template, (over_a_month_ago, over_a_month_ago))
    seeded_at = time.time()
    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(tmp_path / "seeded"))) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("hello").final_response == "Hello from the mock."
    assert template.stat().st_mtime >= seeded_at - 1
    assert sorted(path.name for path in (tmp_path / "seeded").glob("*.sqlite")) == sorted(DATABASES)


def test_no_pre_migrated_databases_are_kept_when_turned_off(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    monkeypatch.setenv("CODEX_EMBEDDED_DATABASE_TEMPLATES", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = tmp_path / "home"
    with Codex(**client_kwargs(codex_mock, codex_workspace, codex_home=str(home))) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("hello").final_response == "Hello from the mock."
    assert sorted(path.name for path in home.glob("*.sqlite")) == sorted(DATABASES)
    assert not templates.exists()
    assert not (tmp_path / "cache" / "codex-embedded" / "databases").exists()
