"""The fake engine speaks the wire shapes of the real one, and runs without the extension.

Its canned responses and scripted notifications are validated here with the generated
``codex.protocol`` models (the models every layer above parses with), so a fake that drifts
from the protocol fails here rather than letting unit tests pass against a wrong shape.
Its members are checked against the extension's stub, so the seam follows the extension.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codex import _engine, events
from codex.protocol import models
from tests.fakes.fake_engine import FakeEngine, FakeSubscription, ScriptedTurn

STUB = Path(_engine.__file__).with_name("_native.pyi")


def _stub_members(class_name: str) -> set[str]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    (found,) = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name]
    return {node.name for node in found.body if isinstance(node, ast.FunctionDef)}


def _protocol_members(protocol: type) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")}


@pytest.mark.parametrize(
    ("stub_class", "protocol", "fake"),
    [
        ("NativeEngine", _engine.NativeEngine, FakeEngine),
        ("NativeSubscription", _engine.NativeSubscription, FakeSubscription),
    ],
)
def test_the_seam_has_the_extensions_members_and_the_fake_has_the_seams(
    stub_class: str, protocol: type, fake: type
) -> None:
    # start/start_async are the starter, not members of a running engine.
    assert _protocol_members(protocol) == _stub_members(stub_class) - {"start", "start_async"}
    assert _protocol_members(protocol) <= set(dir(fake))


def test_importing_codex_does_not_load_the_extension() -> None:
    # In a fresh interpreter: this one may have loaded it for another test.
    code = "import sys, codex, codex.cli, codex.testing.pytest_plugin; print('codex._native' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _payload(event: tuple[bool, str, str | None, str]) -> events.Notification:
    _is_request, method, _id, params = event
    return events.parse_notification(method, json.loads(params))


def test_scripted_notifications_parse_as_their_typed_models() -> None:
    turn = ScriptedTurn("thread-1", "turn-1")
    expected = {
        turn.started(): events.TurnStartedNotification,
        turn.user_message("hi"): events.ItemCompletedNotification,
        turn.agent_message("hello", phase="final_answer"): events.ItemCompletedNotification,
        turn.delta("hel"): events.AgentMessageDeltaNotification,
        turn.token_usage(10, 5): events.ThreadTokenUsageUpdatedNotification,
        turn.completed(): events.TurnCompletedNotification,
        turn.failed("boom", "contextWindowExceeded"): events.TurnCompletedNotification,
    }
    for event, payload_type in expected.items():
        assert type(_payload(event).payload) is payload_type, event


def test_scripted_requests_validate_as_their_params() -> None:
    turn = ScriptedTurn("thread-1", "turn-1")
    _, _, request_id, params = turn.command_approval("ls")
    assert request_id is not None
    models.CommandExecutionRequestApprovalParams.model_validate_json(params)
    _, _, _, params = turn.tool_call("add", {"a": 1})
    models.DynamicToolCallParams.model_validate_json(params)


def test_canned_responses_validate_as_their_models(fake_engine: FakeEngine) -> None:
    started = json.loads(fake_engine.request("thread/start", json.dumps({"cwd": "/w", "model": "m"})))
    models.ThreadStartResponse.model_validate(started)
    thread_id = started["thread"]["id"]
    models.ThreadResumeResponse.model_validate_json(
        fake_engine.request("thread/resume", json.dumps({"threadId": thread_id}))
    )
    models.ThreadReadResponse.model_validate_json(
        fake_engine.request("thread/read", json.dumps({"threadId": thread_id}))
    )
    listed = models.ThreadListResponse.model_validate_json(fake_engine.request("thread/list", "{}"))
    assert [thread.id for thread in listed.data] == [thread_id]
    turn = json.loads(fake_engine.request("turn/start", json.dumps({"threadId": thread_id, "input": []})))
    models.TurnStartResponse.model_validate(turn)
    steer = {"threadId": thread_id, "expectedTurnId": turn["turn"]["id"], "input": []}
    models.TurnSteerResponse.model_validate_json(fake_engine.request("turn/steer", json.dumps(steer)))
