"""Every error the SDK raises derives from :class:`CodexError`.

The JSON-RPC classes mirror ``openai_codex.errors`` name for name, so code that
catches them keeps working; :class:`TurnFailedError` and its subclasses (one per
cause: HTTP status, rate limit, context window, usage limit, sandbox, stream,
interruption) add what a failed turn carries: ``code``, ``http_status``,
``retryable``, ``retry_after``, ``thread_id`` and ``turn_id``.
See docs/errors-and-retries.md for the whole tree.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, Any

from ._logging import redact

if TYPE_CHECKING:
    from .metrics import Usage

__all__ = [
    "CodexError",
    "ConfigurationError",
    "NotSupportedError",
    "EngineStartError",
    "TransportClosedError",
    "JsonRpcError",
    "CodexRpcError",
    "ParseError",
    "InvalidRequestError",
    "MethodNotFoundError",
    "InvalidParamsError",
    "InternalRpcError",
    "ServerBusyError",
    "RetryLimitExceededError",
    "TurnFailedError",
    "HttpStatusError",
    "RateLimitError",
    "StreamDisconnectedError",
    "ContextWindowExceededError",
    "UsageLimitExceededError",
    "SandboxDeniedError",
    "TurnInterruptedError",
    "ToolError",
    "AttachmentError",
    "AttachmentTooLargeError",
    "is_retryable_error",
    "is_retryable",
    "turn_failed_error",
]


class CodexError(Exception):
    """Base class of every error raised by this SDK.

    Every error has the structured fields below, so handlers can read them without
    ``isinstance`` checks; they stay empty unless the error knows them (failed turns
    fill them from the engine's error info, JSON-RPC errors carry their ``code``).

    Errors carry text from the engine and the provider, which may echo credentials
    ("Incorrect API key provided: sk-..."). Every argument and every attribute an
    error is given passes through :func:`scrub` (the log redaction: the client's
    key, ``OPENAI_API_KEY``/``CODEX_API_KEY``, bearer tokens, ``sk-`` keys), so its
    message, ``str``, ``repr``, ``args`` and fields never hold a secret.
    """

    code: str | int | None = None
    http_status: int | None = None
    retryable: bool = False
    retry_after: float | None = None
    thread_id: str | None = None
    turn_id: str | None = None

    def __init__(self, *args: object) -> None:
        super().__init__(*(scrub(arg) for arg in args))

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, scrub(value))


def scrub(value: Any) -> Any:
    """``value`` with secrets redacted from its text, at any depth of plain containers."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(scrub(item) for item in value)
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    return value


class ConfigurationError(CodexError, ValueError):
    """A client, thread or turn option is invalid."""


class NotSupportedError(ConfigurationError):
    """An option of the official SDK that has no meaning for an in-process engine."""


class EngineStartError(CodexError):
    """The embedded engine could not start (bad home, helper, or configuration)."""


class TransportClosedError(CodexError):
    """The client (and its engine) is closed, or closed while waiting."""


class JsonRpcError(CodexError):
    """The engine answered a request with a JSON-RPC error."""

    code: int

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class CodexRpcError(JsonRpcError):
    """Base typed error for JSON-RPC failures."""


class ParseError(CodexRpcError):
    """A request or response could not be parsed."""


class InvalidRequestError(CodexRpcError):
    """The engine rejected the request shape."""


class MethodNotFoundError(CodexRpcError):
    """The requested operation is not available in this engine."""


class InvalidParamsError(CodexRpcError):
    """The operation received invalid parameters."""


class InternalRpcError(CodexRpcError):
    """The engine reported an internal failure."""


class ServerBusyError(CodexRpcError):
    """The engine or model backend is overloaded; retrying later may work."""

    retryable = True


class RetryLimitExceededError(ServerBusyError):
    """The engine exhausted its retry budget."""


_RETRYABLE_INFO = {
    "serverOverloaded",
    "internalServerError",
    "httpConnectionFailed",
    "responseStreamConnectionFailed",
    "responseStreamDisconnected",
    "responseTooManyFailedAttempts",
}


class TurnFailedError(CodexError, RuntimeError):
    """A turn ended with status ``failed``.

    Also a ``RuntimeError``, which is what ``openai_codex`` raises for failed turns.

    ``codex_error_info`` is the engine's own classification (e.g.
    ``"usageLimitExceeded"`` or ``{"responseTooManyFailedAttempts": {...}}``);
    ``code`` (alias ``error_kind``) is its name, and ``http_status``, ``retryable``
    and ``retry_after`` (seconds, when the provider said how long to wait) are
    derived from it and from the message. ``usage`` is what the failed attempt
    consumed, when the engine reported it. The thread stays usable.
    :func:`turn_failed_error` picks the subclass that names the cause.
    """

    thread_id: str
    turn_id: str
    code: str | None

    def __init__(
        self,
        message: str,
        *,
        thread_id: str,
        turn_id: str,
        codex_error_info: Any = None,
        additional_details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.thread_id = thread_id
        self.turn_id = turn_id
        codex_error_info = _plain(codex_error_info)
        self.codex_error_info = codex_error_info
        self.additional_details = additional_details
        self.error_kind, self.http_status = _classify(codex_error_info)
        if self.http_status is None:
            self.http_status = _status_in_message(message)
        self.code = self.error_kind
        self.retry_after = _retry_after_in_message(message)
        self.retryable = (
            self.error_kind in _RETRYABLE_INFO
            or _is_stream_drop(message)
            or (self.http_status is not None and (self.http_status == 429 or self.http_status >= 500))
        )
        self.usage: Usage | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, code={self.code!r}, "
            f"http_status={self.http_status!r}, retryable={self.retryable!r}, "
            f"retry_after={self.retry_after!r}, thread_id={self.thread_id!r}, turn_id={self.turn_id!r})"
        )


class HttpStatusError(TurnFailedError):
    """The model API answered with an HTTP error status (``http_status``; a 500 is
    classified by the engine as ``internalServerError`` and carries no status)."""


class RateLimitError(HttpStatusError):
    """The model API answered 429 Too Many Requests, or said to try again later.

    The engine does not pass the HTTP ``Retry-After`` header on; ``retry_after`` is
    set when the provider's error message says how long to wait ("try again in 2s").
    """


class StreamDisconnectedError(TurnFailedError):
    """The connection or the response stream to the model dropped before completion."""


class ContextWindowExceededError(TurnFailedError):
    """The conversation no longer fits the model's context window (not retryable)."""


class UsageLimitExceededError(TurnFailedError):
    """The account's usage limit or quota is exhausted (not retryable)."""


class SandboxDeniedError(TurnFailedError):
    """The sandbox or an approval policy refused what the turn needed."""


class TurnInterruptedError(TurnFailedError):
    """A turn was interrupted; for helpers that require a completed turn
    (``run()`` itself returns the interrupted result)."""

    def __init__(
        self, message: str = "the turn was interrupted", *, thread_id: str = "", turn_id: str = "", **kwargs: Any
    ) -> None:
        super().__init__(message, thread_id=thread_id, turn_id=turn_id, **kwargs)
        self.code = self.error_kind = "interrupted"
        self.retryable = False


class ToolError(CodexError):
    """A tool the SDK serves to the agent failed (the agent sees the failure)."""


class AttachmentError(CodexError, ValueError):
    """A file or value cannot be staged as an attachment (missing, unreadable, wrong type)."""


class AttachmentTooLargeError(AttachmentError):
    """An attachment is over the store's ``max_bytes``."""


_STREAM_DROP_INFO = {"httpConnectionFailed", "responseStreamConnectionFailed", "responseStreamDisconnected"}
_CAUSE_BY_INFO: dict[str, type[TurnFailedError]] = {
    "contextWindowExceeded": ContextWindowExceededError,
    "usageLimitExceeded": UsageLimitExceededError,
    "sandboxError": SandboxDeniedError,
    "internalServerError": HttpStatusError,
    "serverOverloaded": HttpStatusError,
    "unauthorized": HttpStatusError,
}


def turn_failed_error(
    message: str,
    *,
    thread_id: str,
    turn_id: str,
    codex_error_info: Any = None,
    additional_details: str | None = None,
) -> TurnFailedError:
    """The :class:`TurnFailedError` subclass that names why a turn failed."""
    kind, status = _classify(codex_error_info)
    if status is None:
        status = _status_in_message(message)
    cls: type[TurnFailedError] = _CAUSE_BY_INFO.get(kind or "", TurnFailedError)
    if cls in (TurnFailedError, HttpStatusError) and (status == 429 or _retry_after_in_message(message) is not None):
        cls = RateLimitError
    elif cls is TurnFailedError and (kind in _STREAM_DROP_INFO or _is_stream_drop(message)) and status is None:
        cls = StreamDisconnectedError
    elif cls is TurnFailedError and status is not None:
        cls = HttpStatusError
    return cls(
        message,
        thread_id=thread_id,
        turn_id=turn_id,
        codex_error_info=codex_error_info,
        additional_details=additional_details,
    )


# The engine puts the status only in its message for some failures
# ("unexpected status 503 Service Unavailable: ...", "last status: 429 Too Many Requests").
_STATUS_RE = re.compile(r"\b(?:unexpected|last) status:? (\d{3})\b")
# Providers phrase the wait in the message ("Please try again in 1.5s" / "in 300ms").
_RETRY_IN_RE = re.compile(r"(?i)try again in\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?)\b")


def _status_in_message(message: str) -> int | None:
    match = _STATUS_RE.search(message)
    return int(match.group(1)) if match else None


def _retry_after_in_message(message: str) -> float | None:
    match = _RETRY_IN_RE.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000 if match.group(2).lower() == "ms" else value


def _is_stream_drop(message: str) -> bool:
    return message.startswith("stream disconnected before completion")


def _plain(info: Any) -> Any:
    """The engine's error info as wire JSON (it may arrive as a protocol model or enum)."""
    if isinstance(info, Enum):
        return info.value
    dump = getattr(info, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    return info


def _classify(info: Any) -> tuple[str | None, int | None]:
    info = _plain(info)
    if isinstance(info, str):
        return info, None
    if isinstance(info, dict) and len(info) == 1:
        ((kind, detail),) = info.items()
        status = detail.get("httpStatusCode") if isinstance(detail, dict) else None
        return str(kind), status if isinstance(status, int) else None
    return None, None


def _contains_retry_limit_text(message: str) -> bool:
    lowered = message.lower()
    return "retry limit" in lowered or "too many failed attempts" in lowered


def _is_server_overloaded(data: Any) -> bool:
    if isinstance(data, str):
        return data.lower() in {"server_overloaded", "serveroverloaded"}
    if isinstance(data, dict):
        return any(_is_server_overloaded(k) or _is_server_overloaded(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_is_server_overloaded(v) for v in data)
    return False


def map_jsonrpc_error(code: int, message: str, data: Any = None) -> JsonRpcError:
    """Map a JSON-RPC error to the most specific SDK exception (same rules as openai_codex)."""
    fixed: dict[int, type[JsonRpcError]] = {
        -32700: ParseError,
        -32600: InvalidRequestError,
        -32601: MethodNotFoundError,
        -32602: InvalidParamsError,
        -32603: InternalRpcError,
    }
    if code in fixed:
        return fixed[code](code, message, data)
    if -32099 <= code <= -32000:
        if _contains_retry_limit_text(message):
            return RetryLimitExceededError(code, message, data)
        if _is_server_overloaded(data):
            return ServerBusyError(code, message, data)
        return CodexRpcError(code, message, data)
    return JsonRpcError(code, message, data)


def is_retryable_error(exc: BaseException) -> bool:
    """True for transient failures worth retrying (overload, 5xx, 429, dropped streams)."""
    if isinstance(exc, ServerBusyError):
        return True
    if isinstance(exc, TurnFailedError):
        return exc.retryable
    if isinstance(exc, JsonRpcError):
        return _is_server_overloaded(exc.data)
    return False


#: Short name of :func:`is_retryable_error`.
is_retryable = is_retryable_error
