"""Approval requests through the dispatcher, on the fake engine (tests/fakes): no extension.

What is pinned here is codex/_dispatch.py's side of docs/tools-and-approvals.md: every request
is answered exactly once, in the engine's own wire shape for its kind; approvals fail closed
(no callback, a callback that raises, returns garbage, is too slow, or allows without the data
the request needs: declined); the raw ``approval_handler`` form; the ``ApprovalResolved`` record
in the stream; and the sync (pool thread) and async (task) runners. tests/e2e proves the same
through the real engine.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from codex import (
    Allow,
    ApprovalRequest,
    ApprovalResolved,
    AsyncCodex,
    Codex,
    ConfigurationError,
    Deny,
    ElicitationRequest,
    UserInputRequest,
)
from codex._engine import DECLINED_CODE
from codex.approvals import UnknownRequest
from codex.errors import TransportClosedError
from tests.fakes.fake_engine import Event, FakeEngine, ScriptedTurn
from tests.unit.conftest import FAKE_API_KEY

COMMAND = "item/commandExecution/requestApproval"
FILE_CHANGE = "item/fileChange/requestApproval"
PERMISSIONS = "item/permissions/requestApproval"
USER_INPUT = "item/tool/requestUserInput"
ELICITATION = "mcpServer/elicitation/request"
AUTH_REFRESH = "account/chatgptAuthTokens/refresh"
ATTESTATION = "attestation/generate"
STARTED_MS = 1_700_000_000_000

#: Params of each kind, as the engine sends them (threadId/turnId are added by ScriptedTurn.request).
PARAMS: dict[str, dict[str, Any]] = {
    COMMAND: {"itemId": "item-cmd", "startedAtMs": STARTED_MS, "command": "make clean", "cwd": "/workspace"},
    FILE_CHANGE: {"itemId": "item-patch", "startedAtMs": STARTED_MS, "reason": "outside the root", "grantRoot": "/src"},
    PERMISSIONS: {
        "itemId": "item-perm",
        "startedAtMs": STARTED_MS,
        "cwd": "/workspace",
        "reason": "needs the network",
        "permissions": {"network": {"enabled": True}},
    },
    USER_INPUT: {
        "itemId": "item-ask",
        "startedAtMs": STARTED_MS,
        "questions": [{"id": "color", "header": "Color", "question": "Which color?", "isOther": False}],
    },
    ELICITATION: {
        "serverName": "docs",
        "mode": "openai/form",
        "message": "Your name?",
        "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
    AUTH_REFRESH: {"reason": "unauthorized", "previousAccountId": "acct-1"},
    ATTESTATION: {},
}


AMENDED = {"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["make", "clean"]}}}
ACCEPTED_FORM = {"action": "accept", "content": {"name": "Ada"}, "_meta": None}
#: Passes the type checks of Allow(...), fails json.dumps.
NOT_JSON: Any = [object()]
TOKENS = {"accessToken": "tok", "chatgptAccountId": "acct-1"}


def _one_request(method: str, **params: Any) -> Callable[[ScriptedTurn], list[Event]]:
    """A turn that sends one server request and goes on (held by the fake) once it is answered."""

    def script(turn: ScriptedTurn) -> list[Event]:
        return [turn.started(), turn.request(method, **params), turn.agent_message("after"), turn.completed()]

    return script


def _resolved(payloads: Sequence[object]) -> list[ApprovalResolved]:
    return [payload for payload in payloads if isinstance(payload, ApprovalResolved)]


def _run_one(client: Codex, fake: FakeEngine, method: str, **thread_options: Any) -> list[object]:
    """Runs a turn with one ``method`` request on a new thread; the stream's payloads."""
    fake.script_turn(_one_request(method, **PARAMS[method]))
    turn = client.thread_start(**thread_options).turn("go")
    return [event.payload for event in turn.stream()]


