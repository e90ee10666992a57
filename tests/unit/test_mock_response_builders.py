"""``codex.testing.responses``: what each scripted reply of the mock Responses API holds.

Users script their agents' tests with these builders; the events must have the Responses
API's stream shapes (a ``response.created`` first, a ``response.completed`` with usage last,
output items in between) or the engine would reject them. The e2e suite proves the engine
accepts them; these pin the shapes and the options of each builder.
"""

from __future__ import annotations

import json
from typing import Any

from codex.testing import ScriptedResponse, responses


def items(reply: ScriptedResponse) -> list[dict[str, Any]]:
    """The output items a reply delivers whole (``response.output_item.done``)."""
    return [event["item"] for event in reply.events if event["type"] == "response.output_item.done"]


def assert_framed(reply: ScriptedResponse) -> str:
    """A stream opened by ``response.created`` and closed by ``response.completed`` of one id."""
    first, last = reply.events[0], reply.events[-1]
    assert first["type"] == "response.created"
    assert last["type"] == "response.completed"
    assert first["response"]["id"] == last["response"]["id"]
    assert last["response"]["usage"] == responses.usage()
    assert reply.status == 200
    assert reply.body is None
    response_id: str = first["response"]["id"]
    return response_id


def test_usage_adds_input_and_output_into_the_total() -> None:
    assert responses.usage(7, 3) == {
        "input_tokens": 7,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 10,
    }


def test_with_usage_sets_the_usage_of_the_completed_event_only() -> None:
    reply = responses.streamed_text(["a", "b"])
    counted = responses.with_usage(reply, input_tokens=100, output_tokens=20, cached_tokens=40, reasoning_tokens=5)
    completed = counted.events[-1]
    assert completed["response"]["usage"] == {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 40},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 5},
        "total_tokens": 120,
    }
    assert completed["response"]["id"] == reply.events[-1]["response"]["id"]
    # Every other event, and every other field, is the reply's own.
    assert counted.events[:-1] == reply.events[:-1]
    assert (counted.label, counted.delay_s, counted.truncate) == (reply.label, reply.delay_s, reply.truncate)
    # The reply given is left as it was (frozen, shared by tests that enqueue it again).
    assert reply.events[-1]["response"]["usage"] == responses.usage()


def test_with_usage_of_a_failed_stream_changes_nothing() -> None:
    reply = responses.failed()
    assert responses.with_usage(reply, input_tokens=1, output_tokens=1).events == reply.events


def test_text_is_one_whole_assistant_message() -> None:
    reply = responses.text("hello", delay_s=0.25)
    assert_framed(reply)
    (item,) = items(reply)
    assert item["type"] == "message"
    assert item["role"] == "assistant"
    assert item["content"] == [{"type": "output_text", "text": "hello", "annotations": []}]
    assert len(reply.events) == 3
    assert reply.delay_s == 0.25
    assert reply.label == "text"


def test_streamed_text_sends_one_delta_per_chunk_then_the_whole_message() -> None:
    reply = responses.streamed_text(["Hel", "lo", "!"])
    assert_framed(reply)
    added, *deltas, done = reply.events[1:-1]
    assert added["type"] == "response.output_item.added"
    assert added["item"]["content"] == []
    item_id = added["item"]["id"]
    assert [d["type"] for d in deltas] == ["response.output_text.delta"] * 3
    assert [d["delta"] for d in deltas] == ["Hel", "lo", "!"]
    assert {d["item_id"] for d in deltas} == {item_id}
    assert done["item"]["id"] == item_id
    assert done["item"]["content"][0]["text"] == "Hello!"
    assert reply.label == "streamed_text"


def test_each_reply_and_item_gets_a_new_id() -> None:
    first, second = responses.text("a"), responses.text("a")
    assert assert_framed(first) != assert_framed(second)
    assert items(first)[0]["id"] != items(second)[0]["id"]
    # The events hold the ids: two replies of the same text are not equal.
    assert first != second


def test_function_call_sends_its_arguments_as_json_text() -> None:
    reply = responses.function_call("lookup", {"city": "Paris", "days": 2})
    assert_framed(reply)
    (item,) = items(reply)
    assert item["type"] == "function_call"
    assert item["name"] == "lookup"
    assert json.loads(item["arguments"]) == {"city": "Paris", "days": 2}
    assert item["call_id"].startswith("call_")
    assert item["id"].startswith("fc_")
    assert reply.label == "function_call:lookup"


def test_function_call_keeps_a_given_call_id() -> None:
    (item,) = items(responses.function_call("lookup", {}, call_id="call-mine"))
    assert item["call_id"] == "call-mine"


def test_function_calls_puts_every_call_in_one_response_at_its_own_index() -> None:
    reply = responses.function_calls(("first", {"n": 1}), ("second", {"n": 2}, "call-2"))
    assert_framed(reply)
    done = [event for event in reply.events if event["type"] == "response.output_item.done"]
    assert [event["output_index"] for event in done] == [0, 1]
    first, second = (event["item"] for event in done)
    assert (first["name"], json.loads(first["arguments"])) == ("first", {"n": 1})
    assert (second["name"], json.loads(second["arguments"])) == ("second", {"n": 2})
    assert first["call_id"].startswith("call_")
    assert second["call_id"] == "call-2"
    assert reply.label == "function_calls:first,second"


def test_raw_function_call_sends_the_arguments_text_unparsed() -> None:
    reply = responses.raw_function_call("lookup", "{not json", call_id="call-raw")
    assert_framed(reply)
    (item,) = items(reply)
    assert item["arguments"] == "{not json"
    assert item["call_id"] == "call-raw"
    assert item["name"] == "lookup"
    assert reply.label == "raw_function_call:lookup"
    (generated,) = items(responses.raw_function_call("lookup", ""))
    assert generated["call_id"].startswith("call_")


