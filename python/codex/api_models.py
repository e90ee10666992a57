"""Typed results of client, thread and account calls (the shapes ``openai_codex`` returns).

The results ``openai_codex`` also has are the generated protocol models
(``codex.protocol.models``), as in ``openai_codex``, where they are its generated
models: ``ThreadReadResponse().thread`` is a ``Thread`` whose ``status`` is a root
model, ``Model.supported_reasoning_efforts[0].reasoning_effort`` a ``ReasoningEffort``.
They load on first use, not at ``import codex``. The goal results, which
``openai_codex`` has not, are written here.

Attribute names are snake_case (``response.next_cursor``), the wire names are camelCase,
and every model keeps fields it does not declare, so a newer engine never breaks a program.
``to_dict()`` gives the engine's JSON back.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from .events import WireModel
from .protocol import model_named

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
        ThreadListResponse,
        ThreadReadResponse,
        ThreadRollbackResponse,
        ThreadSetNameResponse,
        ThreadUnarchiveResponse,
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
    "ThreadListResponse": "ThreadListResponse",
    "ThreadReadResponse": "ThreadReadResponse",
    "ThreadRollbackResponse": "ThreadRollbackResponse",
    "ThreadSetNameResponse": "ThreadSetNameResponse",
    "ThreadUnarchiveResponse": "ThreadUnarchiveResponse",
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


class ThreadGoalStatus(str, Enum):
    active = "active"
    paused = "paused"
    blocked = "blocked"
    usage_limited = "usageLimited"
    budget_limited = "budgetLimited"
    complete = "complete"


class ThreadUnsubscribeResponse(WireModel):
    status: str


class ThreadGoal(WireModel):
    thread_id: str
    objective: str
    status: ThreadGoalStatus
    token_budget: int | None = None
    tokens_used: int = 0
    time_used_seconds: int = 0
    created_at: int = 0
    updated_at: int = 0


class ThreadGoalResponse(WireModel):
    """``thread/goal/get`` and ``thread/goal/set``: the goal (None when the thread has none)."""

    goal: ThreadGoal | None = None


class ThreadGoalClearResponse(WireModel):
    cleared: bool = False


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