def _only_reply(fake: FakeEngine) -> tuple[str, dict[str, Any] | tuple[int, str]]:
    """The one request the fake saw answered: ("answer", result) or ("error", (code, message))."""
    replies: list[tuple[str, Any]] = [("answer", answer) for answer in fake.answers.values()]
    replies += [("error", failure) for failure in fake.failed_requests.values()]
    assert len(replies) == 1, f"expected exactly one reply, got {replies}"
    return replies[0]


# -- fail closed ----------------------------------------------------------------------------


@pytest.mark.parametrize("raised", [RuntimeError("boom"), KeyboardInterrupt("boom"), SystemExit("boom")])
def test_a_callback_that_raises_declines_and_the_stream_records_the_error(
    fake_engine: FakeEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture, raised: BaseException
) -> None:
    def callback(request: ApprovalRequest) -> Allow:
        raise raised

    caplog.set_level(logging.WARNING, logger="codex")
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = _run_one(client, fake_engine, COMMAND)
        assert client.thread_start().run("the client is still usable").final_response == "done"
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = _resolved(payloads)
    assert (record.kind, record.allowed, record.source) == ("command", False, "error")
    assert record.reason == f"the approval callback raised {type(raised).__name__}: boom"
    assert (record.item_id, record.request_method) == ("item-cmd", COMMAND)
    assert "approval callback raised" in caplog.text


@pytest.mark.parametrize("garbage", [True, "accept", None, {"decision": "accept"}, Allow])
def test_a_callback_returning_something_other_than_allow_or_deny_declines(
    fake_engine: FakeEngine, tmp_path: Path, garbage: object
) -> None:
    def callback(request: ApprovalRequest) -> Any:
        return garbage

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = _run_one(client, fake_engine, FILE_CHANGE)
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = _resolved(payloads)
    assert (record.kind, record.allowed, record.source) == ("file_change", False, "invalid")
    assert record.reason == f"the callback returned {type(garbage).__name__}, not Allow/Deny"


def test_a_callback_slower_than_the_approval_timeout_is_declined(fake_engine: FakeEngine, tmp_path: Path) -> None:
    release = threading.Event()
    asked = threading.Event()

    def slow(request: ApprovalRequest) -> Allow:
        asked.set()
        release.wait(10)
        return Allow()

    try:
        with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=slow, approval_timeout=0.05) as client:
            payloads = _run_one(client, fake_engine, COMMAND)
    finally:
        release.set()
    assert asked.is_set()
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = _resolved(payloads)
    assert (record.allowed, record.source) == (False, "timeout")
    assert record.reason == "the approval callback did not answer within 0.05s"


