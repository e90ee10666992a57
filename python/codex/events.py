"""Typed engine events.

Every notification becomes a :class:`Notification` whose ``payload`` is a
pydantic model from :mod:`codex.protocol`, generated from the embedded engine's
own schema, so every notification of the protocol is typed. A notification
this SDK does not know (a newer engine's), or one whose params do not fit its
model, arrives as :class:`UnknownNotification` with its params intact; every
model keeps fields it does not declare, and a variant of a tagged union it
does not know (a new kind of thread item, say) parses as that union's
``Unrecognized...`` model (:class:`UnrecognizedThreadItem`), so a newer engine
never breaks a program. ``to_dict()`` / ``to_json()`` give back the engine's own wire JSON.

The engine hands each notification's params over as JSON text; :func:`parse_notification_json`
validates that text into the model in one pass (pydantic's JSON parser builds the model
directly, no intermediate dict), and takes the two-step path of :func:`parse_notification`
only where it must: a method without a model, an event carrying error text to scrub, a
payload the one-pass parse refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import SchemaValidator

from . import protocol
from .errors import scrub
from .protocol import ProtocolModel, ProtocolType, adapter

JsonValue: TypeAlias = Any
JsonObject: TypeAlias = dict[str, Any]


class WireModel(BaseModel):
    """Base of the SDK's hand-written models: camelCase on the wire, unknown fields kept."""

    # defer_build: each model builds its validator on first use, not at ``import codex``.
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        frozen=False,
        defer_build=True,
    )

    def to_dict(self) -> JsonObject:
        """The engine's wire JSON for this value (as a dict)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def to_json(self) -> str:
        """The engine's wire JSON for this value (as text)."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


# --------------------------------------------------------------------------- protocol models
# The event models are the ones generated from the engine's own schema
# (codex.protocol); these names are the SDK's stable spelling of them.

# They load with the generated models, on first use (PEP 562): ``import codex`` stays
# fast, and a client warms them up while its engine starts (protocol.warm_up).
_PROTOCOL_ALIASES = {
    "ThreadItem": "ThreadItem",
    "UserMessageThreadItem": "UserMessageThreadItem",
    "AgentMessageThreadItem": "AgentMessageThreadItem",
    "ReasoningThreadItem": "ReasoningThreadItem",
    "PlanThreadItem": "PlanThreadItem",
    "CommandExecutionThreadItem": "CommandExecutionThreadItem",
    "FileUpdateChange": "FileUpdateChange",
    "FileChangeThreadItem": "FileChangeThreadItem",
    "McpToolCallThreadItem": "McpToolCallThreadItem",
    "DynamicToolCallThreadItem": "DynamicToolCallThreadItem",
    "UnrecognizedThreadItem": "UnrecognizedThreadItem",
    "TurnStatus": "TurnStatus",
    "TurnError": "TurnError",
    "Turn": "Turn",
    "TokenUsageBreakdown": "TokenUsageBreakdown",
    "ThreadTokenUsage": "ThreadTokenUsage",
    "ThreadInfo": "Thread",
    "ThreadStartedNotification": "ThreadStartedNotification",
    "ThreadStatusChangedNotification": "ThreadStatusChangedNotification",
    "TurnStartedNotification": "TurnStartedNotification",
    "TurnCompletedNotification": "TurnCompletedNotification",
    "ItemStartedNotification": "ItemStartedNotification",
    "ItemCompletedNotification": "ItemCompletedNotification",
    "AgentMessageDeltaNotification": "AgentMessageDeltaNotification",
    "CommandExecutionOutputDeltaNotification": "CommandExecutionOutputDeltaNotification",
    "ReasoningSummaryTextDeltaNotification": "ReasoningSummaryTextDeltaNotification",
    "ThreadTokenUsageUpdatedNotification": "ThreadTokenUsageUpdatedNotification",
    "ErrorNotification": "ErrorNotification",
    "McpServerStartupStatusNotification": "McpServerStatusUpdatedNotification",
}

