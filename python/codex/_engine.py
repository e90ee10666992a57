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

#: (is_request, method, request_id_json, params_json)
RawEvent = tuple[bool, str, str | None, str]

#: Answers a server request: a result dict, or None to decline. May be async for AsyncCodex.
ApprovalHandler = Callable[[str, JsonObject], "JsonObject | Awaitable[JsonObject | None] | None"]

# Typed refusals for the requests whose protocol has a "decline" answer; every
# other kind is refused with a JSON-RPC error, which the engine treats as denial.
_DECLINE_RESULTS: dict[str, JsonObject] = {
    "item/commandExecution/requestApproval": {"decision": "decline"},
    "item/fileChange/requestApproval": {"decision": "decline"},
    "execCommandApproval": {"decision": "denied"},
    "applyPatchApproval": {"decision": "denied"},
}
DECLINED_CODE = -32000


def translate(exc: Exception, *, starting: bool = False) -> CodexError:
    """Maps a ``NativeError`` to the SDK's exception classes."""
    if not isinstance(exc, _native.NativeError):
        return CodexError(str(exc))
    kind, message, code, data = exc.args
    if kind == "rpc":
        payload = json.loads(data) if data else None
        return map_jsonrpc_error(int(code), message, payload)
    if kind == "closed":
        return TransportClosedError(message)
    if kind == "startup":
        return EngineStartError(message)
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


def dumps(params: JsonObject | None) -> str:
    return json.dumps(params if params is not None else None, separators=(",", ":"))


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


def answered_without_handler(
    engine: _native.NativeEngine, handler: ApprovalHandler | None, method: str, request_id: str
) -> bool:
    """True when no handler call is needed: a built-in answer, or declined for lack of a handler."""
    if answer_builtin(engine, method, request_id):
        return True
    if handler is None:
        logger.info("declining %s: no approval handler is configured", method)
        decline(engine, method, request_id, "declined: no approval handler is configured")
        return True
    return False


def respond(engine: _native.NativeEngine, method: str, request_id: str, result: object) -> None:
    if not isinstance(result, dict):
        logger.warning("approval handler returned %r for %s; declining", type(result).__name__, method)
        decline(engine, method, request_id, "the approval handler returned no valid answer")
        return
    try:
        engine.respond(request_id, json.dumps(result))
    except (TypeError, ValueError) as exc:
        logger.warning("approval handler answer for %s is not JSON (%s); declining", method, exc)
        decline(engine, method, request_id, "the approval handler returned no valid answer")
    except _native.NativeError as exc:
        logger.debug("could not answer %s: %s", method, exc)


def handle_server_request(
    engine: _native.NativeEngine,
    handler: ApprovalHandler | None,
    method: str,
    request_id: str,
    params: JsonObject,
) -> None:
    """Answers one server request from a sync client. Fails closed on every error."""
    if answered_without_handler(engine, handler, method, request_id) or handler is None:
        return
    try:
        result = handler(method, params)
    except Exception:
        logger.warning("approval handler raised for %s; declining", method, exc_info=True)
        decline(engine, method, request_id, "declined: the approval handler raised")
        return
    if isinstance(result, Awaitable):
        close = getattr(result, "close", None)
        if callable(close):
            close()
        logger.warning("an async approval handler needs AsyncCodex; declining %s", method)
        decline(engine, method, request_id, "declined: async handler on a sync client")
        return
    if result is None:
        decline(engine, method, request_id, "declined by the approval handler")
        return
    respond(engine, method, request_id, result)


async def handle_server_request_async(
    engine: _native.NativeEngine,
    handler: ApprovalHandler | None,
    method: str,
    request_id: str,
    params: JsonObject,
) -> None:
    """Answers one server request from an async client. Fails closed on every error."""
    if answered_without_handler(engine, handler, method, request_id) or handler is None:
        return
    try:
        result: Any = handler(method, params)
        if isinstance(result, Awaitable):
            result = await result
    except Exception:
        logger.warning("approval handler raised for %s; declining", method, exc_info=True)
        decline(engine, method, request_id, "declined: the approval handler raised")
        return
    if result is None:
        decline(engine, method, request_id, "declined by the approval handler")
        return
    respond(engine, method, request_id, result)