def test_allow_without_the_answers_a_user_input_request_needs_is_declined(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    seen: list[ApprovalRequest] = []

    def callback(request: ApprovalRequest) -> Allow:
        seen.append(request)
        return Allow()

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = _run_one(client, fake_engine, USER_INPUT)
    (request,) = seen
    assert isinstance(request, UserInputRequest)
    assert [question.id for question in request.questions] == ["color"]
    # A user-input request has no "decline" answer: it is refused with a JSON-RPC error.
    assert _only_reply(fake_engine) == (
        "error",
        (DECLINED_CODE, "declined: Allow() for a user_input request needs more data"),
    )
    (record,) = _resolved(payloads)
    assert (record.kind, record.allowed, record.source) == ("user_input", False, "invalid")


def test_without_a_callback_every_kind_is_declined_in_its_own_wire_shape(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    expected: dict[str, tuple[str, Any]] = {
        COMMAND: ("answer", {"decision": "decline"}),
        FILE_CHANGE: ("answer", {"decision": "decline"}),
        PERMISSIONS: ("answer", {"permissions": {}, "scope": "turn"}),
        ELICITATION: ("answer", {"action": "decline", "content": None, "_meta": None}),
        USER_INPUT: ("error", (DECLINED_CODE, "declined: no approval callback is configured")),
        AUTH_REFRESH: ("error", (DECLINED_CODE, "declined: no approval callback is configured")),
    }
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
        for method, reply in expected.items():
            fake_engine.answers.clear()
            fake_engine.failed_requests.clear()
            (record,) = _resolved(_run_one(client, fake_engine, method))
            assert _only_reply(fake_engine) == reply, method
            assert (record.allowed, record.source, record.request_method) == (False, "default", method)


# -- decisions in the engine's wire shapes ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "decision", "reply"),
    [
        (COMMAND, Allow(execpolicy_amendment=["make", "clean"]), ("answer", AMENDED)),
        (COMMAND, Deny(cancel=True), ("answer", {"decision": "cancel"})),
        (FILE_CHANGE, Allow(for_session=True), ("answer", {"decision": "acceptForSession"})),
        (FILE_CHANGE, Allow(), ("answer", {"decision": "accept"})),
        (PERMISSIONS, Allow(), ("answer", {"permissions": {"network": {"enabled": True}}, "scope": "turn"})),
        (PERMISSIONS, Allow(permissions={}, for_session=True), ("answer", {"permissions": {}, "scope": "session"})),
        (USER_INPUT, Allow(answers={"color": ["blue"]}), ("answer", {"answers": {"color": {"answers": ["blue"]}}})),
        (ELICITATION, Allow(content={"name": "Ada"}), ("answer", ACCEPTED_FORM)),
        (ELICITATION, Deny(cancel=True), ("answer", {"action": "cancel", "content": None, "_meta": None})),
        (AUTH_REFRESH, Allow(result=TOKENS), ("answer", TOKENS)),
        (ATTESTATION, Allow(result={"token": "attested"}), ("answer", {"token": "attested"})),
        (ATTESTATION, Deny("no attestation here"), ("error", (DECLINED_CODE, "declined: no attestation here"))),
    ],
)  # fmt: skip
def test_the_callbacks_decision_is_sent_in_the_wire_shape_of_the_request_kind(
    fake_engine: FakeEngine, tmp_path: Path, method: str, decision: Allow | Deny, reply: tuple[str, Any]
) -> None:
    seen: list[ApprovalRequest] = []

    def callback(request: ApprovalRequest) -> Allow | Deny:
        seen.append(request)
        return decision

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = _run_one(client, fake_engine, method)
    assert [type(request).method for request in seen] == [method]
    assert _only_reply(fake_engine) == reply
    (record,) = _resolved(payloads)
    assert (record.allowed, record.source) == (isinstance(decision, Allow), "callback")
    assert record.reason == (decision.reason if isinstance(decision, Deny) else None)


def test_an_elicitation_reaches_the_callback_typed(fake_engine: FakeEngine, tmp_path: Path) -> None:
    seen: list[ApprovalRequest] = []

    def callback(request: ApprovalRequest) -> Deny:
        seen.append(request)
        return Deny()

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        thread = client.thread_start()
        fake_engine.script_turn(_one_request(ELICITATION, **PARAMS[ELICITATION]))
        thread.run("ask me")
    (request,) = seen
    assert isinstance(request, ElicitationRequest)
    assert (request.server_name, request.mode, request.message) == ("docs", "openai/form", "Your name?")
    assert request.thread_id == thread.id


@pytest.mark.parametrize(
    ("method", "decision", "reply"),
    [
        # The command kind has a "decline" answer; an elicitation is refused with an error.
        (COMMAND, Allow(execpolicy_amendment=NOT_JSON), ("answer", {"decision": "decline"})),
        (ELICITATION, Allow(content={"when": NOT_JSON}), ("error", (DECLINED_CODE, "the answer was not JSON"))),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_json_is_replaced_by_a_decline(
    fake_engine: FakeEngine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    method: str,
    decision: Allow,
    reply: tuple[str, Any],
) -> None:
    caplog.set_level(logging.WARNING, logger="codex")
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=lambda request: decision) as client:
        payloads = _run_one(client, fake_engine, method)
    assert _only_reply(fake_engine) == reply
    assert f"answer to {method} is not JSON" in caplog.text
    # The record tells what the engine got, not what the callback meant.
    ((allowed, source, reason),) = [(r.allowed, r.source, r.reason) for r in _resolved(payloads)]
    assert (allowed, source, reason) == (False, "invalid", "the answer was not JSON")


def test_an_unknown_request_kind_is_declined_without_asking_the_callback(
    fake_engine: FakeEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[ApprovalRequest] = []
    caplog.set_level(logging.WARNING, logger="codex")

    def callback(request: ApprovalRequest) -> Allow:
        asked.append(request)
        return Allow()

    fake_engine.script_turn(_one_request("item/somethingNew/requestApproval", itemId="item-new", detail=1))
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = [event.payload for event in client.thread_start().turn("go").stream()]
    assert asked == []
    assert _only_reply(fake_engine) == ("error", (DECLINED_CODE, "declined: unsupported request kind"))
    (record,) = _resolved(payloads)
    assert (record.kind, record.allowed, record.source) == ("unknown", False, "unsupported")
    assert record.request_method == "item/somethingNew/requestApproval"
    assert "does not know that kind of request" in caplog.text


def test_a_known_request_with_malformed_params_is_treated_as_unknown_and_declined(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    asked: list[ApprovalRequest] = []
    fake_engine.script_turn(_one_request(COMMAND, itemId="item-bad", command=["not", "a", "string"]))
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=asked.append) as client:  # type: ignore[arg-type]
        payloads = [event.payload for event in client.thread_start().turn("go").stream()]
    assert asked == []
    # Refused with a JSON-RPC error, which the engine takes as a denial: never an accept.
    assert _only_reply(fake_engine) == ("error", (DECLINED_CODE, "declined: unsupported request kind"))
    (record,) = _resolved(payloads)
    assert (record.kind, record.source) == (UnknownRequest.kind, "unsupported")


def test_the_current_time_is_answered_by_the_sdk_without_the_callback(fake_engine: FakeEngine, tmp_path: Path) -> None:
    asked: list[ApprovalRequest] = []
    fake_engine.script_turn(_one_request("currentTime/read"))
    before = int(time.time())
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=asked.append) as client:  # type: ignore[arg-type]
        payloads = [event.payload for event in client.thread_start().turn("what time is it").stream()]
    kind, answer = _only_reply(fake_engine)
    assert kind == "answer"
    assert isinstance(answer, dict)
    assert before <= answer["currentTimeAt"] <= int(time.time())
    assert asked == []
    assert _resolved(payloads) == []  # not an approval: nothing recorded


# -- who decides ------------------------------------------------------------------------------


def test_an_async_callback_decides_for_a_sync_client(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def callback(request: ApprovalRequest) -> Allow:
        await asyncio.sleep(0)
        return Allow(for_session=True)

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        _run_one(client, fake_engine, COMMAND)
    assert _only_reply(fake_engine) == ("answer", {"decision": "acceptForSession"})


def test_a_threads_callback_replaces_the_clients_for_that_thread_only(fake_engine: FakeEngine, tmp_path: Path) -> None:
    def client_callback(request: ApprovalRequest) -> Deny:
        return Deny("client says no")

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=client_callback) as client:
        own = _resolved(_run_one(client, fake_engine, COMMAND, approval_callback=lambda request: Allow()))
        inherited = _resolved(_run_one(client, fake_engine, COMMAND))
    assert sorted(fake_engine.answers.values(), key=str) == [{"decision": "accept"}, {"decision": "decline"}]
    assert [(record.allowed, record.reason) for record in own + inherited] == [(True, None), (False, "client says no")]


def test_a_callback_runs_off_the_thread_that_reads_the_stream(fake_engine: FakeEngine, tmp_path: Path) -> None:
    ran_on: list[str] = []

    def callback(request: ApprovalRequest) -> Allow:
        ran_on.append(threading.current_thread().name)
        return Allow()

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        _run_one(client, fake_engine, COMMAND)
    (name,) = ran_on
    assert name.startswith("codex-callback")
    assert name != threading.current_thread().name


def test_a_fork_is_answered_by_its_parents_callback(fake_engine: FakeEngine, tmp_path: Path) -> None:
    start = fake_engine.handlers["thread/start"]
    fake_engine.handlers["thread/fork"] = lambda params: start({})  # a new thread, as thread/start's response

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
        parent = client.thread_start(approval_callback=lambda request: Allow())
        fork = client.thread_fork(parent.id)
        fake_engine.script_turn(_one_request(COMMAND, **PARAMS[COMMAND]))
        fork.run("go")
        unrelated = client.thread_start()
        fake_engine.script_turn(_one_request(COMMAND, **PARAMS[COMMAND]))
        unrelated.run("go")
    assert fork.id not in (parent.id, unrelated.id)
    assert sorted(fake_engine.answers.values(), key=str) == [{"decision": "accept"}, {"decision": "decline"}]


# -- configuration ----------------------------------------------------------------------------


def test_a_callback_and_a_handler_together_are_a_configuration_error(fake_engine: FakeEngine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Codex(
            api_key=FAKE_API_KEY,
            cwd=str(tmp_path),
            approval_callback=lambda request: Allow(),
            approval_handler=lambda method, params: None,
        )


@pytest.mark.parametrize("name", ["approval_callback", "approval_handler"])
def test_a_callback_that_is_not_callable_is_a_configuration_error(
    fake_engine: FakeEngine, tmp_path: Path, name: str
) -> None:
    options: dict[str, Any] = {name: "allow everything"}
    with pytest.raises(ConfigurationError, match=f"{name}= must be callable"):
        Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), **options)


def test_a_threads_callback_that_is_not_callable_is_refused_and_the_client_stays_usable(fake_codex: Codex) -> None:
    with pytest.raises(ConfigurationError, match="approval_callback= must be callable"):
        fake_codex.thread_start(approval_callback=Allow())  # type: ignore[arg-type]
    assert fake_codex.thread_start().run("hi").final_response == "done"


def test_a_negative_approval_timeout_is_a_configuration_error(fake_engine: FakeEngine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="approval_timeout"):
        Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_timeout=-1)


