"""Threads: conversations that run turns (sync and async twins).

Both twins are thin shells around one sans-I/O core: :func:`prepare_turn` checks a turn's
options and builds its turn/start params; the shells only send them through their session
(blocking or awaited) and wrap the answer in a turn handle. The turn options are listed
once, in :class:`TurnOptions`; each method's public signature is built from it
(:func:`~codex.thread_params.spelled_out`). The sync ``Thread`` is generated from
``AsyncThread`` by ``scripts/generate_sync_twins.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from . import _validate
from .errors import ConfigurationError, NotSupportedError
from .events import JsonObject
from .inputs import RunInput, to_wire_turn_input
from .mcp import McpServerStatus, mcp_status, mcp_status_async
from .retry import RetryPolicy
from .sandbox import ApprovalMode, SandboxSetting, approval_settings, sandbox_policy
from .structured import OutputSpec
from .thread_controls import AsyncThreadControls, ThreadControls
from .thread_params import check_option_names, spelled_out
from .turns import AsyncTurnHandle, TurnHandle, TurnResult

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._session import AsyncSession, Session
    from .protocol.models import ReasoningSummary


class TurnOptions(TypedDict, total=False):
    """The keyword options of ``turn()`` and ``run()`` (every one defaults to None)."""

    approval_mode: ApprovalMode | None
    cwd: str | None
    effort: str | None
    model: str | None
    output_schema: JsonObject | None
    personality: str | None
    sandbox: SandboxSetting | None
    service_tier: str | None
    source: str | None
    summary: ReasoningSummary | str | None
    turn_service_tier: str | None
    #: A pydantic model, dataclass, TypedDict or JSON Schema dict: ``result.output`` is it, validated.
    output_type: object | None


def turn_start_params(
    thread_id: str,
    input: RunInput,  # noqa: A002
    *,
    approval_mode: ApprovalMode | None = None,
    cwd: str | None = None,
    effort: str | None = None,
    model: str | None = None,
    output_schema: JsonObject | None = None,
    personality: str | None = None,
    sandbox: SandboxSetting | None = None,
    service_tier: str | None = None,
    source: str | None = None,
    summary: ReasoningSummary | str | None = None,
    turn_service_tier: str | None = None,
) -> JsonObject:
    """turn/start params; options this engine revision lacks raise instead of vanishing."""
    wire_input, tool_output = to_wire_turn_input(input)
    if tool_output is not None:
        raise NotSupportedError("ExternalMessage input needs a newer engine than the one embedded here")
    if source is not None or turn_service_tier is not None:
        raise NotSupportedError("source= and turn_service_tier= need a newer engine than the one embedded here")
    _validate.check_effort(effort)
    _validate.check_json_schema("output_schema", output_schema)
    for name, value in (("model", model), ("service_tier", service_tier)):
        _validate.check_optional_str(name, value)
    params: dict[str, Any] = {"threadId": thread_id, "input": wire_input, **approval_settings(approval_mode)}
    optional = {
        "cwd": _validate.check_directory("cwd", cwd),
        "effort": effort,
        "model": model,
        "outputSchema": output_schema,
        "personality": personality,
        "sandboxPolicy": sandbox_policy(sandbox),
        "serviceTier": service_tier,
        "summary": summary,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    return params


def check_retry(retry: object) -> None:
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ConfigurationError(f"retry= must be a RetryPolicy, got {type(retry).__name__} ({retry!r:.60})")


def output_spec(output_type: object | None, output_schema: JsonObject | None) -> OutputSpec | None:
    if output_type is None:
        return None
    if output_schema is not None:
        raise ConfigurationError("give output_type or output_schema, not both")
    return OutputSpec(output_type)


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What a shell sends to start a turn, and how its result is parsed."""

    params: JsonObject
    output: OutputSpec | None


def prepare_turn(caller: str, thread_id: str, input: RunInput, options: TurnOptions) -> TurnRequest:  # noqa: A002
    """The sans-I/O core of ``turn()``: checks the options, builds turn/start's params."""
    check_option_names(caller, options, TurnOptions)
    spec = output_spec(options.get("output_type"), options.get("output_schema"))
    params = turn_start_params(
        thread_id,
        input,
        approval_mode=options.get("approval_mode"),
        cwd=options.get("cwd"),
        effort=options.get("effort"),
        model=options.get("model"),
        output_schema=spec.schema if spec is not None else options.get("output_schema"),
        personality=options.get("personality"),
        sandbox=options.get("sandbox"),
        service_tier=options.get("service_tier"),
        source=options.get("source"),
        summary=options.get("summary"),
        turn_service_tier=options.get("turn_service_tier"),
    )
    return TurnRequest(params, spec)


