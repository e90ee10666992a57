"""Protocol types for annotations and matching, under the names ``openai_codex.types`` uses.

``from openai_codex.types import X`` ports as ``from codex.types import X``, with the same
shapes: the models are the generated protocol models (``codex.protocol.models``), as
``openai_codex.types`` re-exports its generated ones, so a ``ThreadItem`` is a root model
whose ``.root`` is the concrete item and the enums are ``Enum`` classes. They load on
first use. ``docs/compatibility.md`` lists the few differences of the embedded engine's
protocol (a field it does not have, say).

Every name here that the protocol has is its generated class itself
(``codex.types.ThreadListResponse is codex.protocol.models.ThreadListResponse``). Three are the
SDK's: ``JsonObject`` (an alias of ``dict[str, Any]``), ``Notification`` (the stream's event
envelope) and ``InitializeResponse`` (``client.metadata``, in ``openai_codex``'s hand-written
shape, not the engine's ``initialize`` answer). ``tests/unit/test_one_model_per_wire_type.py``
keeps it so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import JsonObject, Notification
from .protocol import model_named

if TYPE_CHECKING:
    from .client import InitializeResponse
    from .protocol.models import (
        Account,
        AccountLoginCompletedNotification,
        ApprovalsReviewer,
        AskForApproval,
        CancelLoginAccountResponse,
        CancelLoginAccountStatus,
        GetAccountResponse,
        ModelListResponse,
        Personality,
        PlanType,
        ReasoningEffort,
        ReasoningSummary,
        SandboxMode,
        SandboxPolicy,
        SortDirection,
        ThreadArchiveResponse,
        ThreadCompactStartResponse,
        ThreadItem,
        ThreadListCwdFilter,
        ThreadListResponse,
        ThreadReadResponse,
        ThreadSetNameResponse,
        ThreadSortKey,
        ThreadSource,
        ThreadSourceKind,
        ThreadStartSource,
        ThreadTokenUsage,
        ThreadTokenUsageUpdatedNotification,
        Turn,
        TurnCompletedNotification,
        TurnError,
        TurnInterruptResponse,
        TurnStatus,
        TurnSteerResponse,
    )

__all__ = [
    "Account",
    "AccountLoginCompletedNotification",
    "ApprovalsReviewer",
    "AskForApproval",
    "CancelLoginAccountResponse",
    "CancelLoginAccountStatus",
    "GetAccountResponse",
    "InitializeResponse",
    "JsonObject",
    "ModelListResponse",
    "Notification",
    "Personality",
    "PlanType",
    "ReasoningEffort",
    "ReasoningSummary",
    "SandboxMode",
    "SandboxPolicy",
    "SortDirection",
    "ThreadArchiveResponse",
    "ThreadCompactStartResponse",
    "ThreadItem",
    "ThreadListCwdFilter",
    "ThreadListResponse",
    "ThreadReadResponse",
    "ThreadSetNameResponse",
    "ThreadSortKey",
    "ThreadSource",
    "ThreadSourceKind",
    "ThreadStartSource",
    "ThreadTokenUsage",
    "ThreadTokenUsageUpdatedNotification",
    "Turn",
    "TurnCompletedNotification",
    "TurnError",
    "TurnInterruptResponse",
    "TurnStatus",
    "TurnSteerResponse",
]

_HAND_WRITTEN = frozenset({"InitializeResponse", "JsonObject", "Notification"})


def __getattr__(name: str) -> Any:
    # PEP 562: ``from codex.types import ThreadItem`` loads the generated models it needs.
    if name == "InitializeResponse":
        from .client import InitializeResponse

        value: Any = InitializeResponse
    elif name in __all__ and name not in _HAND_WRITTEN:
        value = model_named(name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
