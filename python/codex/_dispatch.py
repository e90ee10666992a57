"""The one place where the engine's server requests are answered.

A turn's event loop hands every server request to :meth:`ServerRequestDispatcher.dispatch`
(sync clients) or :meth:`~ServerRequestDispatcher.dispatch_async` (async clients). From
there a request goes to exactly one answerer:

- ``currentTime/read``: answered by the SDK;
- ``item/tool/call``: the tool registry (the thread's tools, then the client's);
- anything else: the approval callback of the thread or client (typed requests,
  ``Allow``/``Deny``), or the raw ``approval_handler`` (``(method, params) -> dict``),
  or, with neither, a decline.

User code (tools, callbacks) never runs on the event loop itself: a sync client runs
it on a small thread pool, an async client in a task, so a slow callback neither
stalls the stream nor escapes its timeout. Every failure answers with a refusal: a
failed tool call, or a declined approval plus an :class:`~codex.approvals.ApprovalResolved`
event in the turn's stream.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _engine, _validate
from ._logging import logger
from .errors import ConfigurationError
from .events import JsonObject, Notification
from .telemetry import ClientTelemetry
from .tools import (
    Tool,
    ToolError,
    ToolFunction,
    ToolRegistry,
    error_message,
    failure_result,
    success_result,
    thread_tool_specs,
    tools_registry,
)

if TYPE_CHECKING:
    # Imported where used, here and in the other modules of ``import codex``: importing asyncio
    # costs ~16 ms that a program with no async API in it need not pay; codex.approvals (its
    # request models) ~8 ms and the callback pool's concurrent.futures ~1 ms that a client no
    # request reaches need not pay.
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

    from .approvals import ApprovalCallback, ApprovalRequest, ApprovalResolved, ResolutionSource

#: How long an approval callback may take before the request is declined.
DEFAULT_APPROVAL_TIMEOUT_S = 300.0
_POOL_WORKERS = 16
_MAX_PENDING_EVENTS = 256


@dataclass(frozen=True)
class Outcome:
    """The answer to one request, and the event that records it (approvals only)."""

    result: JsonObject | None
    reason: str
    event: ApprovalResolved | None = None


@dataclass(frozen=True)
class ThreadBinding:
    """What one thread adds to its client: its own tools and approval callback."""

    tools: ToolRegistry | None = None
    approval_callback: ApprovalCallback | None = None


def _is_async_callable(function: object) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None))  # noqa: B004


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class _Answer:
    """Sends exactly one answer to one request, whichever of result and timeout comes first."""

    def __init__(
        self,
        dispatcher: ServerRequestDispatcher,
        engine: _engine.NativeEngine,
        thread_id: str,
        method: str,
        request_id: str,
        params: JsonObject,
    ) -> None:
        self._dispatcher = dispatcher
        # An approval's span runs from the request to the answer (a tool call has its item's).
        self._span = dispatcher.telemetry.begin_approval(method, params)
        self._engine = engine
        self._thread_id = thread_id
        self._method = method
        self._request_id = request_id
        self._lock = threading.Lock()
        self._sent = False

    def finish(self, outcome: Outcome) -> None:
        with self._lock:
            if self._sent:
                return
            self._sent = True
        answer: str | None = None
        event = outcome.event
        if outcome.result is not None:
            try:
                answer = json.dumps(outcome.result)
            except (TypeError, ValueError) as exc:
                logger.warning("answer to %s is not JSON (%s); declining", self._method, exc)
                if event is not None:
                    # The record says what the engine gets: a decline, not the callback's allow.
                    event = event.model_copy(
                        update={"allowed": False, "reason": "the answer was not JSON", "source": "invalid"}
                    )
        if self._span is not None:
            self._span.finish(outcome.result if answer is not None else None)
        # The event goes first, so it precedes whatever the engine does next.
        if event is not None:
            self._dispatcher._push_event(self._thread_id, event)
        try:
            if answer is not None:
                self._engine.respond(self._request_id, answer)
            elif outcome.result is not None:
                _engine.decline(self._engine, self._method, self._request_id, "the answer was not JSON")
            else:
                self._engine.fail_request(self._request_id, _engine.DECLINED_CODE, outcome.reason)
        except _engine.NativeError as exc:
            # The turn ended (interrupted, client closed) before the answer: nothing to do.
            logger.debug("could not answer %s: %s", self._method, exc)


class ServerRequestDispatcher:
    """Answers a client's server requests: tools, approvals, fail-closed declines."""

    def __init__(
        self,
        *,
        tools: Iterable[Tool | ToolFunction] | None = None,
        approval_callback: ApprovalCallback | None = None,
        approval_handler: _engine.ApprovalHandler | None = None,
        approval_timeout: float | None = DEFAULT_APPROVAL_TIMEOUT_S,
        telemetry: ClientTelemetry | None = None,
    ) -> None:
        if approval_callback is not None and approval_handler is not None:
            raise ConfigurationError("give approval_callback= or approval_handler=, not both")
        for name, value in (("approval_callback", approval_callback), ("approval_handler", approval_handler)):
            if value is not None and not callable(value):
                raise ConfigurationError(f"{name}= must be callable, got {value!r}")
        _validate.check_timeout("approval_timeout", approval_timeout)
        given = tools_registry(tools)
        self.tools = given if given is not None else ToolRegistry()
        self.approval_callback = approval_callback
        self.approval_handler = approval_handler
        self.approval_timeout = approval_timeout
        self.telemetry = telemetry if telemetry is not None else ClientTelemetry()
        self._threads: dict[str, ThreadBinding] = {}
        self._events: dict[str, deque[Notification]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()

    # -- threads ---------------------------------------------------------------
    def thread_start_params(self, tools: ToolRegistry | None) -> JsonObject:
        """The thread/start params that declare a new thread's tools."""
        specs = thread_tool_specs(self.tools, tools)
        return {"dynamicTools": specs} if specs else {}

    def bind_thread(self, thread_id: str, binding: ThreadBinding) -> None:
        if binding.approval_callback is not None and not callable(binding.approval_callback):
            raise ConfigurationError(f"approval_callback= must be callable, got {binding.approval_callback!r}")
        if binding.tools is not None or binding.approval_callback is not None:
            with self._lock:
                self._threads[thread_id] = binding

    def inherit_binding(self, parent_id: str, child_id: str) -> None:
        """A fork answers like its parent: the engine copies the tool declarations, so must we."""
        with self._lock:
            binding = self._threads.get(parent_id)
            if binding is not None:
                self._threads[child_id] = binding

    def _binding(self, thread_id: str) -> ThreadBinding:
        with self._lock:
            return self._threads.get(thread_id, ThreadBinding())

    def find_tool(self, thread_id: str, name: str) -> Tool | None:
        thread_tools = self._binding(thread_id).tools
        found = thread_tools.get(name) if thread_tools is not None else None
        return found if found is not None else self.tools.get(name)

    # -- events ----------------------------------------------------------------
    def _push_event(self, thread_id: str, event: ApprovalResolved) -> None:
        from .approvals import APPROVAL_RESOLVED_METHOD

        with self._lock:
            # Bounded: records of turns nobody reads (e.g. goal turns) must not pile up.
            pending = self._events.setdefault(thread_id, deque(maxlen=_MAX_PENDING_EVENTS))
            pending.append(Notification(APPROVAL_RESOLVED_METHOD, event))

    def drain_events(self, thread_id: str) -> list[Notification]:
        """The SDK's own events recorded for ``thread_id`` since the last call.

        Called for every notification of a turn, and almost always with nothing recorded, so
        that case takes no lock. The membership test is one atomic dict read (a str key: no
        Python code runs inside it), and it cannot miss an event the caller must see: an
        answer's event is pushed *before* the answer goes to the engine (``_Answer.finish``),
        and the engine can only react to the answer after it was sent, so by the time the
        caller holds the notification that follows the answer, the push has happened (the
        engine's channels order it before). An event pushed while this runs is not lost: it
        stays filed and the next call returns it, exactly as when the lock is taken.
        """
        if thread_id not in self._events:
            return []
        with self._lock:
            pending = self._events.pop(thread_id, None)
        return list(pending) if pending else []

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for task in list(self._tasks):
            task.cancel()

    # -- the dispatch point ----------------------------------------------------
    def dispatch(
        self, engine: _engine.NativeEngine, thread_id: str, method: str, request_id: str, params: JsonObject
    ) -> None:
        """Answers one request for a sync client; user code runs on the pool."""
        from .approvals import parse_request

        if _answered_by_the_sdk(engine, method, request_id):
            return
        answer = _Answer(self, engine, thread_id, method, request_id, params)
        request = parse_request(method, params)
        plan = self._plan(thread_id, method, params, request)
        if isinstance(plan, Outcome):
            answer.finish(plan)
            return
        work, timeout, on_timeout = plan
        try:
            # The caller's context (correlation ids, the current span) travels to the pool thread.
            future = self._executor().submit(contextvars.copy_context().run, work.run_sync)
        except RuntimeError:  # closed meanwhile
            answer.finish(_CLOSED)
            return
        timer: threading.Timer | None = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda: answer.finish(on_timeout()))
            timer.daemon = True
            timer.start()

        def done(finished: Future[Outcome]) -> None:
            if timer is not None:
                timer.cancel()
            if finished.cancelled() or finished.exception() is not None:
                # Cancelled by close(), or a BaseException escaped user code: refuse.
                answer.finish(_CLOSED if finished.cancelled() else _CRASHED)
                return
            answer.finish(finished.result())

        future.add_done_callback(done)

    def dispatch_async(
        self, engine: _engine.NativeEngine, thread_id: str, method: str, request_id: str, params: JsonObject
    ) -> None:
        """Answers one request for an async client; user code runs in a task of the running loop."""
        import asyncio

        from .approvals import parse_request

        if _answered_by_the_sdk(engine, method, request_id):
            return
        answer = _Answer(self, engine, thread_id, method, request_id, params)
        request = parse_request(method, params)
        plan = self._plan(thread_id, method, params, request)
        if isinstance(plan, Outcome):
            answer.finish(plan)
            return
        work, timeout, on_timeout = plan

        async def run() -> None:
            try:
                outcome = await asyncio.wait_for(work.run_async(self._executor()), timeout)
            except asyncio.TimeoutError:
                outcome = on_timeout()
            except RuntimeError:  # closed meanwhile
                outcome = _CLOSED
            answer.finish(outcome)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the client is closed")
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=_POOL_WORKERS, thread_name_prefix="codex-callback")
            return self._pool

    def _plan(
        self, thread_id: str, method: str, params: JsonObject, request: ApprovalRequest
    ) -> Outcome | tuple[_Work, float | None, Callable[[], Outcome]]:
        """An immediate outcome, or the work to run with its timeout and its timeout outcome."""
        from .approvals import DynamicToolCallRequest, UnknownRequest

        if isinstance(request, DynamicToolCallRequest):
            tool = self.find_tool(thread_id, request.tool)
            if tool is None:
                logger.warning("the model called %r, which is not a registered tool", request.tool)
                return Outcome(failure_result(f"no tool named {request.tool!r} is available"), "unknown tool")
            limit = tool.timeout
            return (
                _ToolWork(tool, request.arguments),
                limit,
                lambda: _tool_timed_out(tool, limit),
            )
        if isinstance(request, UnknownRequest):
            logger.warning("declining %s: this SDK does not know that kind of request", method)
            return _declined(request, "unsupported request kind", "unsupported", method)
        callback = self._binding(thread_id).approval_callback or self.approval_callback
        timeout = self.approval_timeout
        if callback is not None:
            return (
                _CallbackWork(callback, request, method),
                timeout,
                lambda: _callback_timed_out(request, method, timeout),
            )
        if self.approval_handler is not None:
            return (
                _HandlerWork(self.approval_handler, request, method, params),
                timeout,
                lambda: _callback_timed_out(request, method, timeout),
            )
        logger.info("declining %s: no approval callback is configured", method)
        return _declined(request, "no approval callback is configured", "default", method)


