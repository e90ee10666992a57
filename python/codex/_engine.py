"""The only module that talks to ``codex._native``: JSON in and out, errors mapped."""

from __future__ import annotations

import atexit
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from . import _native
from ._logging import logger
from .errors import (
    CodexError,
    ConfigurationError,
    EngineStartError,
    InvalidParamsError,
    TransportClosedError,
    map_jsonrpc_error,
)
from .events import JsonObject

# An engine thread handing an awaitable's result to asyncio while the interpreter
# finalizes would abort the process; let those hand-overs finish first.
atexit.register(_native.quiesce, 1.0)

T = TypeVar("T")

# Everything else names the extension's types through this module, so it stays the only
# one that imports ``codex._native`` to drive the engine (tests/unit/test_import_graph.py).
NativeEngine = _native.NativeEngine
NativeSubscription = _native.NativeSubscription
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
    except _native.NativeError as exc:
        raise translate(exc, starting=starting) from None


async def call_async(awaitable_factory: Callable[[], Awaitable[T]], *, starting: bool = False) -> T:
    try:
        return await awaitable_factory()
    except _native.NativeError as exc:
        raise translate(exc, starting=starting) from None


def start(options_json: str) -> NativeEngine:
    """Starts an engine (blocking); start-up failures map to EngineStartError/ConfigurationError."""
    return call(lambda: NativeEngine.start(options_json), starting=True)


async def start_async(options_json: str) -> NativeEngine:
    return await call_async(lambda: NativeEngine.start_async(options_json), starting=True)


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


def decline(engine: _native.NativeEngine, method: str, request_id: str, reason: str) -> None:
    result = _DECLINE_RESULTS.get(method)
    try:
        if result is not None:
            engine.respond(request_id, json.dumps(result))
        else:
            engine.fail_request(request_id, DECLINED_CODE, reason)
    except _native.NativeError as exc:
        logger.debug("could not decline %s: %s", method, exc)


def answer_builtin(engine: _native.NativeEngine, method: str, request_id: str) -> bool:
    """Requests that are not decisions and have one right answer. True if answered."""
    if method == "currentTime/read":
        engine.respond(request_id, json.dumps({"currentTimeAt": int(time.time())}))
        return True
    return False
