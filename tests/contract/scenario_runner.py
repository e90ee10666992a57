"""Running a contract scenario through either SDK and recording a normalized transcript.

A :class:`Scenario` is the model's side (scripted replies for the mock Responses
API) plus a script of SDK calls written against the API both SDKs share
(``Codex(config)``, ``thread_start``, ``thread.turn(...)``, ``stream()``,
``run()``, ``interrupt()``, ...). :func:`run_scenario` drives one with either SDK
module (``codex`` or ``openai_codex``) and returns its normalized transcript.

Each scenario runs in several modes, because the shared API cannot both stream a
turn and collect its result: ``stream`` records every notification of
``turn.stream()``, ``run`` records what ``thread.run()`` returns or raises, and
``async_stream`` / ``async_run`` do the same through ``AsyncCodex``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from codex.testing.responses import ScriptedResponse
from codex.testing.server import MockResponsesServer, RecordedRequest

from .normalize import Normalizer, collapse_deltas, to_wire

API_KEY = "sk-contract-not-a-real-key"
PROVIDER_ID = "codex-embedded"
MODEL = "gpt-5.5"
#: Same client identity for both SDKs: it shows up in stored threads (``originator``).
CLIENT_NAME = "codex_contract"
MODES = ("stream", "run")
ALL_MODES = ("stream", "run", "async_stream", "async_run")
DELTA_METHODS = ("item/agentMessage/delta", "item/commandExecution/outputDelta")
#: The fields of ``openai_codex.TurnResult``; ours has more (``output``), compared separately.
RESULT_FIELDS = (
    "id",
    "status",
    "error",
    "started_at",
    "completed_at",
    "duration_ms",
    "final_response",
    "items",
    "usage",
)
_HERMETIC = (
    "features.plugins=false",
    "features.remote_plugin=false",
    "features.apps=false",
    "analytics.enabled=false",
    "feedback.enabled=false",
    "check_for_update_on_startup=false",
    "features.shell_snapshot=false",
)


@dataclass(frozen=True)
class Scenario:
    """One named contract: what the model answers and what the program does."""

    name: str
    description: str
    replies: Callable[[], Sequence[ScriptedResponse]]
    script: Callable[[ScenarioRun], None]
    retries: int = 0
    #: Answers requests the queued replies do not cover (outcome depends on the prompt).
    responder: Callable[[RecordedRequest], ScriptedResponse] | None = None
    modes: tuple[str, ...] = MODES
    #: Collapse runs of deltas whose count depends on timing (interrupts).
    timing_dependent_deltas: bool = False


@dataclass(frozen=True)
class DeltaAction:
    """What a streaming script does after its ``after``-th text delta: interrupt the
    turn, or (with ``steer``) add that text to it."""

    after: int
    steer: str | None = None


@dataclass
class ScenarioRun:
    """What a scenario script works with: the SDK module, a client, the mock, a workspace.

    In the ``async_*`` modes ``codex`` is an ``AsyncCodex`` and every call is
    awaited on ``loop``; scripts stay the same.
    """

    sdk: ModuleType
    mock: MockResponsesServer
    workspace: Path
    mode: str
    codex: Any = None
    loop: asyncio.AbstractEventLoop | None = None
    turns: list[dict[str, Any]] = field(default_factory=list)

    def _wait(self, value: Any) -> Any:
        if self.loop is None:
            return value
        return self.loop.run_until_complete(value)

    def thread_start(self, **options: Any) -> Any:
        return self._wait(self.codex.thread_start(cwd=str(self.workspace), **options))

    def call(self, name: str, action: Callable[[], Any]) -> Any:
        """Calls a non-turn API (``thread.read()``, ``thread_list()``, ...) and records
        what it returned or raised; returns the value (None when it raised)."""
        try:
            value = self._wait(action())
        except Exception as exc:  # the exception is the recorded outcome
            self.turns.append({"call": name, **_raised(exc)})
            return None
        recorded = {"thread_id": value.id} if hasattr(value, "id") and not hasattr(value, "model_dump") else value
        self.turns.append({"call": name, "returned": to_wire(recorded)})
        return value

    def full_access(self) -> Any:
        # Not workspace_write: the official binary's bubblewrap sandbox cannot start
        # in every container, and the contract is about events, not confinement.
        return self.sdk.Sandbox.full_access

    def turn(self, thread: Any, prompt: Any, *, on_delta: DeltaAction | None = None, **options: Any) -> None:
        """Runs one turn in this run's mode and records it."""
        if self.mode == "stream":
            record = self._streamed_turn(thread, prompt, on_delta, options)
        elif self.mode == "run":
            record = self._run_turn(thread, prompt, options)
        elif self.mode == "async_stream":
            record = self._wait(self._async_streamed_turn(thread, prompt, on_delta, options))
        else:
            record = self._wait(self._async_run_turn(thread, prompt, options))
        self.turns.append(record)

    def _streamed_turn(
        self, thread: Any, prompt: Any, on_delta: DeltaAction | None, options: dict[str, Any]
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"events": []}
        deltas = 0
        try:
            handle = thread.turn(prompt, **options)
            for event in handle.stream():
                record["events"].append(_event_record(event))
                if event.method == "item/agentMessage/delta":
                    deltas += 1
                    if on_delta is not None and deltas == on_delta.after:
                        if on_delta.steer is None:
                            handle.interrupt()
                        else:
                            record["steered"] = to_wire(handle.steer(on_delta.steer))
        except Exception as exc:  # the exception is the recorded outcome
            record.update(_raised(exc))
        return record

    async def _async_streamed_turn(
        self, thread: Any, prompt: Any, on_delta: DeltaAction | None, options: dict[str, Any]
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"events": []}
        deltas = 0
        try:
            handle = await thread.turn(prompt, **options)
            async for event in handle.stream():
                record["events"].append(_event_record(event))
                if event.method == "item/agentMessage/delta":
                    deltas += 1
                    if on_delta is not None and deltas == on_delta.after:
                        if on_delta.steer is None:
                            await handle.interrupt()
                        else:
                            record["steered"] = to_wire(await handle.steer(on_delta.steer))
        except Exception as exc:  # the exception is the recorded outcome
            record.update(_raised(exc))
        return record

    def _run_turn(self, thread: Any, prompt: Any, options: dict[str, Any]) -> dict[str, Any]:
        try:
            result = thread.run(prompt, **options)
        except Exception as exc:  # the exception is the recorded outcome
            return _raised(exc)
        return _result(result)

    async def _async_run_turn(self, thread: Any, prompt: Any, options: dict[str, Any]) -> dict[str, Any]:
        try:
            result = await thread.run(prompt, **options)
        except Exception as exc:  # the exception is the recorded outcome
            return _raised(exc)
        return _result(result)


