"""A variant a newer engine adds to a tagged union (a new kind of thread item, say) is kept.

The notification carrying it stays typed, the variant parses as the union's
``Unrecognized...`` model with every field, and ``to_dict()`` gives back the
wire JSON. A turn's result keeps such an item among its items.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from codex import events
from codex.events import Notification, UnknownNotification, parse_notification, parse_thread_item
from codex.protocol import THREAD_ITEM_TYPES, adapter, model_named
from codex.turns import _Collector

NEW_ITEM = {
    "type": "somethingNew",
    "id": "item-9",
    "payload": {"nested": [1, {"deep": None}], "flag": True},
    "note": "a newer engine's item",
}


def _item_completed(item: dict[str, Any], turn_id: str = "turn-1") -> dict[str, Any]:
    return {"threadId": "thread-1", "turnId": turn_id, "completedAtMs": 1700, "item": item}


def test_an_unknown_item_kind_keeps_its_notification_typed_and_its_wire_json() -> None:
    wire = _item_completed(NEW_ITEM)
    event = parse_notification("item/completed", json.loads(json.dumps(wire)))

    assert isinstance(event.payload, events.ItemCompletedNotification)
    assert isinstance(event.payload.item, events.ThreadItem)
    item = event.payload.item.root
    assert isinstance(item, events.UnrecognizedThreadItem)
    assert (item.type, item.id) == ("somethingNew", "item-9")
    assert item.model_extra == {"payload": NEW_ITEM["payload"], "note": NEW_ITEM["note"]}
    assert item.to_dict() == NEW_ITEM
    assert event.payload.item.to_dict() == NEW_ITEM
    assert event.to_dict() == {"method": "item/completed", "params": wire}
    assert json.loads(event.to_json()) == {"method": "item/completed", "params": wire}


def test_item_started_and_a_turns_item_list_keep_unknown_kinds_too() -> None:
    started = {"threadId": "thread-1", "turnId": "turn-1", "startedAtMs": 5, "item": NEW_ITEM}
    event = parse_notification("item/started", started)
    assert isinstance(event.payload, events.ItemStartedNotification)
    assert isinstance(event.payload.item.root, events.UnrecognizedThreadItem)

    known = {"type": "agentMessage", "id": "a", "text": "hi"}
    turn = {"id": "turn-1", "status": "completed", "items": [known, NEW_ITEM]}
    completed = parse_notification("turn/completed", {"threadId": "thread-1", "turn": turn})
    assert isinstance(completed.payload, events.TurnCompletedNotification)
    first, second = completed.payload.turn.items
    assert isinstance(first.root, events.AgentMessageThreadItem)
    assert isinstance(second.root, events.UnrecognizedThreadItem)
    assert completed.to_dict()["params"]["turn"] == turn


def test_known_kinds_still_parse_as_their_own_models() -> None:
    items: list[dict[str, Any]] = [
        {"type": "agentMessage", "id": "a", "text": "hi"},
        {"type": "userMessage", "id": "u", "content": [{"type": "text", "text": "hello"}]},
    ]
    for item in items:
        event = parse_notification("item/completed", _item_completed(item))
        assert isinstance(event.payload, events.ItemCompletedNotification)
        assert type(event.payload.item.root) is THREAD_ITEM_TYPES[item["type"]]
        assert event.payload.item.to_dict() == item


def test_unknown_variants_nested_in_known_items_are_kept() -> None:
    # A command whose parsed action is of a new kind: the item stays a typed
    # commandExecution, the action becomes UnrecognizedCommandAction.
    action = {"type": "compile", "command": "make", "target": "all"}
    item = {
        "type": "commandExecution",
        "id": "c",
        "command": "make",
        "commandActions": [action],
        "cwd": "/tmp",
        "status": "completed",
    }
    event = parse_notification("item/completed", _item_completed(item))
    assert isinstance(event.payload, events.ItemCompletedNotification)
    command = event.payload.item.root
    assert isinstance(command, events.CommandExecutionThreadItem)
    assert command.command_actions is not None
    assert type(command.command_actions[0].root) is model_named("UnrecognizedCommandAction")
    assert command.to_dict() == item

    status = {"threadId": "thread-1", "status": {"type": "hibernating", "until": 99}}
    changed = parse_notification("thread/status/changed", status)
    assert isinstance(changed.payload, events.ThreadStatusChangedNotification)
    assert type(changed.payload.status.root) is model_named("UnrecognizedThreadStatus")
    assert changed.payload.to_dict() == status


def test_what_is_no_item_at_all_still_falls_back_to_the_raw_notification() -> None:
    # No ``type``: not an item of any kind, old or new. The event is kept raw.
    broken = _item_completed({"id": "x", "text": "no type"})
    event = parse_notification("item/completed", broken)
    assert isinstance(event.payload, UnknownNotification)
    assert event.to_dict() == {"method": "item/completed", "params": broken}
    assert parse_thread_item(broken["item"]) == broken["item"]
    parsed = parse_thread_item(NEW_ITEM)
    assert isinstance(parsed, events.ThreadItem)
    assert isinstance(parsed.root, events.UnrecognizedThreadItem)


def test_a_turn_result_keeps_an_item_of_an_unknown_kind() -> None:
    collector = _Collector("thread-1", "turn-1", None)
    answer = {"type": "agentMessage", "id": "a", "text": "done", "phase": "final_answer"}
    for item in (NEW_ITEM, answer):
        assert not collector.add(parse_notification("item/completed", _item_completed(item)))
    turn = {"id": "turn-1", "status": "completed", "items": []}
    assert collector.add(parse_notification("turn/completed", {"threadId": "thread-1", "turn": turn}))

    result = collector.result()
    assert [item.to_dict() for item in result.items] == [NEW_ITEM, answer]
    assert isinstance(result.items[0].root, events.UnrecognizedThreadItem)
    assert result.final_response == "done"


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, database=None)
@given(
    kind=st.text(min_size=1, max_size=20).filter(lambda kind: kind not in THREAD_ITEM_TYPES),
    item_id=st.text(max_size=10),
    extra=st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda key: key not in {"type", "id"}), JSON_VALUES),
)
def test_any_unknown_item_round_trips_exactly(kind: str, item_id: str, extra: dict[str, Any]) -> None:
    item = {"type": kind, "id": item_id, **extra}
    wire = _item_completed(item)
    event: Notification = parse_notification("item/completed", json.loads(json.dumps(wire)))
    assert isinstance(event.payload, events.ItemCompletedNotification)
    assert isinstance(event.payload.item.root, events.UnrecognizedThreadItem)
    assert json.loads(event.to_json()) == {"method": "item/completed", "params": wire}
    # Serialized, then parsed again: the same model.
    again = adapter(model_named("ItemCompletedNotification")).validate_python(event.payload.to_dict())
    assert again == event.payload
