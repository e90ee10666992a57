"""The only module that talks to ``codex._native``: JSON in and out, errors mapped.

The extension is imported on first use (an engine starting, its version asked for), not
when ``codex`` is imported: the pure-Python layers above, and their unit tests, run
without it. What those layers need of an engine is written down below as two protocols,
:class:`NativeEngine` and :class:`NativeSubscription`, the shapes of the extension's
classes; a session can run on any object of that shape (``tests/fakes/fake_engine.py``).
"""

from __future__ import annotations

import atexit
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, cast

from ._logging import attach_engine_bridge, logger
from .errors import (
    CodexError,
    ConfigurationError,
    EngineStartError,
    InvalidParamsError,
    TransportClosedError,
    map_jsonrpc_error,
)
from .events import JsonObject

if TYPE_CHECKING:
    from . import _native

T = TypeVar("T")

_EXTENSION = f"{__package__}._native"
_load_lock = threading.Lock()
_extension: ModuleType | None = None


def native_module() -> ModuleType:
    """``codex._native``, imported now if need be (and its log bridge attached)."""
    global _extension
    if _extension is not None:
        return _extension
    with _load_lock:
        if _extension is None:
            try:
                from . import _native as extension
            except ImportError as exc:
                raise ImportError(
                    f"{_EXTENSION}, the compiled engine, cannot be imported ({exc}); reinstall codex-embedded"
                    " (in a clone: bash scripts/install.sh)",
                    name=_EXTENSION,
                ) from exc
            attach_engine_bridge(extension)
            _extension = extension
        return _extension


