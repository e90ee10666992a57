"""Events are decoded in one parse, with the result the two-step path gave.

The extension hands a notification's params over as JSON text. ``parse_notification_json``
validates that text directly; ``parse_notification(method, json.loads(text))`` is the
two-step path it replaces, and the reference here: for payloads generated from the engine's
schema, for error events (their provider text scrubbed) and for what does not fit (kept).
A turn's core routes by the turn id read from the model; it must route exactly as the dict
did (``_turn_id_of``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex import _logging, events
from codex.events import (
    AgentMessageDeltaNotification,
    ErrorNotification,
    Notification,
    TurnCompletedNotification,
    UnknownNotification,
    parse_notification,
    parse_notification_json,
)
from codex.protocol import SERVER_NOTIFICATION_PARAMS
from codex.turns import _Collector, _turn_id_of, _TurnCore

SAME_AS_TWO_STEP = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
KEY = "sk-proj-" + "Zy9x" * 8
DELTA = {"delta": "hi", "itemId": "msg_1", "threadId": "thread-1", "turnId": "turn-1"}


def _two_step(method: str, text: str | bytes) -> Notification:
    return parse_notification(method, json.loads(text))


def _assert_same(method: str, text: str | bytes) -> Notification:
    """The one-parse result equals the two-step one, down to the type and the wire JSON."""
    reference = _two_step(method, text)
    event = parse_notification_json(method, text)
    assert event == reference
    assert type(event.payload) is type(reference.payload)
    assert event.to_dict() == reference.to_dict()
    assert event.to_json() == reference.to_json()
    return event


def _wire_texts(value: Any) -> st.SearchStrategy[str | bytes]:
    """The params as the engine writes them (compact), spaced, and as bytes."""
    compact = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return st.sampled_from([compact, json.dumps(value, indent=1), compact.encode()])


# --------------------------------------------------------------------------- generated payloads


@pytest.mark.needs_native
@pytest.mark.parametrize("method", sorted(SERVER_NOTIFICATION_PARAMS))
def test_one_parse_equals_the_two_step_path(method: str) -> None:
    from .protocol_strategies import for_definition

    wire = for_definition(SERVER_NOTIFICATION_PARAMS[method].__name__).flatmap(_wire_texts)

    @SAME_AS_TWO_STEP
    @given(wire)
    def check(text: str | bytes) -> None:
        event = _assert_same(method, text)
        # Schema-shaped params fit their model: the one parse kept nothing raw.
        assert not isinstance(event.payload, UnknownNotification)

    check()


@pytest.mark.needs_native
@pytest.mark.parametrize("method", sorted(SERVER_NOTIFICATION_PARAMS))
def test_a_turn_routes_on_the_model_as_it_did_on_the_dict(method: str) -> None:
    from .protocol_strategies import for_definition

    @SAME_AS_TWO_STEP
    @given(for_definition(SERVER_NOTIFICATION_PARAMS[method].__name__), st.booleans())
    def check(params: Any, ours: bool) -> None:
        owner = _turn_id_of(params)
        turn_id = owner if ours and owner is not None else "another-turn"
        router = _Router()
        core = _TurnCore(_Collector("thread-1", turn_id, None))
        streamed = list(core.events(router, [(False, method, None, json.dumps(params))]))
        if owner == turn_id:
            assert streamed == [parse_notification(method, params)]
            assert router.notices == []
        else:
            assert streamed == []
            assert router.notices == [(method, params)]

    check()


# --------------------------------------------------------------------------- error text


@pytest.fixture
def plain_secret() -> str:
    secret = "gw-" + "5e" * 16  # no recognizable shape: known only as a registered secret
    _logging.register_secret(secret)
    return secret


def _failed_turn(secret: str) -> dict[str, Any]:
    return {
        "threadId": "thread-1",
        "turn": {
            "id": "turn-1",
            "items": [],
            "status": "failed",
            "error": {
                "message": f"unexpected status 401: Incorrect API key provided: {KEY}",
                "additionalDetails": f"Authorization: Bearer {secret}",
                "codexErrorInfo": {"httpConnectionFailed": {"httpStatusCode": 401}},
            },
        },
    }


def test_a_failed_turns_error_is_scrubbed(plain_secret: str) -> None:
    text = json.dumps(_failed_turn(plain_secret))
    event = _assert_same("turn/completed", text)
    assert isinstance(event.payload, TurnCompletedNotification)
    error = event.payload.turn.error
    assert error is not None
    assert error.message == "unexpected status 401: Incorrect API key provided: [REDACTED]"
    for shown in (event.to_json(), repr(event)):
        assert KEY not in shown
        assert plain_secret not in shown


def test_an_error_event_is_scrubbed(plain_secret: str) -> None:
    params = {
        "threadId": "thread-1",
        "turnId": "turn-1",
        "willRetry": True,
        "error": {"message": f"stream error, key {KEY}", "additionalDetails": plain_secret, "codexErrorInfo": None},
    }
    event = _assert_same("error", json.dumps(params).encode())
    assert isinstance(event.payload, ErrorNotification)
    assert KEY not in event.to_json()
    assert plain_secret not in event.to_json()


def test_error_text_is_scrubbed_on_a_turns_stream(plain_secret: str) -> None:
    router = _Router()
    core = _TurnCore(_Collector("thread-1", "turn-1", None))
    [event] = core.events(router, [(False, "turn/completed", None, json.dumps(_failed_turn(plain_secret)))])
    assert core.completed
    assert KEY not in event.to_json()
    assert plain_secret not in event.to_json()


def test_a_turn_completed_without_error_is_unchanged() -> None:
    params = {"threadId": "t", "turn": {"id": "u", "items": [], "status": "completed", "error": None}}
    event = _assert_same("turn/completed", json.dumps(params))
    assert isinstance(event.payload, TurnCompletedNotification)
    assert event.to_dict() == {"method": "turn/completed", "params": params}


# --------------------------------------------------------------------------- what does not fit


@pytest.mark.parametrize(
    ("method", "text"),
    [
        pytest.param("brand/new", '{"anything":[1,2]}', id="unknown-method"),
        pytest.param("item/agentMessage/delta", '{"threadId":"t","turnId":"u"}', id="missing-fields"),
        pytest.param("item/agentMessage/delta", '{"threadId":"t","turnId":"u","itemId":"i","delta":5}', id="bad-type"),
        pytest.param("turn/completed", '{"threadId":"t","turn":{"id":"u","error":"text"}}', id="bad-error"),
        pytest.param("item/agentMessage/delta", "[1,2]", id="not-an-object"),
    ],
)
def test_what_does_not_fit_is_kept_raw(method: str, text: str) -> None:
    event = _assert_same(method, text)
    assert isinstance(event.payload, UnknownNotification)
    assert event.payload.params == json.loads(text)
    assert event.to_dict() == {"method": method, "params": json.loads(text)}


def test_text_the_json_parser_refuses_takes_the_two_step_path() -> None:
    # A lone surrogate escape: Python's json module decodes it, pydantic's parser does not.
    text = '{"delta":"\\ud800x","itemId":"i","threadId":"t","turnId":"u"}'
    event = _assert_same("item/agentMessage/delta", text)
    assert isinstance(event.payload, AgentMessageDeltaNotification)
    assert event.payload.delta == "\ud800x"


def test_a_new_item_kind_stays_typed() -> None:
    params = {"threadId": "t", "turnId": "u", "completedAtMs": 1, "item": {"type": "brandNew", "id": "x", "n": 1}}
    event = _assert_same("item/completed", json.dumps(params))
    assert event.to_dict()["params"] == params


def test_fields_no_model_declares_are_kept() -> None:
    params = {**DELTA, "newerField": {"nested": [1, None]}}
    event = _assert_same("item/agentMessage/delta", json.dumps(params))
    assert isinstance(event.payload, AgentMessageDeltaNotification)
    assert event.payload.model_extra == {"newerField": {"nested": [1, None]}}


# --------------------------------------------------------------------------- routing


class _Router:
    """Records what a turn's core hands back to its session."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, Any]] = []
        self.dispatched: list[tuple[str, str, str, str, Any]] = []

    def dispatch(self, thread_id: str, turn_id: str, method: str, request_id: str, params: Any) -> None:
        self.dispatched.append((thread_id, turn_id, method, request_id, params))

    def sdk_events(self, thread_id: str) -> list[Notification]:
        return []

    def note_thread_notice(self, method: str, params: Any) -> None:
        self.notices.append((method, params))


