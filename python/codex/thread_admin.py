"""Client-level thread administration and the model catalogue.

The sync class is generated from the async one by ``scripts/generate_sync_twins.py``; the
keyword options are listed once each, in ``thread_params`` (``ThreadListOptions``, ...).

Same names, keyword arguments and result types as ``openai_codex``'s ``Codex`` /
``AsyncCodex``: ``thread_list``, ``thread_resume``, ``thread_fork``, ``thread_archive``,
``thread_unarchive`` and ``models``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import api_models
from ._logging import logger
from .events import JsonObject
from .thread_params import (
    ThreadForkOptions,
    ThreadListOptions,
    ThreadResumeOptions,
    spelled_out,
    thread_fork_params,
    thread_list_params,
    thread_resume_params,
)
from .threads import AsyncThread, Thread

if TYPE_CHECKING:
    from typing_extensions import Unpack

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

    @spelled_out(ThreadListOptions)
    async def thread_list(self, **options: Unpack[ThreadListOptions]) -> ThreadListResponse:
        """One page of stored threads; pass ``next_cursor`` back as ``cursor`` for the next page."""
        params = thread_list_params("AsyncThreadAdminApi.thread_list", options)
        return api_models.ThreadListResponse.model_validate(await self._session.request("thread/list", params))

    @spelled_out(ThreadResumeOptions)
    async def thread_resume(self, thread_id: str, **options: Unpack[ThreadResumeOptions]) -> AsyncThread:
        """Reopens a stored thread of this client's home."""
        params = thread_resume_params("AsyncThreadAdminApi.thread_resume", thread_id, options)
        return self._thread(_thread_id(await self._session.request("thread/resume", params)))

    @spelled_out(ThreadForkOptions)
    async def thread_fork(self, thread_id: str, **options: Unpack[ThreadForkOptions]) -> AsyncThread:
        """A new thread carrying a copy of ``thread_id``'s history; the original is untouched.

        The fork keeps the original's ``tools=`` and ``approval_callback=`` from ``thread_start``.
        """
        params = thread_fork_params("AsyncThreadAdminApi.thread_fork", thread_id, options)
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

    @spelled_out(ThreadListOptions)
    def thread_list(self, **options: Unpack[ThreadListOptions]) -> ThreadListResponse:
        """One page of stored threads; pass ``next_cursor`` back as ``cursor`` for the next page."""
        params = thread_list_params("ThreadAdminApi.thread_list", options)
        return api_models.ThreadListResponse.model_validate(self._session.request("thread/list", params))

    @spelled_out(ThreadResumeOptions)
    def thread_resume(self, thread_id: str, **options: Unpack[ThreadResumeOptions]) -> Thread:
        """Reopens a stored thread of this client's home."""
        params = thread_resume_params("ThreadAdminApi.thread_resume", thread_id, options)
        return self._thread(_thread_id(self._session.request("thread/resume", params)))

    @spelled_out(ThreadForkOptions)
    def thread_fork(self, thread_id: str, **options: Unpack[ThreadForkOptions]) -> Thread:
        """A new thread carrying a copy of ``thread_id``'s history; the original is untouched.

        The fork keeps the original's ``tools=`` and ``approval_callback=`` from ``thread_start``.
        """
        params = thread_fork_params("ThreadAdminApi.thread_fork", thread_id, options)
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
