"""Thread methods beyond running turns (the sync class is generated from the async one).

``read``, ``set_name`` and ``compact`` are ``openai_codex``'s; ``rollback``,
``unsubscribe`` and the goal methods expose what the embedded engine offers beyond it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import api_models
from .api_models import ThreadGoalResponse
from .errors import ConfigurationError
from .thread_params import goal_set_params, rollback_params

if TYPE_CHECKING:
    from ._session import AsyncSession, Session
    from .api_models import (
        ThreadCompactStartResponse,
        ThreadGoalClearResponse,
        ThreadReadResponse,
        ThreadRollbackResponse,
        ThreadSetNameResponse,
        ThreadUnsubscribeResponse,
    )


def _name_params(thread_id: str, name: str) -> dict[str, str]:
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError("a thread name must be a nonempty string")
    return {"threadId": thread_id, "name": name}


# --- sync twin source: AsyncThreadControls ---
class AsyncThreadControls:
    """Non-turn methods of :class:`~codex.AsyncThread`."""

    __slots__ = ()

    if TYPE_CHECKING:
        _session: AsyncSession
        id: str

    async def read(self, *, include_turns: bool = False) -> ThreadReadResponse:
        """This thread's stored state, optionally with its turns."""
        response = await self._session.request("thread/read", {"threadId": self.id, "includeTurns": include_turns})
        return api_models.ThreadReadResponse.model_validate(response)

    async def set_name(self, name: str) -> ThreadSetNameResponse:
        response = await self._session.request("thread/name/set", _name_params(self.id, name))
        return api_models.ThreadSetNameResponse.model_validate(response)

    async def compact(self) -> ThreadCompactStartResponse:
        """Starts compacting this thread's history (the engine summarises it with the model)."""
        response = await self._session.request("thread/compact/start", {"threadId": self.id})
        return api_models.ThreadCompactStartResponse.model_validate(response)

    async def rollback(self, num_turns: int = 1) -> ThreadRollbackResponse:
        """Drops the last ``num_turns`` turns from the history the model sees next.

        Files the dropped turns changed stay as they are.
        """
        response = await self._session.request("thread/rollback", rollback_params(self.id, num_turns))
        return api_models.ThreadRollbackResponse.model_validate(response)

    async def unsubscribe(self) -> ThreadUnsubscribeResponse:
        """Stops this client's subscription to the thread's events; ``thread_resume`` subscribes again.

        The engine unloads the thread once it has had no subscriber and no running turn for
        ``CodexConfig.unload_idle_threads_after_ms`` (by default 30 minutes, as the official
        engine); until then it stays in memory and ``read()`` reports it loaded. Once unloaded,
        this handle's calls raise InvalidRequestError; ``thread_resume(id)`` loads it again.
        """
        response = await self._session.request("thread/unsubscribe", {"threadId": self.id})
        return api_models.ThreadUnsubscribeResponse.model_validate(response)

    async def get_goal(self) -> ThreadGoalResponse:
        """The thread's goal (``goal`` is None when it has none)."""
        response = await self._session.request("thread/goal/get", {"threadId": self.id})
        return ThreadGoalResponse.model_validate(response)

    async def set_goal(
        self,
        objective: str | None = None,
        *,
        status: object | None = None,
        token_budget: int | None = None,
    ) -> ThreadGoalResponse:
        """Sets or updates the thread's goal (objective, status, token budget)."""
        params = goal_set_params(self.id, objective, status=status, token_budget=token_budget)
        return ThreadGoalResponse.model_validate(await self._session.request("thread/goal/set", params))

    async def clear_goal(self) -> ThreadGoalClearResponse:
        response = await self._session.request("thread/goal/clear", {"threadId": self.id})
        return api_models.ThreadGoalClearResponse.model_validate(response)


# --- end sync twin source ---


# --- generated from AsyncThreadControls by scripts/generate_sync_twins.py; do not edit ---
class ThreadControls:
    """Non-turn methods of :class:`~codex.Thread`."""

    __slots__ = ()

    if TYPE_CHECKING:
        _session: Session
        id: str

    def read(self, *, include_turns: bool = False) -> ThreadReadResponse:
        """This thread's stored state, optionally with its turns."""
        response = self._session.request("thread/read", {"threadId": self.id, "includeTurns": include_turns})
        return api_models.ThreadReadResponse.model_validate(response)

    def set_name(self, name: str) -> ThreadSetNameResponse:
        response = self._session.request("thread/name/set", _name_params(self.id, name))
        return api_models.ThreadSetNameResponse.model_validate(response)

    def compact(self) -> ThreadCompactStartResponse:
        """Starts compacting this thread's history (the engine summarises it with the model)."""
        response = self._session.request("thread/compact/start", {"threadId": self.id})
        return api_models.ThreadCompactStartResponse.model_validate(response)

    def rollback(self, num_turns: int = 1) -> ThreadRollbackResponse:
        """Drops the last ``num_turns`` turns from the history the model sees next.

        Files the dropped turns changed stay as they are.
        """
        response = self._session.request("thread/rollback", rollback_params(self.id, num_turns))
        return api_models.ThreadRollbackResponse.model_validate(response)

    def unsubscribe(self) -> ThreadUnsubscribeResponse:
        """Stops this client's subscription to the thread's events; ``thread_resume`` subscribes again.

        The engine unloads the thread once it has had no subscriber and no running turn for
        ``CodexConfig.unload_idle_threads_after_ms`` (by default 30 minutes, as the official
        engine); until then it stays in memory and ``read()`` reports it loaded. Once unloaded,
        this handle's calls raise InvalidRequestError; ``thread_resume(id)`` loads it again.
        """
        response = self._session.request("thread/unsubscribe", {"threadId": self.id})
        return api_models.ThreadUnsubscribeResponse.model_validate(response)

    def get_goal(self) -> ThreadGoalResponse:
        """The thread's goal (``goal`` is None when it has none)."""
        response = self._session.request("thread/goal/get", {"threadId": self.id})
        return ThreadGoalResponse.model_validate(response)

    def set_goal(
        self,
        objective: str | None = None,
        *,
        status: object | None = None,
        token_budget: int | None = None,
    ) -> ThreadGoalResponse:
        """Sets or updates the thread's goal (objective, status, token budget)."""
        params = goal_set_params(self.id, objective, status=status, token_budget=token_budget)
        return ThreadGoalResponse.model_validate(self._session.request("thread/goal/set", params))

    def clear_goal(self) -> ThreadGoalClearResponse:
        response = self._session.request("thread/goal/clear", {"threadId": self.id})
        return api_models.ThreadGoalClearResponse.model_validate(response)


# --- end generated ---
