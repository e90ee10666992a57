"""The Ray backend: actors that each own one client for their lifetime.

Each actor is an async actor: its engine starts once, in ``start``, and then runs up to
``max_concurrency`` tasks at once, one thread each. Ray schedules actors by their CPU
resources (``num_cpus``) on a local instance or an existing cluster. Only tasks
(plain data, no credentials) and results travel through Ray's object store.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .backend import Backend, cancelled_result, lost_result
from .results import FleetError, TaskResult, TaskStatus
from .tasks import WorkerOptions
from .worker import TaskJob, TaskRunner

__all__ = ["FleetActor", "RayBackend"]

#: How long actors get to interrupt their turns and stop their engines on cancel and close.
SETTLE_S = 20.0
#: Actors wait for free CPUs; an autoscaling cluster may need minutes to add nodes.
START_TIMEOUT_S = 600.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigurationError(
            "the ray backend needs Ray: pip install 'codex-embedded[ray]' (or backend='local')"
        ) from None
    return ray


class FleetActor:
    """The actor class (wrapped with ``ray.remote`` by :class:`RayBackend`)."""

    def __init__(self, options: WorkerOptions, workspace_root: str, keep_workspaces: bool, name: str) -> None:
        self._runner = TaskRunner(options, Path(workspace_root), keep_workspaces=keep_workspaces, name=name)

    async def start(self) -> str:
        await self._runner.start()
        return self._runner.name

    async def run(self, job: TaskJob) -> TaskResult:
        return await self._runner.run(job)

    async def close(self) -> None:
        await self._runner.close()


class RayBackend(Backend):
    """``actors`` Ray actors, each with ``num_cpus`` CPUs and up to ``per_actor`` tasks at once.

    Uses the running Ray connection if there is one; otherwise connects to ``address``
    (``None`` starts a local instance; ``"auto"`` or ``"ray://host:10001"`` joins a
    cluster) with ``init_options`` passed to ``ray.init``, and disconnects at the end.
    """

    def __init__(
        self,
        options: WorkerOptions,
        *,
        actors: int,
        per_actor: int,
        num_cpus: float,
        workspace_root: Path,
        keep_workspaces: bool,
        address: str | None = None,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        self._ray = _ray()
        self._options = options
        self._count = actors
        self._per_actor = per_actor
        self._num_cpus = num_cpus
        self._workspace_root = workspace_root
        self._keep = keep_workspaces
        self._address = address
        self._init_options = dict(init_options or {})
        self._connected_here = False
        self._actors: list[Any] = []
        self._names: list[str] = []
        self._dead: set[int] = set()
        # ObjectRef -> (job, actor index)
        self._inflight: dict[Any, tuple[TaskJob, int]] = {}

    def start(self) -> None:
        ray = self._ray
        if not ray.is_initialized():
            ray.init(address=self._address, **self._init_options)
            self._connected_here = True
        actor_class = ray.remote(num_cpus=self._num_cpus, max_concurrency=self._per_actor)(FleetActor)
        self._actors = [
            actor_class.remote(self._options, str(self._workspace_root), self._keep, f"ray-actor-{index}")
            for index in range(self._count)
        ]
        try:
            self._names = ray.get([actor.start.remote() for actor in self._actors], timeout=START_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            raise FleetError(
                f"{self._count} actors of {self._num_cpus} CPUs each did not start within {START_TIMEOUT_S:.0f}s: "
                "does the cluster have that many free CPUs? (lower workers= or cpus_per_worker=)"
            ) from None
        except ray.exceptions.RayError as exc:
            raise FleetError(f"a fleet actor could not start its engine: {exc}") from exc

    def free_slots(self) -> int:
        return sum(self._per_actor - self._load(index) for index in self._live())

    def running(self) -> int:
        return len(self._inflight)

    def alive(self) -> bool:
        return bool(self._live())

    def submit(self, job: TaskJob) -> None:
        index = min(self._live(), key=self._load)
        self._inflight[self._actors[index].run.remote(job)] = (job, index)

    def poll(self, timeout: float) -> list[TaskResult]:
        if not self._inflight:
            time.sleep(min(timeout, 0.05))
            return []
        ready, rest = self._ray.wait(list(self._inflight), num_returns=1, timeout=timeout)
        if ready and rest:
            # Whatever else is done by now comes along.
            more, _ = self._ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        return [self._collect(ref) for ref in ready]

    def cancel(self) -> list[TaskResult]:
        ray = self._ray
        for ref in list(self._inflight):
            with contextlib.suppress(Exception):
                ray.cancel(ref)
        finished: list[TaskResult] = []
        deadline = time.monotonic() + SETTLE_S
        while self._inflight and time.monotonic() < deadline:
            ready, _ = ray.wait(list(self._inflight), num_returns=1, timeout=0.5)
            finished.extend(self._collect(ref, cancelling=True) for ref in ready)
        return [result for result in finished if result is not None]

    def close(self) -> None:
        ray = self._ray
        if self._actors:
            closing = [actor.close.remote() for index, actor in enumerate(self._actors) if index not in self._dead]
            with contextlib.suppress(Exception):
                ray.get(closing, timeout=SETTLE_S)
            for actor in self._actors:
                with contextlib.suppress(Exception):
                    ray.kill(actor)
            self._actors = []
        if self._connected_here:
            ray.shutdown()
            self._connected_here = False

    def _live(self) -> list[int]:
        return [index for index in range(len(self._actors)) if index not in self._dead]

    def _load(self, index: int) -> int:
        return sum(1 for _, owner in self._inflight.values() if owner == index)

    def _collect(self, ref: Any, *, cancelling: bool = False) -> TaskResult:
        job, index = self._inflight.pop(ref)
        ray = self._ray
        try:
            result: TaskResult = ray.get(ref)
            return result
        except ray.exceptions.TaskCancelledError:
            return self._cancelled(job, index)
        except ray.exceptions.RayActorError:
            self._dead.add(index)
            return lost_result(job, self._name(index))
        except Exception as exc:
            if cancelling:
                return TaskResult(
                    job.task.id, TaskStatus.cancelled, worker=self._name(index), metadata=job.task.metadata
                )
            return lost_result(job, f"{self._name(index)} ({type(exc).__name__}: {exc})")

    def _cancelled(self, job: TaskJob, index: int) -> TaskResult:
        return cancelled_result(job, self._name(index))

    def _name(self, index: int) -> str:
        return self._names[index] if index < len(self._names) else f"ray-actor-{index}"