@pytest.mark.parametrize(
    ("method", "params", "ours"),
    [
        pytest.param("item/agentMessage/delta", DELTA, True, id="delta"),
        pytest.param("item/agentMessage/delta", {**DELTA, "turnId": "turn-0"}, False, id="another-turns-delta"),
        pytest.param("thread/status/changed", {"threadId": "thread-1", "status": {"type": "idle"}}, False, id="thread"),
        pytest.param("thread/status/changed", {"threadId": "thread-1", "status": {}, "turnId": "turn-1"}, True, id="x"),
        pytest.param("turn/started", {"threadId": "thread-1", "turn": {"id": "turn-1", "items": []}}, True, id="turn"),
        pytest.param(
            "turn/started", {"threadId": "t", "turn": {"id": "turn-0", "items": []}, "turnId": "turn-1"}, True, id="y"
        ),
        pytest.param("hook/started", {"threadId": "thread-1", "turnId": None, "run": {}}, False, id="optional-turn"),
        pytest.param("brand/new", {"turnId": "turn-1"}, True, id="unknown-method"),
        pytest.param("brand/new", {"turn": {"id": "turn-0"}}, False, id="unknown-method-other-turn"),
        pytest.param("item/agentMessage/delta", {"turnId": "turn-1"}, True, id="unfit-payload"),
        pytest.param("item/agentMessage/delta", {"turn": {"id": "turn-1"}}, True, id="unfit-payload-turn"),
    ],
)
def test_a_turn_keeps_its_own_notifications_and_files_the_rest(method: str, params: Any, ours: bool) -> None:
    assert (_turn_id_of(params) == "turn-1") is ours  # the reference routing agrees with the case
    router = _Router()
    core = _TurnCore(_Collector("thread-1", "turn-1", None))
    streamed = list(core.events(router, [(False, method, None, json.dumps(params))]))
    assert streamed == ([parse_notification(method, params)] if ours else [])
    assert router.notices == ([] if ours else [(method, params)])


