"""Python functions as tools, called by the model through the real engine (dynamic tools)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from codex import AsyncCodex, Codex, ConfigurationError, TurnStatus
from codex.events import DynamicToolCallThreadItem, ItemStartedNotification, ThreadItem
from codex.testing import MockResponsesServer, RecordedRequest, responses
from codex.tools import Tool, ToolError, ToolRegistry, tool

from .conftest import client_kwargs


def _tool_items(items: Sequence[ThreadItem]) -> list[DynamicToolCallThreadItem]:
    return [item.root for item in items if isinstance(item.root, DynamicToolCallThreadItem)]


def _offered_tools(request: RecordedRequest) -> list[str]:
    # Hosted tools such as web_search have a type and no name.
    return [str(spec.get("name") or spec.get("type")) for spec in request.body.get("tools", [])]


def _outputs_by_call(request: RecordedRequest) -> dict[str, str]:
    return {str(item["call_id"]): str(item.get("output")) for item in request.tool_outputs()}


def test_sync_tool_runs_in_this_process_and_its_output_reaches_the_model(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    seen: list[tuple[int, int, str]] = []

    @tool
    def add(a: int, b: int) -> int:
        """Adds two integers."""
        seen.append((a, b, threading.current_thread().name))
        return a + b

    codex_mock.enqueue(responses.function_call("add", {"a": 2, "b": 40}, call_id="call_add"), responses.text("42"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[add]) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        handle = thread.turn("add them")
        events = list(handle.stream())
        result = handle.run()

    assert [(a, b) for a, b, _ in seen] == [(2, 40)]
    assert result.status is TurnStatus.completed
    assert result.final_response == "42"
    # The model was offered the tool with the schema built from the type hints.
    first, follow_up = codex_mock.response_requests
    (spec,) = [spec for spec in first.body["tools"] if spec.get("name") == "add"]
    assert spec["description"] == "Adds two integers."
    assert spec["parameters"]["properties"].keys() == {"a", "b"}
    assert sorted(spec["parameters"]["required"]) == ["a", "b"]
    # The next request carries the tool's output for that call.
    assert _outputs_by_call(follow_up) == {"call_add": "42"}
    # The call, its arguments, result and duration are typed items in the stream.
    started = [
        event.payload.item.root
        for event in events
        if isinstance(event.payload, ItemStartedNotification)
        and isinstance(event.payload.item.root, DynamicToolCallThreadItem)
    ]
    assert [item.status for item in started] == ["inProgress"]
    (item,) = _tool_items(result.items)
    assert item.tool == "add"
    assert item.arguments == {"a": 2, "b": 40}
    assert item.status == "completed"
    assert item.success is True
    assert [part.to_dict() for part in item.content_items or []] == [{"type": "inputText", "text": "42"}]
    assert item.duration_ms is not None
    assert item.duration_ms >= 0


def test_async_tool_on_sync_and_async_clients(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    seen: list[str] = []

    @tool
    async def lookup(key: str) -> dict[str, str]:
        """Looks a key up."""
        await asyncio.sleep(0.01)
        seen.append(key)
        return {"key": key, "value": key.upper()}

    codex_mock.enqueue(responses.function_call("lookup", {"key": "sync"}, call_id="c1"), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[lookup]) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("go").final_response == "ok"

    async def scenario() -> None:
        codex_mock.enqueue(responses.function_call("lookup", {"key": "async"}, call_id="c2"), responses.text("ok"))
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start(tools=[lookup])
            result = await thread.run("go")
            (item,) = _tool_items(result.items)
            assert item.success is True

    asyncio.run(scenario())
    assert seen == ["sync", "async"]
    assert _outputs_by_call(codex_mock.response_requests[1]) == {"c1": '{"key":"sync","value":"SYNC"}'}
    assert _outputs_by_call(codex_mock.response_requests[3]) == {"c2": '{"key":"async","value":"ASYNC"}'}


def test_sync_tool_on_async_client_runs_off_the_event_loop(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    loop_threads: list[bool] = []

    @tool
    def where() -> str:
        """Reports whether it runs on the event loop's thread."""
        try:
            asyncio.get_running_loop()
            loop_threads.append(True)
        except RuntimeError:
            loop_threads.append(False)
        return "here"

    async def scenario() -> None:
        codex_mock.enqueue(responses.function_call("where", {}, call_id="w"), responses.text("ok"))
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace), tools=[where]) as codex:  # type: ignore[arg-type]
            await (await codex.thread_start()).run("go")

    asyncio.run(scenario())
    assert loop_threads == [False]
    assert _outputs_by_call(codex_mock.response_requests[1]) == {"w": "here"}


