"""``CodexConfig.unload_idle_threads_after_ms``: the engine unloads a thread that has had no
subscriber and no running turn for that long (30 minutes by default), per client; the thread
comes back with ``thread_resume``, with its history and its tools."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from codex import Codex, Thread
from codex.errors import InvalidRequestError
from codex.testing import MockResponsesServer, RecordedRequest, responses

from .conftest import client_kwargs, recording_ping

#: Generous: unloading shuts the thread down and waits for its rollout to be written.
UNLOAD_PATIENCE_S = 30.0


def _status(thread: Thread) -> str:
    return str(thread.read().thread.status.root.type)


def _wait_until_unloaded(thread: Thread) -> None:
    deadline = time.monotonic() + UNLOAD_PATIENCE_S
    while _status(thread) != "notLoaded":
        assert time.monotonic() < deadline, f"thread {thread.id} still {_status(thread)}"
        time.sleep(0.05)


def _user_texts(request: RecordedRequest) -> list[str]:
    texts = []
    for item in request.body.get("input", []):
        if item.get("role") == "user":
            texts += [part.get("text", "") for part in item.get("content", []) if isinstance(part, dict)]
    return texts


def test_an_unsubscribed_idle_thread_unloads_after_the_delay_and_resumes_with_history_and_tools(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    calls: list[int] = []
    ping = recording_ping(calls)
    codex_mock.enqueue(
        responses.text("first answer"),
        responses.function_call("ping", {"n": 7}, call_id="after-unload"),
        responses.text("second answer"),
    )
    kwargs = client_kwargs(codex_mock, codex_workspace)
    with Codex(**kwargs, config=_config(unload_after_ms=100)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(tools=[ping])
        assert thread.run("remember the word heron").final_response == "first answer"
        # Subscribed: loaded however long it is idle.
        time.sleep(0.5)
        assert _status(thread) == "idle"

        assert thread.unsubscribe().status == "unsubscribed"
        _wait_until_unloaded(thread)
        # The old handle's thread is gone from the engine: a typed error, the client usable.
        with pytest.raises(InvalidRequestError, match="thread not found"):
            thread.run("too late")

        resumed = codex.thread_resume(thread.id)
        assert _status(resumed) == "idle"
        assert resumed.run("which word?").final_response == "second answer"

    assert calls == [7]
    last = codex_mock.response_requests[-1]
    assert {str(item["call_id"]): item.get("output") for item in last.tool_outputs()} == {"after-unload": "pong 7"}
    # The model saw the turn from before the unloading.
    assert "remember the word heron" in _user_texts(last)


def test_the_delay_is_per_client_and_ends_with_the_client(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    """Two clients in one process, one with a short delay and one with the default; a third
    client on the home of a closed one with a short delay gets the default again."""
    codex_mock.enqueue(*(responses.text(f"answer {i}") for i in range(3)))
    kwargs = client_kwargs(codex_mock, codex_workspace)
    shared_home = tmp_path / "shared-home"
    with Codex(**kwargs, config=_config(unload_after_ms=100, codex_home=shared_home)) as closed_first:  # type: ignore[arg-type]
        closed_first.thread_start().run("before")

    with (
        Codex(**kwargs, config=_config(codex_home=shared_home)) as default_delay,  # type: ignore[arg-type]
        Codex(**kwargs, config=_config(unload_after_ms=100)) as short_delay,  # type: ignore[arg-type]
    ):
        kept = default_delay.thread_start()
        kept.run("kept")
        dropped = short_delay.thread_start()
        dropped.run("dropped")
        kept.unsubscribe()
        dropped.unsubscribe()
        _wait_until_unloaded(dropped)
        # As long again, and then some: the default's 30 minutes are far off.
        time.sleep(0.5)
        assert _status(kept) == "idle"


def _config(*, unload_after_ms: int | None = None, codex_home: Path | None = None) -> object:
    from codex import CodexConfig

    return CodexConfig(
        unload_idle_threads_after_ms=unload_after_ms,
        codex_home=str(codex_home) if codex_home is not None else None,
    )