def _raised(exc: Exception) -> dict[str, Any]:
    return {"raised": {"is_runtime_error": isinstance(exc, RuntimeError), "message": str(exc)}}


def _result(result: Any) -> dict[str, Any]:
    return {"result": {name: to_wire(getattr(result, name)) for name in RESULT_FIELDS}}


def _event_record(event: Any) -> dict[str, Any]:
    payload = event.payload
    # The payload's class name is part of the contract: programs match on it. Both SDKs
    # name notifications they have no model for UnknownNotification and keep the params.
    payload_type = type(payload).__name__
    params = payload.params if payload_type == "UnknownNotification" else to_wire(payload)
    return {"method": event.method, "payload_type": payload_type, "params": params}


def make_config(sdk: ModuleType, base_url: str, home: Path, workspace: Path, retries: int) -> Any:
    """A ``CodexConfig`` of either SDK wired to the mock, with the same provider and model."""
    if sdk.__name__ == "codex":
        return sdk.CodexConfig(
            codex_home=str(home),
            base_url=base_url,
            api_key=API_KEY,
            model=MODEL,
            request_max_retries=retries,
            stream_max_retries=retries,
            cwd=str(workspace),
            client_name=CLIENT_NAME,
        )
    prefix = f"model_providers.{PROVIDER_ID}"
    overrides = (
        *_HERMETIC,
        f'model_provider="{PROVIDER_ID}"',
        f'{prefix}.name="codex-embedded"',
        f'{prefix}.base_url="{base_url}"',
        f'{prefix}.wire_api="responses"',
        f'{prefix}.experimental_bearer_token="{API_KEY}"',
        f"{prefix}.request_max_retries={retries}",
        f"{prefix}.stream_max_retries={retries}",
        f'model="{MODEL}"',
    )
    return sdk.CodexConfig(
        config_overrides=overrides, cwd=str(workspace), env={"CODEX_HOME": str(home)}, client_name=CLIENT_NAME
    )


