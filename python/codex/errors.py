"""Every error the SDK raises derives from :class:`CodexError`.

The JSON-RPC classes mirror ``openai_codex.errors`` name for name, so code that
catches them keeps working; :class:`TurnFailedError` and friends add what a
failed turn carries (HTTP status, retryability, thread and turn ids).
"""

from __future__ import annotations

from typing import Any

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
    "TurnInterruptedError",
    "is_retryable_error",
]


class CodexError(Exception):
    """Base class of every error raised by this SDK."""


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
    ``http_status`` and ``retryable`` are derived from it. The thread stays usable.
    """

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
        self.codex_error_info = codex_error_info
        self.additional_details = additional_details
        self.error_kind, self.http_status = _classify(codex_error_info)
        self.retryable = self.error_kind in _RETRYABLE_INFO or (
            self.http_status is not None and (self.http_status == 429 or self.http_status >= 500)
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, kind={self.error_kind!r}, "
            f"http_status={self.http_status!r}, retryable={self.retryable!r}, "
            f"thread_id={self.thread_id!r}, turn_id={self.turn_id!r})"
        )


class TurnInterruptedError(CodexError):
    """Raised by ``run()`` helpers that require completion when a turn was interrupted."""


def _classify(info: Any) -> tuple[str | None, int | None]:
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
