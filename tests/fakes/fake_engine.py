"""A pure-Python engine for unit tests of the layers above ``codex._engine``.

:class:`FakeEngine` has the shape of ``codex._native.NativeEngine`` (the protocols
``codex._engine.NativeEngine`` / ``NativeSubscription``): a session started with
``start_engine=fake.start`` (or ``fake.start_async``) runs clients, threads and turns on it
without the compiled extension. It answers the JSON-RPC methods those layers send, in the
wire shapes of the generated ``codex.protocol`` models and of the transcripts recorded from
the official SDK (``tests/fixtures/official``), and plays a scripted event list for each
``turn/start``. Events after a server request are held until that request is answered, as the
engine waits for the answer before it goes on.

It models the protocol, not the engine: what the engine *does* (runs tools, sandboxes,
retries the model) is proven by the e2e suite against the real one. A JSON-RPC error is
raised as the ``CodexError`` ``codex._engine.translate`` would make of the engine's
(``map_jsonrpc_error``); the translation itself is tested with the extension's classes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from codex.errors import TransportClosedError, map_jsonrpc_error

JsonObject = dict[str, Any]
#: (is a server request, method, request id or None, params as JSON text): the extension's event tuple.
Event = tuple[bool, str, str | None, str]
Handler = Callable[[JsonObject], JsonObject]
TIMESTAMP = 1_700_000_000


def _usage(input_tokens: int, output_tokens: int) -> JsonObject:
    return {
        "cacheWriteInputTokens": 0,
        "cachedInputTokens": 0,
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "reasoningOutputTokens": 0,
        "totalTokens": input_tokens + output_tokens,
    }


@dataclass
class ScriptedTurn:
    """Builds the events of one turn; ids are those the engine gave at ``turn/start``."""

    thread_id: str
    turn_id: str
    _items: Iterator[int] = field(init=False, repr=False, default_factory=lambda: itertools.count(1))
    _requests: Iterator[int] = field(init=False, repr=False, default_factory=lambda: itertools.count(1))

    def _item_id(self) -> str:
        return f"item-{next(self._items)}"

    def turn(self, status: str = "inProgress", error: JsonObject | None = None) -> JsonObject:
        done = status != "inProgress"
        return {
            "id": self.turn_id,
            "items": [],
            "itemsView": "notLoaded",
            "status": status,
            "error": error,
            "startedAt": TIMESTAMP,
            "completedAt": TIMESTAMP + 1 if done else None,
            "durationMs": 1000 if done else None,
        }

    def notify(self, method: str, **params: Any) -> Event:
        return (False, method, None, json.dumps({"threadId": self.thread_id, "turnId": self.turn_id, **params}))

    def started(self) -> Event:
        return (False, "turn/started", None, json.dumps({"threadId": self.thread_id, "turn": self.turn()}))

    def item_completed(self, item: JsonObject) -> Event:
        return self.notify("item/completed", item=item, completedAtMs=TIMESTAMP * 1000)

    def user_message(self, text: str) -> Event:
        content = [{"type": "text", "text": text, "text_elements": []}]
        return self.item_completed({"type": "userMessage", "id": self._item_id(), "clientId": None, "content": content})

    def agent_message(self, text: str, phase: str | None = None) -> Event:
        item = {"type": "agentMessage", "id": self._item_id(), "text": text, "phase": phase, "memoryCitation": None}
        return self.item_completed(item)

    def delta(self, text: str, item_id: str = "item-delta") -> Event:
        return self.notify("item/agentMessage/delta", itemId=item_id, delta=text)

    def token_usage(self, input_tokens: int, output_tokens: int) -> Event:
        usage = {"last": _usage(input_tokens, output_tokens), "total": _usage(input_tokens, output_tokens)}
        return self.notify("thread/tokenUsage/updated", tokenUsage=usage)

    def completed(self, status: str = "completed", error: JsonObject | None = None) -> Event:
        turn = self.turn(status, error)
        return (False, "turn/completed", None, json.dumps({"threadId": self.thread_id, "turn": turn}))

    def failed(self, message: str, codex_error_info: object = None) -> Event:
        error = {"message": message, "codexErrorInfo": codex_error_info, "additionalDetails": None}
        return self.completed("failed", error)

    def request(self, method: str, **params: Any) -> Event:
        request_id = f"{self.turn_id}-request-{next(self._requests)}"
        body = {"threadId": self.thread_id, "turnId": self.turn_id, **params}
        return (True, method, request_id, json.dumps(body))

    def command_approval(self, command: str, reason: str | None = None) -> Event:
        return self.request(
            "item/commandExecution/requestApproval",
            itemId=self._item_id(),
            startedAtMs=TIMESTAMP * 1000,
            command=command,
            cwd="/workspace",
            reason=reason,
        )

    def tool_call(self, tool: str, arguments: object) -> Event:
        return self.request("item/tool/call", callId=self._item_id(), tool=tool, arguments=arguments)


#: A turn's events, built once its ids are known.
Script = Callable[[ScriptedTurn], list[Event]]


def default_script(turn: ScriptedTurn) -> list[Event]:
    return [turn.started(), turn.agent_message("done"), turn.completed()]


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():  # cancelled meanwhile: the reader left
        waiter.set_result(None)


class FakeSubscription:
    """One thread's queue (``NativeSubscription``'s shape)."""

    def __init__(self, engine: FakeEngine, thread_id: str) -> None:
        self._engine = engine
        self._thread_id = thread_id
        self._queue: deque[Event] = deque()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.closed = False

    @property
    def thread_id(self) -> str:
        return self._thread_id

    def put(self, event: Event) -> None:
        """Called with the engine's condition held."""
        self._queue.append(event)
        self._wake()

    def _wake(self) -> None:
        for loop, waiter in self._waiters:
            loop.call_soon_threadsafe(_resolve, waiter)
        self._waiters.clear()

    def _take(self, max_events: int) -> list[Event] | None:
        if self.closed:
            return None
        return [self._queue.popleft() for _ in range(min(max_events, len(self._queue)))]

    def next_batch(self, max_events: int = 512, timeout: float | None = None) -> list[Event] | None:
        condition = self._engine.condition
        with condition:
            condition.wait_for(lambda: self.closed or bool(self._queue), timeout)
            return self._take(max_events)

    async def next_batch_async(self, max_events: int = 512) -> list[Event] | None:
        loop = asyncio.get_running_loop()
        while True:
            with self._engine.condition:
                if self.closed or self._queue:
                    return self._take(max_events)
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, waiter))
            await waiter

    def close(self) -> None:
        with self._engine.condition:
            self.end()
            self._engine.condition.notify_all()

    def end(self) -> None:
        """Closed by the client or the engine's shutdown (the engine's condition held)."""
        self.closed = True
        self._wake()


