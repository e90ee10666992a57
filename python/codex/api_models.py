"""Typed results of client, thread and account calls (the shapes ``openai_codex`` returns).

Attribute names are snake_case (``response.next_cursor``), the wire names are camelCase,
and every model keeps fields it does not declare, so a newer engine never breaks a program.
``to_dict()`` gives the engine's JSON back.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel

from .events import JsonObject, WireModel
from .protocol import LazyModel

if TYPE_CHECKING:
    from .events import Turn
else:
    # The generated models load when StoredThread first validates, not at import.
    Turn = Annotated[Any, LazyModel("Turn")]


class ThreadGoalStatus(str, Enum):
    active = "active"
    paused = "paused"
    blocked = "blocked"
    usage_limited = "usageLimited"
    budget_limited = "budgetLimited"
    complete = "complete"


class StoredThread(WireModel):
    """A thread as the engine stores it (``openai_codex``'s generated ``Thread`` model)."""

    id: str
    session_id: str | None = None
    preview: str = ""
    name: str | None = None
    cwd: str | None = None
    model_provider: str | None = None
    created_at: int | None = None
    updated_at: int | None = None
    recency_at: int | None = None
    ephemeral: bool = False
    forked_from_id: str | None = None
    parent_thread_id: str | None = None
    path: str | None = None
    cli_version: str | None = None
    source: JsonObject | str | None = None
    thread_source: str | None = None
    history_mode: str | None = None
    status: JsonObject | None = None
    can_accept_direct_input: bool | None = None
    agent_nickname: str | None = None
    agent_role: str | None = None
    git_info: JsonObject | None = None
    turns: list[Turn] = Field(default_factory=list)


class ThreadReadResponse(WireModel):
    thread: StoredThread


class ThreadListResponse(WireModel):
    """One page of stored threads; pass ``next_cursor`` back as ``cursor`` for the next."""

    data: list[StoredThread]
    next_cursor: str | None = None
    backwards_cursor: str | None = None


class ThreadArchiveResponse(WireModel):
    pass


class ThreadUnarchiveResponse(WireModel):
    thread: StoredThread


class ThreadSetNameResponse(WireModel):
    pass


class ThreadCompactStartResponse(WireModel):
    pass


class ThreadRollbackResponse(WireModel):
    """The thread after dropping turns (its ``turns`` are the ones left)."""

    thread: StoredThread


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


class TurnSteerResponse(WireModel):
    turn_id: str


class TurnInterruptResponse(WireModel):
    pass


class ReasoningEffortOption(WireModel):
    reasoning_effort: str
    description: str = ""


class Model(WireModel):
    """One model the engine offers (``openai_codex``'s ``Model``)."""

    id: str
    model: str
    display_name: str
    description: str = ""
    hidden: bool = False
    is_default: bool = False
    default_reasoning_effort: str | None = None
    supported_reasoning_efforts: list[ReasoningEffortOption] = Field(default_factory=list)
    input_modalities: list[str] | None = None
    supports_personality: bool = False
    additional_speed_tiers: list[str] = Field(default_factory=list)
    service_tiers: list[JsonObject] | None = None
    default_service_tier: str | None = None
    availability_nux: JsonObject | None = None
    upgrade: str | None = None
    upgrade_info: JsonObject | None = None


class ModelListResponse(WireModel):
    data: list[Model]
    next_cursor: str | None = None


class ApiKeyAccount(WireModel):
    type: Literal["apiKey"]


class ChatgptAccount(WireModel):
    type: Literal["chatgpt"]
    email: str | None = None
    plan_type: str | None = None


class AmazonBedrockAccount(WireModel):
    type: Literal["amazonBedrock"]
    uses_codex_managed_credentials: bool = False


class Account(RootModel[ApiKeyAccount | ChatgptAccount | AmazonBedrockAccount]):
    """The signed-in account; the concrete kind is ``account.root`` (as in ``openai_codex``)."""

    model_config = ConfigDict(defer_build=True)


class GetAccountResponse(WireModel):
    """``account`` is None when nobody is signed in (or the provider takes no OpenAI login)."""

    account: Account | None = None
    requires_openai_auth: bool = False


class CancelLoginAccountResponse(WireModel):
    status: Literal["canceled", "notFound"]


class AccountLoginCompletedNotification(WireModel):
    success: bool
    login_id: str | None = None
    error: str | None = None


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
