"""``run_fleet``: dispatches tasks to a backend, checkpoints results, reports progress."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigurationError
from ..retry import RetryPolicy
from .backend import Backend
from .progress import FleetProgress, ProgressDisplay
from .results import Checkpoint, FleetError, TaskResult
from .tasks import FleetTask, WorkerOptions, unique_tasks
from .worker import TaskJob
from .workspaces import default_workspace_root

__all__ = ["run_fleet", "run_fleet_async"]

BackendName = Literal["local", "ray"]


def _backend(
    name: str,
    options: WorkerOptions,
    *,
    workers: int,
    per_worker: int,
    workspace_root: Path,
    keep_workspaces: bool,
    cpus_per_worker: float,
    ray_address: str | None,
    ray_init: dict[str, Any] | None,
) -> Backend:
    if name == "local":
        from .local import LocalBackend

        return LocalBackend(
            options,
            workers=workers,
            per_worker=per_worker,
            workspace_root=workspace_root,
            keep_workspaces=keep_workspaces,
        )
    if name == "ray":
        from .ray_backend import RayBackend

        return RayBackend(
            options,
            actors=workers,
            per_actor=per_worker,
            num_cpus=cpus_per_worker,
            workspace_root=workspace_root,
            keep_workspaces=keep_workspaces,
            address=ray_address,
            init_options=ray_init,
        )
    raise ConfigurationError(f"backend must be 'local' or 'ray', got {name!r}")


def run_fleet(
    tasks: Iterable[FleetTask],
    *,
    backend: BackendName = "local",
    concurrency: int = 4,
    workers: int | None = None,
    worker_options: WorkerOptions | None = None,
    retry: RetryPolicy | None = None,
    timeout_s: float | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    rerun_failed: bool = False,
    workspace_root: str | os.PathLike[str] | None = None,
    keep_workspaces: bool = False,
    progress: bool = False,
    on_result: Callable[[TaskResult], None] | None = None,
    on_progress: Callable[[FleetProgress], None] | None = None,
    cpus_per_worker: float = 1.0,
    ray_address: str | None = None,
    ray_init: dict[str, Any] | None = None,
    cancel_event: threading.Event | None = None,
) -> Iterator[TaskResult]:
    """Runs ``tasks`` and yields their results as they complete (in completion order).

    ``concurrency`` tasks run at once, spread over ``workers`` processes (local) or actors
    (ray); each worker owns one client and runs its share on threads of that one engine.
    ``workers`` defaults to ``min(concurrency, os.cpu_count())``. ``retry`` re-runs failed
    turns (``RetryPolicy``) and, up to its ``max_attempts``, dispatches a task again when its
    worker died under it; ``timeout_s`` bounds each task unless the task sets its own.

    With ``checkpoint``, every result is appended to that JSON-lines file as it arrives,
    and tasks it already records as finished are skipped (``rerun_failed`` re-runs the
    failed ones). Leaving the iteration early, Ctrl-C, or setting ``cancel_event`` stops
    dispatching, interrupts running turns and stops every worker; results that finished
    meanwhile are still checkpointed. The generator starts the workers on first ``next()``.
    """
    if concurrency < 1:
        raise ConfigurationError(f"concurrency must be >= 1, got {concurrency!r}")
    count = workers if workers is not None else max(1, min(concurrency, os.cpu_count() or 1))
    if count < 1:
        raise ConfigurationError(f"workers must be >= 1, got {workers!r}")
    if timeout_s is not None and not timeout_s > 0:
        raise ConfigurationError(f"timeout_s must be positive, got {timeout_s!r}")
    task_list = list(unique_tasks(tasks))
    root = Path(workspace_root) if workspace_root is not None else default_workspace_root()
    run_root = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    made = _backend(
        backend,
        worker_options or WorkerOptions(),
        workers=count,
        per_worker=math.ceil(concurrency / count),
        workspace_root=run_root,
        keep_workspaces=keep_workspaces,
        cpus_per_worker=cpus_per_worker,
        ray_address=ray_address,
        ray_init=ray_init,
    )
    return _drive(
        made,
        task_list,
        retry=retry,
        timeout_s=timeout_s,
        checkpoint=Checkpoint(checkpoint) if checkpoint is not None else None,
        rerun_failed=rerun_failed,
        display=ProgressDisplay() if progress else None,
        on_result=on_result,
        on_progress=on_progress,
        cancel_event=cancel_event,
        run_root=run_root,
        keep_workspaces=keep_workspaces,
    )


def _drive(
    backend: Backend,
    tasks: list[FleetTask],
    *,
    retry: RetryPolicy | None,
    timeout_s: float | None,
    checkpoint: Checkpoint | None,
    rerun_failed: bool,
    display: ProgressDisplay | None,
    on_result: Callable[[TaskResult], None] | None,
    on_progress: Callable[[FleetProgress], None] | None,
    cancel_event: threading.Event | None,
    run_root: Path,
    keep_workspaces: bool,
) -> Iterator[TaskResult]:
    finished = checkpoint.finished_ids(rerun_failed=rerun_failed) if checkpoint is not None else set()
    pending = deque(
        TaskJob(task, retry, task.timeout_s if task.timeout_s is not None else timeout_s)
        for task in tasks
        if task.id not in finished
    )
    state = FleetProgress(total=len(tasks), skipped=len(tasks) - len(pending))
    jobs = {job.task.id: job for job in pending}
    lost: Counter[str] = Counter()
    attempts_allowed = retry.max_attempts if retry is not None else 1

    def record(result: TaskResult) -> None:
        if checkpoint is not None:
            checkpoint.append(result)
        state.add(result)
        state.running = backend.running()
        if on_result is not None:
            on_result(result)
        if display is not None:
            display.update(state, result)
        if on_progress is not None:
            on_progress(state)

    if display is not None:
        display.start(state)
    started = False
    try:
        if pending:
            # Set first: Ctrl-C while workers start must still stop the ones that did.
            started = True
            backend.start()
        while pending or backend.running():
            if cancel_event is not None and cancel_event.is_set():
                for result in backend.cancel():
                    record(result)
                return
            if not backend.alive():
                raise FleetError("every fleet worker is gone; no task can run")
            while pending and backend.free_slots() > 0:
                backend.submit(pending.popleft())
            state.running = backend.running()
            for result in backend.poll(0.2):
                job = jobs[result.task_id]
                if _worker_lost(result) and lost[job.task.id] + 1 < attempts_allowed and backend.alive():
                    # Its worker died under it, not the task itself: another worker gets it.
                    lost[job.task.id] += 1
                    pending.appendleft(job)
                    continue
                result.attempts += lost[job.task.id]
                record(result)
                yield result
    except BaseException:
        # Ctrl-C, the consumer leaving (GeneratorExit), or a failing callback: stop running turns
        # now rather than letting close() wait for them.
        if started:
            for result in backend.cancel():
                with contextlib.suppress(Exception):
                    record(result)
        raise
    finally:
        try:
            if started:
                backend.close()
        finally:
            if checkpoint is not None:
                checkpoint.close()
            if display is not None:
                state.running = 0
                display.stop(state)
            if not keep_workspaces:
                with contextlib.suppress(OSError):
                    run_root.rmdir()


async def run_fleet_async(tasks: Iterable[FleetTask], **options: Any) -> AsyncGenerator[TaskResult, None]:
    """The asyncio twin of :func:`run_fleet` (same options): ``async for result in ...``.

    The fleet is driven from a background thread; leaving the loop early or cancelling
    the consuming task cancels the fleet and waits until its workers have stopped.
    """
    if "cancel_event" in options:
        raise ConfigurationError("run_fleet_async cancels through task cancellation, not cancel_event")
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancel = threading.Event()
    results = run_fleet(tasks, cancel_event=cancel, **options)

    def post(kind: str, value: Any) -> None:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(inbox.put_nowait, (kind, value))

    def pump() -> None:
        try:
            for result in results:
                post("result", result)
        except BaseException as exc:
            post("error", exc)
        else:
            post("done", None)

    thread = threading.Thread(target=pump, name="codex-fleet-driver", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = await inbox.get()
            if kind == "result":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        cancel.set()
        await asyncio.shield(asyncio.to_thread(thread.join))


def _worker_lost(result: TaskResult) -> bool:
    return result.error is not None and result.error.error_type == "WorkerLostError"
