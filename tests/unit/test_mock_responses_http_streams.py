"""``codex.testing.MockResponsesServer``'s HTTP streams: their headers, and a client that hangs up.

``test_mock_responses_server.py`` pins the routes; these pin what a streamed answer carries
besides its events, and what the mock does when the engine goes away mid-stream (an interrupt,
a closed client): it counts the hang-up in ``hung_up`` and goes on serving.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import struct
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from codex.testing import MockResponsesServer, responses


@pytest.fixture(params=[False, True], ids=["http1.0", "keep-alive"])
def mock(request: pytest.FixtureRequest) -> Iterator[MockResponsesServer]:
    with MockResponsesServer(keep_alive=request.param) as server:
        yield server


def address(mock: MockResponsesServer) -> tuple[str, int]:
    parts = urlsplit(mock.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def post_responses(mock: MockResponsesServer) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*address(mock), timeout=10)
    try:
        conn.request("POST", "/v1/responses", body=b'{"input": []}', headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


def test_a_streamed_reply_carries_its_scripted_headers(mock: MockResponsesServer) -> None:
    reply = dataclasses.replace(responses.text("hi"), headers=(("x-request-id", "req-123"), ("openai-model", "gpt-x")))
    mock.enqueue(reply)
    status, headers, data = post_responses(mock)
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert headers["x-request-id"] == "req-123"
    assert headers["openai-model"] == "gpt-x"
    assert b"event: response.completed" in data


def test_a_client_that_hangs_up_mid_stream_is_counted_and_the_mock_goes_on_serving(
    mock: MockResponsesServer,
) -> None:
    mock.enqueue(responses.slow_stream(["tick"] * 200, delay_s=0.01))
    sock = socket.create_connection(address(mock), timeout=10)
    body = b'{"input": []}'
    sock.sendall(
        b"POST /v1/responses HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    received = b""
    while b"event: response.created" not in received:
        data = sock.recv(65536)
        assert data, "the mock closed the stream before its first event"
        received += data
    assert mock.hung_up == 0
    # Gone with a TCP reset, as a killed or interrupted client's connection goes.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    wait_until(lambda: mock.hung_up == 1, "the mock counted the hang-up")
    status, _, data = post_responses(mock)
    assert status == 200
    assert b"Hello from the mock." in data
    assert mock.hung_up == 1


def test_a_stream_read_to_its_end_is_not_a_hang_up(mock: MockResponsesServer) -> None:
    mock.enqueue(responses.slow_stream(["a", "b"], delay_s=0.01))
    status, _, data = post_responses(mock)
    assert status == 200
    assert [json.loads(line[6:])["delta"] for line in data.decode().splitlines() if '"delta"' in line] == ["a", "b"]
    assert mock.hung_up == 0