if TYPE_CHECKING:
    from .protocol import models

    # One item of a turn, as in ``openai_codex``: a root model whose ``.root`` is the
    # concrete item (one of the models below, told apart by ``type``).
    ThreadItem = models.ThreadItem
    UserMessageThreadItem = models.UserMessageThreadItem
    AgentMessageThreadItem = models.AgentMessageThreadItem
    ReasoningThreadItem = models.ReasoningThreadItem
    PlanThreadItem = models.PlanThreadItem
    CommandExecutionThreadItem = models.CommandExecutionThreadItem
    FileUpdateChange = models.FileUpdateChange
    FileChangeThreadItem = models.FileChangeThreadItem
    McpToolCallThreadItem = models.McpToolCallThreadItem
    DynamicToolCallThreadItem = models.DynamicToolCallThreadItem
    # An item of a kind this SDK does not model (a newer engine's): every field kept.
    UnrecognizedThreadItem = models.UnrecognizedThreadItem

    TurnStatus = models.TurnStatus
    TurnError = models.TurnError
    Turn = models.Turn
    TokenUsageBreakdown = models.TokenUsageBreakdown
    ThreadTokenUsage = models.ThreadTokenUsage
    ThreadInfo = models.Thread

    ThreadStartedNotification = models.ThreadStartedNotification
    ThreadStatusChangedNotification = models.ThreadStatusChangedNotification
    TurnStartedNotification = models.TurnStartedNotification
    TurnCompletedNotification = models.TurnCompletedNotification
    ItemStartedNotification = models.ItemStartedNotification
    ItemCompletedNotification = models.ItemCompletedNotification
    AgentMessageDeltaNotification = models.AgentMessageDeltaNotification
    CommandExecutionOutputDeltaNotification = models.CommandExecutionOutputDeltaNotification
    ReasoningSummaryTextDeltaNotification = models.ReasoningSummaryTextDeltaNotification
    ThreadTokenUsageUpdatedNotification = models.ThreadTokenUsageUpdatedNotification
    ErrorNotification = models.ErrorNotification
    McpServerStartupStatusNotification = models.McpServerStatusUpdatedNotification

    # Every server notification of the protocol: method -> params model.
    NOTIFICATION_MODELS: dict[str, ProtocolType] = protocol.SERVER_NOTIFICATION_PARAMS


def __getattr__(name: str) -> Any:
    if name == "NOTIFICATION_MODELS":
        value: Any = protocol.SERVER_NOTIFICATION_PARAMS
    elif name in _PROTOCOL_ALIASES:
        value = protocol.model_named(_PROTOCOL_ALIASES[name])
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def parse_thread_item(value: JsonObject) -> ThreadItem | JsonObject:
    """The :class:`ThreadItem` for a wire item (its ``root`` an :class:`UnrecognizedThreadItem`
    for a kind this SDK does not know); a value that is no item at all (no ``type``) stays a dict."""
    try:
        item: ThreadItem = adapter(protocol.model_named("ThreadItem")).validate_python(value)
    except ValueError:
        return value
    return item


@dataclass(slots=True)
class UnknownNotification:
    """A notification without a model here (yet): its params, untouched."""

    params: JsonObject

    def to_dict(self) -> JsonObject:
        return self.params

    def to_json(self) -> str:
        return json.dumps(self.params, separators=(",", ":"))


# Engine notifications carry protocol models; the SDK's own events (approval
# outcomes) are WireModels.
NotificationPayload: TypeAlias = ProtocolModel | WireModel | UnknownNotification