def test_tool_errors_are_reported_to_the_model_and_the_turn_goes_on(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    @tool
    def refuse(path: str) -> str:
        """Always refuses."""
        raise ToolError(f"{path} is off limits")

    @tool
    def crash() -> str:
        """Has a bug."""
        raise ZeroDivisionError("division by zero")

    codex_mock.enqueue(
        responses.function_call("refuse", {"path": "/etc"}, call_id="r"),
        responses.function_call("crash", {}, call_id="c"),
        responses.text("recovered"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[refuse, crash]) as codex:  # type: ignore[arg-type]
        result = codex.thread_start().run("try")

    assert result.status is TurnStatus.completed
    assert result.final_response == "recovered"
    assert _outputs_by_call(codex_mock.response_requests[1]) == {"r": "/etc is off limits"}
    assert _outputs_by_call(codex_mock.response_requests[2])["c"] == "crash raised ZeroDivisionError: division by zero"
    items = _tool_items(result.items)
    assert [(item.tool, item.status, item.success) for item in items] == [
        ("refuse", "failed", False),
        ("crash", "failed", False),
    ]


def test_invalid_arguments_from_the_model_never_reach_the_tool(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    calls: list[int] = []

    @tool
    def repeat(times: int, word: str = "hi") -> str:
        """Repeats a word."""
        calls.append(times)
        return word * times

    codex_mock.enqueue(
        responses.function_call("repeat", {"times": "many", "extra": 1}, call_id="bad"),
        responses.text("sorry"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[repeat]) as codex:  # type: ignore[arg-type]
        result = codex.thread_start().run("go")

    assert calls == []
    assert result.status is TurnStatus.completed
    output = _outputs_by_call(codex_mock.response_requests[1])["bad"]
    assert output.startswith("invalid arguments for repeat:")
    assert "times" in output
    assert "extra" in output
    (item,) = _tool_items(result.items)
    assert item.success is False


def test_two_tools_called_in_one_response(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    """Both calls run and both outputs go back in one request. (This engine sends a
    thread's dynamic tool calls one after another; the SDK would run concurrent ones at once.)"""
    spans: dict[str, tuple[float, float]] = {}

    @tool
    async def slow_a() -> str:
        """A."""
        start = time.monotonic()
        await asyncio.sleep(0.3)
        spans["a"] = (start, time.monotonic())
        return "A"

    @tool
    def slow_b() -> str:
        """B."""
        start = time.monotonic()
        time.sleep(0.3)
        spans["b"] = (start, time.monotonic())
        return "B"

    codex_mock.enqueue(
        responses.function_calls(("slow_a", {}, "ca"), ("slow_b", {}, "cb")),
        responses.text("both"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[slow_a, slow_b]) as codex:  # type: ignore[arg-type]
        result = codex.thread_start().run("go")

    assert result.final_response == "both"
    assert set(spans) == {"a", "b"}
    assert _outputs_by_call(codex_mock.response_requests[1]) == {"ca": "A", "cb": "B"}
    assert sorted(item.tool for item in _tool_items(result.items)) == ["slow_a", "slow_b"]


def test_a_tool_that_exceeds_its_timeout_is_reported_failed(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    release = threading.Event()

    @tool(timeout=0.3)
    def hang() -> str:
        """Never finishes in time."""
        release.wait(10)
        return "too late"

    codex_mock.enqueue(responses.function_call("hang", {}, call_id="h"), responses.text("moved on"))
    started = time.monotonic()
    try:
        with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[hang]) as codex:  # type: ignore[arg-type]
            result = codex.thread_start().run("go")
    finally:
        release.set()
    assert time.monotonic() - started < 8
    assert result.final_response == "moved on"
    assert _outputs_by_call(codex_mock.response_requests[1]) == {"h": "hang did not finish within 0.3s"}
    (item,) = _tool_items(result.items)
    assert item.status == "failed"


def test_explicit_input_model(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    class Order(BaseModel):
        item: str = Field(description="what to buy")
        quantity: int = Field(ge=1)

    received: list[Order] = []

    @tool(input=Order, name="place_order", description="Places an order.")
    def place(order: Order) -> str:
        received.append(order)
        return f"ordered {order.quantity} {order.item}"

    codex_mock.enqueue(
        responses.function_call("place_order", {"item": "tea", "quantity": 0}, call_id="o1"),
        responses.function_call("place_order", {"item": "tea", "quantity": 2}, call_id="o2"),
        responses.text("done"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        codex.tools.register(place)
        codex.thread_start().run("buy")

    assert received == [Order(item="tea", quantity=2)]
    (spec,) = [s for s in codex_mock.response_requests[0].body["tools"] if s.get("name") == "place_order"]
    assert spec["parameters"]["properties"]["item"]["description"] == "what to buy"
    assert "greater than or equal to 1" in _outputs_by_call(codex_mock.response_requests[1])["o1"]
    assert _outputs_by_call(codex_mock.response_requests[2])["o2"] == "ordered 2 tea"


def test_thread_tools_are_offered_to_that_thread_only(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    @tool
    def shared() -> str:
        """Client-wide."""
        return "shared"

    @tool
    def private() -> str:
        """Thread-only."""
        return "private"

    codex_mock.enqueue(
        responses.function_call("private", {}, call_id="p"), responses.text("one"), responses.text("two")
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[shared]) as codex:  # type: ignore[arg-type]
        assert codex.thread_start(tools=[private]).run("a").final_response == "one"
        assert codex.thread_start().run("b").final_response == "two"
        with pytest.raises(ConfigurationError, match="clash"):
            codex.thread_start(tools=[shared])

    with_private, follow_up, without = codex_mock.response_requests
    assert {"shared", "private"} <= set(_offered_tools(with_private))
    assert _outputs_by_call(follow_up) == {"p": "private"}
    assert "shared" in _offered_tools(without)
    assert "private" not in _offered_tools(without)


def test_unregistered_tools_are_no_longer_offered_or_run(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    calls: list[str] = []

    def ping() -> str:
        """Pings."""
        calls.append("ping")
        return "pong"

    codex_mock.enqueue(
        responses.text("first"), responses.function_call("ping", {}, call_id="late"), responses.text("x")
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        handle = codex.tools.register(ping)
        thread = codex.thread_start()
        thread.run("one")
        codex.tools.unregister(handle)
        result = thread.run("two")  # the model still calls it: the thread declared it at start
        assert "ping" not in _offered_tools_of_new_thread(codex, codex_mock)

    assert calls == []
    assert _outputs_by_call(codex_mock.response_requests[2]) == {"late": "no tool named 'ping' is available"}
    (item,) = _tool_items(result.items)
    assert item.success is False


def _offered_tools_of_new_thread(codex: Codex, mock: MockResponsesServer) -> list[str]:
    mock.enqueue(responses.text("probe"))
    codex.thread_start().run("probe")
    return _offered_tools(mock.response_requests[-1])


def test_builtin_tool_names_cover_the_engine_tool_set(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    """Every tool the embedded engine offers by itself is a reserved name for Python tools."""
    from codex.tools import BUILTIN_TOOL_NAMES

    codex_client.thread_start().run("hi")
    offered = set(_offered_tools(codex_mock.response_requests[0]))
    assert offered, "the engine offered no tools"
    assert offered <= BUILTIN_TOOL_NAMES
    for name in offered:
        with pytest.raises(ConfigurationError, match="built-in"):
            Tool(name=name, description="x", input_model=BaseModel, function=lambda: None)


def test_registry_handles_are_unique_and_collisions_rejected() -> None:
    registry = ToolRegistry()

    def alpha() -> str:
        """A."""
        return "a"

    first = registry.register(alpha)
    with pytest.raises(ConfigurationError, match="already registered"):
        registry.register(alpha)
    registry.unregister(first)
    second = registry.register(alpha)
    assert first != second
    with pytest.raises(KeyError):
        registry.unregister(first)
    assert registry.names() == ["alpha"]
    with pytest.raises(ConfigurationError, match="built-in"):
        registry.register(tool(name="exec_command")(alpha))

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(ConfigurationError, match="type hint"):
        tool(untyped)


def test_a_tool_escaping_with_a_base_exception_still_fails_the_call(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    @tool
    def bail() -> str:
        """Exits."""
        raise SystemExit(3)

    codex_mock.enqueue(responses.function_call("bail", {}, call_id="b"), responses.text("still here"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), tools=[bail]) as codex:  # type: ignore[arg-type]
        result = codex.thread_start().run("go")
    assert result.final_response == "still here"
    (item,) = _tool_items(result.items)
    assert item.success is False
    assert _outputs_by_call(codex_mock.response_requests[1]) == {"b": "dynamic tool request failed"}


def test_a_resumed_thread_calls_the_new_clients_tools(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    """The engine stores a thread's tool declarations; a client with the same tool answers after resume."""
    home = outside_dir / "home"
    home.mkdir()
    calls: list[int] = []

    @tool
    def ping(n: int) -> str:
        """Pings."""
        calls.append(n)
        return f"pong {n}"

    kwargs = client_kwargs(codex_mock, codex_workspace, codex_home=str(home))
    codex_mock.enqueue(responses.text("first"))
    with Codex(**kwargs, tools=[ping]) as codex:  # type: ignore[arg-type]
        first = codex.thread_start()
        first.run("one")
        thread_id = first.id
    codex_mock.enqueue(responses.function_call("ping", {"n": 7}, call_id="p"), responses.text("done"))
    with Codex(**kwargs, tools=[ping]) as codex:  # type: ignore[arg-type]
        result = codex.thread_resume(thread_id).run("two")

    assert calls == [7]
    assert result.final_response == "done"
    assert "ping" in _offered_tools(codex_mock.response_requests[1])
    assert _outputs_by_call(codex_mock.response_requests[2]) == {"p": "pong 7"}


def test_bad_tools_arguments_are_configuration_errors(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    @tool
    def one() -> str:
        """One."""
        return "1"

    with pytest.raises(ConfigurationError, match="list of tools"):
        Codex(**client_kwargs(codex_mock, codex_workspace), tools=one)  # type: ignore[arg-type]
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="needs a function"):
            codex.thread_start(tools=["not a function"])  # type: ignore[list-item]
        with pytest.raises(ConfigurationError, match="already registered"):
            codex.thread_start(tools=[one, one])
        # The client stays usable.
        assert codex.thread_start(tools=[one]).run("hi").final_response == "Hello from the mock."
