"""OpenTelemetry spans of a client on the fake engine (tests/fakes), and without OpenTelemetry.

docs/telemetry.md's tree of one turn: ``invoke_agent codex`` with ``execute_tool <tool>``
(Python tools), ``execute_tool shell`` (commands) and ``tools/call <tool>`` (MCP) children
opened by ``item/started`` and closed by ``item/completed``, ``codex.approval <kind>`` under the
item it approves (else under the turn), failures as ``error.type`` plus an error status. The
parent of a turn is the current span, else the client's ``traceparent``. Spans are exported to
an in-memory exporter and read back.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from codex import Allow, ApprovalRequest, Codex, ConfigurationError, Deny, FileChangeApprovalRequest, telemetry, tool
from codex.errors import InvalidRequestError, TurnFailedError
from tests.fakes.fake_engine import TIMESTAMP, Event, FakeEngine, ScriptedTurn
from tests.unit.conftest import FAKE_API_KEY

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def traced(fake_engine: FakeEngine, provider: TracerProvider, tmp_path: Path) -> Iterator[Codex]:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tracer_provider=provider) as client:
        yield client


def _by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    spans = exporter.get_finished_spans()
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), f"span names repeat: {[span.name for span in spans]}"
    return named


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _started(turn: ScriptedTurn, item: dict[str, Any]) -> Event:
    return turn.notify("item/started", item=item, startedAtMs=TIMESTAMP * 1000)


def _tool_item(status: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "dynamicToolCall",
        "id": "call-1",
        "tool": "lookup",
        "arguments": {"key": "k"},
        "status": status,
    } | more


def _mcp_item(status: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "mcpToolCall",
        "id": "mcp-1",
        "server": "docs",
        "tool": "search",
        "arguments": {},
        "status": status,
    } | more


def _command_item(item_id: str, status: str, **more: Any) -> dict[str, Any]:
    item = {"type": "commandExecution", "id": item_id, "command": "make", "commandActions": [], "cwd": "/w"}
    return item | {"status": status} | more


def test_a_turns_items_approvals_and_user_spans_form_one_tree(
    fake_engine: FakeEngine, provider: TracerProvider, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    @tool
    def lookup(key: str) -> str:
        """Looks up, in a span of its own."""
        with provider.get_tracer("user-code").start_as_current_span("user lookup"):
            return key.upper()

    def decide(request: ApprovalRequest) -> Allow | Deny:
        return Deny("no patches") if isinstance(request, FileChangeApprovalRequest) else Allow()

    def script(turn: ScriptedTurn) -> list[Event]:
        return [
            turn.started(),
            _started(turn, _tool_item("inProgress")),
            turn.request("item/tool/call", callId="call-1", tool="lookup", arguments={"key": "k"}),
            turn.item_completed(_tool_item("failed", success=False)),
            _started(turn, _mcp_item("inProgress")),
            turn.item_completed(_mcp_item("failed", error={"message": "server gone"})),
            _started(turn, _command_item("cmd-1", "inProgress")),
            turn.request(
                "item/commandExecution/requestApproval", itemId="cmd-1", startedAtMs=1, command="make", cwd="/w"
            ),
            turn.item_completed(_command_item("cmd-1", "failed", exitCode=2)),
            turn.request("item/fileChange/requestApproval", itemId="patch-1", startedAtMs=1),
            _started(turn, {"type": "plan", "id": "plan-1", "text": "1. look"}),  # no span of its own
            turn.item_completed({"type": "plan", "id": "plan-1", "text": "1. look"}),
            turn.token_usage(100, 10),
            turn.agent_message("done"),
            turn.completed(),
        ]

    fake_engine.script_turn(script)
    with Codex(
        api_key=FAKE_API_KEY, cwd=str(tmp_path), tracer_provider=provider, tools=[lookup], approval_callback=decide
    ) as client:
        thread = client.thread_start()
        thread.run("go")
    spans = _by_name(exporter)
    turn_span = spans["invoke_agent codex"]
    turn_id = turn_span.context.span_id
    assert set(spans) == {
        "codex.client.start",
        "codex.thread.start",
        "invoke_agent codex",
        "execute_tool lookup",
        "user lookup",
        "tools/call search",
        "execute_tool shell",
        "codex.approval commandExecution",
        "codex.approval fileChange",
    }
    turn_attributes = _attributes(turn_span)
    assert turn_attributes["gen_ai.conversation.id"] == thread.id
    assert turn_attributes["gen_ai.request.model"] == "gpt-fake"  # remembered from thread/start
    assert (turn_attributes["gen_ai.usage.input_tokens"], turn_attributes["gen_ai.usage.output_tokens"]) == (100, 10)
    assert turn_attributes["codex.turn.status"] == "completed"
    assert turn_span.status.status_code is StatusCode.UNSET

    tool_span = spans["execute_tool lookup"]
    assert _parent_of(tool_span) == turn_id
    assert _parent_of(spans["user lookup"]) == tool_span.context.span_id  # user code runs under its call
    assert _attributes(tool_span)["error.type"] == "tool_error"
    assert tool_span.status.status_code is StatusCode.ERROR

    mcp_span = spans["tools/call search"]
    assert _attributes(mcp_span)["codex.mcp.server"] == "docs"
    assert _attributes(mcp_span)["error.type"] == "mcp_error"

    command_span = spans["execute_tool shell"]
    assert (_attributes(command_span)["process.exit.code"], _attributes(command_span)["error.type"]) == (2, "failed")
    approval = spans["codex.approval commandExecution"]
    assert _parent_of(approval) == command_span.context.span_id  # under the command it approves
    assert _attributes(approval)["codex.approval.decision"] == "accept"
    assert _attributes(approval)["codex.item.id"] == "cmd-1"
    patch_approval = spans["codex.approval fileChange"]
    assert _attributes(patch_approval)["codex.approval.decision"] == "decline"
    assert _parent_of(patch_approval) == turn_id  # its item never started: under the turn


def test_commands_record_their_exit_code_and_fail_unless_completed(
    fake_engine: FakeEngine, traced: Codex, exporter: InMemorySpanExporter
) -> None:
    def script(turn: ScriptedTurn) -> list[Event]:
        return [
            turn.started(),
            _started(turn, _command_item("cmd-ok", "inProgress")),
            turn.item_completed(_command_item("cmd-ok", "completed", exitCode=0)),
            _started(turn, _command_item("cmd-declined", "inProgress")),
            turn.item_completed(_command_item("cmd-declined", "declined")),
            _started(turn, _command_item("cmd-open", "inProgress")),  # never completed
            turn.completed(),
        ]

    fake_engine.script_turn(script)
    traced.thread_start().run("go")
    commands = {
        _attributes(span)["gen_ai.tool.call.id"]: span
        for span in exporter.get_finished_spans()
        if span.name == "execute_tool shell"
    }
    assert set(commands) == {"cmd-ok", "cmd-declined", "cmd-open"}  # the open one ended with its turn
    ok, declined = _attributes(commands["cmd-ok"]), _attributes(commands["cmd-declined"])
    assert (ok["process.exit.code"], "error.type" in ok) == (0, False)
    assert ("process.exit.code" in declined, declined["error.type"]) == (False, "declined")
    assert commands["cmd-declined"].status.status_code is StatusCode.ERROR
    assert "codex.item.status" not in _attributes(commands["cmd-open"])


def test_a_successful_tool_call_ends_its_span_without_an_error(
    fake_engine: FakeEngine, traced: Codex, exporter: InMemorySpanExporter
) -> None:
    fake_engine.script_turn(
        lambda turn: [
            turn.started(),
            _started(turn, _tool_item("inProgress")),
            turn.item_completed(_tool_item("completed", success=True)),
            turn.completed(),
        ]
    )
    traced.thread_start().run("go")
    span = _by_name(exporter)["execute_tool lookup"]
    assert _attributes(span)["codex.item.status"] == "completed"
    assert "error.type" not in _attributes(span)
    assert span.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize(
    ("info", "error_type"),
    [
        ("contextWindowExceeded", "contextWindowExceeded"),
        ({"httpConnectionFailed": {"httpStatusCode": 502}}, "httpConnectionFailed"),
        (None, "turn_failed"),
    ],
)
def test_a_failed_turn_records_the_kind_of_its_error(
    fake_engine: FakeEngine, traced: Codex, exporter: InMemorySpanExporter, info: object, error_type: str
) -> None:
    fake_engine.script_turn(lambda turn: [turn.started(), turn.failed("it broke", info)])
    with pytest.raises(TurnFailedError):
        traced.thread_start().run("go")
    span = _by_name(exporter)["invoke_agent codex"]
    assert _attributes(span)["error.type"] == error_type
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "it broke")


def test_a_turn_start_the_engine_refuses_ends_its_span_with_the_errors_type(
    fake_engine: FakeEngine, traced: Codex, exporter: InMemorySpanExporter
) -> None:
    thread = traced.thread_start()
    fake_engine.fail_next("turn/start", -32600, "invalid request: bad input")
    with pytest.raises(InvalidRequestError):
        thread.run("go")
    span = _by_name(exporter)["invoke_agent codex"]
    assert _attributes(span)["error.type"] == "InvalidRequestError"
    assert "codex.turn.id" not in _attributes(span)
    assert thread.run("again").final_response == "done"  # the next turn is traced as usual


def test_a_turn_is_a_child_of_the_traceparent_when_no_span_is_current(
    fake_engine: FakeEngine, provider: TracerProvider, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tracer_provider=provider, traceparent=TRACEPARENT) as client:
        thread = client.thread_start()
        thread.run("first")
        with provider.get_tracer("app").start_as_current_span("app request") as current:
            thread.run("second")
    first, second = [span for span in exporter.get_finished_spans() if span.name == "invoke_agent codex"]
    assert first.parent is not None
    assert (first.context.trace_id, first.parent.span_id) == (int(TRACE_ID, 16), int(PARENT_SPAN_ID, 16))
    # A current span wins over the traceparent.
    assert second.parent is not None
    assert second.parent.span_id == current.get_span_context().span_id
    assert second.context.trace_id != int(TRACE_ID, 16)


def test_a_malformed_traceparent_is_ignored(
    fake_engine: FakeEngine, provider: TracerProvider, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tracer_provider=provider, traceparent="00-nonsense") as client:
        client.thread_start().run("go")
    assert _by_name(exporter)["invoke_agent codex"].parent is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tracer_provider": object()}, "tracer_provider must be a TracerProvider"),
        ({"traceparent": 1234}, "traceparent must be a W3C traceparent string"),
    ],
)
def test_bad_telemetry_options_are_configuration_errors(
    fake_engine: FakeEngine, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), **options)


def test_the_model_of_only_the_latest_threads_is_remembered(
    fake_engine: FakeEngine, traced: Codex, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry, "THREAD_MODELS_KEPT", 2)
    oldest, *newer = [traced.thread_start() for _ in range(3)]
    for thread in (oldest, *newer):
        thread.run("go")
    models = {
        _attributes(span)["gen_ai.conversation.id"]: _attributes(span).get("gen_ai.request.model")
        for span in exporter.get_finished_spans()
        if span.name == "invoke_agent codex"
    }
    assert models == {oldest.id: None, newer[0].id: "gpt-fake", newer[1].id: "gpt-fake"}


def test_a_thread_start_span_tolerates_a_response_without_thread_or_model(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = telemetry.ClientTelemetry(provider)
    assert client.enabled
    with client.thread_starting() as started:
        started({"thread": "not an object", "model": None})
    (span,) = exporter.get_finished_spans()
    assert span.name == "codex.thread.start"
    assert _attributes(span) == {"gen_ai.provider.name": "openai"}


def test_an_approval_span_records_the_decision_the_answer_carries(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    client = telemetry.ClientTelemetry(provider)
    turn = client.start_turn("thread-x", None)
    assert turn is not None
    client.register(turn, "turn-x")
    decisions = []
    answers: list[dict[str, Any] | None] = [
        None,
        {"decision": "acceptForSession"},
        {"permissions": {}, "scope": "turn"},
        {"decision": {}},
    ]
    for answer in answers:
        span = client.begin_approval("item/permissions/requestApproval", {"turnId": "turn-x", "callId": 7})
        assert span is not None
        span.finish(answer)
        decisions.append(_attributes(span.span)["codex.approval.decision"])  # type: ignore[arg-type]
    assert decisions == ["decline", "acceptForSession", "permissions", "{}"]
    turn.end()
    turn.end("abandoned")  # ended already: nothing more is recorded
    assert client.traced_turns() == []
    (turn_span,) = [span for span in exporter.get_finished_spans() if span.name == "invoke_agent codex"]
    assert "error.type" not in _attributes(turn_span)


# -- without OpenTelemetry ----------------------------------------------------------------


@pytest.fixture
def no_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """codex.telemetry as on a machine without the [otel] extra (its import fails)."""
    for name in [name for name in sys.modules if name == "opentelemetry" or name.startswith("opentelemetry.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.setattr(telemetry, "_trace", None)
    monkeypatch.setattr(telemetry, "_propagator", None)
    monkeypatch.setattr(telemetry, "_load_tried", False)


def test_without_opentelemetry_a_client_runs_untraced(
    no_opentelemetry: None, fake_engine: FakeEngine, tmp_path: Path
) -> None:
    assert not telemetry.available()
    with pytest.raises(ConfigurationError, match=r"pip install 'codex-embedded\[otel\]'"):
        telemetry.ClientTelemetry(tracer_provider=TracerProvider())
    fake_engine.script_turn(
        lambda turn: [turn.started(), turn.command_approval("make"), turn.agent_message("ok"), turn.completed()]
    )
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), traceparent=TRACEPARENT) as client:
        result = client.thread_start().run("go")
        thread = client.thread_start()
        fake_engine.fail_next("turn/start", -32600, "invalid request: bad input")
        with pytest.raises(InvalidRequestError):
            thread.run("refused")
    assert result.final_response == "ok"
    assert list(fake_engine.answers.values()) == [{"decision": "decline"}]
    untraced = telemetry.ClientTelemetry(traceparent=TRACEPARENT)
    assert not untraced.enabled
    assert untraced.start_turn("thread-x", "gpt") is None
    with untraced.span("codex.step") as span:
        assert span is None
    with untraced.request_scope("turn-x", {}):
        assert trace.get_current_span() is trace.INVALID_SPAN
