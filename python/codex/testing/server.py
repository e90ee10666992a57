"""A loopback mock of the OpenAI Responses API that serves scripted turns.

The engine talks to it exactly as to the real API (``POST {base_url}/responses``,
server-sent events back). Every request is recorded so tests can assert on what
the engine sent: the prompt, the tool outputs, the history, the headers.

Both OpenAI hosts are served on one port: the platform API under ``/v1``
(:attr:`MockResponsesServer.base_url`) and the ChatGPT Codex backend under
``/backend-api/codex`` (:attr:`MockResponsesServer.chatgpt_base_url`). Given a model
``catalog``, the backend behaves like the real one: ``GET /backend-api/codex/models``
lists the models whose ``minimal_client_version`` the ``client_version`` query meets, and
a turn for a catalog model newer than the request's ``version`` header is refused with
HTTP 400, as ChatGPT accounts see it.
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
from urllib.parse import parse_qs

from . import _websocket, responses
from .responses import ScriptedResponse

Responder = Callable[["RecordedRequest"], ScriptedResponse]

#: Where the ChatGPT Codex backend lives on the real host (``https://chatgpt.com``).
CHATGPT_BACKEND_PATH = "/backend-api/codex"


def catalog_model(
    slug: str,
    *,
    minimal_client_version: str = "0.1.0",
    display_name: str | None = None,
    visibility: str = "list",
    priority: int = 1,
) -> dict[str, Any]:
    """One entry of the ChatGPT backend's ``/models`` catalog, in the engine's wire shape."""
    return {
        "slug": slug,
        "display_name": display_name or slug,
        "description": f"{display_name or slug} (mock catalog)",
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": [
            {"effort": "low", "description": "low"},
            {"effort": "medium", "description": "medium"},
        ],
        "shell_type": "shell_command",
        "visibility": visibility,
        "minimal_client_version": minimal_client_version,
        "supported_in_api": True,
        "priority": priority,
        "upgrade": None,
        "base_instructions": "You are a coding agent (mock catalog instructions).",
        "support_verbosity": False,
        "default_verbosity": None,
        "apply_patch_tool_type": "freeform",
        "truncation_policy": {"mode": "bytes", "limit": 10_000},
        "supports_parallel_tool_calls": False,
        "supports_image_detail_original": False,
        "context_window": 272_000,
        "max_context_window": 272_000,
        "experimental_supported_tools": [],
    }


def _version_tuple(text: str | None) -> tuple[int, ...]:
    """``"0.145.0"`` -> ``(0, 145, 0)``; anything unreadable sorts below every release."""
    try:
        return tuple(int(part) for part in (text or "").split("-")[0].split("."))
    except ValueError:
        return (0,)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the engine made, as received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    #: The engine's side of the TCP connection the request came on: requests with the same
    #: port came over one kept-alive connection (see ``MockResponsesServer(keep_alive=True)``).
    client_port: int | None = None

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
        catalog: Iterable[dict[str, Any]] = (),
        keep_alive: bool = False,
    ) -> None:
        #: Speak HTTP/1.1 and keep connections open between requests, as real hosts do (streams
        #: are chunked); the default closes every connection after its response.
        self.keep_alive = keep_alive
        self._catalog = [dict(entry) for entry in catalog]
        self._lock = threading.Lock()
        self._queue: deque[ScriptedResponse] = deque()
        self._default = default or responses.text("Hello from the mock.")
        self._responder = responder
        self._requests: list[RecordedRequest] = []
        self._hung_up = 0
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

    @property
    def chatgpt_base_url(self) -> str:
        """Where the ChatGPT Codex backend is served (``.../backend-api/codex``)."""
        return self.base_url.removesuffix("/v1") + CHATGPT_BACKEND_PATH

    @property
    def catalog(self) -> list[dict[str, Any]]:
        """The backend's model catalog (entries as made by :func:`catalog_model`)."""
        return [dict(entry) for entry in self._catalog]

    def catalog_for(self, client_version: str | None) -> list[dict[str, Any]]:
        """The catalog entries a client of ``client_version`` is offered."""
        version = _version_tuple(client_version)
        return [e for e in self.catalog if _version_tuple(e.get("minimal_client_version")) <= version]

    def refusal(self, request: RecordedRequest) -> ScriptedResponse | None:
        """The backend's answer to a turn for a model this client version may not use."""
        if not request.path.startswith(CHATGPT_BACKEND_PATH) or not isinstance(request.body, dict):
            return None
        model = request.body.get("model")
        known = {entry["slug"] for entry in self._catalog}
        allowed = {entry["slug"] for entry in self.catalog_for(request.headers.get("version"))}
        if model in known and model not in allowed:
            detail = f"The '{model}' model is not supported when using Codex with a ChatGPT account."
            return ScriptedResponse(status=400, body={"detail": detail})
        return None

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
        """The model calls: ``POST .../responses`` and WebSocket ``response.create`` messages.

        The engine's connection warm-ups (``generate: false``) are not model calls and are left out.
        """
        return [
            r
            for r in self.requests
            if r.path.split("?")[0].rstrip("/").endswith("/responses")
            and (
                r.method == "POST"
                or (
                    r.method == _websocket.WEBSOCKET_METHOD
                    and isinstance(r.body, dict)
                    and r.body.get("generate") is not False
                )
            )
        ]

    @property
    def hung_up(self) -> int:
        """How many streams the client closed before the mock finished sending them."""
        with self._lock:
            return self._hung_up

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

        def setup(self) -> None:
            super().setup()
            if server.keep_alive:
                self.protocol_version = "HTTP/1.1"

        def _chunked(self) -> bool:
            return self.protocol_version == "HTTP/1.1" and server.keep_alive

        def _write_stream(self, data: bytes, *, last: bool) -> None:
            if self._chunked():
                framed = b"%x\r\n%s\r\n" % (len(data), data) if data else b""
                # The closing chunk goes out with the last event, as servers send it: a client
                # that stops reading at the final event can then pool the connection at once,
                # rather than only when the closing chunk, sent apart, came soon enough.
                self.wfile.write(framed + b"0\r\n\r\n" if last else framed)
            else:
                self.wfile.write(data)
            self.wfile.flush()

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
                client_port=self.client_address[1],
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
            if self.headers.get("upgrade", "").lower() == "websocket":
                self._websocket()
                return
            self._record(None)
            path, _, query = self.path.partition("?")
            if path.rstrip("/") == f"{CHATGPT_BACKEND_PATH}/models":
                version = parse_qs(query).get("client_version", [None])[0]
                self._json(200, {"models": server.catalog_for(version)}, [("etag", '"mock-catalog"')])
            elif path.rstrip("/").endswith("/models"):
                self._json(200, {"models": [], "data": []})
            else:
                self._json(404, {"error": {"message": f"no mock route for GET {self.path}"}})

        def _websocket(self) -> None:
            path = self.path.split("?")[0].rstrip("/")
            if not path.endswith("/responses") or not _websocket.available():
                # Without the websockets package the engine falls back to HTTP after its retries.
                self.protocol_version = "HTTP/1.1"
                self._json(426, {"error": {"message": "the mock serves WebSocket with `websockets` installed"}})
                return
            self.close_connection = True

            def record(message: Any) -> RecordedRequest:
                request = RecordedRequest(
                    method=_websocket.WEBSOCKET_METHOD,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=message,
                    client_port=self.client_address[1],
                )
                server._record(request)
                return request

            def hung_up() -> None:
                with server._lock:
                    server._hung_up += 1

            _websocket.serve(
                self.connection,
                self.requestline,
                dict(self.headers.items()),
                record,
                lambda request: server.refusal(request) or server._next_reply(request),
                hung_up,
            )

        def do_POST(self) -> None:
            request = self._record(self._read_body())
            if not self.path.split("?")[0].rstrip("/").endswith("/responses"):
                self._json(404, {"error": {"message": f"no mock route for POST {self.path}"}})
                return
            reply = server.refusal(request) or server._next_reply(request)
            if reply.status != 200:
                self._json(reply.status, reply.body or {}, reply.headers)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            if self._chunked():
                self.send_header("transfer-encoding", "chunked")
            for key, value in reply.headers:
                self.send_header(key, value)
            self.end_headers()
            try:
                if reply.delay_s <= 0:
                    self._write_stream(b"".join(_sse(event) for event in reply.events), last=True)
                else:
                    for index, event in enumerate(reply.events, start=1):
                        time.sleep(reply.delay_s)
                        self._write_stream(_sse(event), last=index == len(reply.events))
                    if not reply.events:
                        self._write_stream(b"", last=True)
            except (BrokenPipeError, ConnectionResetError):
                # The engine hung up (interrupt, close): nothing left to send.
                with server._lock:
                    server._hung_up += 1
                return

    return Handler
