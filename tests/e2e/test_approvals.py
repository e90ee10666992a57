"""Typed approval callbacks and policies deciding the engine's real approval requests."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from codex import ApprovalMode, AsyncCodex, Codex, ConfigurationError, Sandbox, TurnStatus, policies
from codex.approvals import (
    APPROVAL_RESOLVED_METHOD,
    Allow,
    ApprovalRequest,
    ApprovalResolved,
    CommandApprovalRequest,
    Decision,
    Deny,
    ElicitationRequest,
    FileChangeApprovalRequest,
    PermissionsApprovalRequest,
    UserInputRequest,
)
from codex.events import Notification
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs


def _escalated(command: str) -> responses.ScriptedResponse:
    """The model asks to run ``command`` outside the sandbox (an approval request under on-request)."""
    return responses.function_call(
        "exec_command",
        {"cmd": command, "sandbox_permissions": "require_escalated", "justification": "needs it"},
    )


def _resolved(events: Iterable[Notification]) -> list[ApprovalResolved]:
    return [
        event.payload
        for event in events
        if event.method == APPROVAL_RESOLVED_METHOD and isinstance(event.payload, ApprovalResolved)
    ]


def _only_output(mock: MockResponsesServer, index: int = 1) -> str:
    """The newest tool output in request ``index`` (earlier ones are history)."""
    return str(mock.response_requests[index].tool_outputs()[-1].get("output"))


def test_allowed_command_runs_and_the_callback_sees_a_typed_request(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "allowed.txt"
    seen: list[ApprovalRequest] = []

    def callback(request: ApprovalRequest) -> Decision:
        seen.append(request)
        return Allow()

    codex_mock.enqueue(_escalated(f"echo allowed > {target}"), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=callback) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(sandbox=Sandbox.workspace_write)
        handle = thread.turn("go")
        events = list(handle.stream())

    assert target.read_text() == "allowed\n"
    (request,) = seen
    assert isinstance(request, CommandApprovalRequest)
    assert request.script == f"echo allowed > {target}"
    assert request.cwd == str(codex_workspace)
    assert request.thread_id == thread.id
    assert request.reason == "needs it"
    (record,) = _resolved(events)
    assert record.allowed is True
    assert record.source == "callback"
    assert record.kind == "command"
    assert "exited with code 0" in _only_output(codex_mock).lower()


def test_denied_command_does_not_run_and_the_model_is_told(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "denied.txt"
    codex_mock.enqueue(_escalated(f"echo denied > {target}"), responses.text("understood"))
    with Codex(
        **client_kwargs(codex_mock, codex_workspace),  # type: ignore[arg-type]
        approval_callback=lambda request: Deny("not on a Friday"),
    ) as codex:
        handle = codex.thread_start(sandbox=Sandbox.workspace_write).turn("go")
        events = list(handle.stream())
        result = handle.run()

    assert not target.exists()
    assert result.status is TurnStatus.completed
    assert result.final_response == "understood"
    assert "rejected by user" in _only_output(codex_mock)
    (record,) = _resolved(events)
    assert (record.allowed, record.reason, record.source) == (False, "not on a Friday", "callback")


def test_untrusted_policy_asks_even_inside_the_workspace(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    """ApprovalMode.untrusted: every non-trusted command asks; a policy allows one, denies another."""
    allow_touch = policies.allow_commands(prefixes=["touch"])
    codex_mock.enqueue(
        responses.exec_command("touch yes.txt", login=False),
        responses.exec_command("touch no.txt && echo sneaky", login=False),
        responses.text("done"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=allow_touch) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(
            sandbox=Sandbox.workspace_write,
            approval_mode=ApprovalMode.untrusted,
        )
        handle = thread.turn("go")
        records = _resolved(handle.stream())

    assert (codex_workspace / "yes.txt").exists()
    assert not (codex_workspace / "no.txt").exists()
    assert [(r.allowed, r.source) for r in records] == [(True, "callback"), (False, "callback")]
    assert records[1].reason == "no policy allows this command request"
    assert "rejected by user" in _only_output(codex_mock, 2)


def test_file_change_outside_the_workspace_is_decided_by_the_callback(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    kinds: list[str] = []

    def callback(request: ApprovalRequest) -> Decision:
        kinds.append(type(request).__name__)
        if isinstance(request, FileChangeApprovalRequest) and len(kinds) == 1:
            return Allow()
        return Deny("second patch refused")

    codex_mock.enqueue(
        responses.apply_patch(responses.add_file_patch(str(outside_dir / "one.txt"), "one")),
        responses.apply_patch(responses.add_file_patch(str(outside_dir / "two.txt"), "two")),
        responses.text("patched"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=callback) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("patch")

    assert kinds == ["FileChangeApprovalRequest", "FileChangeApprovalRequest"]
    assert (outside_dir / "one.txt").read_text() == "one\n"
    assert not (outside_dir / "two.txt").exists()
    assert "rejected" in _only_output(codex_mock, 2)


def test_no_callback_declines_with_a_visible_event(
    codex_mock: MockResponsesServer, codex_client: Codex, outside_dir: Path
) -> None:
    target = outside_dir / "never.txt"
    codex_mock.enqueue(_escalated(f"echo x > {target}"), responses.text("ok"))
    events = list(codex_client.thread_start(sandbox=Sandbox.workspace_write).turn("go").stream())
    assert not target.exists()
    (record,) = _resolved(events)
    assert (record.allowed, record.source) == (False, "default")


@pytest.mark.parametrize(
    ("callback", "source"),
    [
        (lambda request: 1 / 0, "error"),
        (lambda request: "yes please", "invalid"),
        (lambda request: {"decision": "accept"}, "invalid"),
    ],
    ids=["raises", "returns-a-string", "returns-a-raw-dict"],
)
def test_a_broken_callback_declines_logs_and_reports(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    outside_dir: Path,
    caplog: pytest.LogCaptureFixture,
    callback: object,
    source: str,
) -> None:
    target = outside_dir / "never.txt"
    codex_mock.enqueue(_escalated(f"echo x > {target}"), responses.text("ok"))
    with (
        caplog.at_level(logging.WARNING, logger="codex"),
        Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=callback) as codex,  # type: ignore[arg-type]
    ):
        handle = codex.thread_start(sandbox=Sandbox.workspace_write).turn("go")
        events = list(handle.stream())
        assert handle.run().status is TurnStatus.completed
    assert not target.exists()
    (record,) = _resolved(events)
    assert (record.allowed, record.source) == (False, source)
    assert any("declining" in message for message in caplog.messages)


class _Escape(BaseException):
    """Neither an Exception nor one of the interpreter's own: still declined and recorded."""


