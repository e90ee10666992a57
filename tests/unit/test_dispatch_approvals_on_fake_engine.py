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
from pathlib import Path
from typing import Any

import pytest

from codex import (
    Allow,
    ApprovalRequest,
    Codex,
    ConfigurationError,
    Deny,
    ElicitationRequest,
    UserInputRequest,
)
from codex._engine import DECLINED_CODE
from codex.approvals import UnknownRequest
from tests.fakes.fake_engine import FakeEngine
from tests.unit.approval_scripts import (
    ACCEPTED_FORM,
    AMENDED,
    ATTESTATION,
    AUTH_REFRESH,
    COMMAND,
    ELICITATION,
    FILE_CHANGE,
    NOT_JSON,
    PARAMS,
    PERMISSIONS,
    TOKENS,
    USER_INPUT,
    one_request,
    only_reply,
    resolved,
    run_one,
)
from tests.unit.conftest import FAKE_API_KEY

# -- fail closed ----------------------------------------------------------------------------


@pytest.mark.parametrize("raised", [RuntimeError("boom"), KeyboardInterrupt("boom"), SystemExit("boom")])
def test_a_callback_that_raises_declines_and_the_stream_records_the_error(
    fake_engine: FakeEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture, raised: BaseException
) -> None:
    def callback(request: ApprovalRequest) -> Allow:
        raise raised

    caplog.set_level(logging.WARNING, logger="codex")
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = run_one(client, fake_engine, COMMAND)
        assert client.thread_start().run("the client is still usable").final_response == "done"
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = resolved(payloads)
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
        payloads = run_one(client, fake_engine, FILE_CHANGE)
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = resolved(payloads)
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
            payloads = run_one(client, fake_engine, COMMAND)
    finally:
        release.set()
    assert asked.is_set()
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = resolved(payloads)
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
        payloads = run_one(client, fake_engine, USER_INPUT)
    (request,) = seen
    assert isinstance(request, UserInputRequest)
    assert [question.id for question in request.questions] == ["color"]
    # A user-input request has no "decline" answer: it is refused with a JSON-RPC error.
    assert only_reply(fake_engine) == (
        "error",
        (DECLINED_CODE, "declined: Allow() for a user_input request needs more data"),
    )
    (record,) = resolved(payloads)
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
            (record,) = resolved(run_one(client, fake_engine, method))
            assert only_reply(fake_engine) == reply, method
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
        payloads = run_one(client, fake_engine, method)
    assert [type(request).method for request in seen] == [method]
    assert only_reply(fake_engine) == reply
    (record,) = resolved(payloads)
    assert (record.allowed, record.source) == (isinstance(decision, Allow), "callback")
    assert record.reason == (decision.reason if isinstance(decision, Deny) else None)


def test_an_elicitation_reaches_the_callback_typed(fake_engine: FakeEngine, tmp_path: Path) -> None:
    seen: list[ApprovalRequest] = []

    def callback(request: ApprovalRequest) -> Deny:
        seen.append(request)
        return Deny()

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        thread = client.thread_start()
        fake_engine.script_turn(one_request(ELICITATION, **PARAMS[ELICITATION]))
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
        payloads = run_one(client, fake_engine, method)
    assert only_reply(fake_engine) == reply
    assert f"answer to {method} is not JSON" in caplog.text
    # The record tells what the engine got, not what the callback meant.
    ((allowed, source, reason),) = [(r.allowed, r.source, r.reason) for r in resolved(payloads)]
    assert (allowed, source, reason) == (False, "invalid", "the answer was not JSON")


def test_an_unknown_request_kind_is_declined_without_asking_the_callback(
    fake_engine: FakeEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[ApprovalRequest] = []
    caplog.set_level(logging.WARNING, logger="codex")

    def callback(request: ApprovalRequest) -> Allow:
        asked.append(request)
        return Allow()

    fake_engine.script_turn(one_request("item/somethingNew/requestApproval", itemId="item-new", detail=1))
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        payloads = [event.payload for event in client.thread_start().turn("go").stream()]
    assert asked == []
    assert only_reply(fake_engine) == ("error", (DECLINED_CODE, "declined: unsupported request kind"))
    (record,) = resolved(payloads)
    assert (record.kind, record.allowed, record.source) == ("unknown", False, "unsupported")
    assert record.request_method == "item/somethingNew/requestApproval"
    assert "does not know that kind of request" in caplog.text


def test_a_known_request_with_malformed_params_is_treated_as_unknown_and_declined(
    fake_engine: FakeEngine, tmp_path: Path
) -> None:
    asked: list[ApprovalRequest] = []
    fake_engine.script_turn(one_request(COMMAND, itemId="item-bad", command=["not", "a", "string"]))
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=asked.append) as client:  # type: ignore[arg-type]
        payloads = [event.payload for event in client.thread_start().turn("go").stream()]
    assert asked == []
    # Refused with a JSON-RPC error, which the engine takes as a denial: never an accept.
    assert only_reply(fake_engine) == ("error", (DECLINED_CODE, "declined: unsupported request kind"))
    (record,) = resolved(payloads)
    assert (record.kind, record.source) == (UnknownRequest.kind, "unsupported")


