"""Shared helpers for end-to-end tests: every test here runs the real embedded engine."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from codex.testing import MockResponsesServer
from codex.tools import Tool, tool

from .mock_auth import MockAuthServer

API_KEY = "sk-e2e-test-key"


@pytest.fixture
def outside_dir() -> Iterator[Path]:
    """A directory outside the workspace and outside /tmp (writable for the sandbox)."""
    root = Path.home() / ".cache" / "codex-embedded" / "test-outside"
    path = root / secrets.token_hex(6)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


ROOT = Path(__file__).resolve().parents[2]


def run_python_program(
    program: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Runs ``program`` in a fresh interpreter from the repository's root and asserts that it
    exited cleanly: for what happens once per process (the first client, HTTP client, turn)."""
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=ROOT,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def client_kwargs(mock: MockResponsesServer, workspace: Path, **extra: object) -> dict[str, object]:
    kwargs: dict[str, object] = {"base_url": mock.base_url, "api_key": API_KEY, "cwd": str(workspace)}
    kwargs.update(extra)
    return kwargs


def recording_ping(calls: list[int]) -> Tool:
    """A ``ping(n)`` tool that records each ``n`` in ``calls`` and answers ``pong <n>``."""

    @tool
    def ping(n: int) -> str:
        """Pings."""
        calls.append(n)
        return f"pong {n}"

    return ping


def child_processes() -> list[tuple[int, str]]:
    """Direct children of this process (pid, command name), from /proc."""
    me = str(os.getpid())
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[1] == me and fields[0] != "Z":
            children.append((int(entry), stat[stat.index("(") + 1 : stat.rindex(")")]))
    return children


@pytest.fixture
def keyless(monkeypatch: pytest.MonkeyPatch) -> None:
    """No API key from the environment: credentials can only come from a login."""
    for name in ("OPENAI_API_KEY", "CODEX_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def auth_server(monkeypatch: pytest.MonkeyPatch, keyless: None) -> Iterator[MockAuthServer]:
    """A loopback ChatGPT issuer the engine logs in against; anything else goes to a dead proxy."""
    server = MockAuthServer()
    monkeypatch.setenv("CODEX_APP_SERVER_LOGIN_ISSUER", server.issuer)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield server
    server.close()


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt in this process, as in a terminal. A program started in the
    background by a non-interactive shell (nohup, `cmd &`) inherits SIGINT ignored, and Python
    then installs no handler: the Ctrl-C tests would see nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def default_sigint() -> None:
    """``preexec_fn`` for a child that must see Ctrl-C as a terminal program does (see above)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
