"""One client's session with its engine, below the public ``Codex`` / ``AsyncCodex`` facade.

A session owns what belongs to one client: the native engine handle, the dispatcher that
answers the engine's server requests, the thread-less (unrouted) notifications and the
stores fed by them (login outcomes, MCP start-up notices), the client's telemetry and its
delivery counts. Threads, turns, login handles and thread controls hold the session, not
the client, and use only its public methods; the client creates it and closes it.

A session also keeps the client's private home alive: it is removed when the session is
closed or collected, so a thread outliving its client object still has its engine's home.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import _engine, protocol
from ._logging import logger
from ._unrouted import LOGIN_COMPLETED, MCP_STARTUP_STATUS, LoginOutcomes, StartupNotices, UnroutedNotifications
from .delivery import DeliveryMonitor, DeliveryStats
from .errors import TransportClosedError
from .events import JsonObject, Notification

if TYPE_CHECKING:
    from ._dispatch import ServerRequestDispatcher
    from ._engine import AsyncEngineStarter, EngineStarter, NativeEngine, NativeSubscription
    from .api_models import AccountLoginCompletedNotification
    from .telemetry import ClientTelemetry


def _decode(result: str) -> JsonObject:
    value = json.loads(result)
    return value if isinstance(value, dict) else {"result": value}


class SessionCore:
    """What both sessions share: everything but the calls that wait for the engine."""

    def __init__(
        self, options_json: str, server_requests: ServerRequestDispatcher, cleanup: Callable[[], None]
    ) -> None:
        self.server_requests = server_requests
        self.telemetry: ClientTelemetry = server_requests.telemetry
        self.started = False
        self._options_json = options_json
        self._engine: NativeEngine | None = None
        self._delivery = DeliveryMonitor()
        self._unrouted: UnroutedNotifications | None = None
        self._logins = LoginOutcomes()
        self._startups = StartupNotices()
        self._cleanup = weakref.finalize(self, cleanup)

    @property
    def is_open(self) -> bool:
        """Whether the engine runs (started and not closed)."""
        return self._engine is not None

    def engine(self) -> NativeEngine:
        """The running engine; raises TransportClosedError once the client is closed."""
        engine = self._engine
        if engine is None:
            raise TransportClosedError(self._closed_message())
        return engine

    def _closed_message(self) -> str:
        return "this Codex client is closed"

    def _started(self, engine: NativeEngine) -> None:
        # Subscribed before anything can start a login or a thread, whose outcomes arrive here.
        self._unrouted = UnroutedNotifications(_engine.call(engine.subscribe_unrouted))
        self._engine = engine
        self.started = True

    def cleanup(self) -> None:
        """Removes a private home now (also done on close, or when the session is collected)."""
        self._cleanup()

    # -- delivery ----------------------------------------------------------------
    def note_delivery(self) -> None:
        """Reads the engine's delivery counters (the monitor warns when losses grow)."""
        engine = self._engine
        if engine is None:
            return
        try:
            self._delivery.observe(engine.stats())
        except Exception as exc:  # a closed or inherited (forked) engine: keep the last counts
            logger.debug("delivery stats unavailable: %s", exc)

    def delivery_stats(self) -> DeliveryStats:
        self.note_delivery()
        stats = self._delivery.last
        if self._unrouted is not None and self._unrouted.dropped:
            stats = dataclasses.replace(stats, unrouted_dropped=stats.unrouted_dropped + self._unrouted.dropped)
        return stats

    def _unrouted_store(self) -> UnroutedNotifications:
        self.engine()  # closed: TransportClosedError
        unrouted = self._unrouted
        if unrouted is None:
            raise TransportClosedError(self._closed_message())
        return unrouted

    def drain_unrouted(self) -> None:
        """Files what the engine queued for the unrouted stream, so that queue never grows."""
        if self._unrouted is not None:
            self._unrouted.drain()

    # -- what arrives beside a turn's own events ----------------------------------
    def sdk_events(self, thread_id: str) -> list[Notification]:
        """The SDK's own events (approval outcomes) recorded for ``thread_id`` since the last call."""
        return self.server_requests.drain_events(thread_id)

    def note_thread_notice(self, method: str, params: JsonObject) -> None:
        """Keeps a thread-level notice a turn's stream received but does not show."""
        if method == MCP_STARTUP_STATUS:
            self._startups.note(params)

    def mcp_startup_notices(self, thread_id: str) -> dict[str, JsonObject]:
        """The latest start-up notice of each MCP server of ``thread_id``, by server name."""
        for params in self._unrouted_store().take(MCP_STARTUP_STATUS):
            self._startups.note(params)
        return self._startups.of_thread(thread_id)

    def take_login_outcome(self, login_id: str) -> AccountLoginCompletedNotification | None:
        """The completion of login ``login_id`` once the engine reported it (taken once)."""
        self._logins.collect(self._unrouted_store().take(LOGIN_COMPLETED))
        return self._logins.pop(login_id)


