"""The local backend's worker process loop (``worker_main``), run in this process on the fake engine.

The driver talks to each worker through a pipe (``run``, ``stop``, ``cancel``) and a results
queue (``ready``, ``result``, ``stopped``, ``start_failed``). In the e2e tests the loop runs in
spawned processes; here the same messages go through a real pipe to the loop in a thread.
"""

from __future__ import annotations

import queue
import signal
import threading
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from codex.fleet.local import worker_main
from codex.fleet.results import TaskResult, TaskStatus
from codex.fleet.tasks import FleetTask, WorkerOptions
from codex.fleet.worker import TaskJob
from tests.fakes.fake_engine import FakeEngine

Message = tuple[Any, ...]


@pytest.fixture(autouse=True)
def signals_set(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, object]]:
    """What worker_main asks of ``signal.signal`` (which works only on the main thread; the
    worker process calls it there, these tests on another thread)."""
    calls: list[tuple[int, object]] = []
    monkeypatch.setattr(signal, "signal", lambda number, handler: calls.append((number, handler)))
    return calls


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-worker-test")


class Worker:
    """``worker_main`` on a thread of this process, with the driver's end of its pipe and queue."""

    def __init__(self, root: Path, options: WorkerOptions | None = None) -> None:
        self.inbox, worker_end = Pipe()
        self.results: queue.Queue[Message] = queue.Queue()
        self._thread = threading.Thread(
            target=self._main, args=(worker_end, options or WorkerOptions(), root), daemon=True
        )
        self.error: BaseException | None = None

    def _main(self, inbox: Connection, options: WorkerOptions, root: Path) -> None:
        try:
            worker_main(3, inbox, self.results, options, str(root), False)
        except BaseException as exc:  # reported to the test, not lost on the thread
            self.error = exc

    def start(self) -> None:
        self._thread.start()

    def next(self, timeout: float = 10.0) -> Message:
        return self.results.get(timeout=timeout)

    def join(self) -> None:
        self._thread.join(10)
        assert not self._thread.is_alive()
        assert self.error is None, self.error


def job(task_id: str) -> TaskJob:
    return TaskJob(FleetTask(task_id, prompt="x"), None, None)


@pytest.mark.usefixtures("keyed")
def test_worker_reports_ready_runs_each_task_and_stops_after_the_running_ones(
    fake_engine: FakeEngine, tmp_path: Path, signals_set: list[tuple[int, object]]
) -> None:
    fake_engine.script_turn(lambda turn: [turn.started(), turn.agent_message("one"), turn.completed()])
    fake_engine.script_turn(lambda turn: [turn.started(), turn.agent_message("two"), turn.completed()])
    worker = Worker(tmp_path)
    worker.start()
    assert worker.next() == ("ready", 3)
    worker.inbox.send(("run", job("a")))
    worker.inbox.send(("run", job("b")))
    worker.inbox.send(("stop",))
    results: dict[str, TaskResult] = {}
    while (message := worker.next())[0] == "result":
        results[message[2].task_id] = message[2]
    assert message == ("stopped", 3)
    worker.join()
    assert sorted(results) == ["a", "b"]
    assert {result.final_response for result in results.values()} == {"one", "two"}
    assert all(result.status is TaskStatus.completed for result in results.values())
    assert all(result.worker == "local-3" for result in results.values())
    assert fake_engine.closed  # the engine was shut down when the worker stopped
    assert signals_set == [(signal.SIGINT, signal.SIG_IGN)]  # Ctrl-C is the driver's to handle


@pytest.mark.usefixtures("keyed")
def test_cancel_interrupts_running_tasks_and_reports_them_cancelled(fake_engine: FakeEngine, tmp_path: Path) -> None:
    fake_engine.script_turn(lambda turn: [turn.started()])  # never completes on its own
    worker = Worker(tmp_path)
    worker.start()
    assert worker.next() == ("ready", 3)
    worker.inbox.send(("run", job("long")))
    with fake_engine.condition:
        assert fake_engine.condition.wait_for(lambda: bool(fake_engine.params_of("turn/start")), 10)
    worker.inbox.send(("cancel",))
    kind, index, result = worker.next()
    assert (kind, index, result.task_id, result.status) == ("result", 3, "long", TaskStatus.cancelled)
    assert worker.next() == ("stopped", 3)
    worker.join()


@pytest.mark.usefixtures("keyed")
def test_a_closed_pipe_is_treated_as_cancel(fake_engine: FakeEngine, tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    worker.start()
    assert worker.next() == ("ready", 3)
    worker.inbox.close()  # the driver died
    assert worker.next() == ("stopped", 3)
    worker.join()
    assert fake_engine.closed


def test_a_worker_that_cannot_start_its_engine_says_why(
    fake_engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    worker = Worker(tmp_path, WorkerOptions(api_key_env="CODEX_FLEET_TEST_KEY_THAT_IS_NOT_SET"))
    worker.start()
    kind, index, error = worker.next()
    worker.join()
    assert (kind, index) == ("start_failed", 3)
    assert "CODEX_FLEET_TEST_KEY_THAT_IS_NOT_SET" in error.message
    assert fake_engine.options is None  # no engine was started
