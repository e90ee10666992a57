"""A real turn's events all parse into the generated protocol models, losslessly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from codex import Codex, Sandbox, TurnStatus
from codex.events import (
    Notification,
    ThreadItem,
    UnknownNotification,
    parse_notification_json,
    parse_turn_text_delta,
)
from codex.protocol import SERVER_NOTIFICATION_PARAMS, THREAD_ITEM_TYPES, ProtocolModel
from codex.testing import MockResponsesServer, responses


def test_every_event_of_a_turn_is_typed_and_round_trips(
    codex_mock: MockResponsesServer,
    codex_client: Codex,
    codex_workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[tuple[str, dict[str, Any], Notification]] = []

    def recording_parse(method: str, params_json: str | bytes) -> Notification:
        wire = json.loads(params_json)
        event = parse_notification_json(method, params_json)
        received.append((method, wire, event))
        return event

    fast_path: list[str] = []

    def recording_text_delta(params_json: str | bytes, turn_id: str) -> Notification | None:
        event = parse_turn_text_delta(params_json, turn_id)
        if event is not None:
            received.append((event.method, json.loads(params_json), event))
            fast_path.append(event.method)
        return event

    monkeypatch.setattr("codex.turns.parse_notification_json", recording_parse)
    monkeypatch.setattr("codex.turns.parse_turn_text_delta", recording_text_delta)
    codex_mock.enqueue(
        responses.exec_command("echo typed > typed.txt && cat typed.txt", login=False),
        responses.apply_patch(responses.add_file_patch("patched.txt", "one\ntwo")),
        responses.streamed_text(["all ", "events ", "typed"]),
    )
    turn = codex_client.thread_start(sandbox=Sandbox.workspace_write).turn("use the tools")
    streamed = list(turn.stream())

    assert turn.run().status is TurnStatus.completed
    assert (codex_workspace / "patched.txt").read_text() == "one\ntwo\n"
    assert [event for _, _, event in received] == streamed
    # The text deltas after the first took the fast path (the first one cached its validator).
    assert set(fast_path) == {"item/agentMessage/delta"}
    methods = Counter(method for method, _, _ in received)
    assert {
        "turn/started",
        "item/started",
        "item/completed",
        "item/agentMessage/delta",
        "thread/tokenUsage/updated",
        "turn/diff/updated",
        "turn/completed",
    } <= methods.keys()
    item_types = {wire["item"]["type"] for method, wire, _ in received if method == "item/completed"}
    assert {"userMessage", "commandExecution", "fileChange", "agentMessage"} <= item_types

    for method, wire, event in received:
        payload = event.payload
        assert not isinstance(payload, UnknownNotification), (method, wire)
        assert isinstance(payload, ProtocolModel)
        assert isinstance(payload, SERVER_NOTIFICATION_PARAMS[method])
        # The exact wire JSON comes back, as a dict and as text.
        assert payload.to_dict() == wire, method
        assert json.loads(payload.to_json()) == wire
        assert event.to_dict() == {"method": method, "params": wire}
        item = getattr(payload, "item", None)
        if item is not None:
            # As in openai_codex: a ThreadItem root model around the concrete item.
            assert isinstance(item, ThreadItem)
            assert isinstance(item.root, THREAD_ITEM_TYPES[wire["item"]["type"]])
