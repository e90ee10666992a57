"""Protocol types for annotations and matching, under the names ``openai_codex.types`` uses.

``from openai_codex.types import X`` ports as ``from codex.types import X``; see
``docs/compatibility.md`` for the few names whose shape differs here.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeAlias

from .api_models import (
    Account,
    AccountLoginCompletedNotification,
    CancelLoginAccountResponse,
    GetAccountResponse,
    ModelListResponse,
    ThreadArchiveResponse,
    ThreadCompactStartResponse,
    ThreadListResponse,
    ThreadReadResponse,
    ThreadSetNameResponse,
    TurnInterruptResponse,
    TurnSteerResponse,
)
from .client import InitializeResponse
from .events import (
    JsonObject,
    Notification,
    ThreadItem,
    ThreadTokenUsage,
    ThreadTokenUsageUpdatedNotification,
    Turn,
    TurnCompletedNotification,
    TurnError,
    TurnStatus,
)


class ApprovalsReviewer(str, Enum):
    user = "user"
    auto_review = "auto_review"
    guardian_subagent = "guardian_subagent"


class CancelLoginAccountStatus(str, Enum):
    canceled = "canceled"
    not_found = "notFound"


class Personality(str, Enum):
    none = "none"
    friendly = "friendly"
    pragmatic = "pragmatic"


class PlanType(str, Enum):
    free = "free"
    go = "go"
    plus = "plus"
    pro = "pro"
    prolite = "prolite"
    promax = "promax"
    team = "team"
    business = "business"
    self_serve_business_prolite = "self_serve_business_prolite"
    self_serve_business_usage_based = "self_serve_business_usage_based"
    enterprise = "enterprise"
    enterprise_cbp_automation = "enterprise_cbp_automation"
    enterprise_cbp_usage_based = "enterprise_cbp_usage_based"
    ent26 = "ent26"
    edu = "edu"
    edu_plus = "edu_plus"
    edu_pro = "edu_pro"
    unknown = "unknown"


class ReasoningEffort(str, Enum):
    none = "none"
    minimal = "minimal"
    low = "low"
    medium = "medium"
    high = "high"
    xhigh = "xhigh"
    max = "max"
    ultra = "ultra"


class SandboxMode(str, Enum):
    read_only = "read-only"
    workspace_write = "workspace-write"
    danger_full_access = "danger-full-access"


class SortDirection(str, Enum):
    asc = "asc"
    desc = "desc"


class ThreadSortKey(str, Enum):
    """``section_position`` is missing: the embedded engine's thread/list cannot sort by it."""

    created_at = "created_at"
    updated_at = "updated_at"
    recency_at = "recency_at"


class ThreadSource(str, Enum):
    user = "user"
    subagent = "subagent"
    memory_consolidation = "memory_consolidation"


class ThreadSourceKind(str, Enum):
    cli = "cli"
    vscode = "vscode"
    exec = "exec"
    app_server = "appServer"
    sub_agent = "subAgent"
    sub_agent_review = "subAgentReview"
    sub_agent_compact = "subAgentCompact"
    sub_agent_thread_spawn = "subAgentThreadSpawn"
    sub_agent_other = "subAgentOther"
    unknown = "unknown"


class ThreadStartSource(str, Enum):
    startup = "startup"
    clear = "clear"


#: ``"untrusted"``, ``"on-failure"``, ``"on-request"``, ``"never"`` or a granular policy object.
AskForApproval: TypeAlias = str | JsonObject
#: ``"auto"``, ``"concise"``, ``"detailed"`` or ``"none"``.
ReasoningSummary: TypeAlias = str
ThreadListCwdFilter: TypeAlias = str | list[str]

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
