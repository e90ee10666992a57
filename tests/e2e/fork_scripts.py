"""A program that forks with a live client, for tests/e2e/test_fork.py.

Run as ``python -m tests.e2e.fork_scripts SCENARIO BASE_URL WORKSPACE``: it starts a client
with a private home, runs a turn, lets a child process (``os.fork()``, or multiprocessing with
the fork or spawn start method) try the inherited client and run a turn with a client of its
own, then checks that its home and thread history survived the child, and prints one JSON
report. Each scenario runs in a process of its own, so that a child that hangs or a fork
that goes wrong cannot take the test session with it. Spawned children import this module
by name: it holds nothing that runs at import.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from codex import AsyncCodex, Codex

API_KEY = "sk-e2e-fork-test-key"
#: How long the parent waits for a child before it kills it and reports a hang.
CHILD_TIMEOUT_S = float(os.environ.get("FORK_TEST_CHILD_TIMEOUT", "120"))

Report = dict[str, Any]


def _kwargs(base_url: str, workspace: str) -> dict[str, Any]:
    return {"base_url": base_url, "api_key": API_KEY, "cwd": workspace}


def _error(exc: BaseException) -> Report:
    return {"type": type(exc).__name__, "message": str(exc), "codex_error": _is_codex_error(exc)}


def _is_codex_error(exc: BaseException) -> bool:
    from codex.errors import CodexError

    return isinstance(exc, CodexError)


# -- what a child does ------------------------------------------------------------
def inherited_sync(codex: Codex, thread_id: str, *, close: bool) -> Report:
    """Uses the client the child inherited: every use must fail at once, close must not touch it."""
    report: Report = {}
    for name, use in (
        ("thread_start", codex.thread_start),
        ("thread_read", lambda: codex.thread_resume(thread_id)),
        ("thread_list", codex.thread_list),
    ):
        try:
            use()
            report[name] = None
        except Exception as exc:
            report[name] = _error(exc)
    if close:
        codex.close()
        report["closed"] = True
    return report


def own_client_turn(base_url: str, workspace: str) -> Report:
    """A client of the child's own: start, one turn, close (its home is removed)."""
    with Codex(**_kwargs(base_url, workspace)) as codex:
        home = codex.codex_home
        thread = codex.thread_start()
        response = thread.run(f"child turn from {os.getpid()}").final_response
        turns = len(thread.read(include_turns=True).thread.turns)
    return {"response": response, "turns": turns, "home_removed": not Path(home).exists(), "pid": os.getpid()}


async def own_async_client_turn(base_url: str, workspace: str) -> Report:
    async with AsyncCodex(**_kwargs(base_url, workspace)) as codex:
        home = codex.codex_home
        thread = await codex.thread_start()
        response = (await thread.run(f"child turn from {os.getpid()}")).final_response
    return {"response": response, "home_removed": not Path(home).exists(), "pid": os.getpid()}


def _guarded(work: Callable[[], Report]) -> Report:
    try:
        return work()
    except BaseException as exc:
        return {"failed": _error(exc), "traceback": traceback.format_exc()}


def mp_fork_child(codex: Codex, thread_id: str, base_url: str, workspace: str, conn: Connection) -> None:
    """The target of a multiprocessing 'fork' child (the client arrives as is, not pickled)."""
    report = {
        "inherited": _guarded(lambda: inherited_sync(codex, thread_id, close=True)),
        "own": _guarded(lambda: own_client_turn(base_url, workspace)),
    }
    conn.send(report)
    conn.close()


def mp_spawn_child(base_url: str, workspace: str, conn: Connection) -> None:
    conn.send({"own": _guarded(lambda: own_client_turn(base_url, workspace))})
    conn.close()


# -- the parent -------------------------------------------------------------------
def _wait_for_child(conn: Connection, reap: Callable[[float], bool], kill: Callable[[], None]) -> Report:
    """The child's report, or a description of how it failed; a hung child is killed."""
    try:
        if not conn.poll(CHILD_TIMEOUT_S):
            kill()
            reap(CHILD_TIMEOUT_S)
            return {"hung": True}
        report: Report = conn.recv()
    except EOFError:
        report = {"no_report": True}
    if not reap(CHILD_TIMEOUT_S):
        kill()
        reap(CHILD_TIMEOUT_S)
        report["exit_hung"] = True
    return report


def _abort(pid: int, reap: Callable[[float], bool]) -> None:
    """Kills a hung child: SIGABRT first, so that faulthandler (``-X faulthandler``) prints
    where each of its threads was, then SIGKILL."""
    os.kill(pid, signal.SIGABRT)
    if not reap(10.0):
        os.kill(pid, signal.SIGKILL)


