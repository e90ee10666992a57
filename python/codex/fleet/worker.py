"""Runs fleet tasks on one long-lived client: the code inside every worker process and Ray actor."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import os
import pickle
import socket
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic_core

from ..approvals import ApprovalCallback
from ..client import AsyncCodex
from ..config import CodexConfig
from ..errors import CodexError, ConfigurationError
from ..metrics import Usage
from ..retry import RetryAttempt, RetryPolicy
from ..tools import Tool
from .results import TaskError, TaskResult, TaskStatus
from .tasks import FleetTask, WorkerOptions
from .workspaces import PreparedWorkspace, prepare_workspace

__all__ = ["TaskJob", "TaskRunner"]


@dataclass(frozen=True, slots=True)
class TaskJob:
    """A task as dispatched: with the fleet's retry policy and its effective timeout."""

    task: FleetTask
    retry: RetryPolicy | None
    timeout_s: float | None


def client_config(options: WorkerOptions) -> CodexConfig:
    """The worker's client config; the key comes from this process's environment or login store."""
    return CodexConfig(
        base_url=options.base_url,
        model=options.model,
        model_provider=options.model_provider,
        api_key_env=options.api_key_env,
        codex_home=options.codex_home,
        config_overrides=tuple(options.config_overrides),
        request_max_retries=options.request_max_retries,
        stream_max_retries=options.stream_max_retries,
        stream_idle_timeout_ms=options.stream_idle_timeout_ms,
    )


def _import(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot import {path!r} in the worker: {exc}") from exc
    return value


def _import_tools(paths: Iterable[str]) -> list[Tool]:
    tools: list[Tool] = []
    for path in paths:
        value = _import(path)
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if not isinstance(item, Tool):
                raise ConfigurationError(f"{path!r} must name a Tool or a list of Tools, found {type(item).__name__}")
            tools.append(item)
    return tools


def _import_approval_callback(path: str | None) -> ApprovalCallback | None:
    if path is None:
        return None
    value = _import(path)
    if not callable(value):
        raise ConfigurationError(f"approval_callback {path!r} names a {type(value).__name__}, not a callable")
    callback: ApprovalCallback = value
    return callback


class TaskRunner:
    """One client for the worker's lifetime; any number of tasks at once on it (one thread each)."""

    def __init__(self, options: WorkerOptions, workspace_root: Path, *, keep_workspaces: bool, name: str) -> None:
        self.options = options
        self.workspace_root = workspace_root
        self.keep_workspaces = keep_workspaces
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._client: AsyncCodex | None = None

    async def start(self) -> None:
        """Starts the engine (paid once per worker)."""
        client = AsyncCodex(client_config(self.options))
        await client.__aenter__()
        self._client = client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def run(self, job: TaskJob) -> TaskResult:
        """Runs one task to a result; never raises (cancellation becomes a cancelled result)."""
        task = job.task
        result = TaskResult(task.id, TaskStatus.failed, worker=self.name, metadata=task.metadata)
        result.started_at = time.time()
        started = time.perf_counter()
        retries: list[RetryAttempt] = []
        workspace: PreparedWorkspace | None = None
        try:
            workspace = await asyncio.to_thread(prepare_workspace, task.workspace, self.workspace_root, task.id)
            turn = self._turn(task, workspace, job.retry, retries, result)
            if job.timeout_s is None:
                await turn
            else:
                await asyncio.wait_for(turn, job.timeout_s)
            result.status = TaskStatus.completed
        except asyncio.TimeoutError:
            result.status = TaskStatus.timeout
            result.error = TaskError("TaskTimeoutError", f"the task ran longer than {job.timeout_s}s")
        except asyncio.CancelledError:
            result.status = TaskStatus.cancelled
            result.error = TaskError("TaskCancelledError", "the fleet was cancelled")
        except Exception as exc:
            result.error = TaskError.from_exception(exc)
            usage = getattr(exc, "usage", None)
            if isinstance(usage, Usage):
                result.usage = result.usage + usage
        finally:
            result.attempts = max(result.attempts, len(retries) + (1 if result.thread_id else 0))
            if workspace is not None:
                await _uncancellable(asyncio.to_thread(self._finish_workspace, workspace, result))
            result.duration_s = time.perf_counter() - started
        return _picklable(result)

    def _finish_workspace(self, workspace: PreparedWorkspace, result: TaskResult) -> None:
        try:
            result.diff, result.changed_files = workspace.diff()
        except Exception as exc:
            if result.error is None:
                result.status = TaskStatus.failed
                result.error = TaskError.from_exception(exc)
        finally:
            if not self.keep_workspaces:
                workspace.remove()

    async def _turn(
        self,
        task: FleetTask,
        workspace: PreparedWorkspace,
        retry: RetryPolicy | None,
        retries: list[RetryAttempt],
        result: TaskResult,
    ) -> None:
        client = self._client
        if client is None:
            raise RuntimeError("TaskRunner.start() was not awaited")
        policy = None
        if retry is not None:
            heard = retry.on_retry

            def on_retry(attempt: RetryAttempt) -> None:
                retries.append(attempt)
                if heard is not None:
                    heard(attempt)

            policy = dataclasses.replace(retry, on_retry=on_retry)
        thread = await client.thread_start(
            cwd=str(workspace.path),
            sandbox=task.sandbox,
            approval_mode=task.approval_mode,
            model=task.model,
            developer_instructions=task.developer_instructions,
            base_instructions=task.base_instructions,
            config=task.config,
            ephemeral=True,
            tools=_import_tools(task.tools) if task.tools else None,
            approval_callback=_import_approval_callback(task.approval_callback),
        )
        result.thread_id = thread.id
        try:
            turn = await thread.run(task.turn_input, effort=task.effort, output_type=task.output_type, retry=policy)
        finally:
            # Frees the engine's memory for this thread: a worker runs thousands of tasks.
            with contextlib.suppress(Exception):
                await asyncio.shield(thread.unsubscribe())
        result.final_response = turn.final_response
        result.output = turn.output
        result.usage = turn.metrics.usage
        result.attempts = turn.metrics.attempts
        if turn.status.value != "completed":
            raise TurnNotCompletedError(turn.status.value)


class TurnNotCompletedError(CodexError):
    """The turn ended without completing (it was interrupted from elsewhere)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the turn ended with status {status}")


async def _uncancellable(work: Awaitable[None]) -> None:
    """Awaits ``work`` to the end even if the task is cancelled meanwhile (the diff and the
    workspace removal must finish; the cancellation has already been recorded)."""
    future = asyncio.ensure_future(work)
    while not future.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(future)
    future.result()


def _picklable(result: TaskResult) -> TaskResult:
    """A result that survives the trip to the driver: a structured output or metadata value
    that does not pickle travels as its JSON form instead of vanishing in the queue."""
    try:
        pickle.dumps(result)
    except Exception:
        result.output = pydantic_core.to_jsonable_python(result.output, fallback=repr)
        result.metadata = pydantic_core.to_jsonable_python(dict(result.metadata), fallback=repr)
    return result
