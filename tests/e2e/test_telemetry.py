"""Telemetry through the real engine: OpenTelemetry spans, engine logs in Python logging, redaction."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from codex import AsyncCodex, Codex, ConfigurationError, Sandbox, TurnStatus, _logging
from codex.testing import MockResponsesServer, responses
from codex.tools import tool

from .conftest import API_KEY, client_kwargs

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield tracer_provider
    tracer_provider.shutdown()


def _by_name(spans: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name.startswith(prefix)]


def _one(spans: tuple[ReadableSpan, ...], prefix: str) -> ReadableSpan:
    found = _by_name(spans, prefix)
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def test_client_thread_and_turn_spans_carry_genai_attributes(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    codex_mock.enqueue(responses.with_usage(responses.text("hello"), input_tokens=120, output_tokens=7))
    kwargs = client_kwargs(codex_mock, codex_workspace, model="gpt-test-model")
    with Codex(**kwargs, tracer_provider=provider) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        result = thread.run("hi")

    spans = exporter.get_finished_spans()
    assert _one(spans, "codex.client.start").status.status_code is not StatusCode.ERROR
    thread_span = _one(spans, "codex.thread.start")
    assert thread_span.attributes is not None
    assert thread_span.attributes["gen_ai.conversation.id"] == thread.id
    turn = _one(spans, "invoke_agent")
    attributes = dict(turn.attributes or {})
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-test-model"
    assert attributes["gen_ai.conversation.id"] == thread.id
    assert attributes["codex.turn.id"] == result.id
    assert attributes["codex.turn.status"] == "completed"
    # The usage the mock reported for the turn's one model call.
    assert attributes["gen_ai.usage.input_tokens"] == 120
    assert attributes["gen_ai.usage.output_tokens"] == 7
    # With no current span and no traceparent, each span starts its own trace.
    assert turn.parent is None


def test_turn_usage_counts_only_that_turn(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    codex_mock.enqueue(
        responses.with_usage(responses.text("one"), input_tokens=100, output_tokens=10),
        responses.with_usage(responses.text("two"), input_tokens=300, output_tokens=20),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), tracer_provider=provider) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        thread.run("first")
        thread.run("second")
    first, second = sorted(_by_name(exporter.get_finished_spans(), "invoke_agent"), key=lambda s: s.start_time or 0)
    assert (first.attributes or {})["gen_ai.usage.input_tokens"] == 100
    assert (second.attributes or {})["gen_ai.usage.input_tokens"] == 300
    assert (second.attributes or {})["gen_ai.usage.output_tokens"] == 20


def test_incoming_traceparent_is_the_parent(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    codex_mock.enqueue(responses.text("hello"))
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, tracer_provider=provider, traceparent=TRACEPARENT) as codex:  # type: ignore[arg-type]
        codex.thread_start().run("hi")
    spans = exporter.get_finished_spans()
    assert {span.name.split(" ")[0] for span in spans} >= {"codex.client.start", "codex.thread.start", "invoke_agent"}
    for span in spans:
        assert span.context is not None
        assert format(span.context.trace_id, "032x") == TRACE_ID
        if span.name in ("codex.client.start", "codex.thread.start") or span.name.startswith("invoke_agent"):
            assert _parent_id(span) == int(PARENT_SPAN_ID, 16)


def test_current_span_wins_over_traceparent(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    codex_mock.enqueue(responses.text("hello"))
    tracer = provider.get_tracer("app")
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, tracer_provider=provider, traceparent=TRACEPARENT) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        with tracer.start_as_current_span("app.request") as app_span:
            thread.run("hi")
    turn = _one(exporter.get_finished_spans(), "invoke_agent")
    assert _parent_id(turn) == app_span.get_span_context().span_id


def test_failed_turn_span_has_error_status(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    codex_mock.enqueue(responses.http_error(400, "bad request from the mock"))
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, tracer_provider=provider) as codex:  # type: ignore[arg-type]
        handle = codex.thread_start().turn("hi")
        for _ in handle.stream():
            pass
    turn = _one(exporter.get_finished_spans(), "invoke_agent")
    assert turn.status.status_code is StatusCode.ERROR
    assert (turn.attributes or {})["codex.turn.status"] == "failed"
    assert "error.type" in (turn.attributes or {})


def test_async_client_spans(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async def scenario() -> str:
        codex_mock.enqueue(responses.text("hello"))
        kwargs = client_kwargs(codex_mock, codex_workspace)
        async with AsyncCodex(**kwargs, tracer_provider=provider) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            result = await thread.run("hi")
            return result.id

    turn_id = asyncio.run(scenario())
    spans = exporter.get_finished_spans()
    _one(spans, "codex.client.start")
    _one(spans, "codex.thread.start")
    assert (_one(spans, "invoke_agent").attributes or {})["codex.turn.id"] == turn_id


def test_global_tracer_provider_is_used_without_one_given(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    exporter: InMemorySpanExporter,
    provider: TracerProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real global provider can be set once per process; stand in for it.
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    codex_mock.enqueue(responses.text("hello"))
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        codex.thread_start().run("hi")
    assert _by_name(exporter.get_finished_spans(), "invoke_agent")


# -- a turn with a Python tool and an approved command -------------------------------


def test_span_tree_of_a_turn_with_a_tool_call_and_an_approval(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    outside_dir: Path,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    target = outside_dir / "approved.txt"

    app_tracer = provider.get_tracer("app")

    @tool
    def lookup(key: str) -> str:
        """Looks a key up."""
        with app_tracer.start_as_current_span("app.lookup"):
            return f"value-of-{key}"

    def handler(method: str, params: dict[str, object]) -> dict[str, object] | None:
        return {"decision": "accept"} if method == "item/commandExecution/requestApproval" else None

    codex_mock.enqueue(
        responses.function_call("lookup", {"key": "k1"}, call_id="call_lookup"),
        responses.function_call(
            "exec_command",
            {"cmd": f"echo ok > {target}", "sandbox_permissions": "require_escalated", "justification": "x"},
            call_id="call_exec",
        ),
        responses.text("done"),
    )
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, tools=[lookup], approval_handler=handler, tracer_provider=provider) as codex:  # type: ignore[arg-type]
        result = codex.thread_start(sandbox=Sandbox.workspace_write).run("use the tool, then write")

    assert result.status is TurnStatus.completed
    assert target.read_text() == "ok\n"
    spans = exporter.get_finished_spans()
    turn = _one(spans, "invoke_agent")
    tool_span = _one(spans, "execute_tool lookup")
    shell_span = _one(spans, "execute_tool shell")
    approval = _one(spans, "codex.approval")
    for child in (tool_span, shell_span):
        assert _parent_id(child) == _span_id(turn), child.name
    # The tool's own span (opened on a pool thread) nests under the tool call.
    assert _parent_id(_one(spans, "app.lookup")) == _span_id(tool_span)
    # The approval sits under the command it allowed.
    assert _parent_id(approval) == _span_id(shell_span)
    for child in (tool_span, shell_span, approval):
        assert child.context is not None
        assert turn.context is not None
        assert child.context.trace_id == turn.context.trace_id
    tool_attributes = dict(tool_span.attributes or {})
    assert tool_attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool_attributes["gen_ai.tool.name"] == "lookup"
    assert tool_attributes["gen_ai.tool.call.id"] == "call_lookup"
    approval_attributes = dict(approval.attributes or {})
    assert approval_attributes["codex.approval.method"] == "item/commandExecution/requestApproval"
    assert approval_attributes["codex.approval.decision"] == "accept"
    # Children sit inside their turn in time; the approval ends before its command does.
    assert turn.start_time is not None
    assert turn.end_time is not None
    for child in (tool_span, shell_span, approval):
        assert child.start_time is not None
        assert child.end_time is not None
        assert turn.start_time <= child.start_time <= child.end_time <= turn.end_time
    assert approval.end_time is not None
    assert shell_span.end_time is not None
    assert approval.end_time <= shell_span.end_time


# -- logging ---------------------------------------------------------------------------


def test_engine_logs_reach_python_logging_with_ids_and_no_key(
    codex_mock: MockResponsesServer, codex_workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    codex_mock.enqueue(responses.text("hello"))
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        result = thread.run("hi")
        _logging.flush_engine_logs()

    engine_records = [r for r in caplog.records if r.name.startswith("codex.engine.")]
    assert engine_records, "no engine records were forwarded at DEBUG"
    assert all(r.name.startswith("codex.engine.") for r in engine_records)
    in_turn = [r for r in engine_records if getattr(r, "turn_id", None) == result.id]
    assert in_turn, "no engine record carried the turn id"
    assert all(getattr(r, "thread_id", None) == thread.id for r in in_turn)
    # Every record, the SDK's and the engine's, has the attributes.
    assert all(hasattr(r, "thread_id") and hasattr(r, "turn_id") for r in caplog.records)
    # The key went to the mock as a bearer token, and into no log line.
    assert codex_mock.response_requests[0].headers.get("authorization") == f"Bearer {API_KEY}"
    assert API_KEY not in caplog.text
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in str(getattr(record, "engine_fields", ""))


def test_engine_logs_are_not_printed_to_stderr(
    codex_mock: MockResponsesServer, codex_workspace: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    codex_mock.enqueue(responses.text("hello"))
    logging.getLogger("codex").setLevel(logging.DEBUG)
    try:
        with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            codex.thread_start().run("hi")
            _logging.flush_engine_logs()
    finally:
        logging.getLogger("codex").setLevel(logging.NOTSET)
    _out, err = capfd.readouterr()
    assert "codex_core" not in err
    assert "DEBUG" not in err


def test_mcp_tool_call_span(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    from .test_mcp import fixture_server

    codex_mock.enqueue(
        responses.tool_search("echo text back"),
        responses.mcp_tool_call("fixture", "echo", {"text": "hello"}),
        responses.text("the server said hello"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), tracer_provider=provider) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(mcp_servers=[fixture_server(tool_approval="approve")])
        result = thread.run("use the echo tool")
    assert result.status is TurnStatus.completed
    spans = exporter.get_finished_spans()
    turn = _one(spans, "invoke_agent")
    call = _one(spans, "tools/call echo")
    assert _parent_id(call) == _span_id(turn)
    attributes = dict(call.attributes or {})
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["gen_ai.tool.name"] == "echo"
    assert attributes["codex.mcp.server"] == "fixture"
    assert call.status.status_code is not StatusCode.ERROR


def test_async_turn_with_an_approval_has_the_same_tree(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    outside_dir: Path,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    target = outside_dir / "async-approved.txt"

    async def handler(method: str, params: dict[str, object]) -> dict[str, object] | None:
        await asyncio.sleep(0.01)
        return {"decision": "accept"}

    async def scenario() -> None:
        codex_mock.enqueue(
            responses.function_call(
                "exec_command",
                {"cmd": f"echo ok > {target}", "sandbox_permissions": "require_escalated", "justification": "x"},
            ),
            responses.text("done"),
        )
        kwargs = client_kwargs(codex_mock, codex_workspace)
        async with AsyncCodex(**kwargs, approval_handler=handler, tracer_provider=provider) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start(sandbox=Sandbox.workspace_write)
            await thread.run("write")

    asyncio.run(scenario())
    assert target.read_text() == "ok\n"
    spans = exporter.get_finished_spans()
    turn = _one(spans, "invoke_agent")
    shell_span = _one(spans, "execute_tool shell")
    approval = _one(spans, "codex.approval")
    assert _parent_id(shell_span) == _span_id(turn)
    assert _parent_id(approval) == _span_id(shell_span)
    assert (approval.attributes or {})["codex.approval.decision"] == "accept"


def test_a_declined_approval_is_recorded_as_declined(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    outside_dir: Path,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    target = outside_dir / "never.txt"
    codex_mock.enqueue(
        responses.function_call(
            "exec_command",
            {"cmd": f"echo no > {target}", "sandbox_permissions": "require_escalated", "justification": "x"},
        ),
        responses.text("done"),
    )
    # No handler: the request fails closed.
    with Codex(**client_kwargs(codex_mock, codex_workspace), tracer_provider=provider) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("write")
    assert not target.exists()
    approval = _one(exporter.get_finished_spans(), "codex.approval")
    assert (approval.attributes or {})["codex.approval.decision"] == "decline"


def test_sdk_records_while_answering_a_request_carry_the_turn(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codex")
    codex_mock.enqueue(
        responses.function_call(
            "exec_command",
            {"cmd": f"echo no > {outside_dir / 'x'}", "sandbox_permissions": "require_escalated", "justification": "x"},
        ),
        responses.text("done"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(sandbox=Sandbox.workspace_write)
        result = thread.run("write")
    (declined,) = [r for r in caplog.records if r.name == "codex" and "declining" in r.getMessage()]
    assert (declined.thread_id, declined.turn_id) == (thread.id, result.id)  # type: ignore[attr-defined]


WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if the [otel] extra were not installed
from codex import Codex, telemetry
from codex.testing import MockResponsesServer, responses
with MockResponsesServer() as mock:
    mock.enqueue(responses.text("still works"))
    with Codex(base_url=mock.base_url, api_key="sk-x-123456", cwd=sys.argv[1], traceparent=sys.argv[2]) as codex:
        result = codex.thread_start().run("hi")
assert not telemetry.available()
assert not codex._session.telemetry.enabled
print(result.final_response)
"""