# -- the raw approval_handler -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "answer", "allowed"),
    [
        (COMMAND, {"decision": "accept"}, True),
        (COMMAND, {"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["make"]}}}, True),
        (COMMAND, {"decision": "decline"}, False),
        (PERMISSIONS, {"permissions": {"network": {"enabled": True}}, "scope": "turn"}, True),
        (PERMISSIONS, {"permissions": {}, "scope": "turn"}, False),
        (ELICITATION, {"action": "accept", "content": {"name": "Ada"}, "_meta": None}, True),
        (USER_INPUT, {"answers": {"color": {"answers": ["red"]}}}, True),
        (ATTESTATION, {"token": "attested"}, True),
    ],
)
def test_the_raw_handlers_answer_is_sent_as_given_and_recorded(
    fake_engine: FakeEngine, tmp_path: Path, method: str, answer: dict[str, Any], allowed: bool
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def handler(wire_method: str, params: dict[str, Any]) -> dict[str, Any]:
        calls.append((wire_method, params))
        return answer

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler) as client:
        payloads = _run_one(client, fake_engine, method)
    ((wire_method, params),) = calls
    assert wire_method == method
    assert {key: params[key] for key in PARAMS[method]} == PARAMS[method]  # the wire params, camelCase
    assert _only_reply(fake_engine) == ("answer", answer)
    (record,) = _resolved(payloads)
    assert (record.allowed, record.source, record.reason) == (allowed, "handler", None)


@pytest.mark.parametrize(
    ("returned", "source", "reason"),
    [
        (None, "handler", "declined by the approval handler"),
        ("accept", "invalid", "the approval handler returned no valid answer"),
        ({"decision": {1, 2}}, "invalid", "the approval handler returned no valid answer"),
    ],
)
def test_a_raw_handler_that_returns_none_or_garbage_declines(
    fake_engine: FakeEngine, tmp_path: Path, returned: object, source: str, reason: str
) -> None:
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=lambda method, params: returned) as client:  # type: ignore[arg-type, return-value]
        payloads = _run_one(client, fake_engine, COMMAND)
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = _resolved(payloads)
    assert (record.allowed, record.source, record.reason) == (False, source, reason)


