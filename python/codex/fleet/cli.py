"""``python -m codex fleet run TASKS.jsonl --backend local|ray --out results.jsonl``."""

from __future__ import annotations

import argparse
import sys

from ..errors import CodexError
from ..retry import RetryPolicy
from .driver import run_fleet
from .results import TaskStatus
from .tasks import WorkerOptions, load_tasks

__all__ = ["add_arguments", "run_command"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="fleet_command", required=True)
    run = commands.add_parser("run", help="run every task of a JSON-lines file; results go to --out")
    run.add_argument("tasks", help="tasks file: one JSON task a line (see docs/fleet.md)")
    run.add_argument("--out", required=True, help="results file (JSON lines); finished tasks in it are skipped")
    run.add_argument("--backend", choices=("local", "ray"), default="local")
    run.add_argument("--concurrency", type=int, default=4, help="tasks running at once (default 4)")
    run.add_argument("--workers", type=int, default=None, help="processes or actors (default: min(concurrency, CPUs))")
    run.add_argument("--base-url", default=None, help="the model provider's base URL (Responses API)")
    run.add_argument("--model", default=None)
    run.add_argument("--api-key-env", default=None, help="environment variable each worker reads its API key from")
    run.add_argument("--codex-home", default=None, help="the workers' codex home (login store), on each machine")
    run.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="engine config override")
    run.add_argument("--max-attempts", type=int, default=1, help="turns per task under the retry policy")
    run.add_argument("--timeout", type=float, default=None, help="seconds per task (default: none)")
    run.add_argument("--rerun-failed", action="store_true", help="also re-run tasks --out records as failed")
    run.add_argument("--workspace-root", default=None, help="where task workspaces are created")
    run.add_argument("--keep-workspaces", action="store_true", help="leave each task's workspace on disk")
    run.add_argument("--ray-address", default=None, help="Ray cluster address (default: start a local instance)")
    run.add_argument("--cpus-per-worker", type=float, default=1.0, help="Ray CPUs reserved per actor")
    run.add_argument("--quiet", action="store_true", help="no progress display")


def run_command(args: argparse.Namespace) -> int:
    """Exit status: 0 when every task completed, 1 when some failed, 2 on bad input, 130 on Ctrl-C."""
    try:
        tasks = load_tasks(args.tasks)
        options = WorkerOptions(
            base_url=args.base_url,
            model=args.model,
            api_key_env=args.api_key_env,
            codex_home=args.codex_home,
            config_overrides=tuple(args.config),
        )
        retry = RetryPolicy(max_attempts=args.max_attempts) if args.max_attempts > 1 else None
        results = run_fleet(
            tasks,
            backend=args.backend,
            concurrency=args.concurrency,
            workers=args.workers,
            worker_options=options,
            retry=retry,
            timeout_s=args.timeout,
            checkpoint=args.out,
            rerun_failed=args.rerun_failed,
            workspace_root=args.workspace_root,
            keep_workspaces=args.keep_workspaces,
            progress=not args.quiet,
            cpus_per_worker=args.cpus_per_worker,
            ray_address=args.ray_address,
        )
        failed = 0
        for result in results:
            if result.status is not TaskStatus.completed:
                failed += 1
    except KeyboardInterrupt:
        sys.stderr.write("fleet cancelled; finished results are in the --out file\n")
        return 130
    except (CodexError, OSError) as exc:
        sys.stderr.write(f"fleet: {exc}\n")
        return 2
    return 1 if failed else 0