def test_without_opentelemetry_turns_run_untraced(codex_workspace: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_OTEL, str(codex_workspace), TRACEPARENT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "still works"


def test_importing_codex_does_not_import_opentelemetry() -> None:
    code = "import sys, codex; print(any(name.startswith('opentelemetry') for name in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


def test_a_malformed_traceparent_is_ignored(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    codex_mock.enqueue(responses.text("hello"))
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, tracer_provider=provider, traceparent="not-a-traceparent") as codex:  # type: ignore[arg-type]
        codex.thread_start().run("hi")
    assert _one(exporter.get_finished_spans(), "invoke_agent").parent is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tracer_provider": "not a provider"}, "tracer_provider must be"),
        ({"traceparent": 42}, "traceparent must be"),
    ],
)
def test_bad_telemetry_arguments_raise_a_typed_error(
    codex_mock: MockResponsesServer, codex_workspace: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Codex(**client_kwargs(codex_mock, codex_workspace, **kwargs))  # type: ignore[arg-type]


def test_a_failing_tool_call_span_has_error_status(
    codex_mock: MockResponsesServer, codex_workspace: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    @tool
    def broken() -> str:
        """Always fails."""
        raise RuntimeError("tool bug")

    codex_mock.enqueue(responses.function_call("broken", {}), responses.text("sorry"))
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, tools=[broken], tracer_provider=provider) as codex:  # type: ignore[arg-type]
        result = codex.thread_start().run("call it")
    assert result.status is TurnStatus.completed
    spans = exporter.get_finished_spans()
    call = _one(spans, "execute_tool broken")
    assert call.status.status_code is StatusCode.ERROR
    assert (call.attributes or {})["error.type"] == "tool_error"
    # The turn itself went on and succeeded.
    assert _one(spans, "invoke_agent").status.status_code is not StatusCode.ERROR


def test_json_log_lines_of_a_turn(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("codex")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    logger.propagate = False
    try:
        _logging.configure_logging("debug", json=True, stream=stream)
        codex_mock.enqueue(responses.text("hello"))
        with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = codex.thread_start()
            result = thread.run("hi")
            _logging.flush_engine_logs()
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
        _logging.sync_engine_level()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines
    assert {"time", "level", "logger", "message", "thread_id", "turn_id"} <= lines[0].keys()
    assert any(line["logger"].startswith("codex.engine.") and line["turn_id"] == result.id for line in lines)
    assert API_KEY not in stream.getvalue()
