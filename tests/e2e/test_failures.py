"""Failed turns raise typed errors with the engine's error info; the thread stays usable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codex import (
    AsyncCodex,
    Codex,
    CodexConfig,
    StreamDisconnectedError,
    TurnFailedError,
    TurnStatus,
    retry_on_overload,
)
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs


def _client(mock: MockResponsesServer, workspace: Path, retries: int) -> Codex:
    config = CodexConfig(request_max_retries=retries, stream_max_retries=retries)
    return Codex(config, **client_kwargs(mock, workspace))  # type: ignore[arg-type]


def test_http_500_then_success_with_retries(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.http_error(500), responses.text("recovered"))
    with _client(codex_mock, codex_workspace, retries=2) as codex:
        result = codex.thread_start().run("hi")
    assert result.final_response == "recovered"
    assert len(codex_mock.response_requests) == 2


@pytest.mark.parametrize("status", [500, 429])
def test_persistent_http_error_raises_typed_error_and_next_turn_works(
    codex_mock: MockResponsesServer, codex_workspace: Path, status: int
) -> None:
    codex_mock.enqueue(*[responses.http_error(status, f"mock {status}") for _ in range(3)])
    with _client(codex_mock, codex_workspace, retries=0) as codex:
        thread = codex.thread_start()
        with pytest.raises(TurnFailedError) as caught:
            thread.run("this fails")
        error = caught.value
        assert isinstance(error, RuntimeError)  # drop-in: openai_codex raises RuntimeError
        assert error.thread_id == thread.id
        assert error.turn_id
        # 429 comes back with its status; a 500 is classified by the engine without one.
        expected = {429: ("responseTooManyFailedAttempts", 429), 500: ("internalServerError", None)}[status]
        assert (error.error_kind, error.http_status) == expected
        assert error.retryable is True
        assert error.codex_error_info is not None

        codex_mock.clear()
        codex_mock.enqueue(responses.text("works again"))
        assert thread.run("again").final_response == "works again"


def test_response_failed_raises_typed_error(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.failed("server_error", "backend exploded"))
    with _client(codex_mock, codex_workspace, retries=0) as codex:
        thread = codex.thread_start()
        with pytest.raises(TurnFailedError) as caught:
            thread.run("boom")
        assert "backend exploded" in caught.value.message
        codex_mock.enqueue(responses.text("fine"))
        assert thread.run("again").status is TurnStatus.completed


def test_truncated_stream_fails_the_turn(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.truncated())
    with _client(codex_mock, codex_workspace, retries=0) as codex:
        thread = codex.thread_start()
        with pytest.raises(StreamDisconnectedError) as caught:
            thread.run("cut")
        assert caught.value.retryable


def test_async_failure_is_typed(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        codex_mock.enqueue(responses.http_error(500), responses.text("after"))
        config = CodexConfig(request_max_retries=0, stream_max_retries=0)
        async with AsyncCodex(config, **client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            with pytest.raises(TurnFailedError) as caught:
                await thread.run("x")
            assert caught.value.error_kind == "internalServerError"
            assert caught.value.retryable
            assert (await thread.run("y")).final_response == "after"

    asyncio.run(scenario())


def test_retry_on_overload_reruns_a_transient_failure(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(responses.http_error(500), responses.text("second try"))
    with _client(codex_mock, codex_workspace, retries=0) as codex:
        thread = codex.thread_start()
        result = retry_on_overload(lambda: thread.run("flaky"), initial_delay_s=0.01)
    assert result.final_response == "second try"
    assert len(codex_mock.response_requests) == 2