def _fork_with(child: Callable[[], Report], *, exit_normally: bool) -> Report:
    """``os.fork()``: the child runs ``child`` and exits through ``sys.exit`` (atexit,
    finalizers, unwinding) or ``os._exit``; the parent returns the child's report."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        try:
            reader.close()
            writer.send(_guarded(child))
            writer.close()
        except BaseException:
            os._exit(3)
        if exit_normally:
            sys.exit(0)  # unwinds main() (guarded by pid) and runs atexit and finalizers
        os._exit(0)
    writer.close()
    status: dict[str, int] = {}

    def reap(timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while "code" not in status and time.monotonic() < deadline:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status["code"] = os.waitstatus_to_exitcode(code)
                return True
            time.sleep(0.05)
        return "code" in status

    report = _wait_for_child(reader, reap, lambda: _abort(pid, reap))
    report["exitcode"] = status.get("code")
    return report


def _mp_with(method: str, target: Callable[..., None], *args: Any) -> Report:
    context: Any = multiprocessing.get_context(method)
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, writer))
    process.start()
    writer.close()

    def reap(timeout: float) -> bool:
        process.join(timeout)
        return process.exitcode is not None

    report = _wait_for_child(reader, reap, lambda: _abort(process.pid, reap))
    report["exitcode"] = process.exitcode
    return report


def run_sync(scenario: str, base_url: str, workspace: str) -> Report:
    parent_pid = os.getpid()
    codex = Codex(**_kwargs(base_url, workspace))
    try:
        home = Path(codex.codex_home)
        thread = codex.thread_start()
        before = thread.run("parent turn before the fork").final_response
        if scenario == "os_fork_close":
            child = _fork_with(
                lambda: {
                    "inherited": _guarded(lambda: inherited_sync(codex, thread.id, close=True)),
                    "own": _guarded(lambda: own_client_turn(base_url, workspace)),
                },
                exit_normally=True,
            )
        elif scenario == "os_fork_exit":
            # The child never closes the inherited client: its finalizer runs at exit.
            child = _fork_with(
                lambda: {"own": _guarded(lambda: own_client_turn(base_url, workspace))}, exit_normally=True
            )
        elif scenario == "mp_fork":
            child = _mp_with("fork", mp_fork_child, codex, thread.id, base_url, workspace)
        elif scenario == "mp_spawn":
            child = _mp_with("spawn", mp_spawn_child, base_url, workspace)
        else:
            raise SystemExit(f"unknown scenario {scenario!r}")
        report: Report = {"child": child, "before": before, "home_exists_after_child": home.is_dir()}
        report["parent"] = _guarded(
            lambda: {
                "after": thread.run("parent turn after the fork").final_response,
                "turns": len(thread.read(include_turns=True).thread.turns),
                "listed": thread.id in [entry.id for entry in codex.thread_list(limit=20).data],
            }
        )
    finally:
        if os.getpid() == parent_pid:
            codex.close()
    report["home_removed_on_close"] = not home.exists()
    return report


def run_async(base_url: str, workspace: str) -> Report:
    """An AsyncCodex parent (the awaitables' runtime is in use) and an AsyncCodex child."""
    codex = AsyncCodex(**_kwargs(base_url, workspace))

    async def before() -> tuple[str, str | None]:
        thread = await codex.thread_start()
        return thread.id, (await thread.run("parent turn before the fork")).final_response

    thread_id, first = asyncio.run(before())
    home = Path(codex.codex_home)

    def child() -> Report:
        async def inherited() -> Report:
            report: Report = {}
            try:
                await codex.thread_start()
                report["thread_start"] = None
            except Exception as exc:
                report["thread_start"] = _error(exc)
            await codex.close()
            report["closed"] = True
            return report

        return {
            "inherited": _guarded(lambda: asyncio.run(inherited())),
            "own": _guarded(lambda: asyncio.run(own_async_client_turn(base_url, workspace))),
        }

    report: Report = {"child": _fork_with(child, exit_normally=True), "before": first}
    report["home_exists_after_child"] = home.is_dir()

    async def after() -> Report:
        try:
            thread = await codex.thread_resume(thread_id)
            result = await thread.run("parent turn after the fork")
            read = await thread.read(include_turns=True)
            listed = await codex.thread_list(limit=20)
            return {
                "after": result.final_response,
                "turns": len(read.thread.turns),
                "listed": thread_id in [entry.id for entry in listed.data],
            }
        finally:
            await codex.close()

    report["parent"] = _guarded(lambda: asyncio.run(after()))
    report["home_removed_on_close"] = not home.exists()
    return report


def run_fork_first(base_url: str, workspace: str) -> Report:
    """A fork before any client exists, then a client in each process."""
    report: Report = {"child": _fork_with(lambda: {"own": own_client_turn(base_url, workspace)}, exit_normally=True)}
    report["parent"] = _guarded(lambda: own_client_turn(base_url, workspace))
    return report


def main() -> None:
    scenario, base_url, workspace = sys.argv[1:4]
    parent_pid = os.getpid()
    if scenario == "os_fork_async":
        report = run_async(base_url, workspace)
    elif scenario == "os_fork_first":
        report = run_fork_first(base_url, workspace)
    else:
        report = run_sync(scenario, base_url, workspace)
    if os.getpid() == parent_pid:
        print("REPORT " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