def _answered_by_the_sdk(engine: _engine.NativeEngine, method: str, request_id: str) -> bool:
    try:
        return _engine.answer_builtin(engine, method, request_id)
    except _engine.NativeError as exc:
        logger.debug("could not answer %s: %s", method, exc)
        return True


# --------------------------------------------------------------------------- outcomes
# Answered with a JSON-RPC error, which the engine takes as a refusal (or a failed tool call).
_CLOSED = Outcome(None, "declined: the client is closing")
_CRASHED = Outcome(None, "declined: the callback or tool did not return")


def _record(
    request: ApprovalRequest, method: str, *, allowed: bool, reason: str | None, source: ResolutionSource
) -> ApprovalResolved:
    from .approvals import ApprovalResolved, describe

    return ApprovalResolved(
        request_method=method,
        kind=request.kind,
        allowed=allowed,
        reason=reason,
        source=source,
        **describe(request),
    )


def _declined(request: ApprovalRequest, reason: str, source: ResolutionSource, method: str) -> Outcome:
    from .approvals import Deny

    return Outcome(
        request.result_for(Deny(reason)),
        f"declined: {reason}",
        _record(request, method, allowed=False, reason=reason, source=source),
    )


def _decided(request: ApprovalRequest, decision: object, method: str, source: ResolutionSource) -> Outcome:
    from .approvals import Allow, Deny

    if not isinstance(decision, (Allow, Deny)):
        logger.warning("approval callback returned %r for %s; declining", type(decision).__name__, method)
        return _declined(request, f"the callback returned {type(decision).__name__}, not Allow/Deny", "invalid", method)
    result = request.result_for(decision)
    if isinstance(decision, Allow) and result is None:
        logger.warning("Allow() cannot answer %s without more data; declining", method)
        return _declined(request, f"Allow() for a {request.kind} request needs more data", "invalid", method)
    reason = decision.reason if isinstance(decision, Deny) else None
    return Outcome(
        result,
        f"declined: {reason}",
        _record(request, method, allowed=isinstance(decision, Allow), reason=reason, source=source),
    )


