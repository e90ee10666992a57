"""Sandbox modes and options, enforced by the engine's bubblewrap sandbox on real commands.

Every directory here lives outside ``/tmp``: the engine's workspace-write policy
also opens ``/tmp``, which would let a write "succeed" for the wrong reason.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex import AsyncCodex, Codex, Sandbox, SandboxPolicy, TurnStatus
from codex.errors import ConfigurationError
from codex.protocol.models import SandboxMode
from codex.protocol.models import SandboxPolicy as WirePolicy
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs

_ROOT = Path.home() / ".cache" / "codex-embedded" / "test-sandbox"


@pytest.fixture
def dirs() -> Iterator[dict[str, Path]]:
    """A workspace, an extra writable root and an unrelated directory, none under /tmp."""
    base = _ROOT / secrets.token_hex(6)
    made = {name: base / name for name in ("workspace", "extra", "elsewhere")}
    for path in made.values():
        path.mkdir(parents=True)
    yield made
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def client(codex_mock: MockResponsesServer, dirs: dict[str, Path]) -> Iterator[Codex]:
    with Codex(**client_kwargs(codex_mock, dirs["workspace"])) as codex:  # type: ignore[arg-type]
        yield codex


def _write_all(*targets: Path) -> str:
    # `;` so that one refused write does not skip the others.
    return "; ".join(f"echo hi > {target}" for target in targets)


def _tool_output(mock: MockResponsesServer) -> str:
    (output,) = mock.response_requests[1].tool_outputs()
    return str(output["output"])


def test_read_only_denies_writes_even_in_the_workspace(
    codex_mock: MockResponsesServer, client: Codex, dirs: dict[str, Path]
) -> None:
    target = dirs["workspace"] / "denied.txt"
    codex_mock.enqueue(responses.exec_command(_write_all(target), login=False), responses.text("tried"))
    result = client.thread_start(sandbox=Sandbox.read_only).run("write")

    assert result.status is TurnStatus.completed
    assert not target.exists()
    assert "read-only file system" in _tool_output(codex_mock).lower()


def test_workspace_write_allows_workspace_and_extra_roots_only(
    codex_mock: MockResponsesServer, client: Codex, dirs: dict[str, Path]
) -> None:
    inside, extra, elsewhere = (dirs[name] / "f.txt" for name in ("workspace", "extra", "elsewhere"))
    codex_mock.enqueue(responses.exec_command(_write_all(inside, extra, elsewhere), login=False), responses.text("ok"))
    policy = SandboxPolicy(Sandbox.workspace_write, writable_roots=[dirs["extra"]])
    client.thread_start(sandbox=policy).run("write three files")

    assert inside.read_text() == "hi\n"
    assert extra.read_text() == "hi\n"
    assert not elsewhere.exists()
    assert "read-only file system" in _tool_output(codex_mock).lower()


def test_extra_root_is_refused_without_the_option(
    codex_mock: MockResponsesServer, client: Codex, dirs: dict[str, Path]
) -> None:
    """The control for the test above: the same write to `extra` fails with a bare mode."""
    extra = dirs["extra"] / "f.txt"
    codex_mock.enqueue(responses.exec_command(_write_all(extra), login=False), responses.text("ok"))
    client.thread_start(sandbox=Sandbox.workspace_write).run("write")
    assert not extra.exists()


def test_policy_per_turn_overrides_the_thread(
    codex_mock: MockResponsesServer, client: Codex, dirs: dict[str, Path]
) -> None:
    first, second = dirs["extra"] / "first.txt", dirs["extra"] / "second.txt"
    codex_mock.enqueue(
        responses.exec_command(_write_all(first), login=False),
        responses.text("wrote"),
        responses.exec_command(_write_all(second), login=False),
        responses.text("refused"),
    )
    thread = client.thread_start(sandbox=Sandbox.read_only)
    thread.run("write", sandbox=SandboxPolicy(Sandbox.workspace_write, writable_roots=[dirs["extra"]]))
    assert first.read_text() == "hi\n"

    thread.run("write again", sandbox=Sandbox.read_only)
    assert not second.exists()


def test_the_wire_types_set_the_same_sandboxes(
    codex_mock: MockResponsesServer, client: Codex, dirs: dict[str, Path]
) -> None:
    """The test above with the generated SandboxMode and SandboxPolicy in place of the SDK's."""
    first, second = dirs["extra"] / "first.txt", dirs["extra"] / "second.txt"
    codex_mock.enqueue(
        responses.exec_command(_write_all(first), login=False),
        responses.text("wrote"),
        responses.exec_command(_write_all(second), login=False),
        responses.text("refused"),
    )
    thread = client.thread_start(sandbox=SandboxMode.read_only)
    wire = WirePolicy.model_validate({"type": "workspaceWrite", "writableRoots": [str(dirs["extra"])]})
    thread.run("write", sandbox=wire)
    assert first.read_text() == "hi\n"

    thread.run("write again", sandbox=SandboxMode.read_only)
    assert not second.exists()


