"""One sandbox family: ``Sandbox`` and ``SandboxPolicy`` map onto the generated wire types.

``Sandbox`` keeps ``openai_codex``'s members and values (``full_access = "full-access"``); the
wire spells the same modes as the generated ``SandboxMode`` (``danger-full-access``) and as the
tags of the generated ``SandboxPolicy`` union. ``codex.sandbox._WIRE`` is the one mapping, and
``sandbox=`` takes values of either family.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

import codex
import codex.types
from codex import ConfigurationError, Sandbox, SandboxPolicy
from codex.protocol import models
from codex.sandbox import _WIRE, approval_settings, sandbox_mode, sandbox_policy, sandbox_thread_config


def test_the_mapping_covers_every_mode_with_the_generated_spellings() -> None:
    assert set(_WIRE) == set(Sandbox)
    assert {spelling.mode for spelling in _WIRE.values()} == {mode.value for mode in models.SandboxMode}
    for spelling in _WIRE.values():
        variant = models.SandboxPolicy.model_validate({"type": spelling.policy}).root
        assert not isinstance(variant, models.UnrecognizedSandboxPolicy), spelling


@pytest.mark.parametrize(
    ("ours", "wire"),
    [
        (Sandbox.read_only, models.SandboxMode.read_only),
        (Sandbox.workspace_write, models.SandboxMode.workspace_write),
        (Sandbox.full_access, models.SandboxMode.danger_full_access),
    ],
)
def test_each_mode_is_one_member_in_both_spellings(ours: Sandbox, wire: models.SandboxMode) -> None:
    assert ours.to_wire() is wire
    assert Sandbox(wire) is ours
    assert Sandbox(wire.value) is ours
    assert Sandbox(ours.value) is ours
    assert sandbox_mode(ours) == sandbox_mode(wire) == wire.value
    assert sandbox_policy(ours) == sandbox_policy(wire)


def test_the_official_values_stay() -> None:
    assert [(member.name, member.value) for member in Sandbox] == [
        ("read_only", "read-only"),
        ("workspace_write", "workspace-write"),
        ("full_access", "full-access"),
    ]
    assert codex.types.SandboxMode is models.SandboxMode
    assert codex.types.SandboxPolicy is models.SandboxPolicy


def test_turn_policies_are_the_generated_unions_json(tmp_path: Path) -> None:
    assert sandbox_policy(Sandbox.full_access) == {"type": "dangerFullAccess"}
    assert sandbox_policy(Sandbox.read_only) == {"type": "readOnly", "networkAccess": False}
    assert sandbox_policy(SandboxPolicy(Sandbox.read_only, network_access=True)) == {
        "type": "readOnly",
        "networkAccess": True,
    }
    policy = SandboxPolicy(Sandbox.workspace_write, writable_roots=[tmp_path], network_access=None)
    assert sandbox_policy(policy) == {
        "type": "workspaceWrite",
        "writableRoots": [str(tmp_path)],
        "networkAccess": False,
    }
    wire = policy.to_wire()
    assert isinstance(wire, models.SandboxPolicy)
    assert isinstance(wire.root, models.WorkspaceWriteSandboxPolicy)
    assert wire.to_dict() == sandbox_policy(policy)


def test_a_generated_policy_is_a_setting_too(tmp_path: Path) -> None:
    wire = models.SandboxPolicy.model_validate(
        {"type": "workspaceWrite", "writableRoots": [str(tmp_path)], "networkAccess": True}
    )
    setting = SandboxPolicy.from_wire(wire)
    assert setting == SandboxPolicy(Sandbox.workspace_write, writable_roots=(str(tmp_path),), network_access=True)
    assert SandboxPolicy.from_wire(wire.root) == setting
    assert SandboxPolicy.from_wire(wire.to_dict()) == setting
    assert sandbox_policy(wire) == wire.to_dict()
    assert sandbox_mode(wire) == "workspace-write"
    assert sandbox_thread_config(wire) == {
        "sandbox_workspace_write.writable_roots": [str(tmp_path)],
        "sandbox_workspace_write.network_access": True,
    }
    full = models.SandboxPolicy.model_validate({"type": "dangerFullAccess"})
    assert SandboxPolicy.from_wire(full) == SandboxPolicy(Sandbox.full_access)
    # Typed as Sandbox; the wire's member is taken at run time, stored as the SDK's.
    assert SandboxPolicy(models.SandboxMode.danger_full_access).mode is Sandbox.full_access  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "wire",
    [
        {"type": "externalSandbox"},
        {"type": "somethingNew"},
        {"type": "workspaceWrite", "excludeSlashTmp": True},
    ],
)
def test_what_a_setting_cannot_say_is_refused(wire: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        SandboxPolicy.from_wire(models.SandboxPolicy.model_validate(wire))


@pytest.mark.parametrize("value", ["read-only", "full-access", 1, codex.ApprovalMode.deny_all])
def test_anything_else_is_still_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="sandbox must be one of"):
        sandbox_mode(value)  # type: ignore[arg-type]


def test_the_setting_is_not_a_wire_model() -> None:
    """``codex.SandboxPolicy`` is the SDK's setting (relative roots, the engine's default network),
    ``codex.types.SandboxPolicy`` the wire union it converts to."""
    assert not isinstance(SandboxPolicy(Sandbox.read_only), models.SandboxPolicy)
    assert codex.SandboxPolicy is SandboxPolicy


@pytest.mark.parametrize("partial", ["codex.protocol._root", "codex.protocol.models"])
def test_a_module_another_thread_is_still_importing_is_not_asked_for_its_classes(
    partial: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The protocol warm-up thread puts a module in ``sys.modules`` before its classes exist;
    a thread started meanwhile (a fleet worker's first task) must not fail on the missing
    class (it did: AttributeError "partially initialized module 'codex.protocol._root'")."""
    monkeypatch.setitem(sys.modules, partial, types.ModuleType(partial))
    config = sandbox_thread_config(Sandbox.workspace_write)
    assert config == sandbox_thread_config(SandboxPolicy(Sandbox.workspace_write))
    assert sandbox_mode(Sandbox.read_only) == "read-only"
    with pytest.raises(ConfigurationError, match="sandbox must be one of"):
        sandbox_mode("read-only")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", list(codex.ApprovalMode))
def test_approval_modes_send_values_of_the_generated_enums(mode: codex.ApprovalMode) -> None:
    settings = approval_settings(mode)
    models.AskForApproval.model_validate(settings["approvalPolicy"])
    assert models.AskForApprovalValue(settings["approvalPolicy"])
    if "approvalsReviewer" in settings:
        assert models.ApprovalsReviewer(settings["approvalsReviewer"])
