"""``codex.testing.MockResponsesServer`` spoken to over WebSocket, as the engine's OpenAI provider does.

A Responses WebSocket client opens ``ws://.../responses`` (its headers ride on the handshake),
sends ``{"type": "response.create", ...}`` text messages, and gets every stream event of the
answer back as one JSON text message. These drive the mock with the ``websockets`` client
library, and with its sans-I/O client on a raw socket where a test must misbehave on the wire
(hang up mid-stream, end the TCP stream without a close frame).
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from codex.testing import MockResponsesServer, ScriptedResponse, responses
from codex.testing import _websocket as mock_websocket
from codex.testing.server import CHATGPT_BACKEND_PATH, catalog_model

#: Events that end the answer to one ``response.create``.
FINAL_TYPES = {"response.completed", "response.failed", "error"}


@pytest.fixture
def mock() -> Iterator[MockResponsesServer]:
    with MockResponsesServer() as server:
        yield server


def ws_url(mock: MockResponsesServer, path: str = "/v1/responses") -> str:
    return mock.base_url.replace("http://", "ws://", 1).removesuffix("/v1") + path


@contextmanager
def open_ws(
    mock: MockResponsesServer, path: str = "/v1/responses", headers: dict[str, str] | None = None
) -> Iterator[ClientConnection]:
    with connect(ws_url(mock, path), proxy=None, additional_headers=headers, open_timeout=10, close_timeout=5) as ws:
        yield ws


def create(ws: ClientConnection, **body: Any) -> dict[str, Any]:
    message = {"type": "response.create", **body}
    ws.send(json.dumps(message))
    return message


def receive_answer(ws: ClientConnection) -> list[dict[str, Any]]:
    """The events of one answer, up to its final event."""
    events: list[dict[str, Any]] = []
    while not events or events[-1]["type"] not in FINAL_TYPES:
        message = ws.recv(timeout=10)
        assert isinstance(message, str), "every event is a text message"
        events.append(json.loads(message))
    return events


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


# -- a well-behaved client ----------------------------------------------------------------------


def test_response_create_is_answered_with_the_scripted_events_one_json_message_each(
    mock: MockResponsesServer,
) -> None:
    reply = responses.streamed_text(["Hel", "lo"])
    mock.enqueue(reply)
    with open_ws(mock) as ws:
        create(ws, model="gpt-test", input=[])
        assert receive_answer(ws) == list(reply.events)
    assert mock.pending() == 0


def test_each_message_is_recorded_as_a_model_call_with_the_handshake_headers(mock: MockResponsesServer) -> None:
    headers = {"Authorization": "Bearer sk-websocket", "OpenAI-Beta": "responses_websockets=2026-02-06"}
    with open_ws(mock, "/v1/responses?trace=1", headers=headers) as ws:
        sent = create(
            ws,
            model="gpt-test",
            input=[{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}],
        )
        receive_answer(ws)
    (request,) = mock.response_requests
    assert request.method == mock_websocket.WEBSOCKET_METHOD == "WEBSOCKET"
    assert request.path == "/v1/responses?trace=1"
    assert request.headers["authorization"] == "Bearer sk-websocket"
    assert request.headers["openai-beta"] == "responses_websockets=2026-02-06"
    assert request.headers["upgrade"].lower() == "websocket"
    assert request.body == sent
    assert request.input_texts() == ["hello"]
    assert request.client_port is not None


def test_requests_on_one_connection_take_the_queue_in_order_then_the_default(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.text("one"), responses.text("two"))
    texts = []
    with open_ws(mock) as ws:
        for _ in range(3):
            create(ws, input=[])
            done = [e for e in receive_answer(ws) if e["type"] == "response.output_item.done"]
            texts.append(done[0]["item"]["content"][0]["text"])
    assert texts == ["one", "two", "Hello from the mock."]
    first, second, third = mock.response_requests
    assert first.client_port == second.client_port == third.client_port


def test_the_responder_answers_websocket_requests_too(mock: MockResponsesServer) -> None:
    seen: list[Any] = []

    def responder(request: Any) -> ScriptedResponse:
        seen.append(request.body["model"])
        return responses.text(f"for {request.body['model']}")

    mock.set_responder(responder)
    with open_ws(mock) as ws:
        create(ws, model="gpt-a", input=[])
        events = receive_answer(ws)
    assert seen == ["gpt-a"]
    assert events[1]["item"]["content"][0]["text"] == "for gpt-a"


def test_a_warm_up_gets_an_empty_completed_response_and_consumes_no_reply(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.text("kept for the turn"))
    with open_ws(mock) as ws:
        create(ws, model="gpt-test", generate=False)
        created, completed = receive_answer(ws)
        assert created["type"] == "response.created"
        assert completed == {"type": "response.completed", "response": {"id": created["response"]["id"], "output": []}}
        assert created["response"]["id"].startswith("resp_warmup_")
        assert mock.pending() == 1
        create(ws, model="gpt-test", input=[])
        assert "kept for the turn" in json.dumps(receive_answer(ws))
    # The warm-up is recorded, but it is not a model call.
    warm_up, turn = mock.requests
    assert warm_up.body["generate"] is False
    assert mock.response_requests == [turn]


def test_messages_other_than_response_create_are_neither_recorded_nor_answered(mock: MockResponsesServer) -> None:
    reply = responses.text("answer")
    mock.enqueue(reply)
    with open_ws(mock) as ws:
        ws.send(json.dumps({"type": "session.update", "session": {}}))
        ws.send(json.dumps(["not", "an", "object"]))
        ws.send(b"\x00binary")
        create(ws, input=[])
        # The first message back is the answer to the response.create.
        assert receive_answer(ws) == list(reply.events)
    assert len(mock.requests) == 1


def test_an_http_error_reply_is_one_error_event_with_its_status_error_and_headers(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.http_error(429, "slow down", retry_after_s=2), responses.text("after the error"))
    with open_ws(mock) as ws:
        create(ws, input=[])
        assert receive_answer(ws) == [
            {
                "type": "error",
                "status": 429,
                "error": {"message": "slow down", "type": "rate_limit_exceeded", "code": "rate_limit_exceeded"},
                "headers": {"retry-after": "2"},
            }
        ]
        # The connection stays open for the next request.
        create(ws, input=[])
        assert "after the error" in json.dumps(receive_answer(ws))


def test_an_error_reply_without_a_body_has_an_empty_message(mock: MockResponsesServer) -> None:
    mock.enqueue(ScriptedResponse(status=502))
    with open_ws(mock) as ws:
        create(ws, input=[])
        assert receive_answer(ws) == [{"type": "error", "status": 502, "error": {"message": ""}, "headers": {}}]


def test_the_chatgpt_backend_refuses_a_model_too_new_for_the_client_with_its_detail() -> None:
    catalog = [catalog_model("old-model"), catalog_model("new-model", minimal_client_version="0.200.0")]
    with (
        MockResponsesServer(catalog=catalog) as mock,
        open_ws(mock, f"{CHATGPT_BACKEND_PATH}/responses", headers={"version": "0.150.0"}) as ws,
    ):
        create(ws, model="new-model", input=[])
        (error,) = receive_answer(ws)
        assert error["type"] == "error"
        assert error["status"] == 400
        assert error["error"] == {
            "message": "The 'new-model' model is not supported when using Codex with a ChatGPT account."
        }
        create(ws, model="old-model", input=[])
        assert receive_answer(ws)[-1]["type"] == "response.completed"


def test_a_failed_stream_ends_with_response_failed(mock: MockResponsesServer) -> None:
    reply = responses.failed("server_error", "boom")
    mock.enqueue(reply)
    with open_ws(mock) as ws:
        create(ws, input=[])
        assert receive_answer(ws) == list(reply.events)


def test_a_slow_stream_sends_every_event(mock: MockResponsesServer) -> None:
    reply = responses.slow_stream(["x", "y", "z"], delay_s=0.01)
    mock.enqueue(reply)
    with open_ws(mock) as ws:
        create(ws, input=[])
        assert receive_answer(ws) == list(reply.events)


def test_a_truncated_reply_drops_the_connection_after_its_events(mock: MockResponsesServer) -> None:
    reply = responses.truncated("cut short")
    mock.enqueue(reply)
    with open_ws(mock) as ws:
        create(ws, input=[])
        received = [json.loads(ws.recv(timeout=10)) for _ in reply.events]
        assert received == list(reply.events)
        # No close frame: the connection is lost, not closed.
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=10)
        assert ws.close_code == 1006


def test_a_client_close_is_answered_with_a_close_frame(mock: MockResponsesServer) -> None:
    with open_ws(mock) as ws:
        create(ws, input=[])
        receive_answer(ws)
    # 1000 came back from the mock; a peer that never answered would leave 1006.
    assert ws.close_code == 1000
    assert mock.hung_up == 0


# -- refused upgrades ---------------------------------------------------------------------------


def upgrade_request(mock: MockResponsesServer, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    parts = urlsplit(mock.base_url)
    assert parts.hostname is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_an_upgrade_without_a_websocket_key_is_refused_with_400_and_records_nothing(
    mock: MockResponsesServer,
) -> None:
    status, body = upgrade_request(mock, "/v1/responses", {"Upgrade": "websocket", "Connection": "Upgrade"})
    assert status == 400
    assert b"Sec-WebSocket-Key" in body
    assert mock.requests == []


def test_without_the_websockets_package_an_upgrade_to_responses_is_refused_with_426(
    mock: MockResponsesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mock_websocket.available()
    monkeypatch.setitem(sys.modules, "websockets.server", None)  # import fails as if not installed
    assert not mock_websocket.available()
    with pytest.raises(InvalidStatus) as refused, open_ws(mock):
        pass
    assert refused.value.response.status_code == 426
    assert b"`websockets` installed" in refused.value.response.body


# -- a client misbehaving on the wire -----------------------------------------------------------


class RawClient:
    """A WebSocket client on a plain socket: the sans-I/O protocol, the socket ours to abuse."""

    def __init__(self, mock: MockResponsesServer) -> None:
        url = ws_url(mock)
        self.protocol = ClientProtocol(parse_uri(url))
        self.events: list[dict[str, Any]] = []
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.handshake_exc is None and not self.protocol.events_received():
            self.protocol.receive_data(self.sock.recv(65536))
        assert self.protocol.handshake_exc is None

    def _flush(self) -> None:
        for chunk in self.protocol.data_to_send():
            self.sock.sendall(chunk)

    def send_json(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def _take_events(self) -> None:
        for frame in self.protocol.events_received():
            assert isinstance(frame, Frame)
            if frame.opcode is Opcode.TEXT:
                self.events.append(json.loads(bytes(frame.data)))

    def next_event(self) -> dict[str, Any]:
        while not self.events:
            data = self.sock.recv(65536)
            assert data, "the mock closed the connection"
            self.protocol.receive_data(data)
            self._take_events()
        return self.events.pop(0)

    def rest_until_closed(self) -> list[dict[str, Any]]:
        """Every event still to come, up to the end of the stream (fails on a timeout)."""
        while data := self.sock.recv(65536):
            self.protocol.receive_data(data)
        self._take_events()
        rest, self.events = self.events, []
        return rest

    def reset(self) -> None:
        """Closes the socket with a TCP reset, as a process killed mid-stream would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def test_a_client_that_hangs_up_mid_stream_is_counted_and_the_mock_goes_on_serving(
    mock: MockResponsesServer,
) -> None:
    mock.enqueue(responses.slow_stream(["tick"] * 200, delay_s=0.01))
    client = RawClient(mock)
    client.send_json({"type": "response.create", "input": []})
    assert client.next_event()["type"] == "response.created"
    client.reset()
    wait_until(lambda: mock.hung_up == 1, "the mock counted the hang-up")
    # A new connection is served as usual.
    with open_ws(mock) as ws:
        create(ws, input=[])
        assert receive_answer(ws)[-1]["type"] == "response.completed"
    assert mock.hung_up == 1


def test_a_client_that_ends_the_tcp_stream_without_a_close_frame_is_let_go(mock: MockResponsesServer) -> None:
    client = RawClient(mock)
    try:
        client.send_json({"type": "response.create", "input": []})
        assert client.next_event()["type"] == "response.created"
        client.sock.shutdown(socket.SHUT_WR)
        # The mock stops serving the connection and closes its side: the rest of the answer
        # already sent, then the end of the stream (a mock still reading would time out here).
        assert client.rest_until_closed()[-1]["type"] == "response.completed"
    finally:
        client.sock.close()
    assert mock.hung_up == 0
