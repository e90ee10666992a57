"""What the driver needs from a backend (local processes or Ray actors)."""

from __future__ import annotations

import abc

from .results import TaskError, TaskResult, TaskStatus
from .worker import TaskJob

__all__ = ["Backend", "cancelled_result", "lost_result"]


class Backend(abc.ABC):
    """Workers that each own one client; the driver keeps their slots filled."""

    @abc.abstractmethod
    def start(self) -> None:
        """Starts the workers and waits until their engines are up."""

    @abc.abstractmethod
    def free_slots(self) -> int:
        """How many more tasks may be dispatched now."""

    @abc.abstractmethod
    def running(self) -> int:
        """Tasks dispatched and not finished."""

    @abc.abstractmethod
    def alive(self) -> bool:
        """False when every worker is gone (nothing more can run)."""

    @abc.abstractmethod
    def submit(self, job: TaskJob) -> None: ...

    @abc.abstractmethod
    def poll(self, timeout: float) -> list[TaskResult]:
        """Results that finished, waiting up to ``timeout`` seconds for the first."""

    @abc.abstractmethod
    def cancel(self) -> list[TaskResult]:
        """Interrupts every running task and waits for the workers to settle; returns the
        results that came in meanwhile (finished ones are worth keeping)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stops the workers and their engines."""


def lost_result(job: TaskJob, worker: str) -> TaskResult:
    """The result of a task whose worker died under it."""
    return TaskResult(
        job.task.id,
        TaskStatus.failed,
        error=TaskError("WorkerLostError", f"{worker} died while running the task", retryable=True),
        worker=worker,
        metadata=job.task.metadata,
    )


def cancelled_result(job: TaskJob, worker: str) -> TaskResult:
    """The result of a task the fleet's cancellation stopped."""
    return TaskResult(
        job.task.id,
        TaskStatus.cancelled,
        error=TaskError("TaskCancelledError", "the fleet was cancelled"),
        worker=worker,
        metadata=job.task.metadata,
    )