class Session(SessionCore):
    """The session of a :class:`~codex.Codex`: blocking calls.

    ``start_engine`` starts the engine from the options JSON: the extension's by default,
    any :class:`~codex._engine.NativeEngine`-shaped object in unit tests.
    """

    def __init__(
        self,
        options_json: str,
        server_requests: ServerRequestDispatcher,
        cleanup: Callable[[], None],
        *,
        start_engine: EngineStarter | None = None,
    ) -> None:
        super().__init__(options_json, server_requests, cleanup)
        self._lock = threading.Lock()
        self._start_engine = start_engine or _engine.start

    def start(self) -> None:
        """Starts the engine; on failure the private home is removed and the error raised."""
        # A turn's event models load in the background while the engine starts without the GIL.
        protocol.warm_up()
        try:
            with self.telemetry.span("codex.client.start"):
                engine = self._start_engine(self._options_json)
        except BaseException:
            self._cleanup()
            raise
        self._started(engine)

    def close(self) -> None:
        """Stops the engine. A turn still running ends; its stream raises TransportClosedError."""
        self.note_delivery()
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.shutdown()
        self.server_requests.close()
        self._cleanup()

    def ensure_started(self) -> NativeEngine:
        """The running engine (a ``Codex`` starts it in its constructor); TransportClosedError once closed."""
        return self.engine()

    # --- generated from AsyncSession's calls by scripts/generate_sync_twins.py; do not edit ---
    def request(self, method: str, params: JsonObject | None) -> JsonObject:
        """One JSON-RPC request to the engine (started first if need be); errors raise the SDK's exception classes."""
        engine = self.ensure_started()
        payload = _engine.dumps(params)
        return _decode(_engine.call(lambda: engine.request(method, payload)))

    def start_turn(self, thread_id: str, params: JsonObject) -> tuple[str, NativeSubscription]:
        """Sends turn/start; returns the turn's id and the thread's event subscription."""
        engine = self.ensure_started()
        self.drain_unrouted()
        # Subscribe before turn/start: the first events can beat the response.
        subscription = _engine.call(lambda: engine.subscribe(thread_id))
        try:
            with self.telemetry.turn_starting(thread_id, params.get("model")) as turn_started:
                started = self.request("turn/start", params)
                turn_id = str(started["turn"]["id"])
                turn_started(turn_id)
        except BaseException:
            subscription.close()
            raise
        return turn_id, subscription

    def dispatch(self, thread_id: str, turn_id: str, method: str, request_id: str, params: JsonObject) -> None:
        """Hands a server request of a turn's stream to the dispatcher (user code runs off the stream)."""
        engine = self._engine
        if engine is None:  # closed meanwhile: the engine declined what it still had queued
            return
        with self.telemetry.server_request_scope(thread_id, turn_id, params):
            self.server_requests.dispatch(engine, thread_id, method, request_id, params)

    # --- end generated ---


class AsyncSession(SessionCore):
    """The session of an :class:`~codex.AsyncCodex`: the engine starts on first use
    (``start_engine`` as in :class:`Session`, awaited)."""

    def __init__(
        self,
        options_json: str,
        server_requests: ServerRequestDispatcher,
        cleanup: Callable[[], None],
        *,
        start_engine: AsyncEngineStarter | None = None,
    ) -> None:
        import asyncio

        super().__init__(options_json, server_requests, cleanup)
        self.closed = False
        self._init_lock = asyncio.Lock()
        self._start_engine = start_engine or _engine.start_async

    def _closed_message(self) -> str:
        if self.closed:
            return "this AsyncCodex client is closed"
        return "this AsyncCodex client is closed or not started"

    async def ensure_started(self) -> NativeEngine:
        """The engine, started now if this is the first use."""
        if self.closed:
            raise TransportClosedError("this AsyncCodex client is closed")
        engine = self._engine
        if engine is not None:
            return engine
        async with self._init_lock:
            engine = self._engine
            if engine is None:
                protocol.warm_up()
                try:
                    with self.telemetry.span("codex.client.start"):
                        engine = await self._start_engine(self._options_json)
                except BaseException:
                    self._cleanup()
                    raise
                self._started(engine)
            return engine

    async def close(self) -> None:
        """Stops the engine. A turn still running ends; its stream raises TransportClosedError."""
        self.closed = True
        self.note_delivery()
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.shutdown_async()
        self.server_requests.close()
        self._cleanup()

    # --- sync twin source: AsyncSession's calls ---
    async def request(self, method: str, params: JsonObject | None) -> JsonObject:
        """One JSON-RPC request to the engine (started first if need be); errors raise the SDK's exception classes."""
        engine = await self.ensure_started()
        payload = _engine.dumps(params)
        return _decode(await _engine.call_async(lambda: engine.request_async(method, payload)))

    async def start_turn(self, thread_id: str, params: JsonObject) -> tuple[str, NativeSubscription]:
        """Sends turn/start; returns the turn's id and the thread's event subscription."""
        engine = await self.ensure_started()
        self.drain_unrouted()
        # Subscribe before turn/start: the first events can beat the response.
        subscription = _engine.call(lambda: engine.subscribe(thread_id))
        try:
            with self.telemetry.turn_starting(thread_id, params.get("model")) as turn_started:
                started = await self.request("turn/start", params)
                turn_id = str(started["turn"]["id"])
                turn_started(turn_id)
        except BaseException:
            subscription.close()
            raise
        return turn_id, subscription

    def dispatch(self, thread_id: str, turn_id: str, method: str, request_id: str, params: JsonObject) -> None:
        """Hands a server request of a turn's stream to the dispatcher (user code runs off the stream)."""
        engine = self._engine
        if engine is None:  # closed meanwhile: the engine declined what it still had queued
            return
        with self.telemetry.server_request_scope(thread_id, turn_id, params):
            self.server_requests.dispatch_async(engine, thread_id, method, request_id, params)

    # --- end sync twin source ---