class _Extension:
    """Stands for the module ``codex._native`` until first use, then forwards to it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(native_module(), name)


if not TYPE_CHECKING:
    _native = _Extension()


class _UnloadedNativeError(Exception):
    """What ``except`` clauses catch in place of ``NativeError`` while the extension is not
    loaded: no native error can exist then, and naming the real class would load it."""


def _native_error() -> type[_native.NativeError]:
    loaded = sys.modules.get(_EXTENSION)
    if loaded is None:
        return cast("type[_native.NativeError]", _UnloadedNativeError)
    return cast("type[_native.NativeError]", loaded.NativeError)


def __getattr__(name: str) -> Any:
    # ``except _engine.NativeError`` elsewhere reads this at the moment an exception passes.
    if name == "NativeError":
        return _native_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _quiesce_at_exit() -> None:
    # An engine thread handing an awaitable's result to asyncio while the interpreter
    # finalizes would abort the process; let those hand-overs finish first.
    loaded = sys.modules.get(_EXTENSION)
    if loaded is not None:
        loaded.quiesce(1.0)


# Registered at import, as before the import became lazy: it runs after the handlers of
# programs that import codex first (they may still close clients).
atexit.register(_quiesce_at_exit)

# -- what an engine is -------------------------------------------------------------------

#: One event of a subscription: (is a server request, method, request id or None, params JSON).
EventTuple: TypeAlias = tuple[bool, str, str | None, str]


class NativeSubscription(Protocol):
    """One thread's event queue (``codex._native.NativeSubscription`` has this shape).

    ``next_batch`` returns up to ``max_events`` events, ``[]`` when ``timeout`` passed with
    none, and ``None`` once the subscription or its engine is closed.
    """

    @property
    def thread_id(self) -> str: ...

    def next_batch(self, max_events: int = ..., timeout: float | None = ...) -> list[EventTuple] | None: ...

    def next_batch_async(self, max_events: int = ...) -> Awaitable[list[EventTuple] | None]: ...

    def close(self) -> None: ...


class NativeEngine(Protocol):
    """A running engine (``codex._native.NativeEngine`` has this shape).

    ``request`` takes and returns JSON text and raises ``NativeError`` (mapped by
    :func:`call`); a test double may raise the mapped ``CodexError`` itself. ``respond`` /
    ``fail_request`` answer a server request by its id. ``stats`` returns the counters
    :class:`~codex.delivery.DeliveryStats` reads.
    """

    @property
    def closed(self) -> bool: ...

    def request(self, method: str, params_json: str) -> str: ...

    def request_async(self, method: str, params_json: str) -> Awaitable[str]: ...

    def respond(self, request_id: str, result_json: str) -> None: ...

    def fail_request(self, request_id: str, code: int, message: str) -> None: ...

    def subscribe(self, thread_id: str) -> NativeSubscription: ...

    def subscribe_unrouted(self) -> NativeSubscription:
        """The queue of notifications no thread subscription takes (one per engine)."""
        ...

    def stats(self) -> Mapping[str, int]: ...

    def shutdown(self) -> None: ...

    def shutdown_async(self) -> Awaitable[None]: ...


#: Starts an engine from the options JSON (blocking); :func:`start` is the real one.
EngineStarter: TypeAlias = Callable[[str], NativeEngine]
#: The same, awaited (:func:`start_async`).
AsyncEngineStarter: TypeAlias = Callable[[str], Awaitable[NativeEngine]]

if TYPE_CHECKING:
    # The extension's classes have the shapes above (mypy checks these two lines).
    def _conforms(engine: _native.NativeEngine, subscription: _native.NativeSubscription) -> None:
        _engine: NativeEngine = engine
        _subscription: NativeSubscription = subscription

    NativeError = _native.NativeError

#: Answers a server request: a result dict, or None to decline. May be async for AsyncCodex.
ApprovalHandler = Callable[[str, JsonObject], "JsonObject | Awaitable[JsonObject | None] | None"]

# Typed refusals for the requests whose protocol has a "decline" answer; every
# other kind is refused with a JSON-RPC error, which the engine treats as denial.
# (Answers to server requests are decided in _dispatch; this is its last resort.)
_DECLINE_RESULTS: dict[str, JsonObject] = {
    "item/commandExecution/requestApproval": {"decision": "decline"},
    "item/fileChange/requestApproval": {"decision": "decline"},
    # The older API's ReviewDecision::Denied carries a rejection text.
    "execCommandApproval": {"decision": {"denied": {"rejection": "declined"}}},
    "applyPatchApproval": {"decision": {"denied": {"rejection": "declined"}}},
}
DECLINED_CODE = -32000


def translate(exc: _native.NativeError, *, starting: bool = False) -> CodexError:
    """Maps the extension's exception (one class per engine error) to the SDK's classes."""
    if isinstance(exc, _native.RpcError):
        message, code, data = exc.args
        return map_jsonrpc_error(int(code), message, json.loads(data) if data else None)
    (message,) = exc.args
    if isinstance(exc, _native.ClosedError):
        return TransportClosedError(message)
    if isinstance(exc, _native.StartupError):
        return EngineStartError(message)
    # InvalidInputError: options refused while the client starts are a configuration
    # mistake; refused request parameters are the JSON-RPC "invalid params" case.
    if starting:
        return ConfigurationError(message)
    return InvalidParamsError(-32602, message)


def call(fn: Callable[[], T], *, starting: bool = False) -> T:
    try:
        return fn()
    except _native_error() as exc:
        raise translate(exc, starting=starting) from None


async def call_async(awaitable_factory: Callable[[], Awaitable[T]], *, starting: bool = False) -> T:
    try:
        return await awaitable_factory()
    except _native_error() as exc:
        raise translate(exc, starting=starting) from None


def start(options_json: str) -> NativeEngine:
    """Starts an engine (blocking); start-up failures map to EngineStartError/ConfigurationError."""
    return call(lambda: _native.NativeEngine.start(options_json), starting=True)


async def start_async(options_json: str) -> NativeEngine:
    return await call_async(lambda: _native.NativeEngine.start_async(options_json), starting=True)


def extension_version() -> str:
    return _native.__version__


def extension_file() -> str:
    return str(_native.__file__)


def dumps(params: JsonObject | None) -> str:
    try:
        return json.dumps(params if params is not None else None, separators=(",", ":"), default=_wire_value)
    except (TypeError, ValueError, RecursionError) as exc:
        # A value the caller passed (a config= entry, an option) has no JSON form.
        raise ConfigurationError(f"an argument cannot be sent to the engine: {exc}") from None


def _wire_value(value: object) -> Any:
    """A protocol value passed as an option (``summary=ReasoningSummary("concise")``, as
    official code writes it) goes to the engine as its wire JSON."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_unset=True)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decline(engine: NativeEngine, method: str, request_id: str, reason: str) -> None:
    result = _DECLINE_RESULTS.get(method)
    try:
        if result is not None:
            engine.respond(request_id, json.dumps(result))
        else:
            engine.fail_request(request_id, DECLINED_CODE, reason)
    except _native_error() as exc:
        logger.debug("could not decline %s: %s", method, exc)


def answer_builtin(engine: NativeEngine, method: str, request_id: str) -> bool:
    """Requests that are not decisions and have one right answer. True if answered."""
    if method == "currentTime/read":
        engine.respond(request_id, json.dumps({"currentTimeAt": int(time.time())}))
        return True
    return False