@dataclass(slots=True)
class Notification:
    """One engine notification: its JSON-RPC ``method`` and typed ``payload``."""

    method: str
    payload: NotificationPayload

    def to_dict(self) -> JsonObject:
        return {"method": self.method, "params": self.payload.to_dict()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


# Where the provider's error text (which may echo the API key) sits in an event: it is
# scrubbed like the exceptions built from it (see errors.scrub), and only there.
_ERROR_EVENTS: dict[str, tuple[str, ...]] = {"error": ("error",), "turn/completed": ("turn", "error")}


def _scrub_error(params: JsonObject, path: tuple[str, ...]) -> JsonObject:
    head, *rest = path
    inner = params.get(head) if isinstance(params, dict) else None
    if not isinstance(inner, dict):
        return params
    return {**params, head: _scrub_error(inner, tuple(rest)) if rest else scrub(inner)}


def parse_notification(method: str, params: JsonObject) -> Notification:
    """Builds the typed notification; a payload that does not fit its model is kept raw."""
    if method in _ERROR_EVENTS:
        params = _scrub_error(params, _ERROR_EVENTS[method])
    model = protocol.notification_model(method)
    if model is None:
        return Notification(method, UnknownNotification(params))
    try:
        payload: ProtocolModel = adapter(model).validate_python(params)
    except ValueError:
        # A newer engine changed the shape: keep the event rather than crash. (A new
        # kind of item, or of any tagged union, still parses: as Unrecognized<Union>.)
        return Notification(method, UnknownNotification(params))
    return Notification(method, payload)


# method -> the validate_json of its model's own validator (BaseModel.model_validate_json
# without its Python frame: the delta of every token goes through here).
_JSON_VALIDATORS: dict[str, Callable[[str | bytes], Any]] = {}


def _json_validator(method: str, model: ProtocolType) -> Callable[[str | bytes], Any]:
    validator = model.__pydantic_validator__
    if not isinstance(validator, SchemaValidator):
        # The warm-up may be building it: waiting costs less than building it beside it.
        protocol.wait_for_warm_up()
        validator = model.__pydantic_validator__
    if not isinstance(validator, SchemaValidator):
        # Not built yet (defer_build): model_validate_json builds it, in a thread-safe way;
        # the next event of this method finds the real one.
        return model.model_validate_json
    _JSON_VALIDATORS[method] = validator.validate_json
    return validator.validate_json


def parse_notification_json(method: str, params_json: str | bytes) -> Notification:
    """:func:`parse_notification` of the params' JSON text, validated without a dict in between.

    The result equals ``parse_notification(method, json.loads(params_json))``: the two-step
    path is taken for a method without a model (its params are kept as a dict), for the
    events that may carry provider error text (scrubbed in the dict first), and for a
    payload the JSON parser or the model refuses (kept raw when the model refuses it too).
    """
    validate = _JSON_VALIDATORS.get(method)
    if validate is None:
        model = protocol.notification_model(method)
        if model is None:
            return Notification(method, UnknownNotification(json.loads(params_json)))
        validate = _json_validator(method, model)
    if method in _ERROR_EVENTS:
        return _parse_error_event(method, params_json, validate)
    try:
        return Notification(method, validate(params_json))
    except ValueError:
        return parse_notification(method, json.loads(params_json))


#: The method of the assistant's text deltas: most of a streamed turn's events.
AGENT_MESSAGE_DELTA = "item/agentMessage/delta"


def parse_turn_text_delta(params_json: str | bytes, turn_id: str) -> Notification | None:
    """An ``item/agentMessage/delta`` of turn ``turn_id``, by its cached validator alone: a
    turn stream's fast path for its own text deltas (1.39 -> 1.13 us per delta through the
    stream's loop, docs/benchmarks.md). None when the general path must decode it: no validator
    cached yet (:func:`parse_notification_json` caches it), another turn's delta, or params
    the model refuses."""
    validate = _JSON_VALIDATORS.get(AGENT_MESSAGE_DELTA)
    if validate is None:
        return None
    try:
        payload = validate(params_json)
    except ValueError:
        return None
    if payload.turn_id != turn_id:
        return None
    return Notification(AGENT_MESSAGE_DELTA, payload)


def _parse_error_event(method: str, params_json: str | bytes, validate: Callable[[str | bytes], Any]) -> Notification:
    # Every turn ends with turn/completed, and most without an error: with no error there
    # is no text to scrub, and the one-pass result is what scrubbing then validating gives.
    try:
        payload = validate(params_json)
    except ValueError:
        pass
    else:
        error: Any = payload
        for name in _ERROR_EVENTS[method]:  # the wire keys are the attribute names
            error = getattr(error, name, None)
        if error is None:
            return Notification(method, payload)
    return parse_notification(method, json.loads(params_json))
