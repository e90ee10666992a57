"""Every generated protocol model round-trips the wire JSON exactly.

Values come from the engine's own schema (see protocol_strategies), for every
server notification, server request (params and response), client request
response and thread item: parsing then serializing gives back the same JSON, and
serializing then parsing gives back an equal model. Objects also carry a field no
model declares, which must survive.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex.events import (
    AgentMessageDeltaNotification,
    ItemCompletedNotification,
    UnknownNotification,
    parse_notification,
)
from codex.protocol import (
    CLIENT_REQUEST_RESPONSES,
    SERVER_NOTIFICATION_PARAMS,
    SERVER_REQUEST_PARAMS,
    SERVER_REQUEST_RESPONSES,
    THREAD_ITEM_TYPES,
    ProtocolModel,
    ProtocolRootModel,
    ProtocolType,
    adapter,
)

from .protocol_strategies import for_definition, for_thread_item

ROUND_TRIP = settings(
    max_examples=25,
    deadline=None,
    database=None,
    # Wire values are large, nested objects by nature.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def _cases() -> list[Any]:
    cases = []
    for table_name, table in (
        ("notification", SERVER_NOTIFICATION_PARAMS),
        ("server-request", SERVER_REQUEST_PARAMS),
        ("server-request-response", SERVER_REQUEST_RESPONSES),
        ("client-request-response", CLIENT_REQUEST_RESPONSES),
    ):
        for method, protocol_type in sorted(table.items()):
            wire = for_definition(protocol_type.__name__)
            cases.append(pytest.param(protocol_type, wire, id=f"{table_name}:{method}"))
    for item_type, protocol_type in sorted(THREAD_ITEM_TYPES.items()):
        cases.append(pytest.param(protocol_type, for_thread_item(item_type), id=f"item:{item_type}"))
    return cases


@pytest.mark.parametrize(("protocol_type", "wire"), _cases())
def test_wire_json_round_trips(protocol_type: ProtocolType, wire: st.SearchStrategy[Any]) -> None:
    validator = adapter(protocol_type)

    @ROUND_TRIP
    @given(wire)
    def check(value: Any) -> None:
        parsed = validator.validate_python(value)
        # A union (an elicitation request's params, say) is a root model, as in openai_codex.
        assert isinstance(parsed, ProtocolModel | ProtocolRootModel)
        # serialize(parse(json)) == json, unknown fields included
        assert parsed.to_dict() == value
        assert json.loads(parsed.to_json()) == value
        # parse(serialize(x)) == x
        assert validator.validate_python(parsed.to_dict()) == parsed
        assert validator.validate_json(parsed.to_json()) == parsed

    check()


def test_registries_cover_the_protocol() -> None:
    # Guards the parametrization above against an empty or truncated registry.
    assert len(SERVER_NOTIFICATION_PARAMS) >= 60
    assert len(SERVER_REQUEST_PARAMS) == len(SERVER_REQUEST_RESPONSES) >= 10
    assert {"item/agentMessage/delta", "turn/completed", "item/completed"} <= SERVER_NOTIFICATION_PARAMS.keys()
    assert {"agentMessage", "commandExecution", "fileChange", "dynamicToolCall"} <= THREAD_ITEM_TYPES.keys()
    assert "thread/start" in CLIENT_REQUEST_RESPONSES


def test_unknown_fields_are_kept_at_any_depth() -> None:
    wire = {
        "threadId": "t",
        "turnId": "u",
        "completedAtMs": 5,
        "futureTopLevel": [1, {"a": None}],
        "item": {"type": "agentMessage", "id": "i", "text": "hi", "futureNested": {"x": 1}},
    }
    parsed = adapter(SERVER_NOTIFICATION_PARAMS["item/completed"]).validate_python(wire)
    assert parsed.model_extra == {"futureTopLevel": [1, {"a": None}]}
    assert parsed.to_dict() == wire
    assert json.loads(parsed.to_json()) == wire


def test_what_a_newer_engine_sends_is_kept_untouched() -> None:
    new_method = {"anything": [1, 2]}
    event = parse_notification("brand/new", new_method)
    assert isinstance(event.payload, UnknownNotification)
    assert event.to_dict() == {"method": "brand/new", "params": new_method}
    # A new kind of item inside a known notification keeps the notification typed
    # (tests/unit/test_unrecognized_variants.py covers it in depth).
    new_item = {"threadId": "t", "turnId": "u", "completedAtMs": 1, "item": {"type": "brandNew", "id": "x"}}
    event = parse_notification("item/completed", new_item)
    assert isinstance(event.payload, ItemCompletedNotification)
    assert event.to_dict() == {"method": "item/completed", "params": new_item}
    known = parse_notification("item/agentMessage/delta", {"threadId": "t", "turnId": "u", "itemId": "i", "delta": "d"})
    assert isinstance(known.payload, AgentMessageDeltaNotification)
    assert known.payload.delta == "d"
