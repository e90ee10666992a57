"""Running turns: handles, event streams and collected results (sync and async).

The sync and async twins share one core that never waits (:class:`_TurnCore`: decoding a
batch of events, routing them by turn, folding them into the result, the params of steer and
interrupt); each handle adds only how it waits for the next batch and how leaving early
interrupts the turn (Ctrl-C or closing the iterator vs. cancelling the task).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

from . import _constants, api_models, events, protocol
from .errors import TransportClosedError, turn_failed_error
from .events import (
    AGENT_MESSAGE_DELTA,
    JsonObject,
    Notification,
    NotificationPayload,
    UnknownNotification,
    parse_notification_json,
    parse_turn_text_delta,
)
from .inputs import Input, to_wire_input
from .metrics import TurnMetrics, Usage
from .protocol import ProtocolModel
from .structured import OutputSpec

if TYPE_CHECKING:
    from ._engine import NativeSubscription
    from ._session import AsyncSession, Session
    from .api_models import TurnInterruptResponse, TurnSteerResponse
    from .events import ThreadItem, ThreadTokenUsage, Turn, TurnError, TurnStatus
    from .telemetry import ClientTelemetry


@dataclass(slots=True)
class TurnResult:
    """What a finished turn produced (same fields as ``openai_codex.TurnResult``)."""

    id: str
    status: TurnStatus
    error: TurnError | None
    started_at: int | None
    completed_at: int | None
    duration_ms: int | None
    final_response: str | None
    items: list[ThreadItem]
    usage: ThreadTokenUsage | None
    #: The validated structured output when the turn was started with ``output_type``.
    output: Any = None
    #: Usage summed over the turn's model calls (and retry attempts), latency, attempts.
    metrics: TurnMetrics = field(default_factory=TurnMetrics)


class _Collector:
    """Folds a turn's notifications into a :class:`TurnResult`."""

    def __init__(
        self,
        thread_id: str,
        turn_id: str,
        output: OutputSpec | None,
        telemetry: ClientTelemetry | None = None,
        started_s: float | None = None,
    ) -> None:
        self.output = output
        self.thread_id = thread_id
        self.turn_id = turn_id
        self.telemetry = telemetry
        self.items: list[ThreadItem] = []
        self.usage: ThreadTokenUsage | None = None
        self.completed: Turn | None = None
        # perf_counter() just before turn/start, as the thread that started the turn measured it.
        self.started_s = time.perf_counter() if started_s is None else started_s
        self.first_output_s: float | None = None
        self.completed_s: float | None = None
        self.usage_sum = Usage()

    def add_text_delta(self, event: Notification) -> None:
        """:meth:`add` for one of this turn's own assistant text deltas (which never completes it)."""
        if self.telemetry is not None:
            self.telemetry.observe(self.turn_id, event)
        if self.first_output_s is None:
            self.first_output_s = time.perf_counter()

    def add(self, event: Notification) -> bool:
        """Returns True when ``event`` completes this turn."""
        payload = event.payload
        if self.telemetry is not None:
            self.telemetry.observe(self.turn_id, event)
        # Most of a turn's events, first and cheaply (an isinstance check of a pydantic class
        # is a Python call); only the first one counts here (time to first token).
        if type(payload) is events.AgentMessageDeltaNotification:
            if self.first_output_s is None and payload.turn_id == self.turn_id:
                self.first_output_s = time.perf_counter()
            return False
        if self.first_output_s is None and _is_model_output(payload, self.turn_id):
            self.first_output_s = time.perf_counter()
        if isinstance(payload, events.ItemCompletedNotification) and payload.turn_id == self.turn_id:
            self.items.append(payload.item)
        elif isinstance(payload, events.ThreadTokenUsageUpdatedNotification) and payload.turn_id == self.turn_id:
            self.usage = payload.token_usage
            # One update per model call; ``last`` is that call's usage.
            self.usage_sum += Usage.from_breakdown(payload.token_usage.last)
        elif isinstance(payload, events.TurnCompletedNotification) and payload.turn.id == self.turn_id:
            self.completed = payload.turn
            self.completed_s = time.perf_counter()
            return True
        return False

    def metrics(self) -> TurnMetrics:
        def since_start(moment: float | None) -> float | None:
            return None if moment is None else moment - self.started_s

        duration = since_start(self.completed_s)
        return TurnMetrics(
            usage=self.usage_sum,
            time_to_first_token_s=since_start(self.first_output_s),
            duration_s=duration,
            total_duration_s=duration,
        )

    def result(self) -> TurnResult:
        turn = self.completed
        if turn is None:
            raise TransportClosedError("the turn ended without turn/completed (client closed?)")
        if turn.status is events.TurnStatus.failed:
            error = turn.error
            failure = turn_failed_error(
                error.message if error is not None and error.message else "turn failed",
                thread_id=self.thread_id,
                turn_id=self.turn_id,
                codex_error_info=error.codex_error_info if error is not None else None,
                additional_details=error.additional_details if error is not None else None,
            )
            failure.usage = self.usage_sum
            raise failure
        final_response = _final_response(self.items)
        parsed = None
        if self.output is not None and turn.status is events.TurnStatus.completed:
            parsed = self.output.parse(final_response)
        return TurnResult(
            id=turn.id,
            status=turn.status,
            error=turn.error,
            started_at=turn.started_at,
            completed_at=turn.completed_at,
            duration_ms=turn.duration_ms,
            final_response=final_response,
            items=self.items,
            usage=self.usage,
            output=parsed,
            metrics=self.metrics(),
        )


