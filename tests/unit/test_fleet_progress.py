"""Fleet progress: the counts ``on_progress`` sees, and the display with and without rich."""

from __future__ import annotations

import io
import sys

import pytest

from codex.fleet.progress import FleetProgress, ProgressDisplay
from codex.fleet.results import TaskError, TaskResult, TaskStatus
from codex.metrics import Usage


def result(task_id: str, status: TaskStatus, tokens: int = 0, message: str = "boom") -> TaskResult:
    error = None if status is TaskStatus.completed else TaskError("HttpStatusError", message)
    return TaskResult(task_id=task_id, status=status, usage=Usage(total_tokens=tokens), error=error)


def test_counts_sort_results_by_status_and_sum_usage() -> None:
    progress = FleetProgress(total=6, skipped=1)
    progress.running = 1
    for outcome in (
        result("a", TaskStatus.completed, 10),
        result("b", TaskStatus.failed, 5),
        result("c", TaskStatus.timeout, 1),
        result("d", TaskStatus.cancelled),
    ):
        progress.add(outcome)
    assert (progress.completed, progress.failed, progress.cancelled) == (1, 2, 1)
    assert progress.finished == 3  # cancelled tasks are not finished
    assert progress.queued == 6 - 1 - 3 - 1 - 1
    assert progress.usage.total_tokens == 16


def test_queued_never_goes_below_zero() -> None:
    progress = FleetProgress(total=1, running=3)
    assert progress.queued == 0


def test_rate_is_finished_tasks_over_elapsed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    progress = FleetProgress(total=4, started=100.0)
    progress.add(result("a", TaskStatus.completed))
    progress.add(result("b", TaskStatus.failed))
    monkeypatch.setattr("codex.fleet.progress.time.monotonic", lambda: 104.0)
    assert progress.elapsed_s == 4.0
    assert progress.tasks_per_s == 0.5
    monkeypatch.setattr("codex.fleet.progress.time.monotonic", lambda: 100.0)
    assert progress.tasks_per_s == 0.0  # no time has passed: no division by zero


def test_summary_names_skipped_and_cancelled_only_when_there_are_some() -> None:
    progress = FleetProgress(total=3)
    progress.add(result("a", TaskStatus.completed, 7))
    assert progress.summary().startswith("1 done, 0 failed, 0 running, 2 queued | ")
    assert "skipped" not in progress.summary()
    assert "cancelled" not in progress.summary()
    assert "| 7 tokens |" in progress.summary()
    progress.skipped = 1
    progress.add(result("b", TaskStatus.cancelled))
    assert "1 done, 0 failed, 0 running, 0 queued, 1 skipped, 1 cancelled | " in progress.summary()


@pytest.fixture
def without_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import rich.console`` fails, as where rich is not installed."""
    monkeypatch.setitem(sys.modules, "rich.console", None)
    monkeypatch.setitem(sys.modules, "rich.live", None)


@pytest.mark.usefixtures("without_rich")
def test_without_rich_each_result_is_one_plain_line_and_stop_prints_the_totals() -> None:
    stream = io.StringIO()
    display = ProgressDisplay(stream)
    progress = FleetProgress(total=2)
    display.start(progress)
    assert stream.getvalue() == ""
    display.update(progress)  # a change without a result (a task started): nothing to print
    assert stream.getvalue() == ""
    outcome = result("task-1", TaskStatus.failed)
    progress.add(outcome)
    display.update(progress, outcome)
    display.stop(progress)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[failed] task-1 :: 0 done, 1 failed, 0 running, 1 queued | ")
    assert lines[1].startswith("fleet: 0 done, 1 failed")
    assert len(lines) == 2


def test_with_rich_failures_are_printed_and_the_last_frame_ends_its_line() -> None:
    pytest.importorskip("rich")
    stream = io.StringIO()
    display = ProgressDisplay(stream)
    progress = FleetProgress(total=3, skipped=1)
    display.start(progress)
    for outcome in (
        result("ok-task", TaskStatus.completed, 5),
        result("bad-task", TaskStatus.failed, message="HTTP 500 from the model"),
        result("gone-task", TaskStatus.cancelled),
    ):
        progress.add(outcome)
        display.update(progress, outcome)
    display.stop(progress)
    output = stream.getvalue()
    # A failure gets its own line with the error; a completed or cancelled task does not.
    assert "failed bad-task: HTTP 500 from the model" in output
    assert "ok-task" not in output
    assert "gone-task" not in output
    # The live line shows the counts, and off a terminal the output ends with a newline.
    assert "1 done" in output
    assert "1 failed" in output
    assert "1 skipped" in output
    assert "5 tokens" in output
    assert output.endswith("\n")


def test_with_rich_a_failure_without_an_error_shows_its_status() -> None:
    pytest.importorskip("rich")
    stream = io.StringIO()
    display = ProgressDisplay(stream)
    progress = FleetProgress(total=1)
    display.start(progress)
    outcome = TaskResult(task_id="slow", status=TaskStatus.timeout)
    progress.add(outcome)
    display.update(progress, outcome)
    display.stop(progress)
    assert "timeout slow: timeout" in stream.getvalue()


def test_the_display_defaults_to_stderr(capsys: pytest.CaptureFixture[str], without_rich: None) -> None:
    display = ProgressDisplay()
    display.stop(FleetProgress(total=0))
    assert capsys.readouterr().err.startswith("fleet: 0 done")