def test_a_raw_handler_that_raises_declines(fake_engine: FakeEngine, tmp_path: Path) -> None:
    def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise LookupError("no such rule")

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler) as client:
        payloads = _run_one(client, fake_engine, ELICITATION)
    assert _only_reply(fake_engine) == ("answer", {"action": "decline", "content": None, "_meta": None})
    (record,) = _resolved(payloads)
    assert (record.source, record.reason) == ("error", "the approval handler raised LookupError")


def test_an_async_raw_handler_answers_for_a_sync_client(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"decision": "acceptForSession"}

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler) as client:
        _run_one(client, fake_engine, COMMAND)
    assert _only_reply(fake_engine) == ("answer", {"decision": "acceptForSession"})


# -- AsyncCodex: user code in a task of the running loop ----------------------------------------


async def _run_one_async(client: AsyncCodex, fake: FakeEngine, method: str) -> list[object]:
    fake.script_turn(_one_request(method, **PARAMS[method]))
    thread = await client.thread_start()
    turn = await thread.turn("go")
    return [event.payload async for event in turn.stream()]


def _run_async_client(fake: FakeEngine, tmp_path: Path, method: str, **options: Any) -> list[object]:
    async def main() -> list[object]:
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), **options) as client:
            return await _run_one_async(client, fake, method)

    return asyncio.run(main())


