"""The engine's unrouted notifications, drained in one place and kept by method.

Notifications that belong to no thread (``account/login/completed``) or that the
engine sent before a thread's event stream was opened (``mcpServer/startupStatus/updated``
at thread start) land in one buffer in the engine. Taking from that buffer removes
everything in it, so every reader goes through this module: it drains the buffer and
files each notification under its method for whoever asks for it.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import deque
from collections.abc import Callable

from ._native import NativeEngine
from .events import JsonObject

#: Notifications kept per method until someone takes them (the oldest go first).
KEPT_PER_METHOD = 1024


class UnroutedNotifications:
    """One client's unrouted notifications, by method."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_method: dict[str, deque[JsonObject]] = {}

    def take(
        self, engine: NativeEngine, method: str, where: Callable[[JsonObject], bool] | None = None
    ) -> list[JsonObject]:
        """Removes and returns the kept ``method`` notifications (those matching ``where``)."""
        with self._lock:
            for is_request, name, _request_id, params_json in engine.take_unrouted():
                if is_request:
                    continue
                params = json.loads(params_json)
                if isinstance(params, dict):
                    self._by_method.setdefault(name, deque(maxlen=KEPT_PER_METHOD)).append(params)
            kept = self._by_method.get(method)
            if not kept:
                return []
            taken = [params for params in kept if where is None or where(params)]
            if taken:
                self._by_method[method] = deque(
                    (params for params in kept if where is not None and not where(params)), maxlen=KEPT_PER_METHOD
                )
            return taken


_by_client: weakref.WeakKeyDictionary[object, UnroutedNotifications] = weakref.WeakKeyDictionary()
_by_client_lock = threading.Lock()


def unrouted_notifications(client: object) -> UnroutedNotifications:
    """The store of ``client`` (a Codex or AsyncCodex)."""
    with _by_client_lock:
        store = _by_client.get(client)
        if store is None:
            store = _by_client[client] = UnroutedNotifications()
        return store
