"""Threads: conversations that run turns (sync and async twins)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import _validate
from .errors import ConfigurationError, NotSupportedError
from .events import JsonObject
from .inputs import RunInput, to_wire_turn_input
from .mcp import McpServerStatus, mcp_status, mcp_status_async
from .retry import RetryPolicy
from .sandbox import ApprovalMode, SandboxSetting, approval_settings, sandbox_policy
from .structured import OutputSpec
from .thread_controls import AsyncThreadControls, ThreadControls
from .turns import AsyncTurnHandle, TurnHandle, TurnResult

if TYPE_CHECKING:
    from ._session import AsyncSession, Session
    from .protocol.models import ReasoningSummary


def turn_start_params(
    thread_id: str,
    input: RunInput,  # noqa: A002
    *,
    approval_mode: ApprovalMode | None,
    cwd: str | None,
    effort: str | None,
    model: str | None,
    output_schema: JsonObject | None,
    personality: str | None,
    sandbox: SandboxSetting | None,
    service_tier: str | None,
    source: str | None,
    summary: ReasoningSummary | str | None,
    turn_service_tier: str | None,
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


class Thread(ThreadControls):
    """A conversation in a sync client; run turns on it."""

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

    def turn(
        self,
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
        output_type: object | None = None,
    ) -> TurnHandle:
        """Starts a turn and returns its handle; iterate ``stream()`` or call ``run()``.

        ``output_type`` (a pydantic model, dataclass, TypedDict or JSON Schema dict)
        asks for structured output; ``run()`` then returns it validated as ``result.output``.
        """
        spec = output_spec(output_type, output_schema)
        params = turn_start_params(
            self.id,
            input,
            approval_mode=approval_mode,
            cwd=cwd,
            effort=effort,
            model=model,
            output_schema=spec.schema if spec is not None else output_schema,
            personality=personality,
            sandbox=sandbox,
            service_tier=service_tier,
            source=source,
            summary=summary,
            turn_service_tier=turn_service_tier,
        )
        started = time.perf_counter()
        turn_id, subscription = self._session.start_turn(self.id, params)
        return TurnHandle(self._session, self.id, turn_id, subscription, spec, started_s=started)

    def run(
        self,
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
        output_type: object | None = None,
        retry: RetryPolicy | None = None,
    ) -> TurnResult:
        """Runs a whole turn and returns its result.

        With ``retry=RetryPolicy(...)`` a turn that fails with a retryable error is
        started again (same input); ``result.metrics`` then counts every attempt.
        """

        check_retry(retry)

        def attempt() -> TurnResult:
            return self.turn(
                input,
                approval_mode=approval_mode,
                cwd=cwd,
                effort=effort,
                model=model,
                output_schema=output_schema,
                personality=personality,
                sandbox=sandbox,
                service_tier=service_tier,
                source=source,
                summary=summary,
                turn_service_tier=turn_service_tier,
                output_type=output_type,
            ).run()

        return attempt() if retry is None else retry.run(attempt)


class AsyncThread(AsyncThreadControls):
    """A conversation in an async client; run turns on it."""

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

    async def turn(
        self,
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
        output_type: object | None = None,
    ) -> AsyncTurnHandle:
        """Starts a turn and returns its handle; iterate ``stream()`` or await ``run()``.

        ``output_type`` works as in :meth:`Thread.turn`.
        """
        spec = output_spec(output_type, output_schema)
        params = turn_start_params(
            self.id,
            input,
            approval_mode=approval_mode,
            cwd=cwd,
            effort=effort,
            model=model,
            output_schema=spec.schema if spec is not None else output_schema,
            personality=personality,
            sandbox=sandbox,
            service_tier=service_tier,
            source=source,
            summary=summary,
            turn_service_tier=turn_service_tier,
        )
        started = time.perf_counter()
        turn_id, subscription = await self._session.start_turn(self.id, params)
        return AsyncTurnHandle(self._session, self.id, turn_id, subscription, spec, started_s=started)

    async def run(
        self,
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
        output_type: object | None = None,
        retry: RetryPolicy | None = None,
    ) -> TurnResult:
        """Runs a whole turn and returns its result; ``retry`` works as in :meth:`Thread.run`."""

        check_retry(retry)

        async def attempt() -> TurnResult:
            handle = await self.turn(
                input,
                approval_mode=approval_mode,
                cwd=cwd,
                effort=effort,
                model=model,
                output_schema=output_schema,
                personality=personality,
                sandbox=sandbox,
                service_tier=service_tier,
                source=source,
                summary=summary,
                turn_service_tier=turn_service_tier,
                output_type=output_type,
            )
            return await handle.run()

        return await attempt() if retry is None else await retry.run_async(attempt)
