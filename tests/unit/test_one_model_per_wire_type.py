"""One model per wire type: the generated ``codex.protocol`` models, nowhere a hand-written twin.

A second class for a wire type drifts from the engine's schema and breaks ``isinstance`` and
``is`` between values that came through different paths (``codex.types.ThreadListResponse``
must be the class ``thread_list()`` returns). So every public name that has a generated class
of the same name is that class or a subclass adding ergonomics, and no module outside
``codex.protocol`` defines a pydantic model or enum that mirrors a generated one: the same name,
the same wire field names, or the same enum values.

The exceptions are listed below with why; an entry that no longer matches fails, so the list
only shrinks.
"""

from __future__ import annotations

import importlib
import pkgutil
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel

import codex
from codex.protocol import ProtocolModel, models

# Hand-written models and enums that mirror a generated one, and why they may (for now).
# Key: "module.Class", value: the reason.
SDK_TYPES = {
    # Not wire types: the SDK's own values that happen to share a generated name or fields.
    "codex.client.InitializeResponse": (
        "client.metadata, made by the SDK in openai_codex's hand-written shape (camelCase attributes, "
        "serverInfo); the engine's initialize response (codexHome, ...) is not what it describes"
    ),
    "codex.client.ServerInfo": (
        "part of InitializeResponse; its fields (name, version) only coincide with ConfigLayerMetadata's"
    ),
}
PENDING = {
    # Wire types still written by hand: bound when `import codex` runs, which must not load the
    # generated models, so they move once their callers look them up at call time.
    "codex.mcp.McpServerStatus": "mcp.py: the wire status plus start-up notices; to subclass the generated one",
    "codex.approvals.CommandApprovalRequest": "approvals.py: typed requests with SDK methods, bound at import",
    "codex.approvals.FileChangeApprovalRequest": "approvals.py: typed requests with SDK methods, bound at import",
    "codex.approvals.LegacyPatchApprovalRequest": "approvals.py: typed requests with SDK methods, bound at import",
    "codex.approvals.DynamicToolCallRequest": "approvals.py: typed requests with SDK methods, bound at import",
    "codex.approvals.AuthTokensRefreshRequest": "approvals.py: typed requests with SDK methods, bound at import",
    "codex.approvals.UserInputQuestion": "approvals.py: typed requests with SDK methods, bound at import",
}
ALLOWED = {**SDK_TYPES, **PENDING}

# Modules that run something when imported, and the extension (no Python models; absent
# under CODEX_TEST_NO_NATIVE).
SKIPPED_MODULES = frozenset({"codex.__main__", "codex._native"})


def _generated() -> dict[str, type]:
    return {name: value for name, value in vars(models).items() if isinstance(value, type) and not name.startswith("_")}


def _wire_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model.model_fields.items())


def _our_modules() -> list[Any]:
    names = [info.name for info in pkgutil.walk_packages(codex.__path__, "codex.")]
    return [
        importlib.import_module(name)
        for name in sorted(names)
        if not name.startswith("codex.protocol") and name not in SKIPPED_MODULES
    ]


def _mirrors(cls: type, generated: dict[str, type]) -> list[str]:
    """The generated types ``cls`` mirrors without being (a subclass of) them."""
    found: list[str] = []
    same_name = generated.get(cls.__name__)
    if same_name is not None and not issubclass(cls, same_name):
        found.append(f"{same_name.__name__} (same name)")
    if issubclass(cls, BaseModel) and "root" not in cls.model_fields:
        fields = _wire_fields(cls)
        same_fields = [
            model
            for model in generated.values()
            if issubclass(model, ProtocolModel) and len(fields) >= 2 and _wire_fields(model) == fields
        ]
        # Several generated models share a shape (the list responses): extending one of them is fine.
        if same_fields and not any(issubclass(cls, model) for model in same_fields):
            found += [f"{model.__name__} (same wire fields)" for model in same_fields]
    if issubclass(cls, Enum):
        values = frozenset(member.value for member in cls)
        for name, enum in generated.items():
            if (
                len(values) >= 2
                and issubclass(enum, Enum)
                and enum is not cls
                and frozenset(member.value for member in enum) == values
            ):
                found.append(f"{name} (same enum values)")
    return found