def test_exec_command_sends_only_the_options_given() -> None:
    (bare,) = items(responses.exec_command("ls -la"))
    assert bare["name"] == "exec_command"
    assert json.loads(bare["arguments"]) == {"cmd": "ls -la"}
    (full,) = items(responses.exec_command("make", workdir="/src", login=False, call_id="call-make"))
    assert json.loads(full["arguments"]) == {"cmd": "make", "login": False, "workdir": "/src"}
    assert full["call_id"] == "call-make"


def test_custom_tool_call_sends_freeform_input() -> None:
    reply = responses.custom_tool_call("grammar_tool", "free text\nover lines")
    assert_framed(reply)
    (item,) = items(reply)
    assert item["type"] == "custom_tool_call"
    assert item["name"] == "grammar_tool"
    assert item["input"] == "free text\nover lines"
    assert item["id"].startswith("ctc_")
    assert item["call_id"].startswith("call_")
    assert reply.label == "custom_tool_call:grammar_tool"


def test_apply_patch_is_the_freeform_apply_patch_tool() -> None:
    patch = responses.add_file_patch("notes.md", "one")
    reply = responses.apply_patch(patch, call_id="call-patch")
    (item,) = items(reply)
    assert (item["type"], item["name"], item["input"], item["call_id"]) == (
        "custom_tool_call",
        "apply_patch",
        patch,
        "call-patch",
    )
    assert reply.label == "custom_tool_call:apply_patch"


def test_add_file_patch_adds_every_line_of_the_content() -> None:
    assert responses.add_file_patch("dir/a.txt", "first\nsecond") == (
        "*** Begin Patch\n*** Add File: dir/a.txt\n+first\n+second\n*** End Patch\n"
    )
    assert responses.add_file_patch("empty.txt", "") == "*** Begin Patch\n*** Add File: empty.txt\n*** End Patch\n"


def test_mcp_tool_call_is_a_function_call_in_the_servers_namespace() -> None:
    reply = responses.mcp_tool_call("docs", "search", {"q": "sandbox"}, call_id="call-mcp")
    assert_framed(reply)
    (item,) = items(reply)
    assert item["type"] == "function_call"
    assert item["namespace"] == "mcp__docs"
    assert item["name"] == "search"
    assert json.loads(item["arguments"]) == {"q": "sandbox"}
    assert item["call_id"] == "call-mcp"
    assert reply.label == "mcp_tool_call:docs/search"


def test_tool_search_is_a_client_executed_search_call() -> None:
    reply = responses.tool_search("calendar tools")
    assert_framed(reply)
    (item,) = items(reply)
    assert item == {
        "type": "tool_search_call",
        "call_id": item["call_id"],
        "execution": "client",
        "arguments": {"query": "calendar tools"},
    }
    assert item["call_id"].startswith("search_")
    assert reply.label == "tool_search:calendar tools"
    (given,) = items(responses.tool_search("x", call_id="search-mine"))
    assert given["call_id"] == "search-mine"


def test_structured_sends_the_value_as_json_text() -> None:
    value = {"answer": 42, "tags": ["a", "b"], "ok": True}
    (item,) = items(responses.structured(value))
    assert json.loads(item["content"][0]["text"]) == value


def test_http_error_429_is_a_rate_limit_with_retry_after() -> None:
    reply = responses.http_error(429, "slow down", retry_after_s=1.5)
    assert reply.status == 429
    assert reply.events == ()
    kind = "rate_limit_exceeded"
    assert reply.body == {"error": {"message": "slow down", "type": kind, "code": kind}}
    assert reply.headers == (("retry-after", "1.5"),)
    assert reply.label == "http_429"


def test_http_error_otherwise_is_a_server_error_without_headers() -> None:
    reply = responses.http_error(503)
    assert reply.status == 503
    assert reply.body == {"error": {"message": "mock error", "type": "server_error", "code": "server_error"}}
    assert reply.headers == ()


def test_failed_ends_the_stream_with_response_failed_and_its_error() -> None:
    reply = responses.failed("context_length_exceeded", "too long")
    created, failure = reply.events
    assert created["type"] == "response.created"
    assert failure["type"] == "response.failed"
    assert failure["response"] == {
        "id": created["response"]["id"],
        "status": "failed",
        "error": {"code": "context_length_exceeded", "message": "too long"},
    }
    assert reply.status == 200
    assert reply.label == "failed"
    assert responses.failed().events[1]["response"]["error"]["code"] == "server_error"


def test_truncated_streams_the_message_but_never_completes() -> None:
    reply = responses.truncated("cut short here")
    assert reply.truncate is True
    assert reply.events[0]["type"] == "response.created"
    assert all(event["type"] != "response.completed" for event in reply.events)
    deltas = [event["delta"] for event in reply.events if event["type"] == "response.output_text.delta"]
    assert deltas == ["cut", "short", "here"]
    assert reply.label == "truncated"


def test_slow_stream_pauses_before_every_event() -> None:
    reply = responses.slow_stream(["a", "b"], delay_s=0.5)
    assert reply.delay_s == 0.5
    assert [event["delta"] for event in reply.events if event["type"] == "response.output_text.delta"] == ["a", "b"]
    assert reply.truncate is False


def test_the_label_does_not_take_part_in_equality() -> None:
    events = responses.text("same").events
    assert ScriptedResponse(events=events, label="one") == ScriptedResponse(events=events, label="two")
    assert ScriptedResponse(events=events) != ScriptedResponse(events=events, status=500)
