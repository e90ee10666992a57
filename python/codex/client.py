"""``Codex`` and ``AsyncCodex``: clients that own one embedded engine each."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from . import _engine
from ._dispatch import DEFAULT_APPROVAL_TIMEOUT_S, ServerRequestDispatcher, ThreadBinding
from ._logging import logger, register_secret, start_engine_logging
from ._session import AsyncSession, Session, SessionCore
from ._version import __version__
from .config import CodexConfig, ResolvedConfig, resolve
from .delivery import DeliveryStats
from .errors import ConfigurationError
from .events import JsonObject
from .files import FileStore
from .login import AccountApi, AsyncAccountApi
from .mcp import McpHttpServer, McpStdioServer, mcp_startup_errors
from .telemetry import ClientTelemetry
from .thread_admin import AsyncThreadAdminApi, ThreadAdminApi
from .thread_params import THREAD_START_DEFAULTS, ThreadStartOptions, spelled_out, thread_start_params
from .threads import AsyncThread, Thread
from .tools import Tool, ToolFunction, ToolRegistry, tools_registry

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .approvals import ApprovalCallback


class ServerInfo(BaseModel):
    model_config = ConfigDict(defer_build=True)

    name: str | None = None
    version: str | None = None


class InitializeResponse(BaseModel):
    """Who answered: same fields as ``openai_codex``'s ``metadata``."""

    model_config = ConfigDict(defer_build=True)

    serverInfo: ServerInfo | None = None  # noqa: N815 - wire name, as in openai_codex
    userAgent: str | None = None  # noqa: N815
    platformFamily: str | None = None  # noqa: N815
    platformOs: str | None = None  # noqa: N815


def _merge(config: CodexConfig | None, overrides: dict[str, Any]) -> CodexConfig:
    if config is not None and not isinstance(config, CodexConfig):
        raise ConfigurationError(f"config must be a CodexConfig, got {type(config).__name__}")
    base = config if config is not None else CodexConfig()
    given = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(base, **given) if given else base


def _describe_client(config: CodexConfig) -> InitializeResponse:
    return InitializeResponse(
        serverInfo=ServerInfo(name="codex-embedded", version=__version__),
        userAgent=f"{config.client_name}/{__version__}",
        platformFamily="windows" if sys.platform == "win32" else "unix",
        platformOs=sys.platform,
    )


class _ClientBase:
    """What both clients share: the constructor, the merged config, the resolved engine options, the tools."""

    _session: SessionCore

    def __init__(
        self,
        config: CodexConfig | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        model: str | None = None,
        codex_home: str | None = None,
        cwd: str | None = None,
        approval_handler: _engine.ApprovalHandler | None = None,
        mcp_servers: Sequence[McpStdioServer | McpHttpServer] | None = None,
        tools: Iterable[Tool | ToolFunction] | None = None,
        approval_callback: ApprovalCallback | None = None,
        approval_timeout: float | None = DEFAULT_APPROVAL_TIMEOUT_S,
        tracer_provider: object | None = None,
        traceparent: str | None = None,
    ) -> None:
        provider = {
            "base_url": base_url,
            "api_key": api_key,
            "api_key_env": api_key_env,
            "model": model,
            "codex_home": codex_home,
            "cwd": cwd,
            "mcp_servers": mcp_servers,
        }
        self._config = _merge(config, provider)
        self._approval_handler = approval_handler
        # Tools and approvals: every server request is answered through this one object.
        server_requests = ServerRequestDispatcher(
            tools=tools,
            approval_callback=approval_callback,
            approval_handler=approval_handler,
            approval_timeout=approval_timeout,
            telemetry=ClientTelemetry(tracer_provider, traceparent),
        )
        self._resolved: ResolvedConfig = resolve(self._config)
        register_secret(self._config.resolved_api_key())
        for server in self._config.mcp_servers:
            # An MCP server's bearer token is as secret as the provider key: keep it out of errors and logs.
            token_env = getattr(server, "bearer_token_env_var", None)
            if token_env is not None:
                register_secret(os.environ.get(token_env))
        start_engine_logging()
        self._options = json.dumps(self._resolved.options)
        self._server_requests = server_requests
        # Built on first read: its validator costs ~25 ms that a client's start-up need not pay.
        self._metadata_built: InitializeResponse | None = None
        self._session = self._open_session()

    @property
    def _metadata(self) -> InitializeResponse:
        if self._metadata_built is None:
            self._metadata_built = _describe_client(self._config)
        return self._metadata_built

    def _open_session(self) -> SessionCore:
        """This client's session: a ``Codex`` starts the engine now, an ``AsyncCodex`` on first use."""
        raise NotImplementedError

    # Kept for tests and debugging sessions that reach the engine directly.
    def _native_engine(self) -> _engine.NativeEngine:
        return self._session.engine()

    @property
    def tools(self) -> ToolRegistry:
        """The client's tools, offered to every thread started afterwards."""
        return self._server_requests.tools

    def _thread_tools_params(
        self, tools: Iterable[Tool | ToolFunction] | None, approval_callback: ApprovalCallback | None
    ) -> tuple[JsonObject, ThreadBinding]:
        binding = ThreadBinding(tools=tools_registry(tools), approval_callback=approval_callback)
        return self._server_requests.thread_start_params(binding.tools), binding

    def delivery_stats(self) -> DeliveryStats:
        """How the engine delivered its events to this client: delivered, lost (lagged), declined.

        A closed client returns its last counts; an ``AsyncCodex`` not started yet, zeros.
        The ``codex`` logger warns whenever the count of lost events grows (checked at the
        end of every turn stream and on each call).
        """
        return self._session.delivery_stats()

    @property
    def codex_home(self) -> str:
        """The engine's home directory (private and removed on close unless you gave one)."""
        return str(self._resolved.home)

    @property
    def files(self) -> FileStore:
        """Attachments staged under this client's home (``<codex_home>/attachments``); see ``codex.files``."""
        store: FileStore | None = getattr(self, "_file_store", None)
        if store is None:
            store = self._file_store = FileStore(self._resolved.home / "attachments")
        return store

    @property
    def _default_cwd(self) -> str | None:
        # The app-server rebuilds each thread's config from the home and overrides,
        # so the client's cwd must travel with every thread/start.
        cwd: str | None = self._resolved.options["cwd"]
        return cwd


