"""Typed engine events.

Every notification becomes a :class:`Notification` whose ``payload`` is a
pydantic model. The models here cover the notifications and items a turn
produces; any other notification arrives as :class:`UnknownNotification` with
its params intact, and every model keeps fields it does not declare, so a newer
engine never breaks a program. ``to_dict()`` / ``to_json()`` give back the
engine's own wire JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, ClassVar, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, SerializeAsAny
from pydantic.alias_generators import to_camel

JsonValue: TypeAlias = Any
JsonObject: TypeAlias = dict[str, Any]


class WireModel(BaseModel):
    """Base of every event model: camelCase on the wire, unknown fields kept."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        frozen=False,
    )

    def to_dict(self) -> JsonObject:
        """The engine's wire JSON for this value (as a dict)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def to_json(self) -> str:
        """The engine's wire JSON for this value (as text)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


# --------------------------------------------------------------------------- items
class ThreadItem(WireModel):
    """One item of a turn. Subclasses type the kinds a turn usually carries."""

    type: str
    id: str

    kind: ClassVar[str] = ""


class UserMessageThreadItem(ThreadItem):
    kind: ClassVar[str] = "userMessage"
    content: list[JsonObject] = []


class AgentMessageThreadItem(ThreadItem):
    kind: ClassVar[str] = "agentMessage"
    text: str
    phase: str | None = None


class ReasoningThreadItem(ThreadItem):
    kind: ClassVar[str] = "reasoning"
    summary: list[str] = []
    content: list[str] = []


class PlanThreadItem(ThreadItem):
    kind: ClassVar[str] = "plan"
    text: str


class CommandExecutionThreadItem(ThreadItem):
    kind: ClassVar[str] = "commandExecution"
    command: str
    cwd: str
    status: str
    aggregated_output: str | None = None
    exit_code: int | None = None
    duration_ms: int | None = None


class FileUpdateChange(WireModel):
    path: str
    kind: JsonValue = None
    diff: str | None = None


class FileChangeThreadItem(ThreadItem):
    kind: ClassVar[str] = "fileChange"
    changes: list[FileUpdateChange] = []
    status: str


class McpToolCallThreadItem(ThreadItem):
    kind: ClassVar[str] = "mcpToolCall"
    server: str
    tool: str
    status: str
    arguments: JsonValue = None
    result: JsonValue = None
    error: JsonValue = None
    duration_ms: int | None = None


class DynamicToolCallThreadItem(ThreadItem):
    kind: ClassVar[str] = "dynamicToolCall"
    tool: str
    namespace: str | None = None
    arguments: JsonValue = None
    status: str
    content_items: list[JsonObject] | None = None
    success: bool | None = None
    duration_ms: int | None = None


_ITEM_TYPES: dict[str, type[ThreadItem]] = {
    cls.kind: cls
    for cls in (
        UserMessageThreadItem,
        AgentMessageThreadItem,
        ReasoningThreadItem,
        PlanThreadItem,
        CommandExecutionThreadItem,
        FileChangeThreadItem,
        McpToolCallThreadItem,
        DynamicToolCallThreadItem,
    )
}


def parse_thread_item(value: Any) -> Any:
    """Picks the item model by its ``type``; unknown kinds stay a plain :class:`ThreadItem`."""
    if isinstance(value, dict):
        model = _ITEM_TYPES.get(str(value.get("type")), ThreadItem)
        return model.model_validate(value)
    return value


AnyThreadItem = Annotated[SerializeAsAny[ThreadItem], BeforeValidator(parse_thread_item)]


# --------------------------------------------------------------------------- turns
class TurnStatus(str, Enum):
    completed = "completed"
    interrupted = "interrupted"
    failed = "failed"
    in_progress = "inProgress"


class TurnError(WireModel):
    message: str
    codex_error_info: JsonValue = None
    additional_details: str | None = None