def hand_written_twins() -> dict[str, list[str]]:
    """``module.Class`` -> the generated types it mirrors, for every model and enum outside codex.protocol."""
    generated = _generated()
    twins: dict[str, list[str]] = {}
    for module in _our_modules():
        for value in vars(module).values():
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            if not issubclass(value, (BaseModel, Enum)):
                continue
            mirrored = _mirrors(value, generated)
            if mirrored:
                twins[f"{module.__name__}.{value.__name__}"] = mirrored
    return twins


def test_no_module_outside_codex_protocol_defines_a_twin_of_a_generated_model() -> None:
    twins = hand_written_twins()
    unexplained = {name: found for name, found in twins.items() if name not in ALLOWED}
    assert not unexplained, (
        f"hand-written twins of generated wire types (re-export or subclass the generated class): {unexplained}"
    )


def test_every_listed_exception_is_still_a_twin() -> None:
    stale = sorted(set(ALLOWED) - set(hand_written_twins()))
    assert not stale, f"no longer twins of a generated type, remove them from this test's lists: {stale}"


def _public_models(module: Any) -> dict[str, type]:
    """The pydantic models and enums in ``__all__`` (``codex.Thread``, the handle, is no model;
    ``openai_codex`` too has it beside the generated stored ``Thread``)."""
    return {
        name: value
        for name in module.__all__
        if isinstance(value := getattr(module, name), type) and issubclass(value, (BaseModel, Enum))
    }


@pytest.mark.parametrize("module_name", ["codex", "codex.types", "codex.api_models"])
def test_public_names_with_a_generated_namesake_are_that_class(module_name: str) -> None:
    generated = _generated()
    module = importlib.import_module(module_name)
    wrong = {
        name: f"{value.__module__}.{value.__qualname__}"
        for name, value in _public_models(module).items()
        if name in generated
        and not issubclass(value, generated[name])
        and f"{value.__module__}.{value.__qualname__}" not in ALLOWED
    }
    assert not wrong, f"{module_name} exports these, not the generated classes of the same name: {wrong}"


def test_the_official_result_types_are_the_generated_classes() -> None:
    """The issue's example and its kin: what official code imports is what the client returns."""
    import codex.api_models
    import codex.types

    for name in ("ThreadListResponse", "ThreadReadResponse", "ModelListResponse", "TurnSteerResponse", "SandboxMode"):
        assert getattr(codex.types, name) is getattr(models, name)
    assert codex.types.SandboxPolicy is models.SandboxPolicy
    assert codex.api_models.ThreadGoal is models.ThreadGoal
    assert codex.api_models.ThreadGoalStatus is models.ThreadGoalStatus
    assert codex.api_models.StoredThread is models.Thread


def test_a_goal_response_holds_the_generated_goal() -> None:
    from codex.api_models import ThreadGoalResponse

    wire = {
        "goal": {
            "threadId": "t",
            "objective": "ship it",
            "status": "active",
            "tokenBudget": 100,
            "tokensUsed": 5,
            "timeUsedSeconds": 2,
            "createdAt": 1,
            "updatedAt": 2,
        }
    }
    response = ThreadGoalResponse.model_validate(wire)
    assert isinstance(response.goal, models.ThreadGoal)
    assert response.goal.status is models.ThreadGoalStatus.active
    assert response.to_dict() == wire
    assert ThreadGoalResponse.model_validate({"goal": None}).goal is None


def test_the_scan_catches_a_twin() -> None:
    generated = _generated()

    class ThreadListResponse(BaseModel):  # same name
        data: list[Any]

    class Listing(BaseModel):  # same wire fields as ThreadListResponse
        data: list[Any]
        next_cursor: str | None = None
        backwards_cursor: str | None = None

    Listing.model_fields["next_cursor"].alias = "nextCursor"
    Listing.model_fields["backwards_cursor"].alias = "backwardsCursor"

    class Mode(str, Enum):  # same values as SandboxMode
        a = "read-only"
        b = "workspace-write"
        c = "danger-full-access"

    class Subclass(models.ThreadListResponse):  # ergonomics on the generated class are fine
        pass

    assert _mirrors(ThreadListResponse, generated) == ["ThreadListResponse (same name)"]
    assert _wire_fields(models.ThreadListResponse) == _wire_fields(Listing)
    assert "ThreadListResponse (same wire fields)" in _mirrors(Listing, generated)
    assert _mirrors(Mode, generated) == ["SandboxMode (same enum values)"]
    assert _mirrors(Subclass, generated) == []