class FakeEngine:
    """A scripted engine (``NativeEngine``'s shape); see the module docstring.

    What a test reads back: ``options`` (what the client started it with), ``requests``
    (every JSON-RPC call, in order), ``answers`` (server request id -> result) and
    ``failed_requests`` (id -> (code, message)), ``declined`` (requests nobody listened for).
    """

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.options: JsonObject | None = None
        self.requests: list[tuple[str, JsonObject]] = []
        self.answers: dict[str, JsonObject] = {}
        self.failed_requests: dict[str, tuple[int, str]] = {}
        self.declined: list[str] = []
        #: ``stats()["events_lagged"]``: set it to make the client see lost events.
        self.lagged = 0
        self.handlers: dict[str, Handler] = {
            "thread/start": self._thread_start,
            "thread/resume": self._thread_resume,
            "thread/read": self._thread_read,
            "thread/list": self._thread_list,
            "turn/start": self._turn_start,
            "turn/interrupt": self._turn_interrupt,
            "turn/steer": lambda params: {"turnId": params["expectedTurnId"]},
        }
        self._closed = False
        self._threads: dict[str, JsonObject] = {}
        self._subscriptions: dict[str, list[FakeSubscription]] = {}
        self._unrouted = FakeSubscription(self, "")
        self._scripts: deque[Script] = deque()
        self._failures: dict[str, deque[tuple[int, str, object]]] = {}
        self._running: dict[str, ScriptedTurn] = {}
        # Events of a thread not delivered yet: they wait behind an unanswered server request.
        self._held: dict[str, deque[Event]] = {}
        self._awaited: dict[str, str] = {}
        self._delivered = 0
        self._ids = itertools.count(1)

    # -- starting (the session's ``start_engine``) ------------------------------------------
    def start(self, options_json: str) -> FakeEngine:
        self.options = json.loads(options_json)
        return self

    async def start_async(self, options_json: str) -> FakeEngine:
        return self.start(options_json)

    # -- scripting ---------------------------------------------------------------------------
    def script_turn(self, script: Script) -> None:
        """The events of the next ``turn/start`` (one script per turn, in order)."""
        self._scripts.append(script)

    def fail_next(self, method: str, code: int, message: str, data: object = None) -> None:
        """The next ``method`` call fails with this JSON-RPC error."""
        self._failures.setdefault(method, deque()).append((code, message, data))

    def emit_unrouted(self, method: str, params: JsonObject) -> None:
        with self.condition:
            self._unrouted.put((False, method, None, json.dumps(params)))
            self.condition.notify_all()

    def wait_for_answer(self, request_id: str, timeout: float = 10.0) -> JsonObject:
        """The result the client sent for server request ``request_id`` (waits for it)."""
        with self.condition:
            if not self.condition.wait_for(lambda: request_id in self.answers, timeout):
                raise TimeoutError(f"no answer to {request_id}; failed: {self.failed_requests}")
            return self.answers[request_id]

    def params_of(self, method: str) -> list[JsonObject]:
        return [params for name, params in self.requests if name == method]

    # -- NativeEngine ------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def request(self, method: str, params_json: str) -> str:
        params = json.loads(params_json)
        with self.condition:
            if self._closed:
                raise TransportClosedError("the engine is shut down")
            self.requests.append((method, params))
            failures = self._failures.get(method)
            if failures:
                code, message, data = failures.popleft()
                raise map_jsonrpc_error(code, message, data)
            handler = self.handlers.get(method)
            if handler is None:
                raise map_jsonrpc_error(-32601, f"unknown method {method}", None)
            return json.dumps(handler(params))

    async def request_async(self, method: str, params_json: str) -> str:
        return self.request(method, params_json)

    def respond(self, request_id: str, result_json: str) -> None:
        with self.condition:
            self.answers[request_id] = json.loads(result_json)
            self._answered(request_id)

    def fail_request(self, request_id: str, code: int, message: str) -> None:
        with self.condition:
            self.failed_requests[request_id] = (code, message)
            self._answered(request_id)

    def subscribe(self, thread_id: str) -> FakeSubscription:
        with self.condition:
            subscription = FakeSubscription(self, thread_id)
            self._subscriptions.setdefault(thread_id, []).append(subscription)
            return subscription

    def subscribe_unrouted(self) -> FakeSubscription:
        return self._unrouted

    def stats(self) -> dict[str, int]:
        return {"events_delivered": self._delivered, "events_lagged": self.lagged, "requests_declined": 0}

    def shutdown(self) -> None:
        with self.condition:
            self._closed = True
            for subscription in [self._unrouted, *itertools.chain(*self._subscriptions.values())]:
                subscription.end()
            self.condition.notify_all()

    async def shutdown_async(self) -> None:
        self.shutdown()

    # -- the methods it answers (called with the condition held) ------------------------------
    def _thread(self, thread_id: str, cwd: str | None) -> JsonObject:
        return {
            "id": thread_id,
            "sessionId": f"session-{thread_id}",
            "cliVersion": "0.0.0-fake",
            "createdAt": TIMESTAMP,
            "updatedAt": TIMESTAMP,
            "cwd": cwd or "/workspace",
            "ephemeral": False,
            "modelProvider": "openai",
            "preview": "",
            "source": "appServer",
            "status": {"type": "idle"},
            "turns": [],
        }

    def _thread_start(self, params: JsonObject) -> JsonObject:
        thread = self._thread(f"thread-{next(self._ids)}", params.get("cwd"))
        self._threads[thread["id"]] = thread
        return self._thread_response(thread, params)

    def _thread_response(self, thread: JsonObject, params: JsonObject) -> JsonObject:
        return {
            "thread": thread,
            "model": params.get("model") or "gpt-fake",
            "modelProvider": "openai",
            "cwd": thread["cwd"],
            "approvalPolicy": params.get("approvalPolicy") or "on-request",
            "approvalsReviewer": params.get("approvalsReviewer") or "user",
            "sandbox": {"type": "dangerFullAccess"},
        }

    def _known_thread(self, params: JsonObject) -> JsonObject:
        thread = self._threads.get(params["threadId"])
        if thread is None:
            raise map_jsonrpc_error(-32600, f"thread not found: {params['threadId']}", None)
        return thread

    def _thread_resume(self, params: JsonObject) -> JsonObject:
        return self._thread_response(self._known_thread(params), params)

    def _thread_read(self, params: JsonObject) -> JsonObject:
        return {"thread": self._known_thread(params)}

    def _thread_list(self, params: JsonObject) -> JsonObject:
        limit = params.get("limit") or len(self._threads)
        return {"data": list(self._threads.values())[:limit], "nextCursor": None}

    def _turn_start(self, params: JsonObject) -> JsonObject:
        thread_id = self._known_thread(params)["id"]
        turn = ScriptedTurn(thread_id, f"turn-{next(self._ids)}")
        self._running[thread_id] = turn
        script = self._scripts.popleft() if self._scripts else default_script
        self._held.setdefault(thread_id, deque()).extend(script(turn))
        self._deliver(thread_id)
        return {"turn": turn.turn()}

    def _turn_interrupt(self, params: JsonObject) -> JsonObject:
        turn = self._running.get(params["threadId"])
        if turn is not None and turn.turn_id == params["turnId"]:
            # The engine drops what the turn would still have done and reports it interrupted.
            self._held[turn.thread_id] = deque([turn.completed("interrupted")])
            self._awaited.pop(turn.thread_id, None)
            self._deliver(turn.thread_id)
        return {}

    # -- delivery ------------------------------------------------------------------------------
    def _answered(self, request_id: str) -> None:
        for thread_id, awaited in list(self._awaited.items()):
            if awaited == request_id:
                del self._awaited[thread_id]
                self._deliver(thread_id)
        self.condition.notify_all()

    def _deliver(self, thread_id: str) -> None:
        """Moves held events to the thread's subscribers, up to the next server request."""
        held = self._held.get(thread_id, deque())
        while held and thread_id not in self._awaited:
            event = held.popleft()
            is_request, method, request_id, _params = event
            listeners = [s for s in self._subscriptions.get(thread_id, []) if not s.closed]
            if not listeners:
                # As the engine does: notifications go to the unrouted queue, requests are declined.
                if is_request:
                    self.declined.append(str(request_id))
                else:
                    self._unrouted.put(event)
                continue
            for subscription in listeners:
                subscription.put(event)
            self._delivered += 1
            if is_request:
                self._awaited[thread_id] = str(request_id)
            if method == "turn/completed":
                self._running.pop(thread_id, None)
        self.condition.notify_all()
