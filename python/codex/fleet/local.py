"""The local backend: a pool of worker processes, each with one client running many tasks at once.

Workers are spawned (not forked: a parent that ever started an engine has runtime threads
a fork would copy half-alive) and ignore SIGINT, so Ctrl-C reaches only the driver, which
then tells every worker to cancel: running turns are interrupted and the engines shut down.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

from .._logging import logger
from .backend import Backend, cancelled_result, lost_result
from .results import FleetError, TaskError, TaskResult
from .tasks import WorkerOptions
from .worker import TaskJob, TaskRunner

__all__ = ["LocalBackend"]

#: How long workers get to interrupt their turns and stop their engines before they are killed.
CANCEL_GRACE_S = 20.0
START_TIMEOUT_S = 120.0


@dataclass(slots=True)
class _Worker:
    index: int
    process: SpawnProcess
    inbox: Connection
    ready: bool = False
    stopped: bool = False
    running: dict[str, TaskJob] = field(default_factory=dict)


class LocalBackend(Backend):
    """``workers`` processes, up to ``per_worker`` tasks in flight on each."""

    def __init__(
        self,
        options: WorkerOptions,
        *,
        workers: int,
        per_worker: int,
        workspace_root: Path,
        keep_workspaces: bool,
    ) -> None:
        self._options = options
        self._count = workers
        self._per_worker = per_worker
        self._workspace_root = workspace_root
        self._keep = keep_workspaces
        self._context = multiprocessing.get_context("spawn")
        self._results: Any = None
        self._workers: list[_Worker] = []
        self._start_errors: list[str] = []

    def start(self) -> None:
        self._results = self._context.Queue()
        for index in range(self._count):
            receive, send = self._context.Pipe(duplex=False)
            process = self._context.Process(
                target=worker_main,
                args=(index, receive, self._results, self._options, str(self._workspace_root), self._keep),
                name=f"codex-fleet-worker-{index}",
                daemon=True,
            )
            process.start()
            receive.close()
            self._workers.append(_Worker(index, process, send))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(worker.ready or worker.stopped for worker in self._workers):
            if time.monotonic() > deadline:
                raise FleetError("fleet workers did not start in time")
            self._handle_messages(0.2, [])
        if not any(worker.ready for worker in self._workers):
            raise FleetError(f"no fleet worker could start its engine: {'; '.join(self._start_errors)}")

    def free_slots(self) -> int:
        return sum(self._per_worker - len(worker.running) for worker in self._live())

    def running(self) -> int:
        return sum(len(worker.running) for worker in self._workers)

    def alive(self) -> bool:
        return bool(self._live())

    def submit(self, job: TaskJob) -> None:
        worker = min(self._live(), key=lambda candidate: len(candidate.running))
        worker.running[job.task.id] = job
        worker.inbox.send(("run", job))

    def poll(self, timeout: float) -> list[TaskResult]:
        finished: list[TaskResult] = []
        self._handle_messages(timeout, finished)
        return finished

    def cancel(self) -> list[TaskResult]:
        # Workers still starting get it too: they read it once their engine is up.
        for worker in self._workers:
            if worker.stopped:
                continue
            with contextlib.suppress(OSError):
                worker.inbox.send(("cancel",))
        finished: list[TaskResult] = []
        deadline = time.monotonic() + CANCEL_GRACE_S
        while any(not worker.stopped for worker in self._workers) and time.monotonic() < deadline:
            self._handle_messages(0.2, finished)
        return finished

    def close(self) -> None:
        for worker in self._workers:
            if not worker.stopped and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.inbox.send(("stop",))
        for worker in self._workers:
            worker.process.join(CANCEL_GRACE_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.inbox.close()
        if self._results is not None:
            self._results.close()
            self._results.join_thread()

    def _live(self) -> list[_Worker]:
        return [worker for worker in self._workers if worker.ready and not worker.stopped]

    def _handle_messages(self, timeout: float, finished: list[TaskResult]) -> None:
        try:
            message = self._results.get(timeout=timeout)
        except queue.Empty:
            self._reap(finished)
            return
        while True:
            self._handle(message, finished)
            try:
                message = self._results.get_nowait()
            except queue.Empty:
                break
        self._reap(finished)

    def _handle(self, message: tuple[Any, ...], finished: list[TaskResult]) -> None:
        kind, index = message[0], message[1]
        worker = self._workers[index]
        if kind == "ready":
            worker.ready = True
        elif kind == "result":
            result: TaskResult = message[2]
            worker.running.pop(result.task_id, None)
            finished.append(result)
        elif kind == "stopped":
            worker.stopped = True
        elif kind == "start_failed":
            worker.stopped = True
            error: TaskError = message[2]
            self._start_errors.append(f"{error.error_type}: {error.message}")
            logger.error("fleet worker %d could not start: %s: %s", index, error.error_type, error.message)

    def _reap(self, finished: list[TaskResult]) -> None:
        """Tasks of a worker that died without a word are reported lost."""
        for worker in self._workers:
            if worker.stopped or worker.process.is_alive():
                continue
            worker.stopped = True
            for job in worker.running.values():
                finished.append(lost_result(job, f"local worker {worker.index} (pid {worker.process.pid})"))
            worker.running.clear()


def worker_main(
    index: int,
    inbox: Connection,
    results: Any,
    options: WorkerOptions,
    workspace_root: str,
    keep_workspaces: bool,
) -> None:
    """The worker process: one engine, an asyncio loop, one task per ``run`` message."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(index, inbox, results, options, Path(workspace_root), keep_workspaces))


async def _serve(index: int, inbox: Connection, results: Any, options: WorkerOptions, root: Path, keep: bool) -> None:
    runner = TaskRunner(options, root, keep_workspaces=keep, name=f"local-{index}")
    try:
        await runner.start()
    except Exception as exc:
        results.put(("start_failed", index, TaskError.from_exception(exc)))
        return
    results.put(("ready", index))
    loop = asyncio.get_running_loop()
    messages: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def read() -> None:
        while True:
            try:
                message = inbox.recv()
            except (EOFError, OSError):
                # The driver is gone: stop what runs, as on cancel.
                message = ("cancel",)
            loop.call_soon_threadsafe(messages.put_nowait, message)
            if message[0] != "run":
                return

    threading.Thread(target=read, name="codex-fleet-inbox", daemon=True).start()
    running: dict[asyncio.Task[None], TaskJob] = {}

    async def run_one(job: TaskJob) -> None:
        result = await runner.run(job)
        results.put(("result", index, result))

    while True:
        message = await messages.get()
        if message[0] == "run":
            task = asyncio.create_task(run_one(message[1]))
            running[task] = message[1]
            task.add_done_callback(lambda done: running.pop(done, None) if not done.cancelled() else None)
            continue
        if message[0] == "cancel":
            for task in running:
                task.cancel()
        break
    await asyncio.gather(*running, return_exceptions=True)
    for task, job in running.items():
        if task.cancelled():
            # Cancelled before it began: runner.run never saw it, so report it here.
            results.put(("result", index, cancelled_result(job, runner.name)))
    await runner.close()
    results.put(("stopped", index))
