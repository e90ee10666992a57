"""The normalizer and comparison behind tests/e2e/test_backend_requests_parity.py."""

from __future__ import annotations

import json
from typing import Any

from codex.testing import RecordedRequest
from tests.contract.normalize import compare_backend_requests, normalize_backend_requests, normalize_header

THREAD = "01a241d5-b32d-7233-ae1f-d8393345af59"
OTHER = "41654037-af44-4860-9e1d-beed46b76dc6"


def _turn(**headers: str) -> RecordedRequest:
    base = {
        "Host": "127.0.0.1:38915",
        "Authorization": "Bearer sk-secret",
        "User-Agent": "codex_python_sdk/0.163.0 (Debian 12.0.0; x86_64) xterm (codex_python_sdk; 0.163.0)",
        "version": "0.163.0",
        "session-id": THREAD,
        "x-codex-window-id": f"{THREAD}:0",
        "x-codex-turn-metadata": json.dumps(
            {"installation_id": OTHER, "thread_id": THREAD, "turn_started_at_unix_ms": 1796400837596}
        ),
        "sec-websocket-key": "SA63NzeZUBa7KMwQUpxGhw==",
    }
    base.update(headers)
    return RecordedRequest("WEBSOCKET", "/v1/responses", base, {"type": "response.create", "model": "m", "input": []})


def _normalized(*requests: RecordedRequest) -> list[Any]:
    return normalize_backend_requests(requests, {"sk-secret": "<key>", THREAD: "<thread>"})


def test_run_specific_values_become_placeholders_and_versions_stay() -> None:
    (record,) = _normalized(_turn())
    assert record["kind"] == "turn"
    assert record["transport"] == "websocket"
    assert record["body_keys"] == ["input", "model", "type"]
    headers = record["headers"]
    assert headers["authorization"] == "Bearer <key>"
    assert headers["host"] == "127.0.0.1:<port>"
    assert headers["sec-websocket-key"] == "<sec-websocket-key>"
    assert headers["session-id"] == "<thread>"
    assert headers["x-codex-window-id"] == "<thread>:0"
    assert headers["version"] == "0.163.0"
    assert headers["user-agent"] == "codex_python_sdk/0.163.0 (<os>) <terminal> (codex_python_sdk; 0.163.0)"
    assert headers["x-codex-turn-metadata"] == {
        "installation_id": "<uuid>",
        "thread_id": "<thread>",
        "turn_started_at_unix_ms": "<timestamp>",
    }


def test_warm_ups_sub_agents_and_other_requests_have_their_own_kind() -> None:
    warm_up = RecordedRequest("WEBSOCKET", "/v1/responses", {}, {"generate": False})
    guardian = RecordedRequest("WEBSOCKET", "/v1/responses", {"x-openai-subagent": "guardian"}, {"generate": False})
    models = RecordedRequest("GET", "/backend-api/codex/models?client_version=0.145.0", {}, None)
    kinds = [record["kind"] for record in _normalized(warm_up, guardian, models)]
    assert kinds == ["GET /backend-api/codex/models", "guardian warm-up", "warm-up"]


def test_every_difference_is_named() -> None:
    official = _normalized(_turn(), RecordedRequest("WEBSOCKET", "/v1/responses", {}, {"generate": False}))
    changed = _turn(version="0.145.0", extra="1")
    changed.headers.pop("session-id")
    changed.headers["x-codex-turn-metadata"] = json.dumps({"thread_id": THREAD, "turn_started_at_unix_ms": 1})
    changed.body["instructions"] = "..."
    ours = _normalized(RecordedRequest("POST", "/v1/responses", changed.headers, changed.body))
    keys = [difference.key for difference in compare_backend_requests(official, ours)]
    assert keys == [
        "turn: transport changed",
        "turn: method changed",
        "turn: header extra extra",
        "turn: header session-id missing",
        "turn: header version changed",
        "turn: header x-codex-turn-metadata.installation_id missing",
        "turn: body key instructions extra",
        "warm-up: request missing",
    ]
    assert compare_backend_requests(official, official) == []


def test_a_header_that_is_not_json_or_a_user_agent_is_kept_as_text() -> None:
    assert normalize_header("x-codex-turn-metadata", "not json") == "not json"
    assert normalize_header("user-agent", "curl/8") == "curl/8"
