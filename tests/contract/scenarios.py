"""The named contract scenarios, shared by the official-SDK harvest, the contract
tests and ``python -m tests.contract.parity`` (see :mod:`tests.contract.scenario_runner`).

Run as a program (any interpreter that can import the SDK under test and
``codex.testing``) it prints transcripts as JSON, one line per scenario::

    python -m tests.contract.scenarios --sdk official [NAME ...]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Sequence
from typing import Any

from codex.testing import responses
from codex.testing.responses import ScriptedResponse
from codex.testing.server import RecordedRequest

from .scenario_runner import (
    ALL_MODES,
    DeltaAction,
    Scenario,
    ScenarioRun,
    run_scenario,
    sdk_label,
    sdk_module,
)


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


#: A 1x1 PNG, for local image input.
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _input_items(run: ScenarioRun) -> None:
    image = run.workspace / "dot.png"
    image.write_bytes(ONE_PIXEL_PNG)
    sdk, thread = run.sdk, run.thread_start()
    data_url = "data:image/png;base64," + base64.b64encode(ONE_PIXEL_PNG).decode()
    # The engine refuses remote image URLs before the turn starts.
    run.turn(thread, [sdk.TextInput("Describe this."), sdk.ImageInput("https://example.invalid/cat.png")])
    run.turn(
        thread,
        [sdk.TextInput("Describe these."), sdk.ImageInput(data_url), sdk.LocalImageInput(str(image))],
    )


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
            "input_items",
            "a remote image URL is refused; text, data-URL and local image inputs reach the model",
            lambda: [responses.text("Two images.")],
            _input_items,
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.scenarios", description=__doc__)
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
