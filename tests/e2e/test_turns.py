"""Plain and streamed turns, multi-turn history: sync and async, through the real engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

from codex import AsyncCodex, Codex, TurnStatus
from codex.events import AgentMessageDeltaNotification, AgentMessageThreadItem, TurnCompletedNotification
from codex.testing import MockResponsesServer, responses

from .conftest import API_KEY, client_kwargs


def test_plain_turn(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(responses.text("The answer is 42."))
    thread = codex_client.thread_start()
    result = thread.run("What is the answer?")

    assert result.status is TurnStatus.completed
    assert result.final_response == "The answer is 42."
    assert any(isinstance(item.root, AgentMessageThreadItem) for item in result.items)
    assert result.usage is not None
    assert result.usage.last.total_tokens == 15
    (request,) = codex_mock.response_requests
    assert "What is the answer?" in request.input_texts()
    assert request.headers["authorization"] == "Bearer sk-codex-testing-not-a-real-key"
    assert request.body["model"] == "gpt-5.5"


def test_streamed_deltas_arrive_in_order_and_join_to_final_text(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    chunks = [f"part{i} " for i in range(50)]
    codex_mock.enqueue(responses.streamed_text(chunks))
    turn = codex_client.thread_start().turn("stream please")

    deltas = []
    methods = []
    for event in turn.stream():
        methods.append(event.method)
        if isinstance(event.payload, AgentMessageDeltaNotification):
            deltas.append(event.payload.delta)
    result = turn.run()

    assert deltas == chunks
    assert result.final_response == "".join(chunks)
    assert methods[-1] == "turn/completed"
    assert methods.index("turn/started") < methods.index("item/agentMessage/delta")


def test_text_stream_yields_only_text(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(responses.streamed_text(["a", "b", "c"]))
    turn = codex_client.thread_start().turn("hi")
    assert list(turn.text_stream()) == ["a", "b", "c"]
    assert turn.run().final_response == "abc"


def test_second_turn_carries_first_turn_history(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(responses.text("First answer."), responses.text("Second answer."))
    thread = codex_client.thread_start()
    assert thread.run("first question").final_response == "First answer."
    assert thread.run("second question").final_response == "Second answer."

    first, second = codex_mock.response_requests
    assert "first question" in first.input_texts()
    texts = second.input_texts()
    assert texts.index("first question") < texts.index("First answer.") < texts.index("second question")


def test_events_serialize_back_to_wire_json(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(responses.streamed_text(["x", "y"]))
    turn = codex_client.thread_start().turn("hi")
    events = list(turn.stream())
    completed = events[-1]
    assert isinstance(completed.payload, TurnCompletedNotification)
    wire = completed.to_dict()
    assert wire["method"] == "turn/completed"
    assert wire["params"]["turn"]["id"] == turn.id
    assert wire["params"]["turn"]["status"] == "completed"


def test_async_plain_and_streamed_turns(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        codex_mock.enqueue(responses.text("async hello"), responses.streamed_text(["1", "2", "3"]))
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            result = await thread.run("hello")
            assert result.final_response == "async hello"

            turn = await thread.turn("count")
            deltas = [
                event.payload.delta
                async for event in turn.stream()
                if isinstance(event.payload, AgentMessageDeltaNotification)
            ]
            assert deltas == ["1", "2", "3"]
            assert (await turn.run()).final_response == "123"

    asyncio.run(scenario())
    assert codex_mock.response_requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_async_concurrent_turns_on_separate_threads(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> list[str | None]:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            threads = [await codex.thread_start() for _ in range(4)]
            results = await asyncio.gather(*(thread.run(f"q{i}") for i, thread in enumerate(threads)))
            return [result.final_response for result in results]

    assert asyncio.run(scenario()) == ["Hello from the mock."] * 4
    assert len(codex_mock.response_requests) == 4


def test_stream_as_context_manager(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(responses.streamed_text(["x", "y", "z"]))
    thread = codex_client.thread_start()
    with thread.turn("go").stream() as stream:
        assert list(stream.text_stream) == ["x", "y", "z"]
        result = stream.get_final_result()
    assert result.final_response == "xyz"


def test_leaving_a_stream_early_interrupts_and_keeps_the_thread_usable(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    codex_mock.enqueue(responses.slow_stream([f"{i} " for i in range(100)], delay_s=0.05))
    thread = codex_client.thread_start()
    turn = thread.turn("long")
    with turn.stream() as stream:
        for event in stream:
            if isinstance(event.payload, AgentMessageDeltaNotification):
                break
    assert turn.run().status is TurnStatus.interrupted
    codex_mock.enqueue(responses.text("next"))
    assert thread.run("again").final_response == "next"


def test_async_stream_as_context_manager(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        codex_mock.enqueue(responses.streamed_text(["p", "q"]))
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            turn = await thread.turn("go")
            async with turn.stream() as stream:
                assert [text async for text in stream.text_stream] == ["p", "q"]
                assert (await stream.get_final_result()).final_response == "pq"

    asyncio.run(scenario())
