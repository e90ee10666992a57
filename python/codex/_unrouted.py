"""The engine's unrouted notifications, taken from one subscription and kept by method.

Notifications that belong to no thread (``account/login/completed``) or whose thread has
no open event stream (``mcpServer/startupStatus/updated`` sent while a thread starts) go to
one subscription per engine, which the session opens as soon as the engine runs: the engine
queues them for it without a bound, so a burst of other notifications cannot push a login
completion out. :class:`UnroutedNotifications` drains that queue (whenever a reader asks, and
at every turn start so it never grows) and keeps the methods someone reads, by method; the
others are counted as dropped (``DeliveryStats.unrouted_dropped``) and logged at debug level.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import api_models
from ._logging import logger
from .events import JsonObject

if TYPE_CHECKING:
    from ._engine import NativeSubscription
    from .api_models import AccountLoginCompletedNotification

#: Notifications kept per method until someone takes them (the oldest go first).
KEPT_PER_METHOD = 1024
LOGIN_COMPLETED = "account/login/completed"
MCP_STARTUP_STATUS = "mcpServer/startupStatus/updated"
#: The unrouted methods a reader asks for; the rest are dropped (counted) when drained.
KEPT_METHODS = frozenset({LOGIN_COMPLETED, MCP_STARTUP_STATUS})
#: Events taken from the native queue per call while draining.
_DRAIN_BATCH = 4096


class UnroutedNotifications:
    """One client's unrouted notifications, by method."""

    def __init__(self, subscription: NativeSubscription) -> None:
        self._subscription = subscription
        self._lock = threading.Lock()
        self._by_method: dict[str, deque[JsonObject]] = {}
        self.dropped = 0

    def drain(self) -> None:
        """Moves what the engine queued into the kept buckets (never waits)."""
        with self._lock:
            self._drain_locked()

    def _drain_locked(self) -> None:
        while True:
            batch = self._subscription.next_batch(_DRAIN_BATCH, 0.0)
            if not batch:
                return
            for _is_request, name, _request_id, params_json in batch:
                if name not in KEPT_METHODS:
                    self.dropped += 1
                    logger.debug("unrouted notification %s dropped: nobody reads it", name)
                    continue
                params = json.loads(params_json)
                if isinstance(params, dict):
                    self._by_method.setdefault(name, deque(maxlen=KEPT_PER_METHOD)).append(params)
            if len(batch) < _DRAIN_BATCH:
                return

    def take(self, method: str, where: Callable[[JsonObject], bool] | None = None) -> list[JsonObject]:
        """Removes and returns the kept ``method`` notifications (those matching ``where``)."""
        with self._lock:
            self._drain_locked()
            kept = self._by_method.get(method)
            if not kept:
                return []
            taken = [params for params in kept if where is None or where(params)]
            if taken:
                self._by_method[method] = deque(
                    (params for params in kept if where is not None and not where(params)), maxlen=KEPT_PER_METHOD
                )
            return taken

    def close(self) -> None:
        self._subscription.close()


class LoginOutcomes:
    """Login completions seen on the thread-less stream, by login id, until their handle asks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, AccountLoginCompletedNotification] = {}

    def collect(self, notifications: list[JsonObject]) -> None:
        for params in notifications:
            outcome = api_models.AccountLoginCompletedNotification.model_validate(params)
            if outcome.login_id is not None:
                with self._lock:
                    self._by_id[outcome.login_id] = outcome

    def pop(self, login_id: str) -> AccountLoginCompletedNotification | None:
        with self._lock:
            return self._by_id.pop(login_id, None)


class StartupNotices:
    """The latest start-up status of each MCP server, by thread and server name.

    Filled from the thread-less stream and from turn streams, which see the notices of
    servers a running turn starts but do not show them (they belong to no turn).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], JsonObject] = {}

    def note(self, params: JsonObject) -> None:
        thread_id, name = params.get("threadId"), params.get("name")
        if isinstance(thread_id, str) and isinstance(name, str):
            with self._lock:
                known = self._latest.get((thread_id, name))
                # The two sources are drained at different times, so an earlier "starting"
                # can be noted after the outcome it preceded: it must not hide that outcome.
                if params.get("status") == "starting" and known is not None and known.get("status") != "starting":
                    return
                self._latest[(thread_id, name)] = params

    def of_thread(self, thread_id: str) -> dict[str, JsonObject]:
        """The latest notice of each server of ``thread_id``, by server name."""
        with self._lock:
            return {name: params for (thread, name), params in self._latest.items() if thread == thread_id}