def test_an_async_client_awaits_an_async_callback_on_its_own_loop(fake_engine: FakeEngine, tmp_path: Path) -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    client_loop: list[asyncio.AbstractEventLoop] = []

    async def callback(request: ApprovalRequest) -> Allow:
        loops.append(asyncio.get_running_loop())
        return Allow()

    async def main() -> list[object]:
        client_loop.append(asyncio.get_running_loop())
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
            return await _run_one_async(client, fake_engine, FILE_CHANGE)

    (record,) = _resolved(asyncio.run(main()))
    assert loops == client_loop
    assert _only_reply(fake_engine) == ("answer", {"decision": "accept"})
    assert (record.allowed, record.source) == (True, "callback")


def test_an_async_client_runs_a_sync_callback_in_a_worker_thread(fake_engine: FakeEngine, tmp_path: Path) -> None:
    ran_on: list[str] = []

    def callback(request: ApprovalRequest) -> Deny:
        ran_on.append(threading.current_thread().name)
        return Deny("not today")

    (record,) = _resolved(_run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=callback))
    assert [name.startswith("codex-callback") for name in ran_on] == [True]
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.allowed, record.reason) == (False, "not today")


def test_an_async_client_awaits_what_a_sync_callback_returns_when_it_is_awaitable(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    async def decide() -> Allow:
        return Allow(for_session=True)

    def callback(request: ApprovalRequest) -> Awaitable[Allow]:
        return decide()

    _run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=callback)
    assert _only_reply(fake_engine) == ("answer", {"decision": "acceptForSession"})


@pytest.mark.parametrize("is_async", [False, True])
def test_an_async_client_declines_when_the_callback_raises(
    fake_engine: FakeEngine, tmp_path: Path, is_async: bool
) -> None:
    def sync_callback(request: ApprovalRequest) -> Allow:
        raise ValueError("bad rule")

    async def async_callback(request: ApprovalRequest) -> Allow:
        raise ValueError("bad rule")

    callback = async_callback if is_async else sync_callback
    (record,) = _resolved(_run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=callback))
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.source, record.reason) == ("error", "the approval callback raised ValueError: bad rule")


