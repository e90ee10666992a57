"""Fleets: many agent tasks across worker processes or Ray actors (``codex-embedded[ray]``).

::

    from codex.fleet import FleetTask, DirectoryWorkspace, WorkerOptions, run_fleet

    tasks = [FleetTask(id=name, prompt=f"Fix the lint errors in {name}", workspace=DirectoryWorkspace(name))
             for name in repos]
    for result in run_fleet(tasks, concurrency=8, checkpoint="results.jsonl"):
        print(result.task_id, result.status.value, len(result.diff))

See docs/fleet.md: backends, workspaces, results, checkpoints and credentials.
"""

from .driver import run_fleet, run_fleet_async
from .progress import FleetProgress
from .results import (
    Checkpoint,
    FleetError,
    FleetTaskError,
    TaskCancelledError,
    TaskError,
    TaskResult,
    TaskStatus,
    TaskTimeoutError,
    WorkerLostError,
)
from .tasks import DirectoryWorkspace, FleetTask, GitWorkspace, WorkerOptions, WorkspaceSpec, load_tasks
from .workspaces import WorkspaceError

__all__ = [
    "Checkpoint",
    "DirectoryWorkspace",
    "FleetError",
    "FleetProgress",
    "FleetTask",
    "FleetTaskError",
    "GitWorkspace",
    "TaskCancelledError",
    "TaskError",
    "TaskResult",
    "TaskStatus",
    "TaskTimeoutError",
    "WorkerLostError",
    "WorkerOptions",
    "WorkspaceError",
    "WorkspaceSpec",
    "load_tasks",
    "run_fleet",
    "run_fleet_async",
]