def test_server_requests_are_dispatched_with_their_params() -> None:
    router = _Router()
    core = _TurnCore(_Collector("thread-1", "turn-1", None))
    request = {"threadId": "thread-1", "turnId": "turn-1", "callId": "c", "tool": "t", "arguments": {}}
    batch: list[tuple[bool, str, str | None, str | bytes]] = [
        (True, "item/tool/call", "7", json.dumps(request)),
        (True, "item/tool/call", None, json.dumps(request).encode()),
        (False, "item/agentMessage/delta", None, json.dumps(DELTA)),
    ]
    streamed = list(core.events(router, batch))
    assert [event.method for event in streamed] == ["item/agentMessage/delta"]
    assert router.dispatched == [
        ("thread-1", "turn-1", "item/tool/call", "7", request),
        ("thread-1", "turn-1", "item/tool/call", "null", request),
    ]


def test_the_text_delta_fast_path_leaves_to_the_general_path_what_it_cannot_take(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wire = {"threadId": "t", "turnId": "u", "itemId": "i", "delta": "hi"}
    text = json.dumps(wire)
    monkeypatch.setattr(events, "_JSON_VALIDATORS", {})
    assert events.parse_turn_text_delta(text, "u") is None  # no validator cached yet
    general = events.parse_notification_json(events.AGENT_MESSAGE_DELTA, text)  # caches it
    fast = events.parse_turn_text_delta(text, "u")
    assert fast == general
    assert fast is not None
    assert fast.to_dict() == {"method": "item/agentMessage/delta", "params": wire}
    assert events.parse_turn_text_delta(text, "another turn") is None
    assert events.parse_turn_text_delta(json.dumps({"threadId": "t", "turnId": "u"}), "u") is None
    assert events.parse_turn_text_delta("not json", "u") is None
