"""Thread operations beyond turns: read, rename, list and resume from a kept home."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from codex import Codex, CodexConfig
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs


def test_read_and_set_name(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    codex_mock.enqueue(responses.text("remembered"))
    thread = codex_client.thread_start()
    thread.run("remember this")
    thread.set_name("my thread")
    state = thread.read(include_turns=True)
    assert state.thread.id == thread.id
    assert state.thread.name == "my thread"
    (turn,) = state.thread.turns
    assert turn.status == "completed"


def test_resume_from_a_kept_home_sees_the_history(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    home = Path.home() / ".cache" / "codex-embedded" / "test-homes" / secrets.token_hex(6)
    try:
        config = CodexConfig(codex_home=str(home))
        codex_mock.enqueue(responses.text("first"))
        with Codex(config, **client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = codex.thread_start()
            thread_id = thread.id
            assert thread.run("hello").final_response == "first"
        assert home.is_dir(), "a home the user gave is kept"

        codex_mock.enqueue(responses.text("second"))
        with Codex(config, **client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            listed = codex.thread_list(limit=10)
            assert thread_id in [entry.id for entry in listed.data]
            resumed = codex.thread_resume(thread_id)
            assert resumed.run("again").final_response == "second"
        texts = codex_mock.response_requests[-1].input_texts()
        assert texts.index("hello") < texts.index("first") < texts.index("again")
    finally:
        shutil.rmtree(home, ignore_errors=True)
