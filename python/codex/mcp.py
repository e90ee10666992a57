"""MCP servers as typed objects: what the engine starts (stdio) or connects to (streamable HTTP).

The engine performs the MCP handshake, lists the server's tools and offers them to
the model; calls show up as :class:`~codex.events.McpToolCallThreadItem`. These
models turn into the engine's ``mcp_servers.<name>`` config tables, so a server
can be given to a whole client (``Codex(mcp_servers=[...])``) or to one thread
(``codex.thread_start(mcp_servers=[...])``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from pydantic._internal._model_construction import ModelMetaclass

from .errors import ConfigurationError, InternalRpcError
from .events import JsonObject, WireModel

if TYPE_CHECKING:
    from ._session import AsyncSession, Session, SessionCore

McpToolApproval = Literal["auto", "prompt", "writes", "approve"]
"""When the engine asks before calling a server's tool.

``auto`` (the engine's default) asks unless the tool is annotated read-only and
not destructive; ``prompt`` always asks; ``writes`` asks unless the tool is
read-only; ``approve`` never asks. A question goes to the client's approval
handler, and without one it is declined (fail closed), so the tool is not called.
"""

SERVER_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"


if TYPE_CHECKING:  # type checkers keep the models' own constructor signatures
    _TypedErrors = ModelMetaclass
else:

    class _TypedErrors(ModelMetaclass):
        """``McpStdioServer(...)`` with bad fields raises ConfigurationError (still a ValueError),
        like every other bad argument. Only the constructor call: validation of a manifest or any
        other model that holds servers keeps pydantic's errors and their locations."""

        def __call__(cls, *args, **kwargs):  # noqa: N805 - a metaclass method
            try:
                return super().__call__(*args, **kwargs)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}"
                    for error in exc.errors(include_url=False)
                )
                raise ConfigurationError(f"{cls.__name__}: {problems}") from None


class _McpServerBase(BaseModel, metaclass=_TypedErrors):
    # defer_build: validators are built on first use, not at ``import codex``.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str = Field(description="How the model sees the server (its tools' namespace is mcp__<name>).")
    enabled: bool = True
    required: bool = Field(default=False, description="Fail thread start when the server cannot start.")
    startup_timeout_s: float | None = Field(default=None, gt=0, description="Handshake + tool listing limit.")
    tool_timeout_s: float | None = Field(default=None, gt=0, description="Limit for one tool call.")
    tool_approval: McpToolApproval | None = Field(default=None, description="Approval for all tools of the server.")
    tool_approvals: dict[str, McpToolApproval] = Field(default_factory=dict, description="Per-tool approval.")
    enabled_tools: list[str] | None = Field(default=None, description="Only these tools are offered.")
    disabled_tools: list[str] | None = Field(default=None, description="These tools are never offered.")

    @field_validator("name")
    @classmethod
    def _name_is_an_identifier(cls, name: str) -> str:
        if not re.fullmatch(SERVER_NAME_PATTERN, name):
            raise ValueError(f"server name {name!r} may only use letters, digits, '_' and '-'")
        return name

    @model_validator(mode="after")
    def _tool_lists_do_not_overlap(self) -> _McpServerBase:
        both = sorted(set(self.enabled_tools or ()) & set(self.disabled_tools or ()))
        if both:
            raise ValueError(f"tools both enabled and disabled: {', '.join(both)}")
        return self

    def _shared_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {"enabled": self.enabled}
        if self.required:
            table["required"] = True
        if self.startup_timeout_s is not None:
            table["startup_timeout_sec"] = float(self.startup_timeout_s)
        if self.tool_timeout_s is not None:
            table["tool_timeout_sec"] = float(self.tool_timeout_s)
        if self.tool_approval is not None:
            table["default_tools_approval_mode"] = self.tool_approval
        if self.tool_approvals:
            table["tools"] = {tool: {"approval_mode": mode} for tool, mode in self.tool_approvals.items()}
        if self.enabled_tools is not None:
            table["enabled_tools"] = list(self.enabled_tools)
        if self.disabled_tools is not None:
            table["disabled_tools"] = list(self.disabled_tools)
        return table


