"""Filesystem and network access for sandboxed commands, and approval modes.

``Sandbox`` has the same values as ``openai_codex``; :class:`SandboxPolicy` adds
what the engine's policies can say beyond the mode (extra writable roots, network).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

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
    ``untrusted`` (an extension) asks before every command the engine does not know
    to be read-only, even inside the sandbox's writable roots.
    Unlike ``openai_codex``, the default handler here declines every request.
    """

    deny_all = "deny_all"
    auto_review = "auto_review"
    untrusted = "untrusted"


def _require(value: object, enum: type[Enum], name: str) -> None:
    if not isinstance(value, enum):
        options = ", ".join(f"{enum.__name__}.{member.name}" for member in enum)
        raise ConfigurationError(f"{name} must be one of: {options}; got {value!r}")


@dataclass(frozen=True, slots=True)
class SandboxPolicy:
    """A :class:`Sandbox` mode with its options, for ``sandbox=`` on threads and turns.

    ``writable_roots`` are directories writable besides the working directory
    (``workspace_write`` only). ``network_access`` lets sandboxed commands open
    network connections; ``None`` keeps the engine's default, which is off for
    ``read_only`` and ``workspace_write``. ``full_access`` runs commands
    unsandboxed, so it cannot switch the network off.
    """

    mode: Sandbox
    writable_roots: Sequence[str | os.PathLike[str]] = ()
    network_access: bool | None = None

    def __post_init__(self) -> None:
        _require(self.mode, Sandbox, "SandboxPolicy.mode")
        if isinstance(self.writable_roots, (str, os.PathLike)):
            raise ConfigurationError("writable_roots must be a list of paths, not a single path")
        if self.writable_roots and self.mode is not Sandbox.workspace_write:
            raise ConfigurationError(f"writable_roots only apply to Sandbox.workspace_write, not {self.mode}")
        if self.network_access is not None and not isinstance(self.network_access, bool):
            raise ConfigurationError(f"network_access must be a bool or None, got {self.network_access!r}")
        if self.mode is Sandbox.full_access and self.network_access is False:
            raise ConfigurationError("Sandbox.full_access runs commands unsandboxed: it cannot block the network")
        object.__setattr__(self, "writable_roots", tuple(self.writable_roots))

    def absolute_roots(self) -> list[str]:
        """The writable roots as absolute paths (the engine rejects relative ones)."""
        return [str(Path(root).expanduser().resolve()) for root in self.writable_roots]


SandboxSetting = Sandbox | SandboxPolicy
"""What ``sandbox=`` accepts: a bare mode or a mode with options."""


def _as_policy(sandbox: SandboxSetting) -> SandboxPolicy:
    if isinstance(sandbox, SandboxPolicy):
        return sandbox
    _require(sandbox, Sandbox, "sandbox")
    return SandboxPolicy(sandbox)


def sandbox_mode(sandbox: SandboxSetting | None) -> str | None:
    """The thread-level wire value (thread/start ``sandbox``)."""
    if sandbox is None:
        return None
    mode = _as_policy(sandbox).mode
    return "danger-full-access" if mode is Sandbox.full_access else mode.value


def sandbox_thread_config(sandbox: SandboxSetting | None) -> dict[str, Any]:
    """Config overrides (thread/start ``config``) for a policy's options; empty for a bare mode.

    thread/start takes only the mode; the engine reads writable roots and network
    access for ``workspace_write`` from its ``sandbox_workspace_write`` table.
    """
    if sandbox is None:
        return {}
    policy = _as_policy(sandbox)
    if policy.mode is Sandbox.read_only and policy.network_access:
        raise ConfigurationError(
            "a read-only sandbox with network access can only be set per turn (thread.run(..., sandbox=...))"
        )
    overrides: dict[str, Any] = {}
    if policy.mode is Sandbox.workspace_write:
        if policy.writable_roots:
            overrides["sandbox_workspace_write.writable_roots"] = policy.absolute_roots()
        if policy.network_access is not None:
            overrides["sandbox_workspace_write.network_access"] = policy.network_access
    return overrides


def sandbox_policy(sandbox: SandboxSetting | None) -> JsonObject | None:
    """The turn-level wire value (turn/start ``sandboxPolicy``)."""
    if sandbox is None:
        return None
    policy = _as_policy(sandbox)
    if policy.mode is Sandbox.full_access:
        return {"type": "dangerFullAccess"}
    if policy.mode is Sandbox.read_only:
        return {"type": "readOnly", "networkAccess": bool(policy.network_access)}
    return {
        "type": "workspaceWrite",
        "writableRoots": policy.absolute_roots(),
        "networkAccess": bool(policy.network_access),
    }


def approval_settings(mode: ApprovalMode | None) -> JsonObject:
    """``approvalPolicy`` (+ ``approvalsReviewer``) params for a mode; empty for None."""
    if mode is None:
        return {}
    _require(mode, ApprovalMode, "approval_mode")
    if mode is ApprovalMode.deny_all:
        return {"approvalPolicy": "never"}
    if mode is ApprovalMode.untrusted:
        return {"approvalPolicy": "untrusted", "approvalsReviewer": "user"}
    return {"approvalPolicy": "on-request", "approvalsReviewer": "user"}
