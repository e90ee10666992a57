"""A kind of thread item this SDK does not know stays in the turn's stream and result.

The embedded engine only sends kinds this SDK models, so the test plays a newer
engine: a real turn runs through the engine (a command is executed), and on its
way from the engine to the SDK's parser (the turn stream's own
``parse_notification_json``) each ``commandExecution`` item gets a new ``type``. The
rest of the path is the real one: parsing, the turn's collector, ``TurnResult``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from codex import Codex, Sandbox, TurnStatus, events
from codex.events import Notification, UnknownNotification, parse_notification_json
from codex.testing import MockResponsesServer, responses

NEW_KIND = "commandExecutionV2"


def _rename_command_items(params: dict[str, Any]) -> dict[str, Any]:
    renamed = copy.deepcopy(params)
    items = [renamed.get("item"), *renamed.get("turn", {}).get("items", [])]
    for item in items:
        if isinstance(item, dict) and item.get("type") == "commandExecution":
            item["type"] = NEW_KIND
    return renamed


def test_an_unknown_item_kind_is_kept_in_the_stream_and_the_turn_result(
    codex_mock: MockResponsesServer,
    codex_client: Codex,
    codex_workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[tuple[str, dict[str, Any], Notification]] = []

    def as_a_newer_engine(method: str, params_json: str | bytes) -> Notification:
        wire = _rename_command_items(json.loads(params_json))
        event = parse_notification_json(method, json.dumps(wire))
        received.append((method, wire, event))
        return event

    monkeypatch.setattr("codex.turns.parse_notification_json", as_a_newer_engine)
    codex_mock.enqueue(
        responses.exec_command("echo newer > newer.txt", login=False),
        responses.streamed_text(["kept ", "it"]),
    )
    result = codex_client.thread_start(sandbox=Sandbox.workspace_write).turn("run the command").run()

    assert result.status is TurnStatus.completed
    assert (codex_workspace / "newer.txt").read_text() == "newer\n"
    assert result.final_response == "kept it"
    assert not [method for method, _, event in received if isinstance(event.payload, UnknownNotification)]

    completed = [(wire, event) for method, wire, event in received if method == "item/completed"]
    new_kind = [(wire, event) for wire, event in completed if wire["item"]["type"] == NEW_KIND]
    assert len(new_kind) == 1, [wire["item"]["type"] for wire, _ in completed]
    wire, event = new_kind[0]
    # In the stream: still an item/completed notification, the item generic and whole.
    assert isinstance(event.payload, events.ItemCompletedNotification)
    item = event.payload.item.root
    assert isinstance(item, events.UnrecognizedThreadItem)
    assert item.to_dict() == wire["item"]
    assert event.payload.item.to_dict() == wire["item"]
    assert event.to_dict() == {"method": "item/completed", "params": wire}
    assert "echo newer" in str((item.model_extra or {})["command"])
    started = [event for method, wire, event in received if method == "item/started" and wire["item"]["id"] == item.id]
    assert len(started) == 1
    assert isinstance(started[0].payload, events.ItemStartedNotification)
    assert isinstance(started[0].payload.item.root, events.UnrecognizedThreadItem)

    # In the result: every completed item, in order, the new kind among them.
    assert [kept.to_dict() for kept in result.items] == [wire["item"] for wire, _ in completed]
    assert item.id in [kept.root.id for kept in result.items if isinstance(kept.root, events.UnrecognizedThreadItem)]
