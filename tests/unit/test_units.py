"""Fast tests of pure-Python pieces (no engine). The behaviour they cover is also exercised end to end."""

from __future__ import annotations

import json
import urllib.request

import pytest

from codex import CodexConfig, ConfigurationError, ExternalMessage, NotSupportedError, TextInput
from codex.config import resolve
from codex.errors import (
    InvalidRequestError,
    RetryLimitExceededError,
    ServerBusyError,
    TurnFailedError,
    is_retryable_error,
    map_jsonrpc_error,
)
from codex.events import UnknownNotification, parse_notification
from codex.inputs import to_wire_input, to_wire_turn_input
from codex.testing import MockResponsesServer, responses


def test_config_overrides_parse_like_the_cli() -> None:
    config = CodexConfig(config_overrides=("a.b=1", "c=true", 'd="x"', "e=plain words"), api_key="k")
    overrides = dict(resolve(config).options["overrides"])
    assert overrides["a.b"] == 1
    assert overrides["c"] is True
    assert overrides["d"] == "x"
    assert overrides["e"] == "plain words"
    with pytest.raises(ConfigurationError):
        resolve(CodexConfig(config_overrides=("novalue",)))


def test_hermetic_overrides_and_provider() -> None:
    options = resolve(CodexConfig(base_url="http://127.0.0.1:1/v1", api_key="k")).options
    overrides = dict(options["overrides"])
    assert overrides["features.plugins"] is False
    assert overrides["analytics.enabled"] is False
    assert overrides["model_provider"] == "codex-embedded"
    assert overrides["model_providers.codex-embedded.base_url"] == "http://127.0.0.1:1/v1"
    assert overrides["model_providers.codex-embedded.experimental_bearer_token"] == "k"


def test_not_applicable_fields() -> None:
    with pytest.raises(NotSupportedError):
        resolve(CodexConfig(launch_args_override=("codex",)))


def test_error_mapping_matches_official_rules() -> None:
    assert isinstance(map_jsonrpc_error(-32600, "bad"), InvalidRequestError)
    assert isinstance(map_jsonrpc_error(-32001, "busy", {"codex_error_info": "server_overloaded"}), ServerBusyError)
    assert isinstance(map_jsonrpc_error(-32001, "retry limit reached"), RetryLimitExceededError)
    failed = TurnFailedError(
        "x", thread_id="t", turn_id="u", codex_error_info={"responseStreamDisconnected": {"httpStatusCode": 502}}
    )
    assert failed.http_status == 502
    assert failed.retryable
    assert is_retryable_error(failed)
    assert not TurnFailedError("x", thread_id="t", turn_id="u", codex_error_info="unauthorized").retryable


def test_inputs_to_wire() -> None:
    assert to_wire_input("hi") == [{"type": "text", "text": "hi", "text_elements": []}]
    assert to_wire_input([TextInput("a")])[0]["text"] == "a"
    with pytest.raises(ConfigurationError):
        to_wire_input([])
    assert to_wire_turn_input(ExternalMessage("tool", "content")) == ([], {"name": "tool", "output": "content"})
    assert to_wire_turn_input(ExternalMessage("tool", [{"type": "text"}], namespace="ns"))[1] == {
        "name": "tool",
        "output": [{"type": "text"}],
        "namespace": "ns",
    }
    with pytest.raises(ConfigurationError):
        to_wire_turn_input(ExternalMessage(" ", "content"))


def test_unknown_notifications_are_kept() -> None:
    event = parse_notification("brand/new", {"x": 1})
    assert isinstance(event.payload, UnknownNotification)
    assert event.to_dict() == {"method": "brand/new", "params": {"x": 1}}
    known = parse_notification(
        "item/agentMessage/delta", {"threadId": "t", "turnId": "u", "itemId": "i", "delta": "d", "extra": 5}
    )
    assert known.to_dict()["params"]["extra"] == 5


def test_mock_server_serves_scripted_sse_and_records() -> None:
    with MockResponsesServer() as mock:
        mock.enqueue(responses.streamed_text(["a", "b"]))
        request = urllib.request.Request(
            f"{mock.base_url}/responses", data=json.dumps({"input": []}).encode(), method="POST"
        )
        with urllib.request.urlopen(request) as response:
            body = response.read().decode()
        assert body.count("event: response.output_text.delta") == 2
        assert "response.completed" in body
        assert mock.response_requests[0].body == {"input": []}


def test_codex_log_env_switches_logging_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from codex import _logging

    logger = logging.getLogger("codex")
    saved = (list(logger.handlers), logger.level)
    try:
        monkeypatch.setenv("CODEX_LOG", "info")
        _logging.configure_from_env()
        _logging.configure_from_env()  # idempotent
        assert logger.level == logging.INFO
        assert sum(getattr(h, "_codex_env_handler", False) for h in logger.handlers) == 1
    finally:
        logger.handlers[:], logger.level = saved
