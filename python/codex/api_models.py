"""Typed results of client, thread and account calls (the shapes ``openai_codex`` returns).

Every wire type here is the generated protocol model (``codex.protocol.models``), as in
``openai_codex``, where they are its generated models: ``ThreadReadResponse().thread`` is a
``Thread`` whose ``status`` is a root model, ``Model.supported_reasoning_efforts[0].reasoning_effort``
a ``ReasoningEffort``, ``ThreadGoal`` and ``ThreadGoalStatus`` the engine's goal types. They load
on first use, not at ``import codex``.

One response is still written here: ``ThreadGoalResponse`` (``thread/goal/get`` and
``thread/goal/set``, which the schema types separately). Its fields hold the generated types,
and ``tests/unit/test_one_model_per_wire_type.py`` lists it among the exceptions left to remove.

Attribute names are snake_case (``response.next_cursor``), the wire names are camelCase,
and every model keeps fields it does not declare, so a newer engine never breaks a program.
``to_dict()`` gives the engine's JSON back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from .events import WireModel
from .protocol import LazyModel, model_named

if TYPE_CHECKING:
    from .protocol.models import (
        Account,
        AccountLoginCompletedNotification,
        AmazonBedrockAccount,
        ApiKeyAccount,
        CancelLoginAccountResponse,
        ChatgptAccount,
        GetAccountResponse,
        Model,
        ModelListResponse,
        ReasoningEffortOption,
        ThreadArchiveResponse,
        ThreadCompactStartResponse,
        ThreadGoal,
        ThreadGoalClearResponse,
        ThreadGoalStatus,
        ThreadListResponse,
        ThreadReadResponse,
        ThreadRollbackResponse,
        ThreadSetNameResponse,
        ThreadUnarchiveResponse,
        ThreadUnsubscribeResponse,
        TurnInterruptResponse,
        TurnSteerResponse,
    )
    from .protocol.models import Thread as StoredThread

#: Our name -> the generated model's (the same name but for ``StoredThread``).
_GENERATED = {
    "Account": "Account",
    "AccountLoginCompletedNotification": "AccountLoginCompletedNotification",
    "AmazonBedrockAccount": "AmazonBedrockAccount",
    "ApiKeyAccount": "ApiKeyAccount",
    "CancelLoginAccountResponse": "CancelLoginAccountResponse",
    "ChatgptAccount": "ChatgptAccount",
    "GetAccountResponse": "GetAccountResponse",
    "Model": "Model",
    "ModelListResponse": "ModelListResponse",
    "ReasoningEffortOption": "ReasoningEffortOption",
    "StoredThread": "Thread",
    "ThreadArchiveResponse": "ThreadArchiveResponse",
    "ThreadCompactStartResponse": "ThreadCompactStartResponse",
    "ThreadGoal": "ThreadGoal",
    "ThreadGoalClearResponse": "ThreadGoalClearResponse",
    "ThreadGoalStatus": "ThreadGoalStatus",
    "ThreadListResponse": "ThreadListResponse",
    "ThreadReadResponse": "ThreadReadResponse",
    "ThreadRollbackResponse": "ThreadRollbackResponse",
    "ThreadSetNameResponse": "ThreadSetNameResponse",
    "ThreadUnarchiveResponse": "ThreadUnarchiveResponse",
    "ThreadUnsubscribeResponse": "ThreadUnsubscribeResponse",
    "TurnInterruptResponse": "TurnInterruptResponse",
    "TurnSteerResponse": "TurnSteerResponse",
}


def __getattr__(name: str) -> Any:
    # PEP 562: the generated models load on first use.
    if name not in _GENERATED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = model_named(_GENERATED[name])
    globals()[name] = value
    return value


class ThreadGoalResponse(WireModel):
    """``thread/goal/get`` and ``thread/goal/set``: the goal (None when the thread has none)."""

    if TYPE_CHECKING:
        goal: ThreadGoal | None = None
    else:
        # The generated ThreadGoal, looked up when this model first validates.
        goal: Annotated[Any, LazyModel("ThreadGoal")] | None = None


__all__ = [
    "Account",
    "AccountLoginCompletedNotification",
    "AmazonBedrockAccount",
    "ApiKeyAccount",
    "CancelLoginAccountResponse",
    "ChatgptAccount",
    "GetAccountResponse",
    "Model",
    "ModelListResponse",
    "ReasoningEffortOption",
    "StoredThread",
    "ThreadArchiveResponse",
    "ThreadCompactStartResponse",
    "ThreadGoal",
    "ThreadGoalClearResponse",
    "ThreadGoalResponse",
    "ThreadGoalStatus",
    "ThreadListResponse",
    "ThreadReadResponse",
    "ThreadRollbackResponse",
    "ThreadSetNameResponse",
    "ThreadUnarchiveResponse",
    "ThreadUnsubscribeResponse",
    "TurnInterruptResponse",
    "TurnSteerResponse",
]