def _is_model_output(payload: object, turn_id: str) -> bool:
    """The first sign the model answered: a delta, or an item that is not the user's message."""
    if isinstance(payload, events.AgentMessageDeltaNotification | events.ReasoningSummaryTextDeltaNotification):
        return payload.turn_id == turn_id
    if isinstance(payload, events.ItemStartedNotification | events.ItemCompletedNotification):
        return payload.turn_id == turn_id and payload.item.root.type != "userMessage"
    return False


def _turn_id_of(params: dict[str, Any]) -> str | None:
    """The turn a notification belongs to. Thread-level ones (``thread/started``,
    ``thread/status/changed``) have none and, as in ``openai_codex``, are not part
    of a turn's stream."""
    if not isinstance(params, dict):
        return None
    turn_id = params.get("turnId")
    if isinstance(turn_id, str):
        return turn_id
    turn = params.get("turn")
    if isinstance(turn, dict) and isinstance(turn.get("id"), str):
        return str(turn["id"])
    return None


# How to read the turn of a method's notification from its model, so that the params need no
# dict: (attribute of a required ``turnId: str``, attribute of a required ``turn: Turn``), or
# None for a method routed on the dict (no model, or one where the turn id is optional).
_Route: TypeAlias = "tuple[str | None, str | None] | None"
_ROUTES: dict[str, _Route] = {}


def _route_of(method: str) -> _Route:
    route: _Route = None
    model = protocol.notification_model(method)
    if isinstance(model, type) and issubclass(model, ProtocolModel):
        fields = {field.alias or name: (name, field) for name, field in model.model_fields.items()}
        turn_id, turn = fields.get("turnId"), fields.get("turn")
        if turn_id is not None:
            if turn_id[1].is_required() and turn_id[1].annotation is str:
                route = (turn_id[0], None)
        elif turn is not None and turn[1].is_required() and turn[1].annotation is protocol.model_named("Turn"):
            route = (None, turn[0])
    _ROUTES[method] = route
    return route


def _turn_id_of_payload(payload: NotificationPayload, route: tuple[str | None, str | None]) -> str | None:
    """:func:`_turn_id_of` of the params ``payload`` was decoded from (with the route of its method)."""
    if isinstance(payload, UnknownNotification):  # the params did not fit the model
        return _turn_id_of(payload.params)
    turn_id_attribute, turn_attribute = route
    if turn_id_attribute is not None:
        return cast("str", getattr(payload, turn_id_attribute))
    extra = payload.__pydantic_extra__
    turn_id = extra.get("turnId") if extra else None
    if isinstance(turn_id, str):
        return turn_id
    return cast("str", getattr(payload, cast("str", turn_attribute)).id)


def _final_response(items: list[ThreadItem]) -> str | None:
    fallback: str | None = None
    for item in reversed(items):
        message = item.root
        if not isinstance(message, events.AgentMessageThreadItem):
            continue
        if message.phase == "final_answer":
            return message.text
        if message.phase is None and fallback is None:
            fallback = message.text
    return fallback


