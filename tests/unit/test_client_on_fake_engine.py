"""Client, thread and turn logic on the fake engine (tests/fakes): no extension, no model.

What is tested is the Python above the engine: how notifications fold into a TurnResult,
how a failed turn and JSON-RPC errors become typed exceptions, how server requests are
answered and reported in the stream, how leaving a stream interrupts the turn. The same
behaviours run through the real engine in tests/e2e; these pin the Python side alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from pydantic import BaseModel

from codex import (
    Allow,
    ApprovalRequest,
    ApprovalResolved,
    AsyncCodex,
    Codex,
    CommandApprovalRequest,
    Deny,
    RetryPolicy,
    tool,
)
from codex.errors import ContextWindowExceededError, InvalidRequestError, TransportClosedError, TurnFailedError
from codex.events import AgentMessageDeltaNotification, TurnCompletedNotification, TurnStartedNotification
from tests.fakes.fake_engine import Event, FakeEngine, ScriptedTurn
from tests.unit.conftest import FAKE_API_KEY


def _answered(turn: ScriptedTurn) -> list[Event]:
    return [
        turn.started(),
        turn.user_message("hello"),
        turn.delta("Hel"),
        turn.delta("lo!"),
        turn.agent_message("thinking it over", phase="commentary"),
        turn.agent_message("Hello!", phase="final_answer"),
        turn.token_usage(10, 5),
        turn.token_usage(7, 3),
        turn.completed(),
    ]


def test_run_folds_the_turns_notifications_into_its_result(fake_codex: Codex, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(_answered)
    thread = fake_codex.thread_start()
    result = thread.run("hello")
    assert result.status.value == "completed"
    assert result.final_response == "Hello!"  # the final answer, not the commentary
    assert [item.root.type for item in result.items] == ["userMessage", "agentMessage", "agentMessage"]
    assert result.usage is not None
    assert result.usage.last.total_tokens == 10  # the latest update
    assert (result.metrics.usage.input_tokens, result.metrics.usage.output_tokens) == (17, 8)  # summed per call
    (params,) = fake_engine.params_of("turn/start")
    assert params["threadId"] == thread.id
    assert params["input"] == [{"type": "text", "text": "hello", "text_elements": []}]


def test_a_streams_events_are_this_turns_only_and_end_at_completion(fake_codex: Codex, fake_engine: FakeEngine) -> None:
    def script(turn: ScriptedTurn) -> list[Event]:
        stray = ScriptedTurn(turn.thread_id, "turn-of-someone-else")
        return [turn.started(), stray.delta("not mine"), turn.delta("mine"), turn.completed(), turn.delta("late")]

    fake_engine.script_turn(script)
    turn = fake_codex.thread_start().turn("hi")
    payloads = [event.payload for event in turn.stream()]
    assert [type(p) for p in payloads] == [
        TurnStartedNotification,
        AgentMessageDeltaNotification,
        TurnCompletedNotification,
    ]
    assert isinstance(payloads[1], AgentMessageDeltaNotification)
    assert payloads[1].delta == "mine"
    assert turn.run().final_response is None  # no agent message: nothing to answer with


def test_a_failed_turn_raises_the_error_its_cause_names(fake_codex: Codex, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(
        lambda turn: [turn.started(), turn.token_usage(4, 0), turn.failed("too long", "contextWindowExceeded")]
    )
    thread = fake_codex.thread_start()
    turn = thread.turn("a long prompt")
    with pytest.raises(ContextWindowExceededError) as raised:
        turn.run()
    assert (raised.value.thread_id, raised.value.turn_id, raised.value.message) == (thread.id, turn.id, "too long")
    assert raised.value.usage is not None
    assert raised.value.usage.input_tokens == 4
    assert not raised.value.retryable


def test_retry_reruns_a_turn_that_failed_for_a_transient_reason(fake_codex: Codex, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(lambda turn: [turn.started(), turn.failed("overloaded", "serverOverloaded")])
    fake_engine.script_turn(lambda turn: [turn.started(), turn.agent_message("second time"), turn.completed()])
    result = fake_codex.thread_start().run("hi", retry=RetryPolicy(max_attempts=2, backoff=0, jitter=0))
    assert result.final_response == "second time"
    assert len(fake_engine.params_of("turn/start")) == 2


def test_json_rpc_errors_become_typed_errors_and_the_client_stays_usable(
    fake_codex: Codex, fake_engine: FakeEngine
) -> None:
    fake_engine.fail_next("thread/start", -32600, "invalid request: cwd is not absolute")
    with pytest.raises(InvalidRequestError, match="cwd is not absolute"):
        fake_codex.thread_start()
    assert fake_codex.thread_start().run("hi").final_response == "done"


def test_thread_list_returns_the_engines_threads(fake_codex: Codex) -> None:
    started = [fake_codex.thread_start().id for _ in range(2)]
    assert [thread.id for thread in fake_codex.thread_list().data] == started


def _approval_script(turn: ScriptedTurn) -> list[Event]:
    return [turn.started(), turn.command_approval("rm -rf build"), turn.agent_message("after"), turn.completed()]


@pytest.mark.parametrize(("decision", "answer"), [(Allow(), "accept"), (Deny(), "decline")])
def test_the_approval_callback_answers_and_the_stream_reports_it_before_what_follows(
    fake_codex: Codex, fake_engine: FakeEngine, decision: Allow | Deny, answer: str
) -> None:
    seen: list[ApprovalRequest] = []

    def callback(request: ApprovalRequest) -> Allow | Deny:
        seen.append(request)
        return decision

    fake_engine.script_turn(_approval_script)
    turn = fake_codex.thread_start(approval_callback=callback).turn("clean up")
    payloads = [event.payload for event in turn.stream()]
    (request,) = seen
    assert isinstance(request, CommandApprovalRequest)
    assert request.command == "rm -rf build"
    (request_id,) = fake_engine.answers
    assert fake_engine.answers[request_id] == {"decision": answer}
    resolved = [p for p in payloads if isinstance(p, ApprovalResolved)]
    assert [(r.kind, r.allowed, r.source) for r in resolved] == [("command", isinstance(decision, Allow), "callback")]
    # The engine waited for the answer: the record comes before the turn went on.
    assert payloads.index(resolved[0]) < len(payloads) - 2


def test_without_a_callback_approvals_are_declined(fake_codex: Codex, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(_approval_script)
    result = fake_codex.thread_start().run("clean up")
    assert result.final_response == "after"
    assert list(fake_engine.answers.values()) == [{"decision": "decline"}]


def test_a_tool_call_is_answered_with_the_tools_result(fake_engine: FakeEngine, tmp_path: Path) -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    fake_engine.script_turn(
        lambda turn: [
            turn.started(),
            turn.tool_call("add", {"a": 2, "b": 3}),
            turn.agent_message("5"),
            turn.completed(),
        ]
    )
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[add]) as client:
        thread = client.thread_start()
        assert thread.run("add").final_response == "5"
    (thread_start,) = fake_engine.params_of("thread/start")
    assert [spec["name"] for spec in thread_start["dynamicTools"]] == ["add"]
    (answer,) = fake_engine.answers.values()
    assert answer["success"] is True
    assert json.loads(answer["contentItems"][0]["text"]) == 5


class Verdict(BaseModel):
    ok: bool
    reason: str


def test_structured_output_is_requested_and_validated(fake_codex: Codex, fake_engine: FakeEngine) -> None:
    fake_engine.script_turn(
        lambda turn: [turn.started(), turn.agent_message('{"ok": true, "reason": "fine"}'), turn.completed()]
    )
    result = fake_codex.thread_start().run("judge", output_type=Verdict)
    assert result.output == Verdict(ok=True, reason="fine")
    (params,) = fake_engine.params_of("turn/start")
    assert set(params["outputSchema"]["properties"]) == {"ok", "reason"}


def test_leaving_a_stream_early_interrupts_the_turn_and_the_thread_goes_on(
    fake_codex: Codex, fake_engine: FakeEngine
) -> None:
    # A turn still running when the reader leaves: it completes only once interrupted.
    fake_engine.script_turn(lambda turn: [turn.started(), turn.delta("a")])
    thread = fake_codex.thread_start()
    turn = thread.turn("long")
    with turn.stream() as stream:
        next(stream)
    (interrupt,) = fake_engine.params_of("turn/interrupt")
    assert interrupt == {"threadId": thread.id, "turnId": turn.id}
    assert turn.run().status.value == "interrupted"
    assert thread.run("again").final_response == "done"


def test_closing_the_client_ends_a_running_stream_with_transport_closed(
    fake_codex: Codex, fake_engine: FakeEngine
) -> None:
    fake_engine.script_turn(lambda turn: [turn.started()])  # the turn never completes
    stream = fake_codex.thread_start().turn("hang").stream()
    assert isinstance(next(stream).payload, TurnStartedNotification)
    fake_codex.close()
    with pytest.raises(TransportClosedError):
        next(stream)
    with pytest.raises(TransportClosedError):
        fake_codex.thread_start()


def test_events_the_engine_lost_are_counted_and_warned_about(
    fake_codex: Codex, fake_engine: FakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    fake_engine.lagged = 3
    with caplog.at_level(logging.WARNING, logger="codex"):
        fake_codex.thread_start().run("hi")
    assert fake_codex.delivery_stats().lagged == 3
    assert any("dropped 3 event(s)" in record.getMessage() for record in caplog.records)


def test_the_async_client_runs_turns_and_answers_requests(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def callback(request: ApprovalRequest) -> Allow:
        await asyncio.sleep(0)
        return Allow(for_session=True)

    async def main() -> tuple[str | None, TurnFailedError]:
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
            thread = await client.thread_start()
            fake_engine.script_turn(_approval_script)
            result = await thread.run("clean up")
            fake_engine.script_turn(lambda turn: [turn.started(), turn.failed("unexpected status 503: try later")])
            with pytest.raises(TurnFailedError) as raised:
                await thread.run("again")
            return result.final_response, raised.value

    final_response, failure = asyncio.run(main())
    assert final_response == "after"
    assert list(fake_engine.answers.values()) == [{"decision": "acceptForSession"}]
    assert (failure.http_status, failure.retryable) == (503, True)
