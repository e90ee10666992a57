"""Filesystem access presets and approval modes (same values as ``openai_codex``)."""

from __future__ import annotations

from enum import Enum

from .errors import ConfigurationError
from .events import JsonObject


class Sandbox(str, Enum):
    """How much of the filesystem sandboxed commands may touch.

    ``read_only`` allows reads only; ``workspace_write`` allows writes inside the
    thread's working directory (and configured writable roots); ``full_access``
    lifts restrictions. On Linux the sandbox is bubblewrap + seccomp, run through
    the SDK's helper executable.
    """

    read_only = "read-only"
    workspace_write = "workspace-write"
    full_access = "full-access"


class ApprovalMode(str, Enum):
    """What happens when an action needs approval.

    ``deny_all`` never asks (the engine refuses what its policy would escalate);
    ``auto_review`` lets the engine ask, and the client's approval handler answers.
    Unlike ``openai_codex``, the default handler here declines every request.
    """

    deny_all = "deny_all"
    auto_review = "auto_review"


def _require(value: object, enum: type[Enum], name: str) -> None:
    if not isinstance(value, enum):
        options = ", ".join(f"{enum.__name__}.{member.name}" for member in enum)
        raise ConfigurationError(f"{name} must be one of: {options}; got {value!r}")


def sandbox_mode(sandbox: Sandbox | None) -> str | None:
    """The thread-level wire value (thread/start ``sandbox``)."""
    if sandbox is None:
        return None
    _require(sandbox, Sandbox, "sandbox")
    return "danger-full-access" if sandbox is Sandbox.full_access else sandbox.value


def sandbox_policy(sandbox: Sandbox | None) -> JsonObject | None:
    """The turn-level wire value (turn/start ``sandboxPolicy``)."""
    if sandbox is None:
        return None
    _require(sandbox, Sandbox, "sandbox")
    kinds = {
        Sandbox.read_only: "readOnly",
        Sandbox.workspace_write: "workspaceWrite",
        Sandbox.full_access: "dangerFullAccess",
    }
    return {"type": kinds[sandbox]}


def approval_settings(mode: ApprovalMode | None) -> JsonObject:
    """``approvalPolicy`` (+ ``approvalsReviewer``) params for a mode; empty for None."""
    if mode is None:
        return {}
    _require(mode, ApprovalMode, "approval_mode")
    if mode is ApprovalMode.deny_all:
        return {"approvalPolicy": "never"}
    return {"approvalPolicy": "on-request", "approvalsReviewer": "user"}
