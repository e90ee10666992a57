"""codex-embedded: the OpenAI Codex agent engine, running inside your Python process.

A drop-in for ``openai_codex``::

    from codex import Codex, Sandbox

    with Codex(base_url="http://127.0.0.1:8080/v1", api_key="sk-test") as codex:
        thread = codex.thread_start(sandbox=Sandbox.workspace_write)
        result = thread.run("Describe this project.")
        print(result.final_response)
"""

from typing import TYPE_CHECKING, Any

from ._logging import configure_logging
from ._version import __version__
from .client import AsyncCodex, Codex, InitializeResponse
from .config import CodexConfig
from .delivery import DeliveryStats
from .errors import (
    AttachmentError,
    AttachmentTooLargeError,
    CodexError,
    CodexRpcError,
    ConfigurationError,
    ContextWindowExceededError,
    EngineStartError,
    HttpStatusError,
    InternalRpcError,
    InvalidParamsError,
    InvalidRequestError,
    JsonRpcError,
    MethodNotFoundError,
    NotSupportedError,
    ParseError,
    RateLimitError,
    RetryLimitExceededError,
    SandboxDeniedError,
    ServerBusyError,
    StreamDisconnectedError,
    ToolError,
    TransportClosedError,
    TurnFailedError,
    TurnInterruptedError,
    UsageLimitExceededError,
    is_retryable,
    is_retryable_error,
)
from .events import Notification, UnknownNotification
from .files import Attachment, FileStore
from .inputs import (
    ExternalMessage,
    ImageInput,
    Input,
    InputItem,
    LocalImageInput,
    MentionInput,
    RunInput,
    SkillInput,
    TextInput,
)
from .login import (
    AsyncChatgptLoginHandle,
    AsyncDeviceCodeLoginHandle,
    ChatgptLoginHandle,
    DeviceCodeLoginHandle,
)
from .mcp import (
    McpHttpServer,
    McpServer,
    McpServerStatus,
    McpStartupError,
    McpStdioServer,
    McpToolApproval,
)
from .metrics import TurnMetrics, Usage
from .retry import RetryAttempt, RetryPolicy, retry_on_overload
from .sandbox import ApprovalMode, Sandbox, SandboxPolicy
from .structured import StructuredOutputError
from .threads import AsyncThread, Thread
from .tools import Tool, ToolHandle, ToolRegistry, tool
from .turns import AsyncTurnHandle, AsyncTurnStream, TurnHandle, TurnResult, TurnStream

if TYPE_CHECKING:
    from . import policies
    from .approvals import (
        Allow,
        ApprovalCallback,
        ApprovalRequest,
        ApprovalResolved,
        CommandApprovalRequest,
        Deny,
        ElicitationRequest,
        FileChangeApprovalRequest,
        PermissionsApprovalRequest,
        UserInputRequest,
    )
    from .events import ThreadItem, ThreadTokenUsage, TurnError, TurnStatus

# Loaded on first use, not at ``import codex``: the generated protocol models (see
# codex.protocol), and the approval requests' models with the policies built on them (~8 ms,
# which a program that answers no approval need not pay; a client loads them when the engine
# first asks). Every other public name not imported above is one of codex.approvals'.
_PROTOCOL_NAMES = frozenset({"ThreadItem", "ThreadTokenUsage", "TurnError", "TurnStatus"})


def __getattr__(name: str) -> Any:
    import importlib

    if name == "policies":
        value: Any = importlib.import_module(f"{__name__}.policies")
    elif name in _PROTOCOL_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.events"), name)
    elif name in __all__:
        value = getattr(importlib.import_module(f"{__name__}.approvals"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "__version__",
    "ApprovalMode",
    "AsyncCodex",
    "AsyncThread",
    "AsyncTurnHandle",
    "Codex",
    "CodexConfig",
    "CodexError",
    "CodexRpcError",
    "ConfigurationError",
    "configure_logging",
    "DeliveryStats",
    "EngineStartError",
    "ExternalMessage",
    "ImageInput",
    "InitializeResponse",
    "Input",
    "InputItem",
    "InternalRpcError",
    "InvalidParamsError",
    "InvalidRequestError",
    "JsonRpcError",
    "LocalImageInput",
    "McpHttpServer",
    "McpServer",
    "McpServerStatus",
    "McpStartupError",
    "McpStdioServer",
    "McpToolApproval",
    "MentionInput",
    "MethodNotFoundError",
    "Notification",
    "NotSupportedError",
    "ParseError",
    "RetryLimitExceededError",
    "RunInput",
    "Sandbox",
    "SandboxPolicy",
    "ServerBusyError",
    "SkillInput",
    "StructuredOutputError",
    "TextInput",
    "Thread",
    "ThreadItem",
    "ThreadTokenUsage",
    "TransportClosedError",
    "TurnError",
    "TurnFailedError",
    "TurnHandle",
    "TurnResult",
    "TurnStatus",
    "TurnStream",
    "AsyncTurnStream",
    "UnknownNotification",
    "AsyncChatgptLoginHandle",
    "AsyncDeviceCodeLoginHandle",
    "ChatgptLoginHandle",
    "DeviceCodeLoginHandle",
    "is_retryable_error",
    "is_retryable",
    "Attachment",
    "AttachmentError",
    "AttachmentTooLargeError",
    "FileStore",
    "ContextWindowExceededError",
    "HttpStatusError",
    "RateLimitError",
    "RetryAttempt",
    "RetryPolicy",
    "SandboxDeniedError",
    "StreamDisconnectedError",
    "ToolError",
    "TurnInterruptedError",
    "TurnMetrics",
    "Usage",
    "UsageLimitExceededError",
    "retry_on_overload",
    "Allow",
    "ApprovalCallback",
    "ApprovalRequest",
    "ApprovalResolved",
    "CommandApprovalRequest",
    "Deny",
    "ElicitationRequest",
    "FileChangeApprovalRequest",
    "PermissionsApprovalRequest",
    "UserInputRequest",
    "policies",
    "Tool",
    "ToolHandle",
    "ToolRegistry",
    "tool",
]