class _Router(Protocol):
    """What a turn's core uses of its session (``Session`` and ``AsyncSession`` alike)."""

    def dispatch(self, thread_id: str, turn_id: str, method: str, request_id: str, params: JsonObject) -> None: ...
    def sdk_events(self, thread_id: str) -> list[Notification]: ...
    def note_thread_notice(self, method: str, params: JsonObject) -> None: ...


class _TurnSession(_Router, Protocol):
    telemetry: ClientTelemetry

    def note_delivery(self) -> None: ...
    @property
    def is_open(self) -> bool: ...


#: One event as the extension hands it over: (is_request, method, request_id, params_json).
_RawEvent: TypeAlias = "tuple[bool, str, str | None, str | bytes]"


class _TurnCore:
    """What a turn's sync and async handles share, none of it waiting on anything.

    It turns a batch of raw events into this turn's notifications (server requests handed to
    the dispatcher, other turns' and thread-level notices filed, the rest decoded and folded
    into the result), and holds the params of the turn's calls and the mapping of their
    answers. The handles add how they wait for a batch and how leaving early interrupts.
    """

    __slots__ = ("collector", "consumed", "thread_id", "turn_id")

    def __init__(self, collector: _Collector) -> None:
        self.thread_id = collector.thread_id
        self.turn_id = collector.turn_id
        self.collector = collector
        self.consumed = False

    @property
    def completed(self) -> bool:
        return self.collector.completed is not None

    def raise_if_ended_by_close(self, session: _TurnSession) -> None:
        """Closing a client ends its running turns with TransportClosedError. The engine
        interrupts them as it shuts down, and the stream may see that ``interrupted``
        completion before it sees the end of the stream: the same error either way."""
        turn = self.collector.completed
        if turn is not None and turn.status is events.TurnStatus.interrupted and not session.is_open:
            raise TransportClosedError("the client was closed while the turn was running")

    def consume(self) -> None:
        """Marks the stream as taken: a turn's events can be read once."""
        if self.consumed:
            raise RuntimeError("this turn's stream was already consumed")
        self.consumed = True

    def steer_params(self, input: Input | str) -> JsonObject:  # noqa: A002
        return {"threadId": self.thread_id, "expectedTurnId": self.turn_id, "input": to_wire_input(input)}

    def interrupt_params(self) -> JsonObject:
        return {"threadId": self.thread_id, "turnId": self.turn_id}

    @staticmethod
    def steer_response(response: JsonObject) -> TurnSteerResponse:
        return api_models.TurnSteerResponse.model_validate(response)

    @staticmethod
    def interrupt_response(response: JsonObject) -> TurnInterruptResponse:
        return api_models.TurnInterruptResponse.model_validate(response)

    def events(self, router: _Router, batch: Iterable[_RawEvent]) -> Iterator[Notification]:
        """This turn's notifications in ``batch``, in order, up to the one that completes it."""
        thread_id, turn_id, collector = self.thread_id, self.turn_id, self.collector
        for is_request, method, request_id, params_json in batch:
            if is_request:
                router.dispatch(thread_id, turn_id, method, request_id or "null", json.loads(params_json))
                continue
            # The SDK's own events (approval outcomes) come before what the engine did next.
            own = router.sdk_events(thread_id)
            if own:
                yield from own
            if method == AGENT_MESSAGE_DELTA:
                # Most of a streamed turn's events: what _decode and add do with this turn's own.
                delta = parse_turn_text_delta(params_json, turn_id)
                if delta is not None:
                    collector.add_text_delta(delta)
                    yield delta
                    continue
            event = self._decode(router, method, params_json)
            if event is None:
                continue
            done = collector.add(event)
            yield event
            if done:
                return

    def _decode(self, router: _Router, method: str, params_json: str | bytes) -> Notification | None:
        """The notification if it is this turn's; another's, or a thread-level one, is filed."""
        route = _ROUTES[method] if method in _ROUTES else _route_of(method)  # no call for a known one
        if route is not None:
            # One parse: the turn id is read from the model (every delta takes this way).
            event = parse_notification_json(method, params_json)
            if _turn_id_of_payload(event.payload, route) == self.turn_id:
                return event
            params = json.loads(params_json)
        else:
            params = json.loads(params_json)
            if _turn_id_of(params) == self.turn_id:
                return parse_notification_json(method, params_json)
        router.note_thread_notice(method, params)
        return None

    def close(self, session: _TurnSession, subscription: NativeSubscription) -> None:
        """When the stream stops: no more events wanted, delivery counted, an open span ended."""
        subscription.close()
        session.note_delivery()
        if self.collector.completed is None:
            session.telemetry.end_turn(self.turn_id, "incomplete")


