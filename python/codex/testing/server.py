"""A loopback mock of the OpenAI Responses API that serves scripted turns.

The engine talks to it exactly as to the real API (``POST {base_url}/responses``,
server-sent events back). Every request is recorded so tests can assert on what
the engine sent: the prompt, the tool outputs, the history, the headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from . import responses
from .responses import ScriptedResponse

Responder = Callable[["RecordedRequest"], ScriptedResponse]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the engine made, as received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def input_items(self) -> list[dict[str, Any]]:
        """The Responses ``input`` list (the conversation history sent)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("input"), list):
            return list(self.body["input"])
        return []

    def input_texts(self) -> list[str]:
        """Every text fragment of every input message, in order."""
        texts: list[str] = []
        for item in self.input_items:
            content = item.get("content")
            if isinstance(content, list):
                texts.extend(
                    part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
                )
        return texts

    def tool_outputs(self) -> list[dict[str, Any]]:
        """``function_call_output`` / ``custom_tool_call_output`` items sent back to the model."""
        return [item for item in self.input_items if str(item.get("type", "")).endswith("call_output")]


class MockResponsesServer:
    """Serves scripted Responses API streams on ``127.0.0.1`` (an ephemeral port).

    Queue replies with :meth:`enqueue`; when the queue is empty the server answers
    with ``default`` (a short text message), or with ``responder`` if one is set.
    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        *,
        default: ScriptedResponse | None = None,
        responder: Responder | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._queue: deque[ScriptedResponse] = deque()
        self._default = default or responses.text("Hello from the mock.")
        self._responder = responder
        self._requests: list[RecordedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> MockResponsesServer:
        if self._httpd is not None:
            return self
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="codex-mock-responses", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MockResponsesServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The provider base URL to give the client (ends in ``/v1``)."""
        if self._httpd is None:
            raise RuntimeError("the mock server is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # -- scripting ---------------------------------------------------------
    def enqueue(self, *replies: ScriptedResponse | Iterable[ScriptedResponse]) -> None:
        """Queue replies, served one per ``POST /responses`` in order."""
        with self._lock:
            for reply in replies:
                if isinstance(reply, ScriptedResponse):
                    self._queue.append(reply)
                else:
                    self._queue.extend(reply)

    def set_responder(self, responder: Responder | None) -> None:
        """Answer requests not covered by the queue with ``responder(request)``."""
        with self._lock:
            self._responder = responder

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # -- inspection --------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (all paths)."""
        with self._lock:
            return list(self._requests)

    @property
    def response_requests(self) -> list[RecordedRequest]:
        """Only the ``POST .../responses`` requests (one per model call)."""
        return [r for r in self.requests if r.method == "POST" and r.path.rstrip("/").endswith("/responses")]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._queue.clear()

    # -- internals ---------------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        if responder is not None:
            return responder(request)
        return self._default


def _sse(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def _make_handler(server: MockResponsesServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: every response ends by closing the connection, which is also
        # how a truncated stream is simulated.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _read_body(self) -> Any:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            try:
                return json.loads(raw)
            except ValueError:
                return raw.decode(errors="replace")

        def _record(self, body: Any) -> RecordedRequest:
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            server._record(request)
            return request

        def _json(self, status: int, payload: Any, extra: Iterable[tuple[str, str]] = ()) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in extra:
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._record(None)
            if self.path.split("?")[0].rstrip("/").endswith("/models"):
                self._json(200, {"models": [], "data": []})
            else:
                self._json(404, {"error": {"message": f"no mock route for GET {self.path}"}})

        def do_POST(self) -> None:
            request = self._record(self._read_body())
            if not self.path.split("?")[0].rstrip("/").endswith("/responses"):
                self._json(404, {"error": {"message": f"no mock route for POST {self.path}"}})
                return
            reply = server._next_reply(request)
            if reply.status != 200:
                self._json(reply.status, reply.body or {}, reply.headers)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            for key, value in reply.headers:
                self.send_header(key, value)
            self.end_headers()
            try:
                if reply.delay_s <= 0:
                    self.wfile.write(b"".join(_sse(event) for event in reply.events))
                else:
                    for event in reply.events:
                        time.sleep(reply.delay_s)
                        self.wfile.write(_sse(event))
                        self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                # The engine hung up (interrupt): nothing left to send.
                return

    return Handler
