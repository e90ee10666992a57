"""What a fleet runs: tasks, their workspaces, and the settings every worker's client gets.

Everything here is plain, picklable data: it travels to worker processes and Ray actors.
None of it may hold a credential (see docs/fleet.md): workers read keys from their own
environment (``api_key_env``) or login store (``codex_home``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from ..errors import ConfigurationError
from ..events import JsonObject
from ..inputs import ImageInput, LocalImageInput, MentionInput, RunInput, SkillInput, TextInput
from ..sandbox import ApprovalMode, Sandbox, SandboxPolicy

__all__ = [
    "DirectoryWorkspace",
    "FleetTask",
    "GitWorkspace",
    "WorkerOptions",
    "WorkspaceSpec",
    "load_tasks",
    "task_from_json",
]


@dataclass(frozen=True, slots=True)
class DirectoryWorkspace:
    """Each task works in its own copy of ``path``; the result's diff is against ``path``.

    ``path`` must exist where the task runs (on every Ray node). Names matching
    ``exclude`` (glob patterns, e.g. ``"node_modules"``) are not copied.
    """

    path: str
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GitWorkspace:
    """Each task works in a private checkout of ``revision`` of ``repository``.

    A local repository gets a ``git worktree`` (cheap, shares the object store); a URL
    is cloned. The result's diff is against ``revision``, untracked files included.
    """

    repository: str
    revision: str = "HEAD"


WorkspaceSpec: TypeAlias = DirectoryWorkspace | GitWorkspace


@dataclass(frozen=True, slots=True)
class FleetTask:
    """One agent task: a fresh thread in a fresh workspace, one turn.

    Give ``prompt`` or ``input`` (a turn input list). ``output_type`` asks for structured
    output (a pydantic model, dataclass, TypedDict or JSON Schema dict), validated per task.
    ``tools`` names Python tools by import path (``"package.module:TOOLS"``, a list of
    tools or one tool), imported in the worker, because tool objects do not pickle;
    ``approval_callback`` names the thread's approval callback (a function or a
    ``codex.policies`` policy) the same way.
    ``timeout_s`` bounds the whole task, retries included; ``metadata`` is copied to the
    result untouched.
    """

    id: str
    prompt: str | None = None
    input: RunInput | None = None
    workspace: WorkspaceSpec | None = None
    model: str | None = None
    sandbox: Sandbox | SandboxPolicy = Sandbox.workspace_write
    approval_mode: ApprovalMode = ApprovalMode.auto_review
    developer_instructions: str | None = None
    base_instructions: str | None = None
    effort: str | None = None
    config: JsonObject | None = None
    output_type: object | None = None
    tools: tuple[str, ...] = ()
    approval_callback: str | None = None
    timeout_s: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ConfigurationError(f"a fleet task needs a nonempty string id, got {self.id!r}")
        if (self.prompt is None) == (self.input is None):
            raise ConfigurationError(f"task {self.id!r}: give exactly one of prompt= or input=")
        if not isinstance(self.sandbox, Sandbox | SandboxPolicy):
            raise ConfigurationError(f"task {self.id!r}: sandbox must be a Sandbox or SandboxPolicy: {self.sandbox!r}")
        if not isinstance(self.approval_mode, ApprovalMode):
            raise ConfigurationError(f"task {self.id!r}: approval_mode must be an ApprovalMode")
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise ConfigurationError(f"task {self.id!r}: timeout_s must be positive, got {self.timeout_s!r}")
        if isinstance(self.tools, str):
            object.__setattr__(self, "tools", (self.tools,))
        for path in (*self.tools, *([self.approval_callback] if self.approval_callback is not None else [])):
            if not isinstance(path, str) or ":" not in path:
                raise ConfigurationError(
                    f"task {self.id!r}: tools and approval_callback are import paths 'module:attribute', got {path!r}"
                )

    @property
    def turn_input(self) -> RunInput:
        return self.prompt if self.prompt is not None else self.input  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How every worker's client is set up. No credential fields, on purpose.

    ``api_key_env`` names the environment variable each worker reads its key from (the
    variable must be set where the worker runs); without it a worker uses
    ``OPENAI_API_KEY``, then the login store of ``codex_home``. ``config_overrides`` are
    ``key=value`` engine overrides, as in ``CodexConfig``.
    """

    base_url: str | None = None
    model: str | None = None
    model_provider: str | None = None
    api_key_env: str | None = None
    codex_home: str | None = None
    config_overrides: tuple[str, ...] = ()
    request_max_retries: int | None = None
    stream_max_retries: int | None = None
    stream_idle_timeout_ms: int | None = None

    def __post_init__(self) -> None:
        for text in self.config_overrides:
            key = text.partition("=")[0].strip().lower()
            if "bearer_token" in key or key.endswith("api_key"):
                raise ConfigurationError(
                    f"config override {key!r} would carry a credential to every worker; "
                    "set api_key_env= (or the workers' login store) instead, see docs/fleet.md"
                )