def test_an_async_client_declines_a_callback_slower_than_the_timeout(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def slow(request: ApprovalRequest) -> Allow:
        await asyncio.sleep(30)  # cancelled by the timeout
        return Allow()

    payloads = _run_async_client(fake_engine, tmp_path, COMMAND, approval_callback=slow, approval_timeout=0.05)
    (record,) = _resolved(payloads)
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.allowed, record.source) == (False, "timeout")


@pytest.mark.parametrize("kind", ["sync", "async", "sync returning an awaitable"])
def test_an_async_client_sends_the_raw_handlers_answer(fake_engine: FakeEngine, tmp_path: Path, kind: str) -> None:
    answer = {"decision": "accept"}

    async def async_handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        return answer

    def sync_handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        return answer

    def deferred_handler(method: str, params: dict[str, Any]) -> Awaitable[dict[str, Any]]:
        return async_handler(method, params)

    handler = {"sync": sync_handler, "async": async_handler, "sync returning an awaitable": deferred_handler}[kind]
    (record,) = _resolved(_run_async_client(fake_engine, tmp_path, COMMAND, approval_handler=handler))
    assert _only_reply(fake_engine) == ("answer", answer)
    assert (record.allowed, record.source) == (True, "handler")


def test_an_async_client_declines_when_the_raw_handler_raises(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise PermissionError("nope")

    (record,) = _resolved(_run_async_client(fake_engine, tmp_path, FILE_CHANGE, approval_handler=handler))
    assert _only_reply(fake_engine) == ("answer", {"decision": "decline"})
    assert (record.source, record.reason) == ("error", "the approval handler raised PermissionError")


def test_an_async_client_answers_the_current_time_and_declines_without_a_callback(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    def script(turn: ScriptedTurn) -> list[Event]:
        return [
            turn.started(),
            turn.request("currentTime/read"),
            turn.request(COMMAND, **PARAMS[COMMAND]),
            turn.completed(),
        ]

    async def main() -> list[object]:
        async with AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
            fake_engine.script_turn(script)
            turn = await (await client.thread_start()).turn("go")
            return [event.payload async for event in turn.stream()]

    (record,) = _resolved(asyncio.run(main()))
    time_answer, command_answer = fake_engine.answers.values()
    assert set(time_answer) == {"currentTimeAt"}
    assert command_answer == {"decision": "decline"}
    assert (record.request_method, record.source) == (COMMAND, "default")


def test_closing_an_async_client_cancels_a_raw_handler_still_deciding(fake_engine: FakeEngine, tmp_path: Path) -> None:
    cancelled: list[bool] = []

    async def main() -> None:
        deciding = asyncio.Event()

        async def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
            deciding.set()
            try:
                await asyncio.Event().wait()  # never decides
            except asyncio.CancelledError:
                cancelled.append(True)
                raise
            return {"decision": "accept"}

        client = AsyncCodex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler)
        fake_engine.script_turn(_one_request(COMMAND, **PARAMS[COMMAND]))
        turn = await (await client.thread_start()).turn("go")

        async def consume() -> None:
            async for _event in turn.stream():
                pass

        reader = asyncio.create_task(consume())
        await deciding.wait()
        await client.close()
        with pytest.raises(TransportClosedError):
            await reader

    asyncio.run(main())
    assert cancelled == [True]
    assert fake_engine.answers == {}
    assert fake_engine.failed_requests == {}  # the engine declines what it still has queued


def test_without_a_time_limit_a_slow_callback_is_waited_for(fake_engine: FakeEngine, tmp_path: Path) -> None:
    with Codex(
        api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=lambda request: Allow(), approval_timeout=None
    ) as client:
        _run_one(client, fake_engine, COMMAND)
    assert _only_reply(fake_engine) == ("answer", {"decision": "accept"})