def _text_deltas(notifications: Iterable[Notification]) -> Iterator[str]:
    return (
        event.payload.delta
        for event in notifications
        if isinstance(event.payload, events.AgentMessageDeltaNotification)
    )


class TurnHandle:
    """Control and consume a running turn (sync)."""

    thread_id: str
    id: str

    def __init__(
        self,
        session: Session,
        thread_id: str,
        turn_id: str,
        subscription: NativeSubscription,
        output: OutputSpec | None = None,
        *,
        started_s: float | None = None,
    ) -> None:
        self._session = session
        self.thread_id = thread_id
        self.id = turn_id
        self._subscription = subscription
        self._core = _TurnCore(_Collector(thread_id, turn_id, output, session.telemetry, started_s))

    def __repr__(self) -> str:
        return f"TurnHandle(thread_id={self.thread_id!r}, id={self.id!r})"

    def steer(self, input: Input | str) -> TurnSteerResponse:  # noqa: A002
        """Adds user input to this running turn."""
        return self._core.steer_response(self._session.request("turn/steer", self._core.steer_params(input)))

    def interrupt(self) -> TurnInterruptResponse:
        """Asks the engine to stop this turn; the stream then ends with status ``interrupted``."""
        return self._core.interrupt_response(self._session.request("turn/interrupt", self._core.interrupt_params()))

    def _events(self, timeout: float | None = None) -> Iterator[Notification]:
        """This turn's notifications; answers server requests on the way. Ends at completion,
        or (with ``timeout``) when no event came within it."""
        session, core = self._session, self._core
        session.engine()  # a closed client fails here, before the first wait
        while not core.completed:
            # Without the GIL, waking every 50 ms so that Ctrl-C is seen (in the extension).
            batch = self._subscription.next_batch(_constants.EVENT_BATCH, timeout)
            if batch is None:
                raise TransportClosedError("the client was closed while the turn was running")
            if not batch:
                return
            yield from core.events(session, batch)
        core.raise_if_ended_by_close(session)

    def stream(self) -> TurnStream:
        """This turn's notifications until (and including) ``turn/completed``.

        Iterate it, or use it as a context manager (``with turn.stream() as s:``).
        Leaving it early (``break``, an exception, Ctrl-C) interrupts the turn and
        waits briefly for the engine to confirm, so the thread stays usable;
        ``run()`` afterwards returns the interrupted result.
        """
        self._core.consume()
        return TurnStream(self, self._stream())

    def _stream(self) -> Iterator[Notification]:
        try:
            yield from self._events()
        except (KeyboardInterrupt, GeneratorExit):
            self._interrupt_and_settle()
            raise
        finally:
            self._core.close(self._session, self._subscription)

    def _interrupt_and_settle(self) -> None:
        if self._core.completed or not self._session.is_open:
            return
        with contextlib.suppress(Exception):
            self.interrupt()
        deadline = time.monotonic() + _constants.INTERRUPT_GRACE_S
        with contextlib.suppress(Exception):
            while not self._core.completed and time.monotonic() < deadline:
                for _ in self._events(timeout=0.05):
                    pass

    def text_stream(self) -> Iterator[str]:
        """Yields only the assistant's text deltas."""
        return self.stream().text_stream

    def run(self) -> TurnResult:
        """Consumes the stream and returns the result; raises TurnFailedError on failure."""
        if not self._core.consumed:
            return self.stream().get_final_result()
        return self._core.collector.result()


