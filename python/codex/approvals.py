"""Typed server requests and the decisions that answer them.

The engine asks the client before it runs an escalated command, applies a patch,
widens permissions, answers an MCP elicitation, and so on. Each kind of request
becomes a typed :class:`ApprovalRequest` subclass; an approval callback
``(request) -> Allow | Deny`` (sync or async) decides, and the request class turns
the decision into the engine's own answer. A kind this SDK does not know is
declined. With no callback every request is declined: approvals fail closed.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

from pydantic import Field

from .events import JsonObject, JsonValue, WireModel

__all__ = [
    "APPROVAL_RESOLVED_METHOD",
    "Allow",
    "ApprovalCallback",
    "ApprovalRequest",
    "ApprovalResolved",
    "AttestationRequest",
    "AuthTokensRefreshRequest",
    "CommandApprovalRequest",
    "CurrentTimeRequest",
    "Decision",
    "Deny",
    "DynamicToolCallRequest",
    "ElicitationRequest",
    "FileChangeApprovalRequest",
    "LegacyExecApprovalRequest",
    "LegacyPatchApprovalRequest",
    "PermissionsApprovalRequest",
    "UnknownRequest",
    "UserInputQuestion",
    "UserInputRequest",
    "parse_request",
]


# --------------------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Allow:
    """Approve the request, optionally with what the engine lets a client add.

    - ``for_session``: approve similar requests for the rest of the session
      (commands and file changes; permissions are then granted for the session).
    - ``execpolicy_amendment``: approve and add this command prefix (e.g.
      ``["git", "status"]``) to the exec policy so matching commands stop asking.
    - ``permissions``: the permissions to grant (default: what was requested).
    - ``content``: the form content of an accepted MCP elicitation.
    - ``answers``: question id -> chosen answers, for a user-input request.
    - ``result``: the raw answer, for requests without a decision (auth refresh,
      attestation).
    """

    for_session: bool = False
    execpolicy_amendment: Sequence[str] | None = None
    permissions: JsonObject | None = None
    content: JsonValue = None
    answers: Mapping[str, Sequence[str]] | None = None
    result: JsonObject | None = None


@dataclass(frozen=True)
class Deny:
    """Decline the request. The turn goes on unless ``cancel`` interrupts it.

    ``reason`` is logged and reported in :class:`ApprovalResolved`; the engine's
    protocol has no field to pass it on, so the model is told the action was declined.
    """

    reason: str = "declined"
    cancel: bool = False


Decision: TypeAlias = Allow | Deny

#: Decides one request; may be async. A policy from :mod:`codex.policies` is one.
ApprovalCallback: TypeAlias = Callable[["ApprovalRequest"], "Decision | Awaitable[Decision]"]


# --------------------------------------------------------------------------- requests
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})


class ApprovalRequest(WireModel):
    """A server request awaiting the client's decision. ``method`` is its wire name."""

    method: ClassVar[str] = ""
    #: Short stable name for logs, events and policies.
    kind: ClassVar[str] = "unknown"

    def result_for(self, decision: Decision) -> JsonObject | None:
        """The engine's answer for ``decision``; None means "answer with an error" (a refusal)."""
        if isinstance(decision, Allow):
            return self.allow_result(decision)
        return self.deny_result(decision)

    def allow_result(self, decision: Allow) -> JsonObject | None:
        return decision.result

    def deny_result(self, decision: Deny) -> JsonObject | None:
        return None


class _TurnScoped(ApprovalRequest):
    thread_id: str | None = None
    turn_id: str | None = None
    item_id: str | None = None
    started_at_ms: int | None = None


class CommandApprovalRequest(_TurnScoped):
    """The agent wants to run a command the sandbox policy does not allow by itself."""

    method: ClassVar[str] = "item/commandExecution/requestApproval"
    kind: ClassVar[str] = "command"
    command: str | None = None
    cwd: str | None = None
    reason: str | None = None
    approval_id: str | None = None
    command_actions: list[JsonObject] | None = None
    proposed_execpolicy_amendment: list[str] | None = None
    proposed_network_policy_amendments: list[JsonObject] | None = None
    available_decisions: list[JsonValue] | None = None
    network_approval_context: JsonValue = None
    additional_permissions: JsonValue = None
    environment_id: str | None = None

    @property
    def script(self) -> str:
        """The command as the model wrote it: the script of a ``bash -lc '...'`` wrapper, else the command."""
        argv = self.argv
        if len(argv) == 3 and argv[0].rsplit("/", 1)[-1] in _SHELLS and argv[1] in ("-c", "-lc"):
            return argv[2]
        return self.command or ""

    @property
    def argv(self) -> list[str]:
        """The command split into words (empty when it cannot be split)."""
        try:
            return shlex.split(self.command or "")
        except ValueError:
            return []

    def allow_result(self, decision: Allow) -> JsonObject:
        if decision.execpolicy_amendment is not None:
            amendment = list(decision.execpolicy_amendment)
            return {"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": amendment}}}
        return {"decision": "acceptForSession" if decision.for_session else "accept"}

    def deny_result(self, decision: Deny) -> JsonObject:
        return {"decision": "cancel" if decision.cancel else "decline"}