_INPUT_TYPES: dict[str, Any] = {
    "text": lambda item: TextInput(item["text"]),
    "image": lambda item: ImageInput(item["url"]),
    "localImage": lambda item: LocalImageInput(item["path"]),
    "skill": lambda item: SkillInput(item["name"], item["path"]),
    "mention": lambda item: MentionInput(item["name"], item["path"]),
}

_TASK_KEYS = {
    "id",
    "prompt",
    "input",
    "workspace",
    "model",
    "sandbox",
    "approval_mode",
    "developer_instructions",
    "base_instructions",
    "effort",
    "config",
    "output_schema",
    "tools",
    "approval_callback",
    "timeout_s",
    "metadata",
}


def _input_from_json(task_id: str, value: object) -> RunInput:
    if not isinstance(value, list):
        raise ConfigurationError(f"task {task_id!r}: input must be a list of strings and items")
    items: list[Any] = []
    for item in value:
        if isinstance(item, str):
            items.append(item)
        elif isinstance(item, dict) and item.get("type") in _INPUT_TYPES:
            try:
                items.append(_INPUT_TYPES[item["type"]](item))
            except KeyError as exc:
                raise ConfigurationError(f"task {task_id!r}: input item {item!r} lacks {exc}") from None
        else:
            raise ConfigurationError(f"task {task_id!r}: unsupported input item {item!r}")
    return items


def _workspace_from_json(task_id: str, value: object) -> WorkspaceSpec | None:
    if value is None:
        return None
    if isinstance(value, str):
        return DirectoryWorkspace(value)
    if isinstance(value, dict):
        if "directory" in value:
            return DirectoryWorkspace(str(value["directory"]), tuple(value.get("exclude", ())))
        if "git" in value:
            return GitWorkspace(str(value["git"]), str(value.get("revision", "HEAD")))
    raise ConfigurationError(
        f"task {task_id!r}: workspace must be a path, {{'directory': PATH}} or {{'git': REPO, 'revision': REV}}"
    )


def _enum(task_id: str, enum: Any, value: object, name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        options = ", ".join(repr(member.value) for member in enum)
        raise ConfigurationError(f"task {task_id!r}: {name} must be one of {options}, got {value!r}") from None


def task_from_json(data: Mapping[str, Any], *, default_id: str, base_dir: Path | None = None) -> FleetTask:
    """A task from one JSON object (a line of a tasks file); relative workspace paths
    resolve against ``base_dir``."""
    unknown = sorted(set(data) - _TASK_KEYS)
    task_id = str(data.get("id", default_id))
    if unknown:
        raise ConfigurationError(f"task {task_id!r}: unknown fields {unknown}")
    workspace = _workspace_from_json(task_id, data.get("workspace"))
    if base_dir is not None and isinstance(workspace, DirectoryWorkspace):
        workspace = DirectoryWorkspace(str(base_dir / workspace.path), workspace.exclude)
    elif base_dir is not None and isinstance(workspace, GitWorkspace) and (base_dir / workspace.repository).is_dir():
        workspace = GitWorkspace(str(base_dir / workspace.repository), workspace.revision)
    schema = data.get("output_schema")
    if schema is not None and not isinstance(schema, dict):
        raise ConfigurationError(f"task {task_id!r}: output_schema must be a JSON Schema object")
    tools = data.get("tools", ())
    return FleetTask(
        id=task_id,
        prompt=data.get("prompt"),
        input=_input_from_json(task_id, data["input"]) if "input" in data else None,
        workspace=workspace,
        model=data.get("model"),
        sandbox=_enum(task_id, Sandbox, data.get("sandbox", Sandbox.workspace_write.value), "sandbox"),
        approval_mode=_enum(
            task_id, ApprovalMode, data.get("approval_mode", ApprovalMode.auto_review.value), "approval_mode"
        ),
        developer_instructions=data.get("developer_instructions"),
        base_instructions=data.get("base_instructions"),
        effort=data.get("effort"),
        config=data.get("config"),
        output_type=schema,
        tools=(tools,) if isinstance(tools, str) else tuple(tools),
        approval_callback=data.get("approval_callback"),
        timeout_s=data.get("timeout_s"),
        metadata=dict(data.get("metadata") or {}),
    )


def load_tasks(path: str | os.PathLike[str]) -> list[FleetTask]:
    """Reads a JSON-lines tasks file (one task object a line; blank lines and ``#`` comments skipped)."""
    source = Path(path)
    tasks: list[FleetTask] = []
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise ConfigurationError(f"{source}:{number}: not a JSON object: {exc}") from None
            if not isinstance(data, dict):
                raise ConfigurationError(f"{source}:{number}: each line must be a JSON object")
            tasks.append(task_from_json(data, default_id=f"line-{number}", base_dir=source.parent))
    return tasks


def unique_tasks(tasks: Iterable[FleetTask]) -> Iterator[FleetTask]:
    """``tasks`` as given; a repeated id raises (the checkpoint keys results by id)."""
    seen: set[str] = set()
    for task in tasks:
        if not isinstance(task, FleetTask):
            raise ConfigurationError(f"run_fleet takes FleetTask objects, got {type(task).__name__}")
        if task.id in seen:
            raise ConfigurationError(f"two tasks share the id {task.id!r}; ids must be unique")
        seen.add(task.id)
        yield task