@pytest.mark.parametrize("escape", [KeyboardInterrupt, SystemExit, _Escape], ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("form", ["callback", "async-callback", "handler"])
def test_a_callback_raising_a_base_exception_declines_and_records_it(
    codex_mock: MockResponsesServer,
    codex_workspace: Path,
    outside_dir: Path,
    escape: type[BaseException],
    form: str,
) -> None:
    target = outside_dir / "never.txt"

    def callback(request: ApprovalRequest) -> Decision:
        raise escape("stop")

    async def async_callback(request: ApprovalRequest) -> Decision:
        raise escape("stop")

    def handler(method: str, params: object) -> None:
        raise escape("stop")

    answerer = {"callback": callback, "async-callback": async_callback, "handler": handler}[form]
    option = "approval_handler" if form == "handler" else "approval_callback"
    codex_mock.enqueue(_escalated(f"echo x > {target}"), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), **{option: answerer}) as codex:  # type: ignore[arg-type]
        handle = codex.thread_start(sandbox=Sandbox.workspace_write).turn("go")
        events = list(handle.stream())
        assert handle.run().status is TurnStatus.completed
    assert not target.exists()
    (record,) = _resolved(events)
    assert (record.allowed, record.source, record.kind) == (False, "error", "command")
    assert record.reason is not None
    assert escape.__name__ in record.reason


@pytest.mark.parametrize("escape", [KeyboardInterrupt, SystemExit], ids=lambda kind: kind.__name__)
def test_an_async_clients_callback_raising_a_base_exception_declines_and_records_it(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path, escape: type[BaseException]
) -> None:
    target = outside_dir / "never.txt"

    async def in_the_loop(request: ApprovalRequest) -> Decision:
        raise escape("stop")

    def on_the_pool(request: ApprovalRequest) -> Decision:
        raise escape("stop")

    async def scenario() -> list[list[ApprovalResolved]]:
        records = []
        for callback in (in_the_loop, on_the_pool):
            codex_mock.enqueue(_escalated(f"echo x > {target}"), responses.text("ok"))
            kwargs = client_kwargs(codex_mock, codex_workspace)
            async with AsyncCodex(**kwargs, approval_callback=callback) as codex:  # type: ignore[arg-type]
                handle = await (await codex.thread_start(sandbox=Sandbox.workspace_write)).turn("go")
                records.append(_resolved([event async for event in handle.stream()]))
                assert (await handle.run()).status is TurnStatus.completed
        return records

    records = asyncio.run(scenario())
    assert not target.exists()
    assert [[(r.allowed, r.source) for r in found] for found in records] == [[(False, "error")], [(False, "error")]]