class Codex(AccountApi, ThreadAdminApi, _ClientBase):
    """A synchronous client running its own Codex engine inside this process.

    ``Codex()`` starts the engine at once; use it as a context manager (or call
    :meth:`close`) to release it. Provider settings may be given directly::

        with Codex(base_url="http://127.0.0.1:8080/v1", api_key="sk-...") as codex:
            print(codex.thread_start().run("hi").final_response)
    """

    _session: Session

    def _open_session(self) -> Session:
        # The session removes a private home when closed, or collected with the last handle using it.
        session = Session(self._options, self._server_requests, self._resolved.cleanup)
        started = time.perf_counter()
        session.start()
        logger.debug("engine ready in %.1f ms (home %s)", (time.perf_counter() - started) * 1000, self.codex_home)
        return session

    def __repr__(self) -> str:
        state = "open" if self._session.is_open else "closed"
        return f"Codex({state}, home={str(self._resolved.home)!r})"

    def __enter__(self) -> Codex:
        return self

    @property
    def metadata(self) -> InitializeResponse:
        return self._metadata

    # --- generated from AsyncCodex's twin methods by scripts/generate_sync_twins.py; do not edit ---
    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the engine. A turn still running ends; its stream raises TransportClosedError."""
        self._session.close()

    def _request(self, method: str, params: JsonObject | None) -> JsonObject:
        return self._session.request(method, params)

    # -- threads ---------------------------------------------------------------
    @spelled_out(ThreadStartOptions, **THREAD_START_DEFAULTS)
    def thread_start(
        self,
        *,
        tools: Iterable[Tool | ToolFunction] | None = None,
        approval_callback: ApprovalCallback | None = None,
        **options: Unpack[ThreadStartOptions],
    ) -> Thread:
        """Creates a conversation thread.

        ``tools`` are offered to this thread only, next to the client's; ``approval_callback``
        answers this thread's approval requests instead of the client's.
        """
        tool_params, binding = self._thread_tools_params(tools, approval_callback)
        params = thread_start_params("Codex.thread_start", options, default_cwd=self._default_cwd)
        with self._session.telemetry.thread_starting() as thread_started, mcp_startup_errors():
            started = self._session.request("thread/start", {**params, **tool_params})
            thread_started(started)
        logger.debug("thread %s started", started["thread"]["id"])
        self._server_requests.bind_thread(started["thread"]["id"], binding)
        return Thread(self._session, started["thread"]["id"])

    # --- end generated ---


class AsyncCodex(AsyncAccountApi, AsyncThreadAdminApi, _ClientBase):
    """The asyncio twin of :class:`Codex`; the engine starts on ``async with`` or first use."""

    _session: AsyncSession

    def _open_session(self) -> AsyncSession:
        return AsyncSession(self._options, self._server_requests, self._resolved.cleanup)

    def __repr__(self) -> str:
        session = self._session
        state = "closed" if session.closed else ("open" if session.is_open else "not started")
        return f"AsyncCodex({state}, home={str(self._resolved.home)!r})"

    async def __aenter__(self) -> AsyncCodex:
        await self._session.ensure_started()
        return self

    @property
    def metadata(self) -> InitializeResponse:
        if not self._session.started:
            raise RuntimeError("AsyncCodex is not started yet: use `async with AsyncCodex()` first")
        return self._metadata

    # --- sync twin source: AsyncCodex's twin methods ---
    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stops the engine. A turn still running ends; its stream raises TransportClosedError."""
        await self._session.close()

    async def _request(self, method: str, params: JsonObject | None) -> JsonObject:
        return await self._session.request(method, params)

    # -- threads ---------------------------------------------------------------
    @spelled_out(ThreadStartOptions, **THREAD_START_DEFAULTS)
    async def thread_start(
        self,
        *,
        tools: Iterable[Tool | ToolFunction] | None = None,
        approval_callback: ApprovalCallback | None = None,
        **options: Unpack[ThreadStartOptions],
    ) -> AsyncThread:
        """Creates a conversation thread.

        ``tools`` are offered to this thread only, next to the client's; ``approval_callback``
        answers this thread's approval requests instead of the client's.
        """
        tool_params, binding = self._thread_tools_params(tools, approval_callback)
        params = thread_start_params("AsyncCodex.thread_start", options, default_cwd=self._default_cwd)
        with self._session.telemetry.thread_starting() as thread_started, mcp_startup_errors():
            started = await self._session.request("thread/start", {**params, **tool_params})
            thread_started(started)
        logger.debug("thread %s started", started["thread"]["id"])
        self._server_requests.bind_thread(started["thread"]["id"], binding)
        return AsyncThread(self._session, started["thread"]["id"])

    # --- end sync twin source ---
