"""Python tool calls through the dispatcher, on the fake engine (tests/fakes): no extension.

docs/tools-and-approvals.md promises: a call the model makes is validated and run off the
stream; whatever goes wrong (an unknown tool, invalid arguments, ``ToolError``, another
exception, a timeout) reaches the model as a failed call and the turn goes on. Tests here
drive ``item/tool/call`` requests through sync and async clients and read the answer the fake
engine received; a few drive ``ServerRequestDispatcher`` directly for what a turn cannot
arrange on demand (a closed client, an engine that can no longer take the answer).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from codex import AsyncCodex, Codex, ConfigurationError, Tool, ToolError, _dispatch, _engine, tool
from codex._dispatch import ServerRequestDispatcher, ThreadBinding
from codex.tools import ToolRegistry
from tests.fakes.fake_engine import Event, FakeEngine, ScriptedTurn
from tests.unit.conftest import FAKE_API_KEY

COMMAND = "item/commandExecution/requestApproval"
COMMAND_PARAMS: dict[str, Any] = {
    "threadId": "thread-x",
    "turnId": "turn-x",
    "itemId": "item-1",
    "startedAtMs": 1,
    "command": "make",
    "cwd": "/workspace",
}


def _calls(*calls: tuple[str, object]) -> Callable[[ScriptedTurn], list[Event]]:
    """A turn that calls these tools one after another, then answers."""

    def script(turn: ScriptedTurn) -> list[Event]:
        return [
            turn.started(),
            *(turn.tool_call(name, args) for name, args in calls),
            turn.agent_message("ok"),
            turn.completed(),
        ]

    return script


def _answers(fake: FakeEngine) -> list[tuple[bool, str]]:
    """(success, text) of each tool call answer, in the order the calls were made."""
    found = []
    for _request_id, answer in sorted(fake.answers.items()):
        (item,) = answer["contentItems"]
        assert item["type"] == "inputText"
        found.append((answer["success"], item["text"]))
    return found


@tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@tool
def refuse(ticket_id: str) -> str:
    """Looks a ticket up."""
    raise ToolError(f"{ticket_id} is not a ticket id")


@tool
def silent_refusal() -> str:
    """Fails without a word."""
    raise ToolError()


@tool
def crash(n: int) -> int:
    """Divides by zero."""
    return n // 0


class Order(BaseModel):
    item: str = Field(description="what to buy")
    quantity: int = Field(ge=1)


@tool(input=Order, name="place_order", description="Places an order.")
def place(order: Order) -> str:
    return f"ordered {order.quantity} {order.item}"


# -- results and failures reach the model ----------------------------------------------------


def test_every_kind_of_tool_failure_is_a_failed_call_and_the_turn_goes_on(
    fake_engine: FakeEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="codex")
    fake_engine.script_turn(
        _calls(
            ("add", {"a": 2, "b": 3}),
            ("add", {"a": 2, "b": "three"}),
            ("add", {"a": 2}),
            ("refuse", {"ticket_id": "X-1"}),
            ("silent_refusal", {}),
            ("crash", {"n": 1}),
            ("nope", {}),
        )
    )
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[add, refuse, silent_refusal, crash]) as client:
        assert client.thread_start().run("go").final_response == "ok"
    assert _answers(fake_engine) == [
        (True, "5"),
        (False, "invalid arguments for add: b: Input should be a valid integer, unable to parse string as an integer"),
        (False, "invalid arguments for add: b: Field required"),
        (False, "X-1 is not a ticket id"),
        (False, "silent_refusal failed"),
        (False, "crash raised ZeroDivisionError: integer division or modulo by zero"),
        (False, "no tool named 'nope' is available"),
    ]
    # Unexpected exceptions are logged with their traceback; a ToolError is the tool's own answer.
    crashed = [record for record in caplog.records if record.getMessage() == "tool crash raised"]
    assert len(crashed) == 1
    assert crashed[0].exc_info is not None
    assert not [record for record in caplog.records if record.getMessage().startswith("tool refuse")]
    assert "'nope', which is not a registered tool" in caplog.text


def test_a_tool_with_an_input_model_receives_it_whole_and_null_arguments_count_as_none(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    @tool
    def ping() -> str:
        """Answers pong."""
        return "pong"

    fake_engine.script_turn(
        _calls(
            ("place_order", {"item": "tea", "quantity": 2}),
            ("place_order", {"item": "tea", "quantity": 0}),
            ("ping", None),
        )
    )
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[place, ping]) as client:
        client.thread_start().run("order")
    assert _answers(fake_engine) == [
        (True, "ordered 2 tea"),
        (False, "invalid arguments for place_order: quantity: Input should be greater than or equal to 1"),
        (True, "pong"),
    ]
    (start,) = fake_engine.params_of("thread/start")
    (spec,) = [spec for spec in start["dynamicTools"] if spec["name"] == "place_order"]
    assert spec["description"] == "Places an order."
    assert spec["inputSchema"]["properties"]["item"]["description"] == "what to buy"
    assert spec["inputSchema"]["additionalProperties"] is False


def test_a_tool_slower_than_its_timeout_is_reported_as_failed(fake_engine: FakeEngine, tmp_path: Path) -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def slow() -> str:
        """Waits."""
        release.wait(10)
        return "too late"

    fake_engine.script_turn(_calls(("slow", {})))
    try:
        with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[slow]) as client:
            assert client.thread_start().run("wait").final_response == "ok"
    finally:
        release.set()
    assert _answers(fake_engine) == [(False, "slow did not finish within 0.05s")]


def test_a_tool_that_raises_a_base_exception_is_refused_with_an_error(fake_engine: FakeEngine, tmp_path: Path) -> None:
    @tool
    def leave() -> None:
        """Exits the interpreter."""
        raise SystemExit(3)

    fake_engine.script_turn(_calls(("leave", {})))
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[leave]) as client:
        assert client.thread_start().run("go").final_response == "ok"
    assert fake_engine.answers == {}
    assert list(fake_engine.failed_requests.values()) == [
        (_engine.DECLINED_CODE, "declined: the callback or tool did not return")
    ]


def test_tool_calls_never_reach_the_approval_callback(fake_engine: FakeEngine, tmp_path: Path) -> None:
    asked: list[object] = []

    def callback(request: object) -> Any:
        asked.append(request)
        raise AssertionError("tool calls are not approvals")

    fake_engine.script_turn(_calls(("add", {"a": 1, "b": 1})))
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[add], approval_callback=callback) as client:
        client.thread_start().run("go")
    assert asked == []
    assert _answers(fake_engine) == [(True, "2")]


# -- which tools a thread sees ----------------------------------------------------------------


def test_a_threads_own_tools_answer_only_for_that_thread(fake_engine: FakeEngine, tmp_path: Path) -> None:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[add]) as client:
        own = client.thread_start(tools=[refuse])
        other = client.thread_start()
        fake_engine.script_turn(_calls(("refuse", {"ticket_id": "A"}), ("add", {"a": 1, "b": 2})))
        own.run("go")
        fake_engine.script_turn(_calls(("refuse", {"ticket_id": "B"})))
        other.run("go")
    assert _answers(fake_engine) == [
        (False, "A is not a ticket id"),
        (True, "3"),
        (False, "no tool named 'refuse' is available"),
    ]
    own_start, other_start = fake_engine.params_of("thread/start")
    assert [spec["name"] for spec in own_start["dynamicTools"]] == ["add", "refuse"]
    assert [spec["name"] for spec in other_start["dynamicTools"]] == ["add"]


def test_a_fork_keeps_its_parents_own_tools(fake_engine: FakeEngine, tmp_path: Path) -> None:
    start = fake_engine.handlers["thread/start"]
    fake_engine.handlers["thread/fork"] = lambda params: start({})
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
        fork = client.thread_fork(client.thread_start(tools=[add]).id)
        fake_engine.script_turn(_calls(("add", {"a": 20, "b": 22})))
        fork.run("go")
    assert _answers(fake_engine) == [(True, "42")]


def test_an_unregistered_tool_stops_running_at_once(fake_engine: FakeEngine, tmp_path: Path) -> None:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
        handle = client.tools.register(add)
        thread = client.thread_start()
        client.tools.unregister(handle)
        fake_engine.script_turn(_calls(("add", {"a": 1, "b": 1})))
        thread.run("go")
        with pytest.raises(KeyError, match="is not registered here"):
            client.tools.unregister(handle)
    assert _answers(fake_engine) == [(False, "no tool named 'add' is available")]


def test_a_thread_tool_that_clashes_with_a_client_tool_is_refused(fake_engine: FakeEngine, tmp_path: Path) -> None:
    @tool(name="add")
    def other_add(a: int) -> int:
        """Another add."""
        return a

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=[add]) as client:
        with pytest.raises(ConfigurationError, match=r"clash with the client's tools: \['add'\]"):
            client.thread_start(tools=[other_add])
        assert client.thread_start().run("still usable").final_response == "done"


@pytest.mark.parametrize("given", [add, "add", {"add": add}, 42])
def test_tools_must_be_given_as_a_list(fake_engine: FakeEngine, tmp_path: Path, given: Any) -> None:
    with pytest.raises(ConfigurationError, match="tools= takes a list of tools"):
        Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=given)


# -- AsyncCodex -----------------------------------------------------------------------------


def _run_async(fake: FakeEngine, tmp_path: Path, tools: list[Tool], *calls: tuple[str, object]) -> None:
    async def main() -> None:
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), tools=tools) as client:
            thread = await client.thread_start()
            fake.script_turn(_calls(*calls))
            assert (await thread.run("go")).final_response == "ok"

    asyncio.run(main())


def test_an_async_client_runs_async_tools_on_its_loop_and_sync_ones_in_a_worker(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    where: dict[str, str] = {}

    @tool
    async def fetch(key: str) -> dict[str, str]:
        """Fetches."""
        asyncio.get_running_loop()  # raises outside a loop
        where["fetch"] = threading.current_thread().name
        return {"key": key}

    @tool
    def compute(n: int) -> int:
        """Computes."""
        where["compute"] = threading.current_thread().name
        return n * n

    _run_async(fake_engine, tmp_path, [fetch, compute], ("fetch", {"key": "k"}), ("compute", {"n": 7}))
    assert [(ok, json.loads(text)) for ok, text in _answers(fake_engine)] == [(True, {"key": "k"}), (True, 49)]
    assert where["fetch"] == threading.main_thread().name  # the loop asyncio.run drives
    assert where["compute"] != threading.main_thread().name


def test_an_async_client_reports_a_failing_or_slow_tool_as_failed(fake_engine: FakeEngine, tmp_path: Path) -> None:
    @tool(timeout=0.05)
    async def hang() -> str:
        """Never finishes in time."""
        await asyncio.sleep(30)
        return "late"

    @tool
    async def broken(n: int) -> int:
        """Raises."""
        raise RuntimeError(f"broken {n}")

    _run_async(
        fake_engine,
        tmp_path,
        [hang, broken, refuse],
        ("hang", {}),
        ("broken", {"n": 1}),
        ("refuse", {"ticket_id": "Q"}),
    )
    assert _answers(fake_engine) == [
        (False, "hang did not finish within 0.05s"),
        (False, "broken raised RuntimeError: broken 1"),
        (False, "Q is not a ticket id"),
    ]


# -- the dispatcher itself ------------------------------------------------------------------


class _GoneEngine(FakeEngine):
    """An engine whose turn ended before the answer: the engine layer raises its NativeError."""

    def respond(self, request_id: str, result_json: str) -> None:
        self.answers[request_id] = json.loads(result_json)
        raise _engine.NativeError("the request is no longer pending")

    def fail_request(self, request_id: str, code: int, message: str) -> None:
        self.failed_requests[request_id] = (code, message)
        raise _engine.NativeError("the request is no longer pending")


def test_an_answer_the_engine_no_longer_takes_is_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    engine = _GoneEngine()
    dispatcher = ServerRequestDispatcher()
    dispatcher.dispatch(engine, "thread-x", "currentTime/read", "time-1", {})
    dispatcher.dispatch(engine, "thread-x", COMMAND, "cmd-1", COMMAND_PARAMS)
    # Each was tried once, nothing was retried or raised, and the decline is still recorded.
    assert set(engine.answers) == {"time-1", "cmd-1"}
    assert engine.failed_requests == {}
    assert "could not answer currentTime/read" in caplog.text
    assert f"could not answer {COMMAND}" in caplog.text
    (resolved,) = dispatcher.drain_events("thread-x")
    assert resolved.method == "codex/approval/resolved"


def test_a_closed_dispatcher_declines_without_running_user_code() -> None:
    asked: list[object] = []
    engine = FakeEngine()
    dispatcher = ServerRequestDispatcher(approval_callback=asked.append)  # type: ignore[arg-type]
    dispatcher.close()
    dispatcher.dispatch(engine, "thread-x", COMMAND, "cmd-1", COMMAND_PARAMS)

    async def dispatch_on_a_loop() -> None:
        dispatcher.dispatch_async(engine, "thread-x", COMMAND, "cmd-2", COMMAND_PARAMS)
        await asyncio.gather(*asyncio.all_tasks() - {asyncio.current_task()})

    asyncio.run(dispatch_on_a_loop())
    assert asked == []
    assert engine.failed_requests == {
        "cmd-1": (_engine.DECLINED_CODE, "declined: the client is closing"),
        "cmd-2": (_engine.DECLINED_CODE, "declined: the client is closing"),
    }


def test_work_still_queued_when_the_client_closes_is_declined(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dispatch, "_POOL_WORKERS", 1)
    started, release = threading.Event(), threading.Event()
    asked: list[str] = []

    def callback(request: Any) -> Any:
        asked.append(request.item_id)
        started.set()
        release.wait(10)
        raise RuntimeError("the first one fails after the close")

    engine = FakeEngine()
    dispatcher = ServerRequestDispatcher(approval_callback=callback)
    dispatcher.dispatch(engine, "thread-x", COMMAND, "cmd-1", COMMAND_PARAMS)
    assert started.wait(10)
    dispatcher.dispatch(engine, "thread-x", COMMAND, "cmd-2", {**COMMAND_PARAMS, "itemId": "item-2"})
    dispatcher.close()  # cmd-2 waits behind cmd-1 on the one worker: cancelled
    release.set()
    assert engine.wait_for_answer("cmd-1") == {"decision": "decline"}
    assert engine.failed_requests == {"cmd-2": (_engine.DECLINED_CODE, "declined: the client is closing")}
    assert asked == ["item-1"]


def test_records_of_turns_nobody_reads_are_bounded() -> None:
    engine = FakeEngine()
    dispatcher = ServerRequestDispatcher()  # no callback: every request declined at once, and recorded
    for index in range(300):
        dispatcher.dispatch(engine, "thread-x", COMMAND, f"cmd-{index}", {**COMMAND_PARAMS, "itemId": f"item-{index}"})
    kept = dispatcher.drain_events("thread-x")
    assert len(kept) == 256
    assert [event.payload.item_id for event in (kept[0], kept[-1])] == ["item-44", "item-299"]  # type: ignore[union-attr]
    assert dispatcher.drain_events("thread-x") == []
    assert len(engine.answers) == 300


def test_thread_bindings_without_tools_or_callback_are_not_kept() -> None:
    dispatcher = ServerRequestDispatcher(tools=[add])
    registry = ToolRegistry([refuse])
    dispatcher.bind_thread("empty", ThreadBinding())
    dispatcher.bind_thread("own", ThreadBinding(tools=registry))
    dispatcher.inherit_binding("empty", "empty-fork")
    dispatcher.inherit_binding("own", "own-fork")
    assert dispatcher.find_tool("own-fork", "refuse") is refuse
    assert dispatcher.find_tool("own-fork", "add") is add
    assert dispatcher.find_tool("empty-fork", "refuse") is None
    assert dispatcher.thread_start_params(None) == {"dynamicTools": [add.spec()]}
    assert ServerRequestDispatcher().thread_start_params(None) == {}