def test_slow_callback_times_out_and_is_declined(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "late.txt"
    release = threading.Event()

    def slow(request: ApprovalRequest) -> Decision:
        release.wait(10)
        return Allow()

    codex_mock.enqueue(_escalated(f"echo late > {target}"), responses.text("ok"))
    started = time.monotonic()
    try:
        with Codex(
            **client_kwargs(codex_mock, codex_workspace),  # type: ignore[arg-type]
            approval_callback=slow,
            approval_timeout=0.5,
        ) as codex:
            handle = codex.thread_start(sandbox=Sandbox.workspace_write).turn("go")
            events = list(handle.stream())
    finally:
        release.set()
    assert time.monotonic() - started < 8
    assert not target.exists()
    (record,) = _resolved(events)
    assert (record.allowed, record.source) == (False, "timeout")


def test_async_callbacks_on_both_clients_and_async_timeout(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    async def approve(request: ApprovalRequest) -> Decision:
        await asyncio.sleep(0.01)
        return Allow() if isinstance(request, CommandApprovalRequest) else Deny()

    async def never(request: ApprovalRequest) -> Decision:
        await asyncio.sleep(30)
        return Allow()

    codex_mock.enqueue(_escalated(f"echo sync > {outside_dir / 'sync.txt'}"), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=approve) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("go")

    async def scenario() -> list[ApprovalResolved]:
        codex_mock.enqueue(_escalated(f"echo async > {outside_dir / 'async.txt'}"), responses.text("ok"))
        codex_mock.enqueue(_escalated(f"echo never > {outside_dir / 'never.txt'}"), responses.text("ok"))
        kwargs = client_kwargs(codex_mock, codex_workspace)
        async with AsyncCodex(**kwargs, approval_callback=approve, approval_timeout=0.5) as codex:  # type: ignore[arg-type]
            await (await codex.thread_start(sandbox=Sandbox.workspace_write)).run("go")
            thread = await codex.thread_start(sandbox=Sandbox.workspace_write, approval_callback=never)
            handle = await thread.turn("go")
            return _resolved([event async for event in handle.stream()])

    started = time.monotonic()
    records = asyncio.run(scenario())
    assert time.monotonic() - started < 15
    assert (outside_dir / "sync.txt").read_text() == "sync\n"
    assert (outside_dir / "async.txt").read_text() == "async\n"
    assert not (outside_dir / "never.txt").exists()
    assert [(r.allowed, r.source) for r in records] == [(False, "timeout")]


def test_thread_callback_overrides_the_clients(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    codex_mock.enqueue(
        _escalated(f"echo a > {outside_dir / 'a.txt'}"),
        responses.text("ok"),
        _escalated(f"echo b > {outside_dir / 'b.txt'}"),
        responses.text("ok"),
    )
    with Codex(
        **client_kwargs(codex_mock, codex_workspace),  # type: ignore[arg-type]
        approval_callback=policies.deny_all("client says no"),
    ) as codex:
        codex.thread_start(sandbox=Sandbox.workspace_write).run("a")
        codex.thread_start(sandbox=Sandbox.workspace_write, approval_callback=policies.allow_all()).run("b")
    assert not (outside_dir / "a.txt").exists()
    assert (outside_dir / "b.txt").read_text() == "b\n"


def test_allow_for_session_stops_further_prompts(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    asked: list[str] = []

    def once(request: ApprovalRequest) -> Decision:
        asked.append(request.kind)
        return Allow(for_session=True)

    command = f"echo again >> {outside_dir / 'log.txt'}"
    codex_mock.enqueue(_escalated(command), _escalated(command), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=once) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("go")
    assert asked == ["command"]
    assert (outside_dir / "log.txt").read_text() == "again\nagain\n"


def test_raw_handler_and_typed_callback_are_exclusive(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Codex(
            **client_kwargs(codex_mock, codex_workspace),  # type: ignore[arg-type]
            approval_handler=lambda method, params: None,
            approval_callback=policies.allow_all(),
        )


def test_mcp_tool_approval_arrives_as_a_typed_elicitation(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    """The engine asks before an MCP tool call without a read-only hint: an ElicitationRequest."""
    from .test_mcp import _calls_seen, fixture_server

    log = tmp_path / "calls.log"
    asked: list[ElicitationRequest] = []

    def callback(request: ApprovalRequest) -> Decision:
        assert isinstance(request, ElicitationRequest)
        asked.append(request)
        return Allow(content={}) if len(asked) == 1 else Deny("once is enough")

    codex_mock.enqueue(
        responses.mcp_tool_call("fixture", "echo", {"text": "first"}),
        responses.text("ok"),
        responses.mcp_tool_call("fixture", "echo", {"text": "second"}),
        responses.text("ok"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=callback) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(mcp_servers=[fixture_server(log=log)])
        thread.run("one")
        events = list(thread.turn("two").stream())

    assert [request.server_name for request in asked] == ["fixture", "fixture"]
    assert asked[0].thread_id == thread.id
    assert asked[0].message
    assert _calls_seen(log) == ["echo"]
    (record,) = _resolved(events)
    assert (record.kind, record.allowed, record.reason) == ("mcp_elicitation", False, "once is enough")
    assert "rejected" in _only_output(codex_mock, 3)


def test_deny_with_cancel_interrupts_the_turn(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path
) -> None:
    target = outside_dir / "cancelled.txt"
    codex_mock.enqueue(_escalated(f"echo x > {target}"))
    with Codex(
        **client_kwargs(codex_mock, codex_workspace),  # type: ignore[arg-type]
        approval_callback=lambda request: Deny("stop everything", cancel=True),
    ) as codex:
        thread = codex.thread_start(sandbox=Sandbox.workspace_write)
        result = thread.run("go")
        assert result.status is TurnStatus.interrupted
        assert not target.exists()
        assert len(codex_mock.response_requests) == 1  # the model was not asked again
        codex_mock.enqueue(responses.text("still usable"))
        assert thread.run("again").final_response == "still usable"


def test_allow_with_an_execpolicy_amendment_stops_asking_for_that_prefix(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    asked: list[str] = []

    def amend(request: ApprovalRequest) -> Decision:
        assert isinstance(request, CommandApprovalRequest)
        asked.append(request.script)
        return Allow(execpolicy_amendment=["touch"])

    codex_mock.enqueue(
        responses.exec_command("touch first.txt", login=False),
        responses.exec_command("touch second.txt", login=False),
        responses.text("done"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=amend) as codex:  # type: ignore[arg-type]
        codex.thread_start(
            sandbox=Sandbox.workspace_write,
            approval_mode=ApprovalMode.untrusted,
        ).run("go")

    assert asked == ["touch first.txt"]
    assert (codex_workspace / "first.txt").exists()
    assert (codex_workspace / "second.txt").exists()


@pytest.mark.parametrize("allowed", [True, False], ids=["granted", "refused-by-deny_paths"])
def test_permission_requests_widen_the_sandbox_only_when_granted(
    codex_mock: MockResponsesServer, codex_workspace: Path, outside_dir: Path, allowed: bool
) -> None:
    """The model asks for write access (request_permissions); only a grant lets the write through."""
    asked: list[PermissionsApprovalRequest] = []
    decide = policies.allow_all() if allowed else policies.deny_paths([str(outside_dir)])

    def callback(request: ApprovalRequest) -> Decision:
        assert isinstance(request, PermissionsApprovalRequest)
        asked.append(request)
        return decide(request)

    codex_mock.enqueue(
        responses.function_call(
            "request_permissions",
            {"reason": "write results", "permissions": {"file_system": {"write": [str(outside_dir)]}}},
        ),
        responses.exec_command(f"echo hi > {outside_dir / 'r.txt'}", login=False),
        responses.text("ok"),
    )
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=callback) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(
            sandbox=Sandbox.workspace_write, config={"features": {"request_permissions_tool": True}}
        )
        thread.run("go")

    (request,) = asked
    assert request.reason == "write results"
    assert request.permissions["fileSystem"]["write"] == [str(outside_dir)]
    assert (outside_dir / "r.txt").exists() is allowed
    if not allowed:
        assert "read-only file system" in _only_output(codex_mock, 2).lower()


def test_user_input_requests_are_answered_by_the_callback(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    questions = {
        "questions": [
            {
                "id": "color",
                "header": "Color",
                "question": "Which color?",
                "options": [{"label": "Blue", "description": "calm"}, {"label": "Red", "description": "bold"}],
            }
        ]
    }
    asked: list[UserInputRequest] = []

    def answer(request: ApprovalRequest) -> Decision:
        assert isinstance(request, UserInputRequest)
        asked.append(request)
        if len(asked) == 1:
            second_option = {question.id: [(question.options or [])[1]["label"]] for question in request.questions}
            return Allow(answers=second_option)
        return Deny("no answers")

    codex_mock.enqueue(
        responses.function_call("request_user_input", questions, call_id="q1"),
        responses.text("red it is"),
        responses.function_call("request_user_input", questions, call_id="q2"),
        responses.text("fine"),
    )
    features = {"features": {"default_mode_request_user_input": True}}
    with Codex(**client_kwargs(codex_mock, codex_workspace), approval_callback=answer) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(config=features)
        assert thread.run("ask me").final_response == "red it is"
        thread.run("ask again")

    assert [question.question for question in asked[0].questions] == ["Which color?"]
    assert _only_output(codex_mock, 1) == '{"answers":{"color":{"answers":["Red"]}}}'
    assert _only_output(codex_mock, 3) == '{"answers":{}}'