class McpStdioServer(_McpServerBase):
    """A server the engine launches as a child process and talks to over stdin/stdout.

    The child gets a small default environment (PATH, HOME, ...), plus ``env`` and
    the variables named in ``env_vars`` copied from this process.
    """

    transport: Literal["stdio"] = "stdio"
    command: str = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None
    env_vars: list[str] = Field(default_factory=list)
    cwd: str | None = None

    def engine_table(self) -> dict[str, Any]:
        """This server as the engine's ``mcp_servers.<name>`` TOML table."""
        table: dict[str, Any] = {"command": self.command, "args": list(self.args)}
        if self.env is not None:
            table["env"] = dict(self.env)
        if self.env_vars:
            table["env_vars"] = list(self.env_vars)
        if self.cwd is not None:
            table["cwd"] = os.path.abspath(os.path.expanduser(self.cwd))
        return {**table, **self._shared_table()}


class McpHttpServer(_McpServerBase):
    """A server the engine connects to over streamable HTTP.

    ``bearer_token_env_var`` names a variable of this process holding the token;
    ``env_http_headers`` maps header names to such variables.
    """

    transport: Literal["streamable_http"] = "streamable_http"
    url: str
    bearer_token_env_var: str | None = None
    http_headers: dict[str, str] | None = None
    env_http_headers: dict[str, str] | None = None

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, url: str) -> str:
        if not re.fullmatch(r"https?://\S+", url):
            raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
        return url

    def engine_table(self) -> dict[str, Any]:
        """This server as the engine's ``mcp_servers.<name>`` TOML table."""
        table: dict[str, Any] = {"url": self.url}
        if self.bearer_token_env_var is not None:
            table["bearer_token_env_var"] = self.bearer_token_env_var
        if self.http_headers is not None:
            table["http_headers"] = dict(self.http_headers)
        if self.env_http_headers is not None:
            table["env_http_headers"] = dict(self.env_http_headers)
        return {**table, **self._shared_table()}


def _transport_tag(value: Any) -> str | None:
    if isinstance(value, (McpStdioServer, McpHttpServer)):
        return value.transport
    if isinstance(value, dict):
        if "transport" in value:
            return str(value["transport"])
        if "command" in value:
            return "stdio"
        if "url" in value:
            return "streamable_http"
    return None


McpServer = Annotated[
    Annotated[McpStdioServer, Tag("stdio")] | Annotated[McpHttpServer, Tag("streamable_http")],
    Discriminator(
        _transport_tag,
        custom_error_type="mcp_transport",
        custom_error_message="an MCP server needs `command` (stdio) or `url` (streamable HTTP)",
    ),
]
"""Either kind of server; plain dicts are told apart by ``command`` or ``url``."""


def mcp_config_overrides(servers: Iterable[McpStdioServer | McpHttpServer] | None) -> dict[str, Any]:
    """Engine config overrides (``mcp_servers.<name>`` → table) for ``servers``.

    Raises :class:`~codex.errors.ConfigurationError` for anything but server
    objects, and for two servers with one name.
    """
    if servers is None:
        return {}
    if isinstance(servers, (McpStdioServer, McpHttpServer, str, bytes, dict)):
        raise ConfigurationError("mcp_servers must be a list of McpStdioServer / McpHttpServer objects")
    overrides: dict[str, Any] = {}
    for server in servers:
        if not isinstance(server, (McpStdioServer, McpHttpServer)):
            raise ConfigurationError(
                f"mcp_servers entries must be McpStdioServer or McpHttpServer objects, got {type(server).__name__}"
            )
        key = f"mcp_servers.{server.name}"
        if key in overrides:
            raise ConfigurationError(f"two MCP servers are named {server.name!r}")
        overrides[key] = server.engine_table()
    return overrides