def _callback_timed_out(request: ApprovalRequest, method: str, timeout: float | None) -> Outcome:
    logger.warning("approval callback for %s did not answer within %ss; declining", method, timeout)
    return _declined(request, f"the approval callback did not answer within {timeout}s", "timeout", method)


def _tool_timed_out(tool: Tool, timeout: float | None) -> Outcome:
    logger.warning("tool %s did not finish within %ss; reported as failed", tool.name, timeout)
    return Outcome(failure_result(f"{tool.name} did not finish within {timeout}s"), "tool timed out")


def _looks_allowed(result: JsonObject) -> bool:
    """Whether a raw handler's answer approves (for the record only; the answer is sent as given)."""
    value = result.get("decision", result.get("action"))
    if isinstance(value, dict):
        value = next(iter(value), "")
    if isinstance(value, str):
        return value.startswith(("accept", "approved", "applyNetwork"))
    return bool(result.get("permissions") or result.get("answers") or result.get("token") or result.get("accessToken"))


# --------------------------------------------------------------------------- work
class _Work(ABC):
    """User code behind one request, runnable from a pool thread or an event loop."""

    @abstractmethod
    def run_sync(self) -> Outcome: ...

    @abstractmethod
    async def run_async(self, pool: ThreadPoolExecutor) -> Outcome: ...