def test_the_current_time_is_answered_by_the_sdk_without_the_callback(fake_engine: FakeEngine, tmp_path: Path) -> None:
    asked: list[ApprovalRequest] = []
    fake_engine.script_turn(one_request("currentTime/read"))
    before = int(time.time())
    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=asked.append) as client:  # type: ignore[arg-type]
        payloads = [event.payload for event in client.thread_start().turn("what time is it").stream()]
    kind, answer = only_reply(fake_engine)
    assert kind == "answer"
    assert isinstance(answer, dict)
    assert before <= answer["currentTimeAt"] <= int(time.time())
    assert asked == []
    assert resolved(payloads) == []  # not an approval: nothing recorded


# -- who decides ------------------------------------------------------------------------------


def test_an_async_callback_decides_for_a_sync_client(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def callback(request: ApprovalRequest) -> Allow:
        await asyncio.sleep(0)
        return Allow(for_session=True)

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        run_one(client, fake_engine, COMMAND)
    assert only_reply(fake_engine) == ("answer", {"decision": "acceptForSession"})


def test_a_threads_callback_replaces_the_clients_for_that_thread_only(fake_engine: FakeEngine, tmp_path: Path) -> None:
    def client_callback(request: ApprovalRequest) -> Deny:
        return Deny("client says no")

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=client_callback) as client:
        own = resolved(run_one(client, fake_engine, COMMAND, approval_callback=lambda request: Allow()))
        inherited = resolved(run_one(client, fake_engine, COMMAND))
    assert sorted(fake_engine.answers.values(), key=str) == [{"decision": "accept"}, {"decision": "decline"}]
    assert [(record.allowed, record.reason) for record in own + inherited] == [(True, None), (False, "client says no")]


def test_a_callback_runs_off_the_thread_that_reads_the_stream(fake_engine: FakeEngine, tmp_path: Path) -> None:
    ran_on: list[str] = []

    def callback(request: ApprovalRequest) -> Allow:
        ran_on.append(threading.current_thread().name)
        return Allow()

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_callback=callback) as client:
        run_one(client, fake_engine, COMMAND)
    (name,) = ran_on
    assert name.startswith("codex-callback")
    assert name != threading.current_thread().name


def test_a_fork_is_answered_by_its_parents_callback(fake_engine: FakeEngine, tmp_path: Path) -> None:
    start = fake_engine.handlers["thread/start"]
    fake_engine.handlers["thread/fork"] = lambda params: start({})  # a new thread, as thread/start's response

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path)) as client:
        parent = client.thread_start(approval_callback=lambda request: Allow())
        fork = client.thread_fork(parent.id)
        fake_engine.script_turn(one_request(COMMAND, **PARAMS[COMMAND]))
        fork.run("go")
        unrelated = client.thread_start()
        fake_engine.script_turn(one_request(COMMAND, **PARAMS[COMMAND]))
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
        payloads = run_one(client, fake_engine, method)
    ((wire_method, params),) = calls
    assert wire_method == method
    assert {key: params[key] for key in PARAMS[method]} == PARAMS[method]  # the wire params, camelCase
    assert only_reply(fake_engine) == ("answer", answer)
    (record,) = resolved(payloads)
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
        payloads = run_one(client, fake_engine, COMMAND)
    assert only_reply(fake_engine) == ("answer", {"decision": "decline"})
    (record,) = resolved(payloads)
    assert (record.allowed, record.source, record.reason) == (False, source, reason)


def test_a_raw_handler_that_raises_declines(fake_engine: FakeEngine, tmp_path: Path) -> None:
    def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise LookupError("no such rule")

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler) as client:
        payloads = run_one(client, fake_engine, ELICITATION)
    assert only_reply(fake_engine) == ("answer", {"action": "decline", "content": None, "_meta": None})
    (record,) = resolved(payloads)
    assert (record.source, record.reason) == ("error", "the approval handler raised LookupError")


def test_an_async_raw_handler_answers_for_a_sync_client(fake_engine: FakeEngine, tmp_path: Path) -> None:
    async def handler(method: str, params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"decision": "acceptForSession"}

    with Codex(api_key=FAKE_API_KEY, cwd=str(tmp_path), approval_handler=handler) as client:
        run_one(client, fake_engine, COMMAND)
    assert only_reply(fake_engine) == ("answer", {"decision": "acceptForSession"})
