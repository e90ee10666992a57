"""fork() with a live client: the child never deletes the parent's home, can run a client of its
own, and gets a typed error from the client it inherited.

Each scenario is a program of its own (tests/e2e/fork_scripts.py) that talks to this session's
mock over loopback, so a child that hangs is killed by the program, and a program that hangs
is killed here, instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex.testing import MockResponsesServer, RecordedRequest, responses
from codex.testing.responses import ScriptedResponse

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_TIMEOUT_S = 280.0

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")


def echo(request: RecordedRequest) -> ScriptedResponse:
    return responses.text(f"echo: {request.input_texts()[-1]}")


def run_scenario(scenario: str, mock: MockResponsesServer, workspace: Path) -> dict[str, Any]:
    mock.set_responder(echo)
    program = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "tests.e2e.fork_scripts", scenario, mock.base_url, str(workspace)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its children too are killed on a hang
    )
    try:
        out, err = program.communicate(timeout=PROGRAM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(program.pid, signal.SIGKILL)
        out, err = program.communicate()
        pytest.fail(f"{scenario}: the program hung and was killed\nstdout: {out}\nstderr: {err[-4000:]}")
    lines = [line for line in out.splitlines() if line.startswith("REPORT ")]
    assert program.returncode == 0, f"exit {program.returncode}\n{out}\n{err[-4000:]}"
    assert len(lines) == 1, f"{out}\n{err[-4000:]}"
    report: dict[str, Any] = json.loads(lines[0].removeprefix("REPORT "))
    child = report["child"]
    # What a child that crashed or hung left on stderr (faulthandler's traceback).
    assert not {"hung", "no_report"} & set(child), f"{child}\nstderr: {err[-6000:]}"
    return report


def assert_parent_intact(report: dict[str, Any]) -> None:
    assert report["before"] == "echo: parent turn before the fork"
    assert report["home_exists_after_child"], "the child removed the parent's home"
    parent = report["parent"]
    assert "failed" not in parent, parent
    assert parent["after"] == "echo: parent turn after the fork"
    assert parent["turns"] == 2, "the thread's history lost a turn"
    assert parent["listed"], "thread_list() no longer lists the parent's thread"
    assert report["home_removed_on_close"], "the parent's own close() removes its home"


def assert_own_client_worked(child: dict[str, Any]) -> None:
    own = child["own"]
    assert "failed" not in own, own
    assert own["response"] == f"echo: child turn from {own['pid']}"
    assert own["home_removed"]
    assert child["exitcode"] == 0


def assert_inherited_refused(inherited: dict[str, Any], uses: tuple[str, ...]) -> None:
    assert "failed" not in inherited, inherited
    for use in uses:
        error = inherited[use]
        assert error is not None, f"{use} on the inherited client succeeded"
        assert error["type"] == "TransportClosedError", error
        assert error["codex_error"], error
        assert "fork()" in error["message"], error
        assert "parent process" in error["message"], error
    assert inherited["closed"]


SYNC_USES = ("thread_start", "thread_read", "thread_list")


def test_os_fork_child_closes_the_inherited_client_and_runs_its_own(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    report = run_scenario("os_fork_close", codex_mock, codex_workspace)
    assert_inherited_refused(report["child"]["inherited"], SYNC_USES)
    assert_own_client_worked(report["child"])
    assert_parent_intact(report)


def test_os_fork_child_exiting_without_close_keeps_the_parents_home(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    # sys.exit() in the child runs the inherited client's finalizer (atexit).
    report = run_scenario("os_fork_exit", codex_mock, codex_workspace)
    assert_own_client_worked(report["child"])
    assert_parent_intact(report)


def test_multiprocessing_fork_child(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    report = run_scenario("mp_fork", codex_mock, codex_workspace)
    assert_inherited_refused(report["child"]["inherited"], SYNC_USES)
    assert_own_client_worked(report["child"])
    assert_parent_intact(report)


def test_os_fork_before_any_client(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    report = run_scenario("os_fork_first", codex_mock, codex_workspace)
    assert_own_client_worked(report["child"])
    parent = report["parent"]
    assert "failed" not in parent, parent
    assert parent["response"] == f"echo: child turn from {parent['pid']}"


def test_multiprocessing_spawn_child(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    report = run_scenario("mp_spawn", codex_mock, codex_workspace)
    assert_own_client_worked(report["child"])
    assert_parent_intact(report)


def test_os_fork_with_async_clients(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    report = run_scenario("os_fork_async", codex_mock, codex_workspace)
    assert_inherited_refused(report["child"]["inherited"], ("thread_start",))
    assert_own_client_worked(report["child"])
    assert_parent_intact(report)
