"""Bad input gets a typed exception and leaves the client usable."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from codex import (
    Codex,
    CodexConfig,
    ConfigurationError,
    EngineStartError,
    InvalidParamsError,
    JsonRpcError,
    NotSupportedError,
)
from codex.testing import MockResponsesServer

from .conftest import client_kwargs


def test_invalid_options_raise_and_client_stays_usable(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    with pytest.raises(ConfigurationError):
        codex_client.thread_start(sandbox="everything")  # type: ignore[arg-type]
    thread = codex_client.thread_start()
    with pytest.raises(ConfigurationError):
        thread.run([])
    with pytest.raises(ConfigurationError):
        thread.run(object())  # type: ignore[arg-type]
    assert thread.run("fine").final_response == "Hello from the mock."


def test_engine_rejections_are_typed(codex_client: Codex) -> None:
    with pytest.raises(InvalidParamsError):
        codex_client._request("turn/start", {"threadId": 42})
    with pytest.raises(JsonRpcError):
        codex_client._request("thread/read", {"threadId": "no-such-thread"})
    assert codex_client.thread_start().id


def test_not_applicable_options_explain_themselves(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    with pytest.raises(NotSupportedError, match="inside this process"):
        Codex(CodexConfig(codex_bin="/usr/bin/codex"))
    with pytest.raises(NotSupportedError, match="environment"):
        Codex(CodexConfig(env={"PATH": "/bin"}))


def test_bad_override_fails_at_start_with_typed_error(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    config = CodexConfig(config_overrides=("sandbox_mode=42",))
    with pytest.raises(EngineStartError):
        Codex(config, **client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]


def test_wrong_helper_is_rejected(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    config = CodexConfig(helper_path="/bin/true")
    with pytest.raises(EngineStartError, match="helper"):
        Codex(config, **client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]


def test_api_key_never_in_repr_or_logs(
    codex_mock: MockResponsesServer, codex_workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-super-secret-value"
    config = CodexConfig(api_key=secret)
    assert secret not in repr(config)
    assert secret not in str(config)
    with caplog.at_level(logging.DEBUG), Codex(config, base_url=codex_mock.base_url, cwd=str(codex_workspace)) as codex:
        assert secret not in repr(codex)
        codex.thread_start().run("hi")
    assert secret not in caplog.text
    assert codex_mock.response_requests[0].headers["authorization"] == f"Bearer {secret}"