def _run_mode(sdk: ModuleType, scenario: Scenario, mode: str, mock: MockResponsesServer, root: Path) -> ScenarioRun:
    workspace = root / mode / "workspace"
    home = root / mode / "home"
    workspace.mkdir(parents=True)
    home.mkdir(parents=True)
    config = make_config(sdk, mock.base_url, home, workspace, scenario.retries)
    run = ScenarioRun(sdk=sdk, mock=mock, workspace=workspace, mode=mode)
    if not mode.startswith("async_"):
        run.codex = sdk.Codex(config)
        try:
            scenario.script(run)
        finally:
            run.codex.close()
        return run
    run.loop = asyncio.new_event_loop()
    try:
        run.codex = sdk.AsyncCodex(config)
        try:
            scenario.script(run)
        finally:
            run.loop.run_until_complete(run.codex.close())
    finally:
        run.loop.close()
    return run


def _workspace_files(workspace: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in sorted(workspace.rglob("*")):
        if path.is_file():
            files[path.relative_to(workspace).as_posix()] = path.read_text(errors="replace")
    return files


#: Request fields the SDK's options shape (model, effort, summary, output schema); the rest
#: (instructions, tool list, client metadata) belongs to the engine revision.
_REQUEST_FIELDS = ("model", "reasoning", "text", "tool_choice", "parallel_tool_calls", "store", "stream", "include")


def _request_summary(mock: MockResponsesServer) -> dict[str, Any]:
    model_calls = mock.response_requests
    bodies = [request.body if isinstance(request.body, dict) else {} for request in model_calls]
    return {
        "model_calls": len(model_calls),
        "tool_outputs": [output for request in model_calls for output in request.tool_outputs()],
        "options": [{key: body[key] for key in _REQUEST_FIELDS if key in body} for body in bodies],
        "last_input_text": [request.input_texts()[-1:] for request in model_calls],
        "last_user_parts": [_last_user_parts(request) for request in model_calls],
    }


def _last_user_parts(request: RecordedRequest) -> list[str]:
    """The content part types of the last user message (``input_text``, ``input_image``)."""
    for item in reversed(request.input_items):
        if item.get("role") == "user" and isinstance(item.get("content"), list):
            return [str(part.get("type")) for part in item["content"] if isinstance(part, dict)]
    return []


def default_scratch() -> Path:
    """Where workspaces and engine homes go. Not under /tmp: the engine looks for a git
    root above the workspace, and a stray /tmp/.git changes every diff it reports."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codex-embedded" / "contract"


def run_scenario(sdk: ModuleType, scenario: Scenario, *, scratch: Path | None = None) -> dict[str, Any]:
    """Runs every mode of ``scenario`` with ``sdk``; returns the normalized transcript."""
    scratch = scratch or default_scratch()
    scratch.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"{scenario.name}-", dir=scratch))
    try:
        modes: dict[str, Any] = {}
        for mode in scenario.modes:
            with MockResponsesServer(responder=scenario.responder) as mock:
                mock.enqueue(*scenario.replies())
                run = _run_mode(sdk, scenario, mode, mock, root)
                record = {
                    "turns": run.turns,
                    "files": _workspace_files(run.workspace),
                    "requests": _request_summary(mock),
                }
            workspace, home = run.workspace, run.workspace.parent / "home"
            normalizer = Normalizer({str(workspace.resolve()): "<workspace>", str(home.resolve()): "<codex_home>"})
            normalized = normalizer(record)
            if scenario.timing_dependent_deltas:
                for turn in normalized["turns"]:
                    if "events" in turn:
                        turn["events"] = collapse_deltas(turn["events"], DELTA_METHODS)
            modes[mode] = normalized
        return {"scenario": scenario.name, "description": scenario.description, "modes": modes}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def sdk_module(which: str) -> ModuleType:
    """``ours`` → ``codex``, ``official`` → ``openai_codex``."""
    return importlib.import_module({"ours": "codex", "official": "openai_codex"}[which])


def sdk_label(sdk: ModuleType) -> str:
    return f"{sdk.__name__} {getattr(sdk, '__version__', '?')}"