class _ToolWork(_Work):
    def __init__(self, tool: Tool, arguments: object) -> None:
        self.tool = tool
        self.arguments = arguments

    def _failed(self, exc: Exception) -> Outcome:
        if not isinstance(exc, ToolError):
            logger.warning("tool %s raised", self.tool.name, exc_info=exc)
        return Outcome(failure_result(error_message(self.tool.name, exc)), "tool failed")

    def run_sync(self) -> Outcome:
        try:
            return Outcome(success_result(self.tool.run_sync(self.arguments)), "")
        except Exception as exc:
            return self._failed(exc)

    async def run_async(self, pool: ThreadPoolExecutor) -> Outcome:
        try:
            return Outcome(success_result(await self.tool.run_async(self.arguments)), "")
        except Exception as exc:
            return self._failed(exc)


class _CallbackWork(_Work):
    def __init__(self, callback: ApprovalCallback, request: ApprovalRequest, method: str) -> None:
        self.callback = callback
        self.request = request
        self.method = method

    def _raised(self, exc: BaseException) -> Outcome:
        logger.warning("approval callback raised for %s; declining", self.method, exc_info=exc)
        reason = f"the approval callback raised {type(exc).__name__}: {exc}"
        return _declined(self.request, reason, "error", self.method)

    def run_sync(self) -> Outcome:
        try:
            decision: Any = self.callback(self.request)
            if inspect.isawaitable(decision):
                import asyncio

                decision = asyncio.run(_await(decision))
        except BaseException as exc:  # KeyboardInterrupt too: declined and recorded
            return self._raised(exc)
        return _decided(self.request, decision, self.method, "callback")

    async def run_async(self, pool: ThreadPoolExecutor) -> Outcome:
        import asyncio

        try:
            if _is_async_callable(self.callback):
                decision: Any = await self.callback(self.request)  # type: ignore[misc]
            else:
                decision = await asyncio.get_running_loop().run_in_executor(pool, self.callback, self.request)
                if inspect.isawaitable(decision):
                    decision = await decision
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            return self._raised(exc)
        return _decided(self.request, decision, self.method, "callback")


