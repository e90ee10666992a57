"""Filesystem and network access for sandboxed commands, and approval modes.

``Sandbox`` has the same members and values as ``openai_codex``'s; it is the SDK's one
sandbox-mode enum. The wire has its own spellings of the same three modes (the generated
``codex.types.SandboxMode`` for threads, the tags of the generated ``codex.types.SandboxPolicy``
union for turns); :data:`_WIRE` below is the only place that maps one onto the other, and
``sandbox=`` accepts either family.

:class:`SandboxPolicy` is a setting, not a wire model: a mode with the options the engine's
policies can say beyond it (extra writable roots, network). Relative roots resolve when the
setting is used, and ``network_access=None`` leaves the engine's default in place, neither of
which the wire union can express. :meth:`SandboxPolicy.to_wire` gives the generated
``codex.types.SandboxPolicy`` that a turn sends.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypeGuard

from .errors import ConfigurationError
from .events import JsonObject
from .protocol import ProtocolModel, model_named

if TYPE_CHECKING:
    from .protocol import ProtocolRootModel
    from .protocol.models import SandboxMode
    from .protocol.models import SandboxPolicy as WireSandboxPolicy


class Sandbox(str, Enum):
    """How much of the filesystem sandboxed commands may touch.

    ``read_only`` allows reads only; ``workspace_write`` allows writes inside the
    thread's working directory (and configured writable roots); ``full_access``
    lifts restrictions. On Linux the sandbox is bubblewrap + seccomp, run through
    the SDK's helper executable.

    The wire's spellings select the same member: ``Sandbox("danger-full-access")``
    and ``Sandbox(SandboxMode.danger_full_access)`` are ``Sandbox.full_access``.
    """

    read_only = "read-only"
    workspace_write = "workspace-write"
    full_access = "full-access"

    @classmethod
    def _missing_(cls, value: object) -> Sandbox | None:
        # A generated SandboxMode member or its wire string: the same mode, spelled as the engine does.
        wire = value.value if isinstance(value, Enum) else value
        for member, spelling in _WIRE.items():
            if wire in (member.value, spelling.mode):
                return member
        return None

    def to_wire(self) -> SandboxMode:
        """The generated ``codex.types.SandboxMode`` member for this mode (thread/start ``sandbox``)."""
        mode: SandboxMode = model_named("SandboxMode")(_WIRE[self].mode)
        return mode


class _Spelling(NamedTuple):
    mode: str  # a SandboxMode value (thread/start `sandbox`)
    policy: str  # the `type` tag of a SandboxPolicy variant (turn/start `sandboxPolicy`)


# The one mapping from the SDK's modes to the wire's; tests/unit/test_one_model_per_wire_type.py
# checks it against the generated SandboxMode and SandboxPolicy. Plain strings here, as the
# thread-start path must not load the generated client models.
_WIRE = {
    Sandbox.read_only: _Spelling("read-only", "readOnly"),
    Sandbox.workspace_write: _Spelling("workspace-write", "workspaceWrite"),
    Sandbox.full_access: _Spelling("danger-full-access", "dangerFullAccess"),
}
_BY_POLICY_TAG = {spelling.policy: member for member, spelling in _WIRE.items()}


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


def _as_mode(value: object, name: str) -> Sandbox:
    # The generated SandboxMode is the same concept; plain strings stay refused, as before.
    # A SandboxMode member exists only once its models are loaded, and a wrong value must
    # not cost loading them.
    mode_class = _loaded_class("codex.protocol.models", "SandboxMode")
    if mode_class is not None and isinstance(value, mode_class):
        return Sandbox(value)
    _require(value, Sandbox, name)
    return Sandbox(value)


@dataclass(frozen=True, slots=True)
class SandboxPolicy:
    """A :class:`Sandbox` mode with its options, for ``sandbox=`` on threads and turns.

    ``writable_roots`` are directories writable besides the working directory
    (``workspace_write`` only). ``network_access`` lets sandboxed commands open
    network connections; ``None`` keeps the engine's default, which is off for
    ``read_only`` and ``workspace_write``. ``full_access`` runs commands
    unsandboxed, so it cannot switch the network off.

    ``mode`` may also be a generated ``SandboxMode`` member; it is stored as the
    :class:`Sandbox` member of the same mode.
    """

    mode: Sandbox
    writable_roots: Sequence[str | os.PathLike[str]] = ()
    network_access: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", _as_mode(self.mode, "SandboxPolicy.mode"))
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

    def to_wire(self) -> WireSandboxPolicy:
        """The generated ``codex.types.SandboxPolicy`` a turn sends for this setting.

        Roots are resolved now; an unset ``network_access`` is sent as off, the engine's default.
        """
        fields: dict[str, Any] = {"type": _WIRE[self.mode].policy}
        if self.mode is not Sandbox.full_access:
            fields["networkAccess"] = bool(self.network_access)
        if self.mode is Sandbox.workspace_write:
            fields["writableRoots"] = self.absolute_roots()
        policy: WireSandboxPolicy = model_named("SandboxPolicy").model_validate(fields)
        return policy

    @classmethod
    def from_wire(
        cls, policy: WireSandboxPolicy | ProtocolModel | ProtocolRootModel[Any] | JsonObject
    ) -> SandboxPolicy:
        """The setting for a generated ``codex.types.SandboxPolicy`` (or one of its variants, or its
        wire JSON). Raises :class:`~codex.ConfigurationError` for what a setting cannot say: an
        external sandbox, a kind this SDK does not know, the ``/tmp`` exclusions."""
        wire = policy.to_dict() if _is_wire_model(policy) else dict(policy)
        mode = _BY_POLICY_TAG.get(str(wire.get("type")))
        if mode is None:
            raise ConfigurationError(f"sandbox policy of type {wire.get('type')!r} cannot be set from this SDK")
        if wire.get("excludeSlashTmp") or wire.get("excludeTmpdirEnvVar"):
            raise ConfigurationError("excludeSlashTmp / excludeTmpdirEnvVar cannot be set from this SDK")
        network = wire.get("networkAccess")
        return cls(
            mode,
            writable_roots=tuple(wire.get("writableRoots") or ()),
            network_access=None if network is None else bool(network),
        )


if TYPE_CHECKING:
    SandboxSetting: TypeAlias = Sandbox | SandboxPolicy | SandboxMode | WireSandboxPolicy
else:
    SandboxSetting = Sandbox | SandboxPolicy
"""What ``sandbox=`` accepts: a mode or a mode with options, in the SDK's family or the wire's
(a generated ``SandboxMode`` member, a generated ``SandboxPolicy``)."""


def _is_wire_model(value: object) -> TypeGuard[ProtocolModel | ProtocolRootModel[Any]]:
    if isinstance(value, ProtocolModel):
        return True
    # A root model exists only once its module is loaded (on first use): not loaded to ask.
    root_class = _loaded_class("codex.protocol._root", "ProtocolRootModel")
    return root_class is not None and isinstance(value, root_class)


def _loaded_class(module_name: str, class_name: str) -> type | None:
    """The class if its module has defined it by now, without importing anything.

    A module another thread is importing (the protocol warm-up) is in ``sys.modules``
    before its body has run: its classes may not exist yet, and then neither can their
    instances.
    """
    found = getattr(sys.modules.get(module_name), class_name, None)
    return found if isinstance(found, type) else None


def _as_policy(sandbox: object) -> SandboxPolicy:
    if isinstance(sandbox, SandboxPolicy):
        return sandbox
    if _is_wire_model(sandbox):
        return SandboxPolicy.from_wire(sandbox)
    return SandboxPolicy(_as_mode(sandbox, "sandbox"))


def sandbox_mode(sandbox: SandboxSetting | None) -> str | None:
    """The thread-level wire value (thread/start ``sandbox``, a ``SandboxMode`` value)."""
    if sandbox is None:
        return None
    return _WIRE[_as_policy(sandbox).mode].mode


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
    """The turn-level wire value (turn/start ``sandboxPolicy``): the generated model's JSON."""
    if sandbox is None:
        return None
    wire: JsonObject = _as_policy(sandbox).to_wire().to_dict()
    return wire


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