class TurnStream(Iterator[Notification]):
    """A turn's notifications: an iterator and a context manager (closing interrupts)."""

    def __init__(self, handle: TurnHandle, events: Iterator[Notification]) -> None:
        self._handle = handle
        self._events = events

    def __iter__(self) -> TurnStream:
        return self

    def __next__(self) -> Notification:
        return next(self._events)

    def __enter__(self) -> TurnStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops reading; an unfinished turn is interrupted."""
        close = getattr(self._events, "close", None)
        if callable(close):
            close()

    @property
    def text_stream(self) -> Iterator[str]:
        """The rest of the stream as assistant text deltas only."""
        return _text_deltas(self)

    def get_final_result(self) -> TurnResult:
        """Reads to the end and returns the result; raises TurnFailedError on failure."""
        for _ in self:
            pass
        return self._handle._core.collector.result()


class AsyncTurnHandle:
    """Control and consume a running turn (async)."""

    thread_id: str
    id: str

    def __init__(
        self,
        session: AsyncSession,
        thread_id: str,
        turn_id: str,
        subscription: NativeSubscription,
        output: OutputSpec | None = None,
        *,
        started_s: float | None = None,
    ) -> None:
        self._session = session
        self.thread_id = thread_id
        self.id = turn_id
        self._subscription = subscription
        self._core = _TurnCore(_Collector(thread_id, turn_id, output, session.telemetry, started_s))

    def __repr__(self) -> str:
        return f"AsyncTurnHandle(thread_id={self.thread_id!r}, id={self.id!r})"

    async def steer(self, input: Input | str) -> TurnSteerResponse:  # noqa: A002
        """Adds user input to this running turn."""
        return self._core.steer_response(await self._session.request("turn/steer", self._core.steer_params(input)))

    async def interrupt(self) -> TurnInterruptResponse:
        """Asks the engine to stop this turn; the stream then ends with status ``interrupted``."""
        response = await self._session.request("turn/interrupt", self._core.interrupt_params())
        return self._core.interrupt_response(response)

    def stream(self) -> AsyncTurnStream:
        """This turn's notifications until (and including) ``turn/completed``.

        Iterate it with ``async for``, or use ``async with turn.stream() as s:``.
        Leaving it early or cancelling the consuming task interrupts the turn; the
        thread stays usable.
        """
        self._core.consume()
        return AsyncTurnStream(self, self._stream())

    async def _stream(self) -> AsyncGenerator[Notification, None]:
        import asyncio

        session, core = self._session, self._core
        session.engine()  # a closed client fails here, before the first wait
        try:
            while not core.completed:
                batch = await self._subscription.next_batch_async(_constants.EVENT_BATCH)
                if batch is None:
                    raise TransportClosedError("the client was closed while the turn was running")
                for event in core.events(session, batch):
                    yield event
            core.raise_if_ended_by_close(session)
        except (asyncio.CancelledError, GeneratorExit):
            if not core.completed:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.interrupt())
            raise
        finally:
            core.close(session, self._subscription)

    def text_stream(self) -> AsyncIterator[str]:
        """Yields only the assistant's text deltas."""
        return self.stream().text_stream

    async def run(self) -> TurnResult:
        """Consumes the stream and returns the result; raises TurnFailedError on failure."""
        if not self._core.consumed:
            return await self.stream().get_final_result()
        return self._core.collector.result()


class AsyncTurnStream(AsyncIterator[Notification]):
    """A turn's notifications: an async iterator and an async context manager."""

    def __init__(self, handle: AsyncTurnHandle, events: AsyncGenerator[Notification, None]) -> None:
        self._handle = handle
        self._events = events

    def __aiter__(self) -> AsyncTurnStream:
        return self

    async def __anext__(self) -> Notification:
        return await self._events.__anext__()

    async def __aenter__(self) -> AsyncTurnStream:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stops reading; an unfinished turn is interrupted."""
        await self._events.aclose()

    @property
    async def text_stream(self) -> AsyncIterator[str]:
        """The rest of the stream as assistant text deltas only."""
        async for event in self:
            if isinstance(event.payload, events.AgentMessageDeltaNotification):
                yield event.payload.delta

    async def get_final_result(self) -> TurnResult:
        """Reads to the end and returns the result; raises TurnFailedError on failure."""
        async for _ in self:
            pass
        return self._handle._core.collector.result()
