"""OpenTelemetry spans for clients, threads, turns, tool calls, MCP calls and approvals.

Optional: install ``codex-embedded[otel]`` (``opentelemetry-api``). Without it
every function here is a no-op and nothing of OpenTelemetry is imported.

Spans follow the OpenTelemetry GenAI semantic conventions where they define
something (``gen_ai.operation.name``, ``gen_ai.request.model``,
``gen_ai.usage.*``, ``gen_ai.tool.*``, ``gen_ai.conversation.id``); the rest is
under ``codex.*``. The tree of one turn::

    invoke_agent codex                  (the turn; usage and model)
    ├── execute_tool <tool>             (a Python tool, from the dynamicToolCall item)
    ├── execute_tool shell              (a command the engine ran)
    │   └── codex.approval commandExecution   (its approval request and decision)
    ├── tools/call <tool>               (an MCP tool call)
    └── codex.approval <kind>           (an approval of something not started as an item)

A turn's parent is the span current when it starts; when there is none, the
client's ``traceparent`` (W3C), if given, is the parent. Spans come from the
client's ``tracer_provider``, else from the global one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import events, protocol
from ._logging import correlation
from ._version import __version__
from .errors import ConfigurationError
from .events import JsonObject, Notification

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

    from .events import ThreadItem, ThreadTokenUsage

# opentelemetry.trace and a W3C propagator, imported when the first client is made
# (not at ``import codex``); None when the [otel] extra is not installed.
_trace: Any = None
_propagator: Any = None
_load_tried = False
_load_lock = threading.Lock()


def _load() -> bool:
    global _trace, _propagator, _load_tried
    with _load_lock:
        if not _load_tried:
            _load_tried = True
            try:
                from opentelemetry import trace
                from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
            except ImportError:
                return False
            _trace, _propagator = trace, TraceContextTextMapPropagator()
    return _trace is not None


INSTRUMENTATION_NAME = "codex-embedded"
PROVIDER_NAME = "openai"
AGENT_NAME = "codex"

# GenAI semantic convention attribute names.
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
AGENT = "gen_ai.agent.name"
REQUEST_MODEL = "gen_ai.request.model"
CONVERSATION_ID = "gen_ai.conversation.id"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
ERROR_TYPE = "error.type"
MCP_METHOD = "mcp.method.name"


def available() -> bool:
    """True when ``opentelemetry-api`` is importable (spans are then produced)."""
    return _load()


def _context_from_traceparent(traceparent: str | None) -> Context | None:
    if traceparent is None or not _load():
        return None
    extracted: Context = _propagator.extract({"traceparent": traceparent})
    # A malformed header yields a context without a span: treat it as absent.
    return extracted if _trace.get_current_span(extracted).get_span_context().is_valid else None


class TurnTrace:
    """The span of one turn and its children, fed by the turn's notifications."""

    def __init__(self, tracer: Tracer, span: Span, thread_id: str, on_end: Callable[[str], None]) -> None:
        self._tracer = tracer
        self._on_end = on_end
        self.span = span
        self.thread_id = thread_id
        self.turn_id: str | None = None
        #: Child spans by item id (tools, commands, MCP calls).
        self._items: dict[str, Span] = {}
        self._usage_baseline: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._ended = False

    @property
    def context(self) -> Context:
        context: Context = _trace.set_span_in_context(self.span)
        return context

    def started(self, turn_id: str) -> None:
        self.turn_id = turn_id
        self.span.set_attribute("codex.turn.id", turn_id)

    def observe(self, event: Notification) -> None:
        payload = event.payload
        if isinstance(payload, events.ItemStartedNotification):
            self._item_started(payload.item)
        elif isinstance(payload, events.ItemCompletedNotification):
            self._item_completed(payload.item)
        elif isinstance(payload, events.ThreadTokenUsageUpdatedNotification):
            self._usage(payload.token_usage)
        elif isinstance(payload, events.TurnCompletedNotification):
            turn = payload.turn
            self.span.set_attribute("codex.turn.status", turn.status.value)
            if turn.status is events.TurnStatus.failed:
                error = turn.error
                info = error.codex_error_info.to_dict() if error is not None and error.codex_error_info else None
                self._fail(self.span, _error_type(info), error.message if error is not None else None)
            self.end()

    def _item_started(self, item: ThreadItem) -> None:
        opened = self._open_item_span(item)
        if opened is not None:
            with self._lock:
                self._items[item.root.id] = opened

    def _open_item_span(self, wrapped: ThreadItem) -> Span | None:
        if not protocol.other_item_kinds_loaded():
            return None  # a plain turn's item: no tool call (their kinds load with the first)
        item = wrapped.root
        if isinstance(item, events.DynamicToolCallThreadItem):
            return self._child(
                f"execute_tool {item.tool}",
                {OPERATION: "execute_tool", TOOL_NAME: item.tool, TOOL_CALL_ID: item.id, TOOL_TYPE: "function"},
            )
        if isinstance(item, events.McpToolCallThreadItem):
            return self._child(
                f"tools/call {item.tool}",
                {
                    OPERATION: "execute_tool",
                    MCP_METHOD: "tools/call",
                    TOOL_NAME: item.tool,
                    TOOL_CALL_ID: item.id,
                    TOOL_TYPE: "extension",
                    "codex.mcp.server": item.server,
                },
            )
        if isinstance(item, events.CommandExecutionThreadItem):
            return self._child(
                "execute_tool shell",
                {OPERATION: "execute_tool", TOOL_NAME: "shell", TOOL_CALL_ID: item.id, TOOL_TYPE: "function"},
            )
        return None

    def _item_completed(self, wrapped: ThreadItem) -> None:
        item = wrapped.root
        with self._lock:
            span = self._items.pop(item.id, None)
        if span is None:
            return
        span.set_attribute("codex.item.status", getattr(item, "status", "") or "")
        if isinstance(item, events.DynamicToolCallThreadItem) and item.success is False:
            self._fail(span, "tool_error", None)
        elif isinstance(item, events.McpToolCallThreadItem) and item.error is not None:
            self._fail(span, "mcp_error", None)
        elif isinstance(item, events.CommandExecutionThreadItem):
            if item.exit_code is not None:
                span.set_attribute("process.exit.code", item.exit_code)
            if item.status not in ("completed", "inProgress"):
                self._fail(span, item.status, None)
        span.end()

    def _usage(self, usage: ThreadTokenUsage) -> None:
        # Totals are per thread; the turn's share is the growth since before its first call.
        total, last = usage.total, usage.last
        if self._usage_baseline is None:
            self._usage_baseline = (total.input_tokens - last.input_tokens, total.output_tokens - last.output_tokens)
        base_input, base_output = self._usage_baseline
        self.span.set_attribute(INPUT_TOKENS, total.input_tokens - base_input)
        self.span.set_attribute(OUTPUT_TOKENS, total.output_tokens - base_output)

    def _child(self, name: str, attributes: dict[str, Any]) -> Span:
        return self._tracer.start_span(name, context=self.context, attributes=attributes)

    def approval(self, method: str, params: JsonObject) -> ApprovalSpan:
        """Opens the span of one approval request; finish it with the answer."""
        kind = method.removeprefix("item/").split("/")[0]
        attributes: dict[str, Any] = {"codex.approval.method": method, "codex.approval.kind": kind}
        item_id = params.get("itemId") or params.get("callId")
        if isinstance(item_id, str):
            attributes["codex.item.id"] = item_id
        # Under the command or patch it approves when that item has started, else the turn.
        parent = _trace.set_span_in_context(self.span_for(params))
        span = self._tracer.start_span(f"codex.approval {kind}", context=parent, attributes=attributes)
        return ApprovalSpan(span)

    def span_for(self, params: JsonObject) -> Span:
        """The span a request's user code runs under: its tool call's, else the turn's."""
        call_id = params.get("callId") or params.get("itemId")
        with self._lock:
            found = self._items.get(call_id) if isinstance(call_id, str) else None
        return found if found is not None else self.span

    @staticmethod
    def _fail(span: Span, error_type: str, message: str | None) -> None:
        span.set_attribute(ERROR_TYPE, error_type)
        span.set_status(_trace.Status(_trace.StatusCode.ERROR, message))

    def end(self, error_type: str | None = None) -> None:
        """Ends the turn span (and any child left open), once."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            leftovers = list(self._items.values())
            self._items.clear()
        for span in leftovers:
            span.end()
        if error_type is not None:
            self._fail(self.span, error_type, None)
        self.span.end()
        if self.turn_id is not None:
            self._on_end(self.turn_id)


class ApprovalSpan:
    """The span of one approval, from the request to the answer sent."""

    def __init__(self, span: Span) -> None:
        self.span = span

    def finish(self, answer: JsonObject | None) -> None:
        """Records the decision sent (None: refused with an error, i.e. declined) and ends."""
        self.span.set_attribute("codex.approval.decision", _decision_text(answer))
        self.span.end()


def _decision_text(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("decision", value)
    if isinstance(value, dict) and value:
        return str(next(iter(value)))
    return str(value) if value is not None else "decline"


def _error_type(info: object) -> str:
    if isinstance(info, str):
        return info
    if isinstance(info, dict) and info:
        return str(next(iter(info)))
    return "turn_failed"


#: Turns a client keeps traces for; a turn whose stream is never read never completes.
TURNS_KEPT = 1024
#: Threads a client remembers the model of (from thread/start), for their turns' spans.
THREAD_MODELS_KEPT = 4096
#: Server requests that are not approvals: tool calls have their item's span.
_NOT_APPROVALS = frozenset({"item/tool/call", "currentTime/read"})


class ClientTelemetry:
    """One client's tracer and incoming trace context."""

    def __init__(self, tracer_provider: object | None = None, traceparent: str | None = None) -> None:
        if tracer_provider is not None and not callable(getattr(tracer_provider, "get_tracer", None)):
            raise ConfigurationError(f"tracer_provider must be a TracerProvider, got {tracer_provider!r}")
        if traceparent is not None and not isinstance(traceparent, str):
            raise ConfigurationError(f"traceparent must be a W3C traceparent string, got {traceparent!r}")
        self._tracer: Tracer | None = None
        if tracer_provider is not None and not _load():
            raise ConfigurationError("tracer_provider= needs opentelemetry-api: pip install 'codex-embedded[otel]'")
        if _load():
            self._tracer = _trace.get_tracer(INSTRUMENTATION_NAME, __version__, tracer_provider=tracer_provider)
        self._parent = _context_from_traceparent(traceparent)
        self._lock = threading.Lock()
        #: Running turns by id, so the request dispatcher can find the span to nest under.
        self._turns: dict[str, TurnTrace] = {}
        #: The model each traced thread runs (from thread/start), for its turns' spans.
        self._thread_models: dict[str, str] = {}
        self.turns_kept = TURNS_KEPT

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def _parent_context(self) -> Context | None:
        """The current span's context when there is one, else the incoming traceparent."""
        if _trace is None:
            return None
        if _trace.get_current_span().get_span_context().is_valid:
            return None
        return self._parent

    @contextlib.contextmanager
    def span(self, name: str, attributes: dict[str, Any] | None = None) -> Iterator[Span | None]:
        """A span for a synchronous step (client start, thread start); records exceptions."""
        if self._tracer is None:
            yield None
            return
        base = {PROVIDER: PROVIDER_NAME}
        base.update(attributes or {})
        with self._tracer.start_as_current_span(name, context=self._parent_context(), attributes=base) as span:
            yield span

    @contextlib.contextmanager
    def thread_starting(self) -> Iterator[Callable[[JsonObject], None]]:
        """A ``codex.thread.start`` span; call what it yields with the thread/start response."""

        def started(response: JsonObject) -> None:
            thread = response.get("thread")
            thread_id = thread.get("id") if isinstance(thread, dict) else None
            model = response.get("model")
            if isinstance(thread_id, str) and isinstance(model, str):
                with self._lock:
                    if len(self._thread_models) >= THREAD_MODELS_KEPT:
                        self._thread_models.pop(next(iter(self._thread_models)))
                    self._thread_models[thread_id] = model
            if span is not None:
                if isinstance(thread_id, str):
                    span.set_attribute(CONVERSATION_ID, thread_id)
                if isinstance(model, str):
                    span.set_attribute(REQUEST_MODEL, model)

        with self.span("codex.thread.start") as span:
            yield started

    @contextlib.contextmanager
    def turn_starting(self, thread_id: str, model: str | None) -> Iterator[Callable[[str], None]]:
        """Opens a turn's span around turn/start; call what it yields with the new turn's id.
        Fails the span if turn/start raises."""
        trace = self.start_turn(thread_id, model or self._thread_models.get(thread_id))

        def started(turn_id: str) -> None:
            if trace is not None:
                self.register(trace, turn_id)

        try:
            yield started
        except BaseException as exc:
            if trace is not None:
                trace.end(type(exc).__qualname__)
            raise

    def start_turn(self, thread_id: str, model: str | None) -> TurnTrace | None:
        """Opens a turn's span; :meth:`register` it once the engine gave the turn's id."""
        if self._tracer is None:
            return None
        attributes: dict[str, Any] = {
            OPERATION: "invoke_agent",
            PROVIDER: PROVIDER_NAME,
            AGENT: AGENT_NAME,
            CONVERSATION_ID: thread_id,
        }
        if model:
            attributes[REQUEST_MODEL] = model
        span = self._tracer.start_span(
            f"invoke_agent {AGENT_NAME}", context=self._parent_context(), attributes=attributes
        )
        return TurnTrace(self._tracer, span, thread_id, self._forget)

    def register(self, trace: TurnTrace, turn_id: str) -> None:
        trace.started(turn_id)
        # A turn whose stream is never read never completes here: past a bound, the
        # oldest such span is ended rather than kept forever.
        while True:
            with self._lock:
                if len(self._turns) < self.turns_kept:
                    self._turns[turn_id] = trace
                    return
                oldest = self._turns.pop(next(iter(self._turns)))
            oldest.end("abandoned")

    def _forget(self, turn_id: str) -> None:
        with self._lock:
            self._turns.pop(turn_id, None)

    def traced_turns(self) -> list[str]:
        """The ids of the turns whose spans are open."""
        with self._lock:
            return list(self._turns)

    def turn_trace(self, turn_id: str | None) -> TurnTrace | None:
        """The trace of a running turn, if it is traced."""
        # Read on every event of every turn: a dict lookup is atomic, so no lock.
        return self._turns.get(turn_id) if turn_id else None

    def observe(self, turn_id: str, event: Notification) -> None:
        """Feeds one of a turn's notifications to its trace (no-op when untraced)."""
        trace = self.turn_trace(turn_id)
        if trace is not None:
            trace.observe(event)

    def end_turn(self, turn_id: str, error_type: str | None = None) -> None:
        """Ends a turn's span when its stream stops without ``turn/completed``."""
        trace = self.turn_trace(turn_id)
        if trace is not None:
            trace.end(error_type)

    @contextlib.contextmanager
    def server_request_scope(self, thread_id: str, turn_id: str, params: JsonObject) -> Iterator[None]:
        """While a server request is dispatched: ``codex`` records carry its thread and turn
        ids, and its span is current (both travel on to the callback that answers it)."""
        request_turn = params.get("turnId")
        turn = request_turn if isinstance(request_turn, str) else turn_id
        with correlation(thread_id, turn), self.request_scope(turn, params):
            yield

    def begin_approval(self, method: str, params: JsonObject) -> ApprovalSpan | None:
        """Opens the span of an approval request of a traced turn (None otherwise)."""
        if method in _NOT_APPROVALS:
            return None
        turn_id = params.get("turnId")
        trace = self.turn_trace(turn_id if isinstance(turn_id, str) else None)
        return trace.approval(method, params) if trace is not None else None

    @contextlib.contextmanager
    def request_scope(self, turn_id: str, params: JsonObject) -> Iterator[None]:
        """Makes the request's span current, so spans user code opens nest under it."""
        trace = self.turn_trace(turn_id)
        if trace is None or _trace is None:
            yield
            return
        with _trace.use_span(trace.span_for(params), end_on_exit=False):
            yield
