"""Scripted replies for the mock Responses API: what the model "says" in one request.

Each helper returns a :class:`ScriptedResponse`; queue them on a
:class:`~codex.testing.MockResponsesServer` in the order the engine will ask.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids)}"


@dataclass(frozen=True)
class ScriptedResponse:
    """One HTTP answer to a ``POST /responses``.

    ``events`` are Responses API stream events sent as SSE. ``status`` other than
    200 sends ``body`` as a JSON error instead. ``delay_s`` pauses before each
    event (slow streams, for interrupt tests); ``truncate`` closes the connection
    before ``response.completed``.
    """

    events: tuple[dict[str, Any], ...] = ()
    status: int = 200
    body: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0
    truncate: bool = False
    label: str = field(default="", compare=False)


def usage(input_tokens: int = 10, output_tokens: int = 5) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def with_usage(
    reply: ScriptedResponse,
    *,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> ScriptedResponse:
    """``reply`` with this token usage in its ``response.completed`` event."""
    tokens = usage(input_tokens, output_tokens)
    tokens["input_tokens_details"] = {"cached_tokens": cached_tokens}
    tokens["output_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    events = tuple(
        {**event, "response": {**event["response"], "usage": tokens}}
        if event.get("type") == "response.completed"
        else event
        for event in reply.events
    )
    return dataclasses.replace(reply, events=events)


def _created(response_id: str) -> dict[str, Any]:
    return {"type": "response.created", "response": {"id": response_id}}


def _completed(response_id: str, tokens: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "response.completed",
        "response": {"id": response_id, "usage": tokens or usage()},
    }


def _message_item(item_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "id": item_id,
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _wrap(items_events: Iterable[dict[str, Any]], **kwargs: Any) -> ScriptedResponse:
    response_id = _next_id("resp")
    events = [_created(response_id), *items_events, _completed(response_id)]
    return ScriptedResponse(events=tuple(events), **kwargs)


def text(message: str, *, delay_s: float = 0.0) -> ScriptedResponse:
    """A plain assistant message, delivered whole."""
    item = _message_item(_next_id("msg"), message)
    return _wrap(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}],
        delay_s=delay_s,
        label="text",
    )


def streamed_text(chunks: Sequence[str], *, delay_s: float = 0.0) -> ScriptedResponse:
    """An assistant message streamed as ``response.output_text.delta`` events."""
    item_id = _next_id("msg")
    added = {"type": "message", "role": "assistant", "id": item_id, "content": []}
    events: list[dict[str, Any]] = [{"type": "response.output_item.added", "output_index": 0, "item": added}]
    events.extend(
        {
            "type": "response.output_text.delta",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": chunk,
        }
        for chunk in chunks
    )
    events.append(
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": _message_item(item_id, "".join(chunks)),
        }
    )
    return _wrap(events, delay_s=delay_s, label="streamed_text")


def function_call(name: str, arguments: dict[str, Any], *, call_id: str | None = None) -> ScriptedResponse:
    """The model calls a function tool (e.g. ``exec_command``) with JSON arguments."""
    item = {
        "type": "function_call",
        "id": _next_id("fc"),
        "call_id": call_id or _next_id("call"),
        "name": name,
        "arguments": json.dumps(arguments),
    }
    return _wrap(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}],
        label=f"function_call:{name}",
    )


def function_calls(*calls: tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]) -> ScriptedResponse:
    """Several function calls in one model response (``(name, arguments[, call_id])`` each)."""
    items = []
    for index, call in enumerate(calls):
        name, arguments = call[0], call[1]
        item = {
            "type": "function_call",
            "id": _next_id("fc"),
            "call_id": call[2] if len(call) > 2 else _next_id("call"),
            "name": name,
            "arguments": json.dumps(arguments),
        }
        items.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return _wrap(items, label="function_calls:" + ",".join(call[0] for call in calls))


def raw_function_call(name: str, arguments_text: str, *, call_id: str | None = None) -> ScriptedResponse:
    """A function call whose ``arguments`` text is sent as given (e.g. not valid JSON)."""
    item = {
        "type": "function_call",
        "id": _next_id("fc"),
        "call_id": call_id or _next_id("call"),
        "name": name,
        "arguments": arguments_text,
    }
    return _wrap(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}],
        label=f"raw_function_call:{name}",
    )


def exec_command(
    cmd: str, *, workdir: str | None = None, login: bool | None = None, call_id: str | None = None
) -> ScriptedResponse:
    """The model runs a shell command through the engine's ``exec_command`` tool.

    ``login=False`` asks for a non-login shell (no profile sourced).
    """
    arguments: dict[str, Any] = {"cmd": cmd}
    if login is not None:
        arguments["login"] = login
    if workdir is not None:
        arguments["workdir"] = workdir
    return function_call("exec_command", arguments, call_id=call_id)


def custom_tool_call(name: str, tool_input: str, *, call_id: str | None = None) -> ScriptedResponse:
    """The model calls a freeform (custom) tool, such as ``apply_patch``."""
    item = {
        "type": "custom_tool_call",
        "id": _next_id("ctc"),
        "call_id": call_id or _next_id("call"),
        "name": name,
        "input": tool_input,
    }
    return _wrap(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}],
        label=f"custom_tool_call:{name}",
    )


def apply_patch(patch: str, *, call_id: str | None = None) -> ScriptedResponse:
    """The model edits files with the freeform ``apply_patch`` tool."""
    return custom_tool_call("apply_patch", patch, call_id=call_id)


def mcp_tool_call(server: str, tool: str, arguments: dict[str, Any], *, call_id: str | None = None) -> ScriptedResponse:
    """The model calls ``tool`` of MCP server ``server``: a function call in the ``mcp__<server>`` namespace."""
    item = {
        "type": "function_call",
        "id": _next_id("fc"),
        "call_id": call_id or _next_id("call"),
        "name": tool,
        "namespace": f"mcp__{server}",
        "arguments": json.dumps(arguments),
    }
    return _wrap(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}],
        label=f"mcp_tool_call:{server}/{tool}",
    )


def tool_search(query: str, *, call_id: str | None = None) -> ScriptedResponse:
    """The model searches the engine's deferred tools, where MCP servers' tools are listed.

    The engine answers with a ``tool_search_output`` item in the next request's input.
    """
    item = {
        "type": "tool_search_call",
        "call_id": call_id or _next_id("search"),
        "execution": "client",
        "arguments": {"query": query},
    }
    return _wrap(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}],
        label=f"tool_search:{query}",
    )


def add_file_patch(path: str, content: str) -> str:
    """An ``apply_patch`` body that creates ``path`` with ``content``."""
    lines = "".join(f"+{line}\n" for line in content.splitlines())
    return f"*** Begin Patch\n*** Add File: {path}\n{lines}*** End Patch\n"


def structured(value: Any) -> ScriptedResponse:
    """An assistant message whose text is ``value`` as JSON (structured output)."""
    return text(json.dumps(value))


def http_error(status: int, message: str = "mock error", *, retry_after_s: float | None = None) -> ScriptedResponse:
    """An HTTP error answer (500, 429, ...) instead of a stream."""
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after_s is not None:
        headers = (("retry-after", str(retry_after_s)),)
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    return ScriptedResponse(
        status=status,
        body={"error": {"message": message, "type": kind, "code": kind}},
        headers=headers,
        label=f"http_{status}",
    )


def failed(code: str = "server_error", message: str = "the mock failed this response") -> ScriptedResponse:
    """A stream that ends with ``response.failed``."""
    response_id = _next_id("resp")
    events = (
        _created(response_id),
        {
            "type": "response.failed",
            "response": {
                "id": response_id,
                "status": "failed",
                "error": {"code": code, "message": message},
            },
        },
    )
    return ScriptedResponse(events=events, label="failed")


def truncated(message: str = "this stream is cut short") -> ScriptedResponse:
    """A stream that closes before ``response.completed``."""
    response = streamed_text(message.split(" "))
    return ScriptedResponse(events=response.events[:-1], truncate=True, label="truncated")


def slow_stream(chunks: Sequence[str], *, delay_s: float) -> ScriptedResponse:
    """A streamed message with a pause before every event, to interrupt mid-stream."""
    return streamed_text(chunks, delay_s=delay_s)