def test_full_access_writes_anywhere(codex_mock: MockResponsesServer, client: Codex, dirs: dict[str, Path]) -> None:
    target = dirs["elsewhere"] / "free.txt"
    codex_mock.enqueue(responses.exec_command(_write_all(target), login=False), responses.text("ok"))
    client.thread_start(sandbox=Sandbox.full_access).run("write")
    assert target.read_text() == "hi\n"


class _Listener:
    """A loopback TCP listener counting the connections that reach it."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port: int = self._socket.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.close()


def _connect_command(port: int) -> str:
    script = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3).close(); print('CONNECTED')"
    return f'{sys.executable} -c "{script}"'


@pytest.mark.parametrize("mode", [Sandbox.read_only, Sandbox.workspace_write])
def test_network_off_blocks_a_connection(
    codex_mock: MockResponsesServer, client: Codex, listener: _Listener, mode: Sandbox
) -> None:
    codex_mock.enqueue(responses.exec_command(_connect_command(listener.port), login=False), responses.text("ok"))
    client.thread_start(sandbox=SandboxPolicy(mode, network_access=False)).run("connect")

    assert listener.accepted == 0
    output = _tool_output(codex_mock)
    assert "CONNECTED" not in output
    # The engine's seccomp filter refuses the socket itself.
    assert "Operation not permitted" in output


def test_network_on_lets_the_same_connection_through(
    codex_mock: MockResponsesServer, client: Codex, listener: _Listener
) -> None:
    """The control for the test above: the command and listener work when the network is on."""
    codex_mock.enqueue(responses.exec_command(_connect_command(listener.port), login=False), responses.text("ok"))
    client.thread_start(sandbox=SandboxPolicy(Sandbox.workspace_write, network_access=True)).run("connect")

    assert "CONNECTED" in _tool_output(codex_mock)
    assert listener.accepted == 1


def test_network_per_turn_on_a_read_only_thread(
    codex_mock: MockResponsesServer, client: Codex, listener: _Listener
) -> None:
    codex_mock.enqueue(
        responses.exec_command(_connect_command(listener.port), login=False),
        responses.text("ok"),
    )
    thread = client.thread_start(sandbox=Sandbox.read_only)
    thread.run("connect", sandbox=SandboxPolicy(Sandbox.read_only, network_access=True))
    assert "CONNECTED" in _tool_output(codex_mock)
    assert listener.accepted == 1


def test_bad_policies_raise_and_leave_the_client_usable(codex_mock: MockResponsesServer, client: Codex) -> None:
    with pytest.raises(ConfigurationError, match=r"only apply to Sandbox\.workspace_write"):
        SandboxPolicy(Sandbox.read_only, writable_roots=["/srv"])
    with pytest.raises(ConfigurationError, match="cannot block the network"):
        SandboxPolicy(Sandbox.full_access, network_access=False)
    with pytest.raises(ConfigurationError, match="list of paths"):
        SandboxPolicy(Sandbox.workspace_write, writable_roots="/srv")
    with pytest.raises(ConfigurationError, match="per turn"):
        client.thread_start(sandbox=SandboxPolicy(Sandbox.read_only, network_access=True))
    with pytest.raises(ConfigurationError, match="sandbox must be one of"):
        client.thread_start(sandbox="workspace-write")  # type: ignore[arg-type]
    assert client.thread_start().run("still here").final_response == "Hello from the mock."


def test_policies_on_the_async_client(codex_mock: MockResponsesServer, dirs: dict[str, Path]) -> None:
    extra, elsewhere = dirs["extra"] / "a.txt", dirs["elsewhere"] / "a.txt"

    async def scenario() -> None:
        codex_mock.enqueue(responses.exec_command(_write_all(extra, elsewhere), login=False), responses.text("ok"))
        async with AsyncCodex(**client_kwargs(codex_mock, dirs["workspace"])) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start(sandbox=Sandbox.read_only)
            policy = SandboxPolicy(Sandbox.workspace_write, writable_roots=[str(dirs["extra"])])
            await thread.run("write", sandbox=policy)

    asyncio.run(scenario())
    assert extra.read_text() == "hi\n"
    assert not elsewhere.exists()