class McpStartupError(InternalRpcError):
    """A server marked ``required=True`` did not start, so the thread was not created.

    ``message`` carries the engine's reason (e.g. ``No such file or directory``).
    The client stays usable. Servers that are not required fail quietly instead:
    the thread starts without their tools and the engine reports the failure in a
    ``mcpServer/startupStatus/updated`` notification.
    """


_REQUIRED_SERVERS_FAILED = "required MCP servers failed to initialize"


@contextmanager
def mcp_startup_errors() -> Iterator[None]:
    """Turns the engine's "required MCP servers failed" thread/start error into McpStartupError."""
    try:
        yield
    except McpStartupError:
        raise
    except InternalRpcError as exc:
        if _REQUIRED_SERVERS_FAILED in exc.message:
            raise McpStartupError(exc.code, exc.message, exc.data) from exc
        raise


class McpServerStatus(WireModel):
    """One MCP server of a thread as the engine sees it (``mcpServerStatus/list``).

    A server that failed to start is listed with no ``server_info`` and no tools;
    ``startup_status`` and ``startup_error`` then say what happened, from the engine's
    ``mcpServer/startupStatus/updated`` notifications (e.g. ``"failed"`` and
    ``"MCP client for `docs` failed to start: ... No such file or directory"``), including
    notices that arrived while a turn was streaming.
    """

    name: str
    server_info: JsonObject | None = None
    tools: dict[str, JsonObject] = Field(default_factory=dict)
    auth_status: str | None = None
    startup_status: str | None = None
    startup_error: str | None = None

    @property
    def started(self) -> bool:
        """Whether the handshake succeeded."""
        return self.server_info is not None


#: How long to wait for the startup notification of a server listed as not started. The list
#: answers once start-up ended, so this only bridges the notice's trip through a loaded machine
#: (0.5 s was seen to fall short at a load average of 10).
_STARTUP_NOTICE_GRACE_S = 5.0
_POLL_S = 0.02


def _statuses(session: SessionCore, thread_id: str, response: JsonObject) -> list[McpServerStatus]:
    # Notices come from the thread-less stream and from turn streams (the session keeps both).
    known = session.mcp_startup_notices(thread_id)
    statuses = []
    for entry in response.get("data", []):
        status = McpServerStatus.model_validate(entry)
        latest = known.get(status.name)
        if status.started:
            status.startup_status = "ready"
        elif latest is not None:
            status.startup_status = latest.get("status")
            status.startup_error = latest.get("error")
        statuses.append(status)
    return statuses


def _settled(statuses: list[McpServerStatus]) -> bool:
    return all(status.started or status.startup_status in ("failed", "cancelled") for status in statuses)


# --- sync twin source: mcp_status_async ---
async def mcp_status_async(session: AsyncSession, thread_id: str) -> list[McpServerStatus]:
    """The servers of ``thread_id`` (``mcpServerStatus/list`` waits for those still starting)."""
    import asyncio

    response = await session.request("mcpServerStatus/list", {"threadId": thread_id})
    # The failure notice of a server can trail the list's answer by a moment.
    deadline = time.monotonic() + _STARTUP_NOTICE_GRACE_S
    while not _settled(statuses := _statuses(session, thread_id, response)) and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)
    return statuses


# --- end sync twin source ---


# --- generated from mcp_status_async by scripts/generate_sync_twins.py; do not edit ---
def mcp_status(session: Session, thread_id: str) -> list[McpServerStatus]:
    """The servers of ``thread_id`` (``mcpServerStatus/list`` waits for those still starting)."""
    response = session.request("mcpServerStatus/list", {"threadId": thread_id})
    # The failure notice of a server can trail the list's answer by a moment.
    deadline = time.monotonic() + _STARTUP_NOTICE_GRACE_S
    while not _settled(statuses := _statuses(session, thread_id, response)) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
    return statuses


# --- end generated ---