class FileChangeApprovalRequest(_TurnScoped):
    """The agent wants to apply file changes (e.g. an ``apply_patch`` outside the writable roots)."""

    method: ClassVar[str] = "item/fileChange/requestApproval"
    kind: ClassVar[str] = "file_change"
    reason: str | None = None
    grant_root: str | None = None

    def allow_result(self, decision: Allow) -> JsonObject:
        return {"decision": "acceptForSession" if decision.for_session else "accept"}

    def deny_result(self, decision: Deny) -> JsonObject:
        return {"decision": "cancel" if decision.cancel else "decline"}


class PermissionsApprovalRequest(_TurnScoped):
    """The agent asks for more permissions (file system roots, network)."""

    method: ClassVar[str] = "item/permissions/requestApproval"
    kind: ClassVar[str] = "permissions"
    cwd: str | None = None
    reason: str | None = None
    permissions: JsonObject = Field(default_factory=dict)

    def allow_result(self, decision: Allow) -> JsonObject:
        granted = decision.permissions if decision.permissions is not None else self.permissions
        return {"permissions": granted, "scope": "session" if decision.for_session else "turn"}

    def deny_result(self, decision: Deny) -> JsonObject:
        return {"permissions": {}, "scope": "turn"}


class UserInputQuestion(WireModel):
    id: str
    header: str = ""
    question: str = ""
    is_other: bool = False
    is_secret: bool = False
    options: list[JsonObject] | None = None


class UserInputRequest(_TurnScoped):
    """A tool asks the user questions (``request_user_input``)."""

    method: ClassVar[str] = "item/tool/requestUserInput"
    kind: ClassVar[str] = "user_input"
    questions: list[UserInputQuestion] = Field(default_factory=list)

    def allow_result(self, decision: Allow) -> JsonObject | None:
        if decision.answers is None:
            return None
        return {"answers": {key: {"answers": list(values)} for key, values in decision.answers.items()}}


class ElicitationRequest(ApprovalRequest):
    """An MCP server asks the user for input (a form or a URL)."""

    method: ClassVar[str] = "mcpServer/elicitation/request"
    kind: ClassVar[str] = "mcp_elicitation"
    thread_id: str | None = None
    turn_id: str | None = None
    server_name: str = ""
    mode: str = ""
    message: str = ""
    requested_schema: JsonValue = None
    url: str | None = None
    elicitation_id: str | None = None
    meta: JsonValue = Field(default=None, alias="_meta")

    def allow_result(self, decision: Allow) -> JsonObject:
        return {"action": "accept", "content": decision.content, "_meta": None}

    def deny_result(self, decision: Deny) -> JsonObject:
        return {"action": "cancel" if decision.cancel else "decline", "content": None, "_meta": None}


class DynamicToolCallRequest(ApprovalRequest):
    """The model calls a Python tool. Answered by the tool registry, not by the approval callback."""

    method: ClassVar[str] = "item/tool/call"
    kind: ClassVar[str] = "tool_call"
    thread_id: str | None = None
    turn_id: str | None = None
    call_id: str = ""
    namespace: str | None = None
    tool: str = ""
    arguments: JsonValue = None

    def deny_result(self, decision: Deny) -> JsonObject:
        return {"contentItems": [{"type": "inputText", "text": decision.reason}], "success": False}


class AuthTokensRefreshRequest(ApprovalRequest):
    """The engine needs fresh ChatGPT tokens; only ``Allow(result={...})`` can answer it."""

    method: ClassVar[str] = "account/chatgptAuthTokens/refresh"
    kind: ClassVar[str] = "auth_refresh"
    reason: str | None = None
    previous_account_id: str | None = None


class AttestationRequest(ApprovalRequest):
    """The engine asks for a client attestation token; only ``Allow(result={"token": ...})`` answers it."""

    method: ClassVar[str] = "attestation/generate"
    kind: ClassVar[str] = "attestation"


