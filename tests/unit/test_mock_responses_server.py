"""``codex.testing.MockResponsesServer`` spoken to over plain HTTP, without an engine.

The mock is public (users test their agents with it): these pin what it serves and records
for each route, so that an e2e failure points at the engine, not at the mock.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from codex.testing import MockResponsesServer, responses
from codex.testing.server import CHATGPT_BACKEND_PATH, RecordedRequest, catalog_model


@pytest.fixture
def mock() -> Iterator[MockResponsesServer]:
    with MockResponsesServer() as server:
        yield server


def connect(mock: MockResponsesServer) -> http.client.HTTPConnection:
    parts = urlsplit(mock.base_url)
    assert parts.hostname is not None
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def send(
    mock: MockResponsesServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = connection or connect(mock)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    if connection is None:
        conn.close()
    return response.status, {key.lower(): value for key, value in response.getheaders()}, data


def sse_events(data: bytes) -> list[dict[str, Any]]:
    events = []
    for block in data.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            event = json.loads(lines["data"])
            assert lines["event"] == event["type"]
            events.append(event)
    return events


def post_responses(
    mock: MockResponsesServer, body: dict[str, Any], path: str = "/v1/responses"
) -> tuple[int, dict[str, str], bytes]:
    return send(mock, "POST", path, json.dumps(body).encode(), {"content-type": "application/json"})


def test_base_url_needs_a_running_server() -> None:
    server = MockResponsesServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    server.stop()  # stopping a server that never started is harmless
    with server:
        assert server.start() is server  # starting twice keeps the one server
        assert server.chatgpt_base_url == server.base_url.removesuffix("/v1") + CHATGPT_BACKEND_PATH


def test_queued_replies_then_the_responder_then_the_default(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.text("first"), [responses.text("second")])
    assert mock.pending() == 2
    texts = []
    for _ in range(2):
        status, headers, data = post_responses(mock, {"input": []})
        assert status == 200
        assert headers["content-type"] == "text/event-stream"
        events = sse_events(data)
        assert events[-1]["type"] == "response.completed"
        texts.append(next(e["item"]["content"][0]["text"] for e in events if e["type"] == "response.output_item.done"))
    assert texts == ["first", "second"]
    assert mock.pending() == 0

    seen: list[RecordedRequest] = []

    def responder(request: RecordedRequest) -> responses.ScriptedResponse:
        seen.append(request)
        return responses.text("from the responder")

    mock.set_responder(responder)
    assert "from the responder" in post_responses(mock, {"input": [], "n": 3})[2].decode()
    assert seen[0].body == {"input": [], "n": 3}
    mock.set_responder(None)
    assert "Hello from the mock." in post_responses(mock, {"input": []})[2].decode()


def test_requests_are_recorded_with_their_inputs_and_tool_outputs(mock: MockResponsesServer) -> None:
    body = {
        "model": "gpt-test",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}, {"x": 1}]},
            {"type": "message", "role": "user", "content": "not a list"},
            {"type": "function_call_output", "call_id": "c1", "output": "42"},
            {"type": "custom_tool_call_output", "call_id": "c2", "output": "ok"},
        ],
    }
    post_responses(mock, body)
    (request,) = mock.response_requests
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.input_texts() == ["hello"]
    assert [item["call_id"] for item in request.tool_outputs()] == ["c1", "c2"]
    mock.clear()
    assert mock.requests == []


def test_a_body_that_is_not_json_is_recorded_as_text_and_no_body_as_none(mock: MockResponsesServer) -> None:
    send(mock, "POST", "/v1/responses", b"not json", {"content-type": "text/plain"})
    send(mock, "POST", "/v1/responses")
    first, second = mock.response_requests
    assert first.body == "not json"
    assert first.input_items == []
    assert second.body is None


def test_an_http_error_reply_is_sent_as_json_with_its_headers(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.http_error(429, "slow down", retry_after_s=2))
    status, headers, data = post_responses(mock, {"input": []})
    assert status == 429
    assert headers["retry-after"] == "2"
    assert json.loads(data)["error"]["message"] == "slow down"


def test_other_routes_are_404_and_not_model_calls(mock: MockResponsesServer) -> None:
    status, _, data = post_responses(mock, {"input": []}, path="/v1/chat/completions")
    assert status == 404
    assert "no mock route for POST /v1/chat/completions" in data.decode()
    status, _, data = send(mock, "GET", "/v1/files")
    assert status == 404
    assert "no mock route for GET /v1/files" in data.decode()
    assert len(mock.requests) == 2
    assert mock.response_requests == []


def test_the_openai_models_route_answers_an_empty_list(mock: MockResponsesServer) -> None:
    status, _, data = send(mock, "GET", "/v1/models")
    assert status == 200
    assert json.loads(data) == {"models": [], "data": []}


def test_the_chatgpt_catalog_is_filtered_by_client_version_and_refuses_newer_models() -> None:
    catalog = [catalog_model("old-model"), catalog_model("new-model", minimal_client_version="0.200.0")]
    with MockResponsesServer(catalog=catalog) as mock:
        assert [entry["slug"] for entry in mock.catalog] == ["old-model", "new-model"]
        status, headers, data = send(mock, "GET", f"{CHATGPT_BACKEND_PATH}/models?client_version=0.150.0")
        assert status == 200
        assert headers["etag"] == '"mock-catalog"'
        assert [model["slug"] for model in json.loads(data)["models"]] == ["old-model"]
        # An unreadable version sorts below every release.
        assert mock.catalog_for("nightly") == []
        assert [entry["slug"] for entry in mock.catalog_for("0.200.0-alpha.1")] == ["old-model", "new-model"]

        turn = json.dumps({"model": "new-model", "input": []}).encode()
        status, _, data = send(mock, "POST", f"{CHATGPT_BACKEND_PATH}/responses", turn, {"version": "0.150.0"})
        assert status == 400
        assert "'new-model' model is not supported" in json.loads(data)["detail"]
        # The same turn from a client new enough, and a model the catalog does not know, are served.
        assert send(mock, "POST", f"{CHATGPT_BACKEND_PATH}/responses", turn, {"version": "0.201.0"})[0] == 200
        unknown = json.dumps({"model": "other", "input": []}).encode()
        assert send(mock, "POST", f"{CHATGPT_BACKEND_PATH}/responses", unknown, {"version": "0.1.0"})[0] == 200


def test_keep_alive_serves_chunked_streams_on_one_connection() -> None:
    with MockResponsesServer(keep_alive=True) as mock:
        mock.enqueue(responses.streamed_text(["a", "b"]), responses.text("c"))
        conn = connect(mock)
        try:
            body = json.dumps({"input": []}).encode()
            status, headers, data = send(mock, "POST", "/v1/responses", body, connection=conn)
            assert status == 200
            assert headers["transfer-encoding"] == "chunked"
            deltas = [e["delta"] for e in sse_events(data) if e["type"] == "response.output_text.delta"]
            assert deltas == ["a", "b"]
            assert send(mock, "POST", "/v1/responses", body, connection=conn)[0] == 200
        finally:
            conn.close()
        first, second = mock.response_requests
        assert first.client_port == second.client_port  # one kept-alive connection


def test_a_slow_stream_sends_every_event(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.slow_stream(["x", "y"], delay_s=0.01))
    events = sse_events(post_responses(mock, {"input": []})[2])
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == ["x", "y"]
    assert events[-1]["type"] == "response.completed"


def test_a_truncated_stream_ends_before_completion(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.truncated())
    events = sse_events(post_responses(mock, {"input": []})[2])
    assert events
    assert all(e["type"] != "response.completed" for e in events)


def test_a_websocket_upgrade_elsewhere_than_responses_is_refused_with_426(mock: MockResponsesServer) -> None:
    status, _, data = send(mock, "GET", "/v1/models", headers={"upgrade": "websocket", "connection": "upgrade"})
    assert status == 426
    assert "WebSocket" in data.decode()
