"""What a fleet task produced, its typed errors, and the JSON-lines checkpoint."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, Any

import pydantic_core

from ..errors import CodexError
from ..metrics import Usage

__all__ = [
    "Checkpoint",
    "FleetError",
    "FleetTaskError",
    "TaskCancelledError",
    "TaskError",
    "TaskResult",
    "TaskStatus",
    "TaskTimeoutError",
    "WorkerLostError",
]


class TaskStatus(str, Enum):
    completed = "completed"
    #: Every attempt failed (see ``error``).
    failed = "failed"
    #: The task's ``timeout_s`` passed; the running turn was interrupted.
    timeout = "timeout"
    #: The fleet was cancelled (Ctrl-C) while the task ran; such results are not checkpointed.
    cancelled = "cancelled"


class FleetError(CodexError):
    """The fleet itself cannot go on (no worker could start, every worker died)."""


class FleetTaskError(CodexError):
    """A fleet task did not complete; raised by :meth:`TaskResult.raise_for_error`."""

    def __init__(self, error: TaskError, task_id: str) -> None:
        super().__init__(f"task {task_id!r}: {error.error_type}: {error.message}")
        self.error = error
        self.task_id = task_id
        self.code = error.code
        self.http_status = error.http_status
        self.retryable = error.retryable


class TaskTimeoutError(FleetTaskError):
    """The task ran past its ``timeout_s``."""


class TaskCancelledError(FleetTaskError):
    """The fleet was cancelled while the task ran."""


class WorkerLostError(FleetTaskError):
    """The worker process or actor running the task died."""


@dataclass(frozen=True, slots=True)
class TaskError:
    """Why a task failed, as plain data (it crosses processes and lands in the checkpoint).

    ``error_type`` names the exception class the worker saw (e.g. ``"HttpStatusError"``,
    ``"StructuredOutputError"``); ``code``, ``http_status`` and ``retryable`` are that
    error's fields (see docs/errors-and-retries.md).
    """

    error_type: str
    message: str
    code: str | int | None = None
    http_status: int | None = None
    retryable: bool = False

    @classmethod
    def from_exception(cls, exc: BaseException) -> TaskError:
        code = getattr(exc, "code", None)
        status = getattr(exc, "http_status", None)
        return cls(
            error_type=type(exc).__name__,
            message=str(exc) or type(exc).__name__,
            code=code if isinstance(code, str | int) else None,
            http_status=status if isinstance(status, int) else None,
            retryable=bool(getattr(exc, "retryable", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "error_type": self.error_type,
            "message": self.message,
            "code": self.code,
            "http_status": self.http_status,
            "retryable": self.retryable,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskError:
        return cls(
            error_type=str(data.get("error_type", "Exception")),
            message=str(data.get("message", "")),
            code=data.get("code"),
            http_status=data.get("http_status"),
            retryable=bool(data.get("retryable", False)),
        )


_ERROR_CLASSES: dict[TaskStatus, type[FleetTaskError]] = {
    TaskStatus.timeout: TaskTimeoutError,
    TaskStatus.cancelled: TaskCancelledError,
}


@dataclass(slots=True)
class TaskResult:
    """One task's outcome.

    ``diff`` is a unified diff of the workspace (what the agent changed), ``changed_files``
    the paths it touches. ``output`` is the validated structured output (the task's
    ``output_type``; plain JSON when read back from a checkpoint). ``usage`` sums every
    model call of every attempt; ``attempts`` counts turns started under the retry policy.
    """

    task_id: str
    status: TaskStatus
    final_response: str | None = None
    output: Any = None
    diff: str = ""
    changed_files: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0
    duration_s: float = 0.0
    started_at: float = 0.0
    error: TaskError | None = None
    worker: str = ""
    thread_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is TaskStatus.completed

    def raise_for_error(self) -> None:
        """Raises the task's typed error (a :class:`FleetTaskError`) unless it completed."""
        if self.ok:
            return
        error = self.error or TaskError("FleetTaskError", self.status.value)
        if error.error_type == WorkerLostError.__name__:
            raise WorkerLostError(error, self.task_id)
        raise _ERROR_CLASSES.get(self.status, FleetTaskError)(error, self.task_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status.value,
            "final_response": self.final_response,
            "output": pydantic_core.to_jsonable_python(self.output, fallback=repr),
            "diff": self.diff,
            "changed_files": list(self.changed_files),
            "usage": {
                "input_tokens": self.usage.input_tokens,
                "cached_input_tokens": self.usage.cached_input_tokens,
                "output_tokens": self.usage.output_tokens,
                "reasoning_output_tokens": self.usage.reasoning_output_tokens,
                "total_tokens": self.usage.total_tokens,
            },
            "attempts": self.attempts,
            "duration_s": self.duration_s,
            "started_at": self.started_at,
            "error": self.error.to_json() if self.error is not None else None,
            "worker": self.worker,
            "thread_id": self.thread_id,
            "metadata": pydantic_core.to_jsonable_python(dict(self.metadata), fallback=repr),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskResult:
        usage = data.get("usage") or {}
        error = data.get("error")
        return cls(
            task_id=str(data["task_id"]),
            status=TaskStatus(data["status"]),
            final_response=data.get("final_response"),
            output=data.get("output"),
            diff=str(data.get("diff") or ""),
            changed_files=list(data.get("changed_files") or []),
            usage=Usage(**{key: int(value) for key, value in usage.items() if key in Usage.__dataclass_fields__}),
            attempts=int(data.get("attempts", 0)),
            duration_s=float(data.get("duration_s", 0.0)),
            started_at=float(data.get("started_at", 0.0)),
            error=TaskError.from_json(error) if isinstance(error, dict) else None,
            worker=str(data.get("worker", "")),
            thread_id=data.get("thread_id"),
            metadata=dict(data.get("metadata") or {}),
        )


class Checkpoint:
    """Results appended to a JSON-lines file as they arrive, one line each.

    Reading it back tolerates a last line cut short by a crash. A task counts as
    finished when a line records it completed (or failed or timed out, unless
    ``rerun_failed``); cancelled tasks are never written, so they run again.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._handle: IO[str] | None = None

    def read(self) -> dict[str, TaskResult]:
        """The last recorded result of every task in the file (empty when there is no file)."""
        results: dict[str, TaskResult] = {}
        if not self.path.exists():
            return results
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    result = TaskResult.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    # A line a crash cut short; the task simply runs again.
                    continue
                results[result.task_id] = result
        return results

    def finished_ids(self, *, rerun_failed: bool = False) -> set[str]:
        keep = {TaskStatus.completed} if rerun_failed else {TaskStatus.completed, TaskStatus.failed, TaskStatus.timeout}
        return {task_id for task_id, result in self.read().items() if result.status in keep}

    def append(self, result: TaskResult) -> None:
        if result.status is TaskStatus.cancelled:
            return
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            needs_newline = self.path.exists() and self.path.stat().st_size > 0 and not _ends_with_newline(self.path)
            self._handle = self.path.open("a", encoding="utf-8")
            if needs_newline:
                self._handle.write("\n")
        self._handle.write(json.dumps(result.to_json()) + "\n")
        self._handle.flush()

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
