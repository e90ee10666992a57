"""codex.telemetry's bookkeeping, fed with wire notifications (the e2e tests cover real turns)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex import telemetry
from codex.events import Notification, parse_notification


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def client(exporter: InMemorySpanExporter) -> telemetry.ClientTelemetry:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return telemetry.ClientTelemetry(provider)


def _breakdown(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "totalTokens": input_tokens + output_tokens,
        "inputTokens": input_tokens,
        "cachedInputTokens": 0,
        "outputTokens": output_tokens,
        "reasoningOutputTokens": 0,
    }


def _usage(turn_id: str, total: tuple[int, int], last: tuple[int, int]) -> Notification:
    return parse_notification(
        "thread/tokenUsage/updated",
        {"threadId": "t", "turnId": turn_id, "tokenUsage": {"total": _breakdown(*total), "last": _breakdown(*last)}},
    )


def test_turn_usage_is_the_growth_of_the_thread_totals(
    client: telemetry.ClientTelemetry, exporter: InMemorySpanExporter
) -> None:
    trace = client.start_turn("t", "gpt-x")
    assert trace is not None
    client.register(trace, "turn-2")
    # The thread had used 1000/100 before this turn; the turn makes two model calls.
    client.observe("turn-2", _usage("turn-2", total=(1200, 130), last=(200, 30)))
    client.observe("turn-2", _usage("turn-2", total=(1500, 150), last=(300, 20)))
    client.end_turn("turn-2")
    (span,) = exporter.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.usage.input_tokens"] == 500
    assert attributes["gen_ai.usage.output_tokens"] == 50
    assert attributes["gen_ai.request.model"] == "gpt-x"
    assert client.turn_trace("turn-2") is None


def test_unread_turns_are_ended_past_the_bound(
    client: telemetry.ClientTelemetry, exporter: InMemorySpanExporter
) -> None:
    client.turns_kept = 2
    for index in range(3):
        trace = client.start_turn("t", None)
        assert trace is not None
        client.register(trace, f"turn-{index}")
    (abandoned,) = exporter.get_finished_spans()
    assert (abandoned.attributes or {})["codex.turn.id"] == "turn-0"
    assert (abandoned.attributes or {})["error.type"] == "abandoned"
    assert sorted(client.traced_turns()) == ["turn-1", "turn-2"]


def test_approvals_of_untraced_turns_and_tool_calls_open_no_span(client: telemetry.ClientTelemetry) -> None:
    assert client.begin_approval("item/commandExecution/requestApproval", {"turnId": "unknown"}) is None
    trace = client.start_turn("t", None)
    assert trace is not None
    client.register(trace, "turn-tools")
    assert client.begin_approval("item/tool/call", {"turnId": "turn-tools"}) is None
    approval = client.begin_approval("item/fileChange/requestApproval", {"turnId": "turn-tools"})
    assert approval is not None
    approval.finish({"decision": {"acceptWithExecpolicyAmendment": {}}})
    assert dict(approval.span.attributes or {})["codex.approval.decision"] == "acceptWithExecpolicyAmendment"  # type: ignore[attr-defined]
    client.end_turn("turn-tools")


def test_each_client_keeps_its_own_turns(exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    first, second = telemetry.ClientTelemetry(provider), telemetry.ClientTelemetry(provider)
    trace = first.start_turn("t", None)
    assert trace is not None
    first.register(trace, "turn-a")
    assert first.turn_trace("turn-a") is trace
    assert second.turn_trace("turn-a") is None
    second.end_turn("turn-a")  # not its turn: nothing ends
    assert exporter.get_finished_spans() == ()
    first.end_turn("turn-a")
    assert first.traced_turns() == []