class _HandlerWork(_Work):
    """The raw ``approval_handler(method, params) -> dict | None`` form (as in ``openai_codex``)."""

    def __init__(
        self, handler: _engine.ApprovalHandler, request: ApprovalRequest, method: str, params: JsonObject
    ) -> None:
        self.handler = handler
        self.request = request
        self.method = method
        self.params = params

    def _outcome(self, result: object) -> Outcome:
        if result is None:
            return _declined(self.request, "declined by the approval handler", "handler", self.method)
        if not isinstance(result, dict):
            logger.warning("approval handler returned %r for %s; declining", type(result).__name__, self.method)
            return _declined(self.request, "the approval handler returned no valid answer", "invalid", self.method)
        try:
            json.dumps(result)
        except (TypeError, ValueError):
            logger.warning("approval handler answer for %s is not JSON; declining", self.method)
            return _declined(self.request, "the approval handler returned no valid answer", "invalid", self.method)
        return Outcome(
            result,
            "",
            _record(self.request, self.method, allowed=_looks_allowed(result), reason=None, source="handler"),
        )

    def _raised(self, exc: BaseException) -> Outcome:
        logger.warning("approval handler raised for %s; declining", self.method, exc_info=exc)
        return _declined(self.request, f"the approval handler raised {type(exc).__name__}", "error", self.method)

    def run_sync(self) -> Outcome:
        try:
            result: Any = self.handler(self.method, self.params)
            if inspect.isawaitable(result):
                import asyncio

                result = asyncio.run(_await(result))
        except BaseException as exc:  # KeyboardInterrupt too: declined and recorded
            return self._raised(exc)
        return self._outcome(result)

    async def run_async(self, pool: ThreadPoolExecutor) -> Outcome:
        import asyncio

        try:
            if _is_async_callable(self.handler):
                result: Any = await self.handler(self.method, self.params)  # type: ignore[misc]
            else:
                result = await asyncio.get_running_loop().run_in_executor(pool, self.handler, self.method, self.params)
                if inspect.isawaitable(result):
                    result = await result
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            return self._raised(exc)
        return self._outcome(result)