class CurrentTimeRequest(ApprovalRequest):
    """The engine reads the client's clock. Answered by the SDK itself."""

    method: ClassVar[str] = "currentTime/read"
    kind: ClassVar[str] = "current_time"


class LegacyExecApprovalRequest(ApprovalRequest):
    """Command approval of the engine's older API (not sent for turns this SDK starts)."""

    method: ClassVar[str] = "execCommandApproval"
    kind: ClassVar[str] = "command"
    conversation_id: str | None = None
    call_id: str = ""
    command: list[str] = Field(default_factory=list)
    cwd: str | None = None
    reason: str | None = None

    def allow_result(self, decision: Allow) -> JsonObject:
        if decision.execpolicy_amendment is not None:
            amendment = list(decision.execpolicy_amendment)
            return {"decision": {"approved_execpolicy_amendment": {"proposed_execpolicy_amendment": amendment}}}
        return {"decision": "approved_for_session" if decision.for_session else "approved"}

    def deny_result(self, decision: Deny) -> JsonObject:
        if decision.cancel:
            return {"decision": "abort"}
        return {"decision": {"denied": {"rejection": decision.reason}}}


class LegacyPatchApprovalRequest(ApprovalRequest):
    """Patch approval of the engine's older API (not sent for turns this SDK starts)."""

    method: ClassVar[str] = "applyPatchApproval"
    kind: ClassVar[str] = "file_change"
    conversation_id: str | None = None
    call_id: str = ""
    file_changes: JsonObject = Field(default_factory=dict)
    reason: str | None = None
    grant_root: str | None = None

    def allow_result(self, decision: Allow) -> JsonObject:
        return {"decision": "approved_for_session" if decision.for_session else "approved"}

    def deny_result(self, decision: Deny) -> JsonObject:
        if decision.cancel:
            return {"decision": "abort"}
        return {"decision": {"denied": {"rejection": decision.reason}}}


class UnknownRequest(ApprovalRequest):
    """A request kind this SDK does not know (a newer engine): always declined."""

    kind: ClassVar[str] = "unknown"
    request_method: str = ""
    params: JsonObject = Field(default_factory=dict)

    def allow_result(self, decision: Allow) -> JsonObject | None:
        return None


REQUEST_TYPES: dict[str, type[ApprovalRequest]] = {
    cls.method: cls
    for cls in (
        CommandApprovalRequest,
        FileChangeApprovalRequest,
        PermissionsApprovalRequest,
        UserInputRequest,
        ElicitationRequest,
        DynamicToolCallRequest,
        AuthTokensRefreshRequest,
        AttestationRequest,
        CurrentTimeRequest,
        LegacyExecApprovalRequest,
        LegacyPatchApprovalRequest,
    )
}


def parse_request(method: str, params: object) -> ApprovalRequest:
    """The typed request for a server request; unknown or malformed ones become :class:`UnknownRequest`."""
    payload = params if isinstance(params, dict) else {}
    model = REQUEST_TYPES.get(method)
    if model is not None:
        try:
            return model.model_validate(payload)
        except ValueError:
            pass
    return UnknownRequest(request_method=method, params=payload)


# --------------------------------------------------------------------------- the visible record
#: Method of the SDK's own notification reporting how an approval request was answered.
APPROVAL_RESOLVED_METHOD = "codex/approval/resolved"

ResolutionSource = Literal["callback", "handler", "default", "error", "timeout", "invalid", "unsupported"]


class ApprovalResolved(WireModel):
    """How one server request was answered. Appears in the turn's stream.

    ``source`` is ``callback`` (your callback decided), ``handler`` (the raw
    ``approval_handler`` answered), ``default`` (no callback: declined),
    ``error`` (the callback raised: declined), ``timeout`` (it took too long:
    declined), ``invalid`` (it returned something other than Allow/Deny:
    declined) or ``unsupported`` (a kind this SDK cannot answer: declined).
    """

    request_method: str
    kind: str
    thread_id: str | None = None
    turn_id: str | None = None
    item_id: str | None = None
    allowed: bool
    reason: str | None = None
    source: ResolutionSource


def describe(request: ApprovalRequest) -> dict[str, Any]:
    """thread/turn/item ids of a request, for the resolved record."""
    return {
        "thread_id": getattr(request, "thread_id", None),
        "turn_id": getattr(request, "turn_id", None),
        "item_id": getattr(request, "item_id", None) or getattr(request, "call_id", None),
    }
