"""Client-level thread administration and the model catalogue.

The sync class is generated from the async one by ``scripts/generate_sync_twins.py``.

Same names, keyword arguments and result types as ``openai_codex``'s ``Codex`` /
``AsyncCodex``: ``thread_list``, ``thread_resume``, ``thread_fork``, ``thread_archive``,
``thread_unarchive`` and ``models``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import api_models
from ._logging import logger
from .events import JsonObject
from .sandbox import ApprovalMode, SandboxSetting
from .thread_params import thread_fork_params, thread_list_params, thread_resume_params
from .threads import AsyncThread, Thread

if TYPE_CHECKING:
    from ._session import AsyncSession, Session
    from .api_models import ModelListResponse, ThreadArchiveResponse, ThreadListResponse


def _thread_id(response: JsonObject) -> str:
    return str(response["thread"]["id"])


# --- sync twin source: AsyncThreadAdminApi ---
class AsyncThreadAdminApi:
    """Thread administration methods of :class:`~codex.AsyncCodex`."""

    if TYPE_CHECKING:
        _session: AsyncSession

    def _thread(self, thread_id: str) -> AsyncThread:
        return AsyncThread(self._session, thread_id)

    async def thread_list(
        self,
        *,
        archived: bool | None = None,
        cursor: str | None = None,
        cwd: str | Sequence[str] | None = None,
        limit: int | None = None,
        model_providers: list[str] | None = None,
        search_term: str | None = None,
        section_id: str | None = None,
        sort_direction: object | None = None,
        sort_key: object | None = None,
        source_kinds: list[object] | None = None,
        use_state_db_only: bool | None = None,
    ) -> ThreadListResponse:
        """One page of stored threads; pass ``next_cursor`` back as ``cursor`` for the next page."""
        params = thread_list_params(
            archived=archived,
            cursor=cursor,
            cwd=cwd,
            limit=limit,
            model_providers=model_providers,
            search_term=search_term,
            section_id=section_id,
            sort_direction=sort_direction,
            sort_key=sort_key,
            source_kinds=source_kinds,
            use_state_db_only=use_state_db_only,
        )
        return api_models.ThreadListResponse.model_validate(await self._session.request("thread/list", params))

    async def thread_resume(
        self,
        thread_id: str,
        *,
        approval_mode: ApprovalMode | None = None,
        base_instructions: str | None = None,
        config: JsonObject | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        include_turns: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        personality: object | None = None,
        sandbox: SandboxSetting | None = None,
        service_tier: str | None = None,
    ) -> AsyncThread:
        """Reopens a stored thread of this client's home."""
        params = thread_resume_params(
            thread_id,
            approval_mode=approval_mode,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            include_turns=include_turns,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
            service_tier=service_tier,
        )
        return self._thread(_thread_id(await self._session.request("thread/resume", params)))

    async def thread_fork(
        self,
        thread_id: str,
        *,
        approval_mode: ApprovalMode | None = None,
        base_instructions: str | None = None,
        config: JsonObject | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        ephemeral: bool | None = None,
        include_turns: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        sandbox: SandboxSetting | None = None,
        service_tier: str | None = None,
        thread_source: object | None = None,
    ) -> AsyncThread:
        """A new thread carrying a copy of ``thread_id``'s history; the original is untouched.

        The fork keeps the original's ``tools=`` and ``approval_callback=`` from ``thread_start``.
        """
        params = thread_fork_params(
            thread_id,
            approval_mode=approval_mode,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            include_turns=include_turns,
            model=model,
            model_provider=model_provider,
            sandbox=sandbox,
            service_tier=service_tier,
            thread_source=thread_source,
        )
        forked = _thread_id(await self._session.request("thread/fork", params))
        logger.debug("thread %s forked from %s", forked, thread_id)
        self._session.server_requests.inherit_binding(thread_id, forked)
        return self._thread(forked)

    async def thread_archive(self, thread_id: str) -> ThreadArchiveResponse:
        """Moves a stored thread to the archive (``thread_list(archived=True)`` shows it)."""
        return api_models.ThreadArchiveResponse.model_validate(
            await self._session.request("thread/archive", {"threadId": thread_id})
        )

    async def thread_unarchive(self, thread_id: str) -> AsyncThread:
        """Restores an archived thread and loads it, so the returned thread can run turns."""
        restored = _thread_id(await self._session.request("thread/unarchive", {"threadId": thread_id}))
        # Archiving unloads a thread and unarchiving only moves its file back.
        return self._thread(_thread_id(await self._session.request("thread/resume", {"threadId": restored})))

    async def models(self, *, include_hidden: bool = False) -> ModelListResponse:
        """The models the engine offers."""
        response = await self._session.request("model/list", {"includeHidden": include_hidden})
        return api_models.ModelListResponse.model_validate(response)