class Turn(WireModel):
    id: str
    items: list[AnyThreadItem] = []
    #: How much of ``items`` a stored turn carries: ``"full"``, ``"summary"`` or ``"notLoaded"``.
    items_view: str | None = None
    status: TurnStatus
    error: TurnError | None = None
    started_at: int | None = None
    completed_at: int | None = None
    duration_ms: int | None = None


class TokenUsageBreakdown(WireModel):
    total_tokens: int
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_output_tokens: int = 0


class ThreadTokenUsage(WireModel):
    total: TokenUsageBreakdown
    last: TokenUsageBreakdown
    model_context_window: int | None = None


class ThreadInfo(WireModel):
    id: str


# --------------------------------------------------------------------------- notifications
class ThreadStartedNotification(WireModel):
    thread: ThreadInfo


class ThreadStatusChangedNotification(WireModel):
    thread_id: str
    status: JsonValue = None


class TurnStartedNotification(WireModel):
    thread_id: str
    turn: Turn


class TurnCompletedNotification(WireModel):
    thread_id: str
    turn: Turn


class ItemStartedNotification(WireModel):
    thread_id: str
    turn_id: str
    item: AnyThreadItem


class ItemCompletedNotification(WireModel):
    thread_id: str
    turn_id: str
    item: AnyThreadItem


class AgentMessageDeltaNotification(WireModel):
    thread_id: str
    turn_id: str
    item_id: str
    delta: str


class CommandExecutionOutputDeltaNotification(WireModel):
    thread_id: str
    turn_id: str
    item_id: str
    delta: str


class ReasoningSummaryTextDeltaNotification(WireModel):
    thread_id: str
    turn_id: str
    item_id: str
    delta: str


class ThreadTokenUsageUpdatedNotification(WireModel):
    thread_id: str
    turn_id: str
    token_usage: ThreadTokenUsage


class ErrorNotification(WireModel):
    thread_id: str
    turn_id: str
    error: TurnError
    will_retry: bool = False


class McpServerStartupStatusNotification(WireModel):
    """An MCP server of a thread is ``starting``, ``ready``, ``failed`` or ``cancelled``."""

    thread_id: str | None = None
    name: str
    status: str
    error: str | None = None
    failure_reason: str | None = None


NOTIFICATION_MODELS: dict[str, type[WireModel]] = {
    "thread/started": ThreadStartedNotification,
    "thread/status/changed": ThreadStatusChangedNotification,
    "turn/started": TurnStartedNotification,
    "turn/completed": TurnCompletedNotification,
    "item/started": ItemStartedNotification,
    "item/completed": ItemCompletedNotification,
    "item/agentMessage/delta": AgentMessageDeltaNotification,
    "item/commandExecution/outputDelta": CommandExecutionOutputDeltaNotification,
    "item/reasoning/summaryTextDelta": ReasoningSummaryTextDeltaNotification,
    "thread/tokenUsage/updated": ThreadTokenUsageUpdatedNotification,
    "error": ErrorNotification,
    "mcpServer/startupStatus/updated": McpServerStartupStatusNotification,
}


@dataclass(slots=True)
class UnknownNotification:
    """A notification without a model here (yet): its params, untouched."""

    params: JsonObject

    def to_dict(self) -> JsonObject:
        return self.params

    def to_json(self) -> str:
        return json.dumps(self.params, separators=(",", ":"))


NotificationPayload: TypeAlias = WireModel | UnknownNotification


@dataclass(slots=True)
class Notification:
    """One engine notification: its JSON-RPC ``method`` and typed ``payload``."""

    method: str
    payload: NotificationPayload

    def to_dict(self) -> JsonObject:
        return {"method": self.method, "params": self.payload.to_dict()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


def parse_notification(method: str, params: JsonObject) -> Notification:
    """Builds the typed notification; a payload that does not fit its model is kept raw."""
    model = NOTIFICATION_MODELS.get(method)
    if model is None:
        return Notification(method, UnknownNotification(params))
    try:
        return Notification(method, model.model_validate(params))
    except ValueError:
        # A newer engine changed the shape: keep the event rather than crash.
        return Notification(method, UnknownNotification(params))
