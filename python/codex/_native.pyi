# Hand-written stub for the PyO3 extension (checked by mypy.stubtest).
from collections.abc import Awaitable
from typing import TypeAlias, final

__all__ = [
    "ClosedError",
    "InvalidInputError",
    "NativeEngine",
    "NativeError",
    "NativeSubscription",
    "__version__",
    "emit_probe_events",
    "log_bridge_stats",
    "next_log_records",
    "protocol_schema",
    "RpcError",
    "StartupError",
    "quiesce",
    "set_log_level",
]

__version__: str

_RawEvent: TypeAlias = tuple[bool, str, str | None, str]
#: (levelno, target, message, fields, thread_id, turn_id, created, file, line)
_LogRecord: TypeAlias = tuple[
    int, str, str, list[tuple[str, str]], str | None, str | None, float, str | None, int | None
]

class NativeError(Exception):
    """Base of the engine's failures; each variant has its own subclass."""

class InvalidInputError(NativeError):
    """Options or a request the engine cannot accept: args are (message,)."""

class RpcError(NativeError):
    """The engine answered with a JSON-RPC error: args are (message, code, data_json or None)."""

class ClosedError(NativeError):
    """The engine is shut down or belongs to another process: args are (message,)."""

class StartupError(NativeError):
    """The engine failed to start: args are (message,)."""

@final
class NativeEngine:
    @staticmethod
    def start(options_json: str) -> NativeEngine: ...
    @staticmethod
    def start_async(options_json: str) -> Awaitable[NativeEngine]: ...
    @property
    def closed(self) -> bool: ...
    def request(self, method: str, params_json: str) -> str: ...
    def request_async(self, method: str, params_json: str) -> Awaitable[str]: ...
    def respond(self, request_id: str, result_json: str) -> None: ...
    def fail_request(self, request_id: str, code: int, message: str) -> None: ...
    def subscribe(self, thread_id: str) -> NativeSubscription: ...
    def subscribe_unrouted(self) -> NativeSubscription: ...
    def stats(self) -> dict[str, int]: ...
    def shutdown(self) -> None: ...
    def shutdown_async(self) -> Awaitable[None]: ...

@final
class NativeSubscription:
    @property
    def thread_id(self) -> str: ...
    def next_batch(self, max_events: int = 512, timeout: float | None = None) -> list[_RawEvent] | None: ...
    def next_batch_async(self, max_events: int = 512) -> Awaitable[list[_RawEvent] | None]: ...
    def close(self) -> None: ...

def quiesce(timeout: float = 1.0) -> None: ...
def protocol_schema(experimental: bool = True) -> str: ...
def set_log_level(levelno: int) -> None: ...
def next_log_records(max_records: int = 512, timeout: float = 0.5) -> list[_LogRecord]: ...
def log_bridge_stats() -> dict[str, int]: ...
def emit_probe_events(
    count: int, message: str, thread_id: str = "thread-probe", turn_id: str = "turn-probe"
) -> float: ...