# --- end sync twin source ---


# --- generated from AsyncThreadAdminApi by scripts/generate_sync_twins.py; do not edit ---
class ThreadAdminApi:
    """Thread administration methods of :class:`~codex.Codex`."""

    if TYPE_CHECKING:
        _session: Session

    def _thread(self, thread_id: str) -> Thread:
        return Thread(self._session, thread_id)

    def thread_list(
        self,
        *,
        archived: bool | None = None,
        cursor: str | None = None,
        cwd: str | Sequence[str] | None = None,
        limit: int | None = None,
        model_providers: list[str] | None = None,
        search_term: str | None = None,
        section_id: str | None = None,
        sort_direction: object | None = None,
        sort_key: object | None = None,
        source_kinds: list[object] | None = None,
        use_state_db_only: bool | None = None,
    ) -> ThreadListResponse:
        """One page of stored threads; pass ``next_cursor`` back as ``cursor`` for the next page."""
        params = thread_list_params(
            archived=archived,
            cursor=cursor,
            cwd=cwd,
            limit=limit,
            model_providers=model_providers,
            search_term=search_term,
            section_id=section_id,
            sort_direction=sort_direction,
            sort_key=sort_key,
            source_kinds=source_kinds,
            use_state_db_only=use_state_db_only,
        )
        return api_models.ThreadListResponse.model_validate(self._session.request("thread/list", params))

    def thread_resume(
        self,
        thread_id: str,
        *,
        approval_mode: ApprovalMode | None = None,
        base_instructions: str | None = None,
        config: JsonObject | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        include_turns: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        personality: object | None = None,
        sandbox: SandboxSetting | None = None,
        service_tier: str | None = None,
    ) -> Thread:
        """Reopens a stored thread of this client's home."""
        params = thread_resume_params(
            thread_id,
            approval_mode=approval_mode,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            include_turns=include_turns,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
            service_tier=service_tier,
        )
        return self._thread(_thread_id(self._session.request("thread/resume", params)))

    def thread_fork(
        self,
        thread_id: str,
        *,
        approval_mode: ApprovalMode | None = None,
        base_instructions: str | None = None,
        config: JsonObject | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        ephemeral: bool | None = None,
        include_turns: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        sandbox: SandboxSetting | None = None,
        service_tier: str | None = None,
        thread_source: object | None = None,
    ) -> Thread:
        """A new thread carrying a copy of ``thread_id``'s history; the original is untouched.

        The fork keeps the original's ``tools=`` and ``approval_callback=`` from ``thread_start``.
        """
        params = thread_fork_params(
            thread_id,
            approval_mode=approval_mode,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            include_turns=include_turns,
            model=model,
            model_provider=model_provider,
            sandbox=sandbox,
            service_tier=service_tier,
            thread_source=thread_source,
        )
        forked = _thread_id(self._session.request("thread/fork", params))
        logger.debug("thread %s forked from %s", forked, thread_id)
        self._session.server_requests.inherit_binding(thread_id, forked)
        return self._thread(forked)

    def thread_archive(self, thread_id: str) -> ThreadArchiveResponse:
        """Moves a stored thread to the archive (``thread_list(archived=True)`` shows it)."""
        return api_models.ThreadArchiveResponse.model_validate(
            self._session.request("thread/archive", {"threadId": thread_id})
        )

    def thread_unarchive(self, thread_id: str) -> Thread:
        """Restores an archived thread and loads it, so the returned thread can run turns."""
        restored = _thread_id(self._session.request("thread/unarchive", {"threadId": thread_id}))
        # Archiving unloads a thread and unarchiving only moves its file back.
        return self._thread(_thread_id(self._session.request("thread/resume", {"threadId": restored})))

    def models(self, *, include_hidden: bool = False) -> ModelListResponse:
        """The models the engine offers."""
        response = self._session.request("model/list", {"includeHidden": include_hidden})
        return api_models.ModelListResponse.model_validate(response)


# --- end generated ---