# --- sync twin source: AsyncThread ---
class AsyncThread(AsyncThreadControls):
    """A conversation held by :class:`~codex.AsyncCodex`; run turns on it."""

    __slots__ = ("_session", "id")

    def __init__(self, session: AsyncSession, id: str) -> None:  # noqa: A002
        self._session = session
        self.id = id

    def __repr__(self) -> str:
        return f"AsyncThread(id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncThread) and other.id == self.id and other._session is self._session

    def __hash__(self) -> int:
        return hash(self.id)

    async def mcp_status(self) -> list[McpServerStatus]:
        """This thread's MCP servers and their tools (waits for servers still starting)."""
        return await mcp_status_async(self._session, self.id)

    @spelled_out(TurnOptions)
    async def turn(self, input: RunInput, **options: Unpack[TurnOptions]) -> AsyncTurnHandle:  # noqa: A002
        """Starts a turn and returns its handle; iterate ``stream()`` or ``await run()``.

        ``output_type`` (a pydantic model, dataclass, TypedDict or JSON Schema dict)
        asks for structured output; ``run()`` then returns it validated as ``result.output``.
        """
        request = prepare_turn("AsyncThread.turn", self.id, input, options)
        started = time.perf_counter()
        turn_id, subscription = await self._session.start_turn(self.id, request.params)
        return AsyncTurnHandle(self._session, self.id, turn_id, subscription, request.output, started_s=started)

    @spelled_out(TurnOptions)
    async def run(
        self,
        input: RunInput,  # noqa: A002
        *,
        retry: RetryPolicy | None = None,
        **options: Unpack[TurnOptions],
    ) -> TurnResult:
        """Runs a whole turn and returns its result.

        With ``retry=RetryPolicy(...)`` a turn that fails with a retryable error is
        started again (same input); ``result.metrics`` then counts every attempt.
        """
        check_option_names("AsyncThread.run", options, TurnOptions)
        check_retry(retry)

        async def attempt() -> TurnResult:
            handle = await self.turn(input, **options)
            return await handle.run()

        return await attempt() if retry is None else await retry.run_async(attempt)


# --- end sync twin source ---


# --- generated from AsyncThread by scripts/generate_sync_twins.py; do not edit ---
class Thread(ThreadControls):
    """A conversation held by :class:`~codex.Codex`; run turns on it."""

    __slots__ = ("_session", "id")

    def __init__(self, session: Session, id: str) -> None:  # noqa: A002
        self._session = session
        self.id = id

    def __repr__(self) -> str:
        return f"Thread(id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Thread) and other.id == self.id and other._session is self._session

    def __hash__(self) -> int:
        return hash(self.id)

    def mcp_status(self) -> list[McpServerStatus]:
        """This thread's MCP servers and their tools (waits for servers still starting)."""
        return mcp_status(self._session, self.id)

    @spelled_out(TurnOptions)
    def turn(self, input: RunInput, **options: Unpack[TurnOptions]) -> TurnHandle:  # noqa: A002
        """Starts a turn and returns its handle; iterate ``stream()`` or call ``run()``.

        ``output_type`` (a pydantic model, dataclass, TypedDict or JSON Schema dict)
        asks for structured output; ``run()`` then returns it validated as ``result.output``.
        """
        request = prepare_turn("Thread.turn", self.id, input, options)
        started = time.perf_counter()
        turn_id, subscription = self._session.start_turn(self.id, request.params)
        return TurnHandle(self._session, self.id, turn_id, subscription, request.output, started_s=started)

    @spelled_out(TurnOptions)
    def run(
        self,
        input: RunInput,  # noqa: A002
        *,
        retry: RetryPolicy | None = None,
        **options: Unpack[TurnOptions],
    ) -> TurnResult:
        """Runs a whole turn and returns its result.

        With ``retry=RetryPolicy(...)`` a turn that fails with a retryable error is
        started again (same input); ``result.metrics`` then counts every attempt.
        """
        check_option_names("Thread.run", options, TurnOptions)
        check_retry(retry)

        def attempt() -> TurnResult:
            handle = self.turn(input, **options)
            return handle.run()

        return attempt() if retry is None else retry.run(attempt)


# --- end generated ---
