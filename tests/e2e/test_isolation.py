"""In-process guarantees: no leftover children, no lost events, clients isolated from each other."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from pathlib import Path

from codex import Codex, CodexConfig
from codex.events import AgentMessageDeltaNotification
from codex.testing import MockResponsesServer, RecordedRequest, responses

from .conftest import child_processes, client_kwargs


def _libc_environ() -> list[bytes]:
    """The real process environment (libc ``environ``), not Python's copy."""
    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
    values = []
    index = 0
    while environ[index]:
        values.append(environ[index])
        index += 1
    return sorted(values)


def test_plain_turn_leaves_no_child_process(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    before = child_processes()
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("hi").final_response == "Hello from the mock."
        # The engine is in-process: no agent process runs beside us, even mid-session.
        during = [child for child in child_processes() if child not in before]
        assert not [name for _, name in during if "codex" in name]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and [c for c in child_processes() if c not in before]:
        time.sleep(0.05)
    assert [c for c in child_processes() if c not in before] == []


def test_twenty_thousand_deltas_all_reach_python_in_order(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    chunks = [f"{i}," for i in range(20_000)]
    codex_mock.enqueue(responses.streamed_text(chunks))
    turn = codex_client.thread_start().turn("flood")
    received = [
        event.payload.delta for event in turn.stream() if isinstance(event.payload, AgentMessageDeltaNotification)
    ]
    assert len(received) == 20_000
    assert received == chunks
    assert turn.run().final_response == "".join(chunks)
    assert codex_client._native_engine().stats()["events_lagged"] == 0


def test_two_clients_with_own_homes_and_keys_run_concurrently(codex_workspace: Path, tmp_path: Path) -> None:
    env_before = dict(os.environ)
    cwd_before = os.getcwd()
    libc_before = _libc_environ()
    homes = [Path.home() / ".cache" / "codex-embedded" / "test-homes" / f"{os.getpid()}-{name}" for name in "ab"]
    results: dict[str, str | None] = {}
    errors: list[BaseException] = []

    def reply_with_key(request: RecordedRequest) -> responses.ScriptedResponse:
        return responses.text(f"key={request.headers.get('authorization')}")

    with MockResponsesServer(responder=reply_with_key) as mock:

        def run(name: str, home: Path) -> None:
            try:
                config = CodexConfig(codex_home=str(home), base_url=mock.base_url, api_key=f"sk-client-{name}")
                with Codex(config, cwd=str(codex_workspace)) as codex:
                    assert Path(codex.codex_home) == home.resolve()
                    results[name] = codex.thread_start().run(f"hello from {name}").final_response
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        workers = [threading.Thread(target=run, args=(name, home)) for name, home in zip("ab", homes, strict=True)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)

    assert errors == []
    assert results == {"a": "key=Bearer sk-client-a", "b": "key=Bearer sk-client-b"}
    for name, home in zip("ab", homes, strict=True):
        # Each client's history is stored in its own home, and only there.
        stored = "".join(path.read_text() for path in home.glob("sessions/**/rollout-*.jsonl"))
        other = "b" if name == "a" else "a"
        assert f"hello from {name}" in stored
        assert f"hello from {other}" not in stored
    assert dict(os.environ) == env_before
    assert _libc_environ() == libc_before
    assert os.getcwd() == cwd_before


def test_private_home_is_created_outside_tmp_and_removed_on_close(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    codex = Codex(**client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
    home = Path(codex.codex_home)
    assert home.is_dir()
    assert not str(home).startswith("/tmp")
    assert home != Path.home() / ".codex"
    codex.close()
    assert not home.exists()
