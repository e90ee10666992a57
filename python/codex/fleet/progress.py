"""Fleet progress: counts for callbacks, and a live display with rich (plain lines without it)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..metrics import Usage
from .results import TaskResult, TaskStatus

__all__ = ["FleetProgress", "ProgressDisplay"]


@dataclass(slots=True)
class FleetProgress:
    """Where a fleet stands; passed to ``on_progress`` after every change."""

    total: int = 0
    #: Finished in an earlier run (read from the checkpoint) and not run again.
    skipped: int = 0
    completed: int = 0
    #: Failed, timed out or lost with their worker.
    failed: int = 0
    cancelled: int = 0
    running: int = 0
    usage: Usage = field(default_factory=Usage)
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.completed + self.failed

    @property
    def queued(self) -> int:
        return max(0, self.total - self.skipped - self.finished - self.cancelled - self.running)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def tasks_per_s(self) -> float:
        elapsed = self.elapsed_s
        return self.finished / elapsed if elapsed > 0 else 0.0

    def add(self, result: TaskResult) -> None:
        if result.status is TaskStatus.completed:
            self.completed += 1
        elif result.status is TaskStatus.cancelled:
            self.cancelled += 1
        else:
            self.failed += 1
        self.usage = self.usage + result.usage

    def summary(self) -> str:
        return (
            f"{self.completed} done, {self.failed} failed, {self.running} running, {self.queued} queued"
            f"{f', {self.skipped} skipped' if self.skipped else ''}"
            f"{f', {self.cancelled} cancelled' if self.cancelled else ''}"
            f" | {self.tasks_per_s:.2f} tasks/s | {self.usage.total_tokens} tokens"
            f" | {self.elapsed_s:.1f}s"
        )


class ProgressDisplay:
    """A live status line on ``stream`` (stderr), refreshed as results arrive."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._live: Any = None
        self._console: Any = None
        try:
            from rich.console import Console
            from rich.live import Live
        except ImportError:
            return
        self._console = Console(file=self._stream)
        self._live = Live(console=self._console, refresh_per_second=4, transient=False)

    def start(self, progress: FleetProgress) -> None:
        if self._live is not None:
            # Live re-renders this object on every refresh, so the clock and rate keep moving.
            self._live.update(_Rendered(self, progress))
            self._live.start()

    def update(self, progress: FleetProgress, result: TaskResult | None = None) -> None:
        if self._live is None:
            if result is not None:
                self._stream.write(f"[{result.status.value}] {result.task_id} :: {progress.summary()}\n")
                self._stream.flush()
            return
        if result is not None and not result.ok and result.status is not TaskStatus.cancelled:
            message = result.error.message if result.error is not None else result.status.value
            self._console.print(f"[red]{result.status.value}[/red] {result.task_id}: {message}", markup=True)
        self._live.refresh()

    def stop(self, progress: FleetProgress) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.stop()
            if not self._console.is_terminal:
                # Off a terminal, Live writes its last frame without ending the line.
                self._console.line()
        else:
            self._stream.write(f"fleet: {progress.summary()}\n")
            self._stream.flush()

    def _render(self, progress: FleetProgress) -> Any:
        from rich.text import Text

        text = Text()
        text.append(f"{progress.completed} done", style="green")
        text.append("  ")
        text.append(f"{progress.failed} failed", style="red" if progress.failed else "")
        text.append(f"  {progress.running} running  {progress.queued} queued")
        if progress.skipped:
            text.append(f"  {progress.skipped} skipped")
        text.append(
            f"  |  {progress.tasks_per_s:.2f} tasks/s  |  {progress.usage.total_tokens} tokens"
            f"  |  {progress.elapsed_s:.1f}s",
            style="dim",
        )
        return text


class _Rendered:
    def __init__(self, display: ProgressDisplay, progress: FleetProgress) -> None:
        self._display = display
        self._progress = progress

    def __rich__(self) -> Any:
        return self._display._render(self._progress)
