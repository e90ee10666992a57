"""Named scenarios that run unchanged through codex-embedded or the official SDK.

A scenario is the model's side (scripted replies for the mock Responses API)
plus a script of SDK calls written against the API both SDKs share
(``Codex(config)``, ``thread_start``, ``thread.turn(...)``, ``stream()``,
``run()``, ``interrupt()``). :func:`run_scenario` drives one with either SDK
module and returns a normalized transcript; the official SDK's transcripts are
stored as fixtures and ours must match them (``python -m codex parity``).

Each scenario runs in two modes, because the shared API cannot both stream a
turn and collect its result: ``stream`` records every notification of
``turn.stream()``, ``run`` records what ``thread.run()`` returns or raises.

Run as a program (any interpreter that can import the SDK under test and this
package) it prints transcripts as JSON::

    python -m codex.testing.scenarios --sdk official [NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from . import responses
from .normalize import Normalizer, collapse_deltas, to_wire
from .responses import ScriptedResponse
from .server import MockResponsesServer, RecordedRequest

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

    def turn(self, thread: Any, prompt: str, *, on_delta: DeltaAction | None = None, **options: Any) -> None:
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
        self, thread: Any, prompt: str, on_delta: DeltaAction | None, options: dict[str, Any]
    ) -> dict[str, Any]:
        handle = thread.turn(prompt, **options)
        record: dict[str, Any] = {"events": []}
        deltas = 0
        for event in handle.stream():
            record["events"].append(_event_record(event))
            if event.method == "item/agentMessage/delta":
                deltas += 1
                if on_delta is not None and deltas == on_delta.after:
                    if on_delta.steer is None:
                        handle.interrupt()
                    else:
                        record["steered"] = to_wire(handle.steer(on_delta.steer))
        return record

    async def _async_streamed_turn(
        self, thread: Any, prompt: str, on_delta: DeltaAction | None, options: dict[str, Any]
    ) -> dict[str, Any]:
        handle = await thread.turn(prompt, **options)
        record: dict[str, Any] = {"events": []}
        deltas = 0
        async for event in handle.stream():
            record["events"].append(_event_record(event))
            if event.method == "item/agentMessage/delta":
                deltas += 1
                if on_delta is not None and deltas == on_delta.after:
                    if on_delta.steer is None:
                        await handle.interrupt()
                    else:
                        record["steered"] = to_wire(await handle.steer(on_delta.steer))
        return record

    def _run_turn(self, thread: Any, prompt: str, options: dict[str, Any]) -> dict[str, Any]:
        try:
            result = thread.run(prompt, **options)
        except Exception as exc:  # the exception is the recorded outcome
            return _raised(exc)
        return _result(result)

    async def _async_run_turn(self, thread: Any, prompt: str, options: dict[str, Any]) -> dict[str, Any]:
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


# --------------------------------------------------------------------------- scenarios
def _plain_text(run: ScenarioRun) -> None:
    run.turn(run.thread_start(), "Say hello.")


def _streaming(run: ScenarioRun) -> None:
    run.turn(run.thread_start(), "Stream a sentence.")


def _shell(run: ScenarioRun) -> None:
    run.turn(run.thread_start(sandbox=run.full_access()), "Write a file with the shell.")


def _apply_patch(run: ScenarioRun) -> None:
    run.turn(run.thread_start(sandbox=run.full_access()), "Add a file with a patch.")


STRUCTURED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
    "additionalProperties": False,
}


def _structured(run: ScenarioRun) -> None:
    run.turn(run.thread_start(), "Largest city of France, as JSON.", output_schema=STRUCTURED_SCHEMA)


def _multi_turn(run: ScenarioRun) -> None:
    thread = run.thread_start()
    run.turn(thread, "First question.")
    run.turn(thread, "Second question.")
    run.turn(thread, "Third question.")


def _single_turn(run: ScenarioRun) -> None:
    run.turn(run.thread_start(), "Answer, please.")


def _failure_then_recovery(run: ScenarioRun) -> None:
    thread = run.thread_start()
    run.turn(thread, "This one fails.")
    run.turn(thread, "And this one works.")


def _turn_options(run: ScenarioRun) -> None:
    thread = run.thread_start()
    run.turn(thread, "Think hard.", model="gpt-5.4", effort="high", summary="concise")
    run.turn(thread, "Back to defaults.")


def _thread_lifecycle(run: ScenarioRun) -> None:
    codex = run.codex
    thread = run.thread_start()
    run.turn(thread, "Remember the word kiwi.")
    run.call("thread.set_name", lambda: thread.set_name("contract thread"))
    run.call("thread.read", lambda: thread.read(include_turns=True))
    run.call("thread_list", lambda: codex.thread_list())
    resumed = run.call("thread_resume", lambda: codex.thread_resume(thread.id))
    if resumed is not None:
        run.turn(resumed, "What was the word?")
    forked = run.call("thread_fork", lambda: codex.thread_fork(thread.id))
    if forked is not None:
        run.call("forked.read", lambda: forked.read(include_turns=True))
    run.call("thread_archive", lambda: codex.thread_archive(thread.id))
    run.call("thread_list(archived)", lambda: codex.thread_list(archived=True))
    run.call("thread_unarchive", lambda: codex.thread_unarchive(thread.id))


def _steer(run: ScenarioRun) -> None:
    thread = run.thread_start()
    run.turn(thread, "Count slowly.", on_delta=DeltaAction(after=2, steer="Also say goodbye."))
    run.turn(thread, "Done?")


def _interrupt(run: ScenarioRun) -> None:
    thread = run.thread_start()
    run.turn(thread, "Talk slowly.", on_delta=DeltaAction(after=3))
    run.turn(thread, "Still there?")


def _reasoning_then_text(summary: str, answer: str) -> ScriptedResponse:
    """A reasoning item with a streamed summary, then the answer."""
    reasoning = {"type": "reasoning", "id": "rs_contract", "summary": []}
    done = {**reasoning, "summary": [{"type": "summary_text", "text": summary}], "encrypted_content": None}
    streamed = [
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning},
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": "rs_contract",
            "output_index": 0,
            "summary_index": 0,
        },
    ]
    streamed += [
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_contract",
            "output_index": 0,
            "summary_index": 0,
            "delta": word,
        }
        for word in summary.split(" ")
    ]
    streamed.append({"type": "response.output_item.done", "output_index": 0, "item": done})
    text = responses.text(answer)
    message = {**text.events[1], "output_index": 1}
    return ScriptedResponse(events=(text.events[0], *streamed, message, text.events[-1]), label="reasoning")


def _empty_response() -> ScriptedResponse:
    """A response that completes without any output item."""
    text = responses.text("unused")
    return ScriptedResponse(events=(text.events[0], text.events[-1]), label="empty")


def _fail_first_prompt(request: RecordedRequest) -> ScriptedResponse:
    # However many times the engine retries, "This one fails." keeps failing.
    texts = request.input_texts()
    if texts and texts[-1] == "This one fails.":
        return responses.http_error(500, "mock 500")
    return responses.text("Works again.")


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "plain_text",
            "one assistant message, delivered whole",
            lambda: [responses.text("Hello!")],
            _plain_text,
            modes=ALL_MODES,
        ),
        Scenario(
            "streaming",
            "an assistant message streamed as text deltas",
            lambda: [responses.streamed_text(["The ", "quick ", "brown ", "fox."])],
            _streaming,
            modes=ALL_MODES,
        ),
        Scenario(
            "shell_tool",
            "exec_command writes a file, then a text answer",
            lambda: [
                responses.exec_command("printf 'hi\\n' > out.txt && cat out.txt", login=False, call_id="call_shell"),
                responses.text("Wrote out.txt."),
            ],
            _shell,
            modes=ALL_MODES,
        ),
        Scenario(
            "apply_patch",
            "the freeform apply_patch tool adds a file",
            lambda: [
                responses.apply_patch(responses.add_file_patch("notes.md", "# Notes\nsecond line"), call_id="call_p"),
                responses.text("Added notes.md."),
            ],
            _apply_patch,
        ),
        Scenario(
            "structured_output",
            "output_schema is sent and the JSON answer comes back as text",
            lambda: [responses.structured({"city": "Paris", "population": 2100000})],
            _structured,
        ),
        Scenario(
            "multi_turn",
            "three turns on one thread",
            lambda: [responses.text("One."), responses.streamed_text(["Two", "."]), responses.text("Three.")],
            _multi_turn,
            modes=ALL_MODES,
        ),
        Scenario(
            "http_500_then_ok",
            "a 500 is retried by the engine, the retry succeeds",
            lambda: [responses.http_error(500, "mock 500"), responses.text("Recovered.")],
            _single_turn,
            retries=1,
        ),
        Scenario(
            "persistent_500",
            "500 on every attempt: the turn fails; the next turn works",
            list,
            _failure_then_recovery,
            retries=1,
            responder=_fail_first_prompt,
        ),
        Scenario(
            "http_429",
            "429 without retries: the turn fails; the next turn works",
            lambda: [responses.http_error(429, "slow down"), responses.text("Works again.")],
            _failure_then_recovery,
            modes=ALL_MODES,
        ),
        Scenario(
            "truncated_stream",
            "the stream closes before response.completed; the next turn works",
            lambda: [responses.truncated(), responses.text("Works again.")],
            _failure_then_recovery,
        ),
        Scenario(
            "response_failed",
            "the stream ends with response.failed; the next turn works",
            lambda: [responses.failed("server_error", "backend exploded"), responses.text("Works again.")],
            _failure_then_recovery,
        ),
        Scenario(
            "shell_nonzero_exit",
            "a command that fails (exit 3, stderr) is reported to the model",
            lambda: [
                responses.exec_command("echo oops >&2; exit 3", login=False, call_id="call_fail"),
                responses.text("The command failed."),
            ],
            _shell,
        ),
        Scenario(
            "tools_in_sequence",
            "shell, then apply_patch, then a streamed answer, in one turn",
            lambda: [
                responses.exec_command("printf 'a\\n' > a.txt", login=False, call_id="call_a"),
                responses.apply_patch(responses.add_file_patch("b.md", "bee"), call_id="call_b"),
                responses.streamed_text(["All ", "done."]),
            ],
            _shell,
        ),
        Scenario(
            "apply_patch_update",
            "apply_patch adds a file, a second patch updates it",
            lambda: [
                responses.apply_patch(responses.add_file_patch("doc.txt", "one\ntwo"), call_id="call_add"),
                responses.apply_patch(
                    "*** Begin Patch\n*** Update File: doc.txt\n@@\n one\n-two\n+three\n*** End Patch\n",
                    call_id="call_update",
                ),
                responses.text("Updated."),
            ],
            _apply_patch,
        ),
        Scenario(
            "reasoning",
            "a reasoning item with a streamed summary before the answer",
            lambda: [_reasoning_then_text("Thinking about greetings", "Hi.")],
            _single_turn,
        ),
        Scenario(
            "empty_response",
            "the model response has no output item; the turn still completes",
            lambda: [_empty_response()],
            _single_turn,
        ),
        Scenario(
            "http_400",
            "a 400 is not retried: the turn fails; the next turn works",
            lambda: [responses.http_error(400, "bad request"), responses.text("Works again.")],
            _failure_then_recovery,
            retries=2,
        ),
        Scenario(
            "turn_options",
            "per-turn model, effort and summary reach the request; the next turn is back to defaults",
            lambda: [responses.text("Thought."), responses.text("Default.")],
            _turn_options,
        ),
        Scenario(
            "thread_lifecycle",
            "set_name, read, list, resume, fork, archive and unarchive around two turns",
            lambda: [responses.text("Kiwi noted."), responses.text("Kiwi.")],
            _thread_lifecycle,
            modes=ALL_MODES,
        ),
        Scenario(
            "steer",
            "input added to a running turn reaches the model in a follow-up request",
            lambda: [
                responses.slow_stream([f"n{i} " for i in range(40)], delay_s=0.05),
                responses.text("Goodbye."),
                responses.text("Done."),
            ],
            _steer,
            modes=("stream", "async_stream"),
            timing_dependent_deltas=True,
        ),
        Scenario(
            "interrupt",
            "interrupt mid-stream, then the thread answers again",
            lambda: [
                responses.slow_stream([f"w{i} " for i in range(100)], delay_s=0.05),
                responses.text("Still here."),
            ],
            _interrupt,
            modes=("stream", "async_stream"),
            timing_dependent_deltas=True,
        ),
    )
}


# --------------------------------------------------------------------------- running
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
    }


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codex.testing.scenarios", description=__doc__)
    parser.add_argument("--sdk", choices=("ours", "official"), required=True)
    parser.add_argument("names", nargs="*", help="scenarios to run (default: all)")
    args = parser.parse_args(argv)
    sdk = sdk_module(args.sdk)
    names = args.names or list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {unknown}")
    for name in names:
        transcript = run_scenario(sdk, SCENARIOS[name])
        transcript["sdk"] = sdk_label(sdk)
        sys.stdout.write(json.dumps(transcript) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
