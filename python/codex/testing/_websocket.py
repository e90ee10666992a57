"""The Responses API over WebSocket, as the mock serves it.

The engine's built-in OpenAI provider talks to ``wss://.../responses`` first and falls back to
HTTP only after its retry budget is spent, so a mock that stands in for the real hosts must
speak it too: the client sends ``{"type": "response.create", ...}`` text messages on one
connection (the handshake carries the headers), and every Responses stream event comes back as
one JSON text message. ``generate: false`` is the engine's connection warm-up: it is answered
with an empty completed response and consumes no scripted reply.

The protocol work (handshake, framing, ping/pong, close) is done by the ``websockets``
package's sans-I/O layer; this module only moves bytes between it and the socket that
``http.server`` has already read the upgrade request from.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from websockets.server import ServerProtocol

    from .responses import ScriptedResponse

#: The server's record of one request: this module only hands it from ``record`` to ``reply_for``
#: (generic, so that it need not import the server, which imports it).
RecordedRequest = TypeVar("RecordedRequest")

#: Method name recorded for a ``response.create`` message.
WEBSOCKET_METHOD = "WEBSOCKET"


def available() -> bool:
    try:
        import websockets.server  # noqa: F401
    except ImportError:
        return False
    return True


def _flush(sock: socket.socket, protocol: ServerProtocol) -> None:
    for chunk in protocol.data_to_send():
        if chunk:
            sock.sendall(chunk)


def serve(
    sock: socket.socket,
    request_line: str,
    headers: Mapping[str, str],
    record: Callable[[Any], RecordedRequest],
    reply_for: Callable[[RecordedRequest], ScriptedResponse],
    on_hang_up: Callable[[], None],
) -> None:
    """Runs one WebSocket connection whose upgrade request ``http.server`` has parsed."""
    from websockets.frames import Frame, Opcode
    from websockets.http11 import Request
    from websockets.server import ServerProtocol

    protocol = ServerProtocol()
    raw = request_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    protocol.receive_data(raw.encode("latin-1"))
    (handshake,) = protocol.events_received()
    assert isinstance(handshake, Request)
    protocol.send_response(protocol.accept(handshake))
    _flush(sock, protocol)
    if protocol.handshake_exc is not None:
        return
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                protocol.receive_eof()
            else:
                protocol.receive_data(data)
            for frame in protocol.events_received():
                if isinstance(frame, Frame) and frame.opcode is Opcode.TEXT:
                    _answer(protocol, sock, json.loads(bytes(frame.data)), record, reply_for)
            _flush(sock, protocol)
            if not data or protocol.close_expected():
                return
    except (BrokenPipeError, ConnectionResetError):
        on_hang_up()


def _answer(
    protocol: ServerProtocol,
    sock: socket.socket,
    message: Any,
    record: Callable[[Any], RecordedRequest],
    reply_for: Callable[[RecordedRequest], ScriptedResponse],
) -> None:
    if not isinstance(message, dict) or message.get("type") != "response.create":
        return
    request = record(message)
    if message.get("generate") is False:
        response_id = f"resp_warmup_{time.monotonic_ns()}"
        for warmup in (
            {"type": "response.created", "response": {"id": response_id}},
            {"type": "response.completed", "response": {"id": response_id, "output": []}},
        ):
            protocol.send_text(json.dumps(warmup).encode())
        return
    reply = reply_for(request)
    if reply.status != 200:
        # How the real API reports an HTTP-level failure on a WebSocket.
        body = reply.body or {}
        error = body.get("error") if isinstance(body.get("error"), dict) else {"message": body.get("detail", "")}
        event: dict[str, Any] = {
            "type": "error",
            "status": reply.status,
            "error": error,
            "headers": dict(reply.headers),
        }
        protocol.send_text(json.dumps(event).encode())
        return
    for event in reply.events:
        if reply.delay_s > 0:
            time.sleep(reply.delay_s)
        protocol.send_text(json.dumps(event).encode())
        if reply.delay_s > 0:
            _flush(sock, protocol)
    if reply.truncate:
        # The connection drops mid-response.
        _flush(sock, protocol)
        sock.shutdown(socket.SHUT_RDWR)
