"""Credentials stay where they belong: out of errors, out of the agent's commands, and no
environment variable sends the agent's commands elsewhere."""

from __future__ import annotations

import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex import Codex, CodexConfig, ConfigurationError, HttpStatusError, Sandbox, TurnFailedError
from codex.mcp import McpHttpServer
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs

_ROOT = Path.home() / ".cache" / "codex-embedded" / "test-secrets"


@pytest.fixture
def workspace() -> Iterator[Path]:
    """A workspace outside /tmp (the sandbox opens /tmp for writes)."""
    path = _ROOT / secrets.token_hex(6)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _tool_output(mock: MockResponsesServer) -> str:
    (output,) = mock.response_requests[1].tool_outputs()
    return str(output["output"])


def _dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "sk-proj-" + "Lk9" * 12,  # an OpenAI-style key: caught by its shape too
        "gw-" + secrets.token_hex(16),  # a gateway key of no known shape: caught as the client's key
    ],
)
def test_a_401_echoing_the_key_does_not_carry_it(codex_mock: MockResponsesServer, workspace: Path, key: str) -> None:
    message = f"Incorrect API key provided: {key}. You can find your API key at https://platform.openai.com."
    codex_mock.enqueue(*[responses.http_error(401, message) for _ in range(3)])
    config = CodexConfig(request_max_retries=0, stream_max_retries=0)
    with Codex(config, **client_kwargs(codex_mock, workspace, api_key=key)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        with pytest.raises(TurnFailedError) as caught:
            thread.run("hi")
    error = caught.value
    assert isinstance(error, HttpStatusError)
    assert error.http_status == 401
    # The provider's text is kept, only the key is gone.
    assert "Incorrect API key provided: [REDACTED]" in error.message
    for text in (str(error), repr(error), repr(error.args), error.message, repr(error.codex_error_info)):
        assert key not in text
    assert key not in repr(error.additional_details)
    assert key not in repr(vars(error))


def test_error_events_of_a_failed_turn_do_not_carry_the_key(codex_mock: MockResponsesServer, workspace: Path) -> None:
    key = "gw-" + secrets.token_hex(16)
    codex_mock.enqueue(*[responses.http_error(401, f"Incorrect API key provided: {key}") for _ in range(3)])
    config = CodexConfig(request_max_retries=0, stream_max_retries=0)
    with Codex(config, **client_kwargs(codex_mock, workspace, api_key=key)) as codex:  # type: ignore[arg-type]
        events = list(codex.thread_start().turn("hi").stream())
    failures = [event for event in events if event.method in ("error", "turn/completed")]
    assert failures
    assert any("Incorrect API key provided: [REDACTED]" in repr(event) for event in failures)
    for event in events:
        assert key not in repr(event)


def test_a_bearer_token_in_an_error_is_redacted(codex_mock: MockResponsesServer, workspace: Path) -> None:
    """Text that only looks like a credential (not the client's key) is caught by its shape."""
    token = "tok" + secrets.token_hex(12)
    codex_mock.enqueue(*[responses.http_error(401, f"rejected header Authorization: Bearer {token}") for _ in range(3)])
    config = CodexConfig(request_max_retries=0, stream_max_retries=0)
    with (
        Codex(config, **client_kwargs(codex_mock, workspace)) as codex,  # type: ignore[arg-type]
        pytest.raises(TurnFailedError) as caught,
    ):
        codex.thread_start().run("hi")
    assert "Bearer [REDACTED]" in caught.value.message
    assert token not in repr(caught.value)
    assert token not in str(caught.value)


# -- the environment of the agent's commands -------------------------------------------

_VALUES = {
    "MY_PROVIDER_CRED": "cred-" + secrets.token_hex(8),  # holds the client's key (api_key_env)
    "OPENAI_API_KEY": "sk-ambient-" + secrets.token_hex(8),
    "FOO_SECRET": "secret-" + secrets.token_hex(8),
    "DB_PASSWORD": "pw-" + secrets.token_hex(8),
    "GH_TOKEN": "token-" + secrets.token_hex(8),
    "ORDINARY_SETTING": "plain-" + secrets.token_hex(8),
}


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in _VALUES.items():
        monkeypatch.setenv(name, value)
    return _VALUES


def _env_client(mock: MockResponsesServer, workspace: Path, *overrides: str) -> Codex:
    config = CodexConfig(config_overrides=overrides)
    kwargs = client_kwargs(mock, workspace, api_key=None, api_key_env="MY_PROVIDER_CRED")
    return Codex(config, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("sandbox", [Sandbox.read_only, Sandbox.full_access])
def test_commands_do_not_see_keys_or_secrets(
    codex_mock: MockResponsesServer, workspace: Path, secret_env: dict[str, str], sandbox: Sandbox
) -> None:
    codex_mock.enqueue(responses.exec_command("env", login=False), responses.text("done"))
    with _env_client(codex_mock, workspace) as codex:
        codex.thread_start(sandbox=sandbox).run("show the environment")

    # The key really was the client's: the engine sent it to the provider.
    assert codex_mock.response_requests[0].headers.get("authorization") == f"Bearer {secret_env['MY_PROVIDER_CRED']}"
    output = _tool_output(codex_mock)
    assert f"ORDINARY_SETTING={secret_env['ORDINARY_SETTING']}" in output
    for name in ("MY_PROVIDER_CRED", "OPENAI_API_KEY", "FOO_SECRET", "DB_PASSWORD", "GH_TOKEN"):
        assert name not in output
        assert secret_env[name] not in output


def test_config_overrides_pass_variables_on_purpose(
    codex_mock: MockResponsesServer, workspace: Path, secret_env: dict[str, str]
) -> None:
    codex_mock.enqueue(responses.exec_command("env", login=False), responses.text("done"))
    overrides = (
        # One variable by name, whatever the filters say ...
        f'shell_environment_policy.set.GH_TOKEN="{secret_env["GH_TOKEN"]}"',
        # ... and the engine's own default (everything) for the rest, minus what we name.
        "shell_environment_policy.ignore_default_excludes=true",
        'shell_environment_policy.exclude=["MY_PROVIDER_CRED", "OPENAI_API_KEY"]',
    )
    with _env_client(codex_mock, workspace, *overrides) as codex:
        codex.thread_start(sandbox=Sandbox.read_only).run("show the environment")

    output = _tool_output(codex_mock)
    for name in ("GH_TOKEN", "FOO_SECRET", "DB_PASSWORD", "ORDINARY_SETTING"):
        assert f"{name}={secret_env[name]}" in output
    for name in ("MY_PROVIDER_CRED", "OPENAI_API_KEY"):
        assert secret_env[name] not in output


# -- where commands run ----------------------------------------------------------------


def test_exec_server_variables_do_not_redirect_commands(
    codex_mock: MockResponsesServer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_EXEC_SERVER_URL", f"ws://127.0.0.1:{_dead_port()}")
    target = workspace / "ran-here.txt"
    codex_mock.enqueue(responses.exec_command(f"echo local > {target}; echo RAN", login=False), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, workspace)) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("run it")

    assert target.read_text() == "local\n"
    assert "RAN" in _tool_output(codex_mock)


def test_noise_exec_server_variables_are_ignored_too(
    codex_mock: MockResponsesServer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_EXEC_SERVER_NOISE_REGISTRY_URL", f"http://127.0.0.1:{_dead_port()}")
    monkeypatch.setenv("CODEX_EXEC_SERVER_NOISE_ENVIRONMENT_ID", "env-1")
    monkeypatch.setenv("CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN", "not-a-real-token")
    target = workspace / "ran-here.txt"
    codex_mock.enqueue(responses.exec_command(f"echo local > {target}", login=False), responses.text("ok"))
    with Codex(**client_kwargs(codex_mock, workspace)) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("run it")
    assert target.read_text() == "local\n"


def test_a_home_environments_file_is_not_overridden_by_the_variables(
    codex_mock: MockResponsesServer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine would let CODEX_EXEC_SERVER_NOISE_* win over a home's environments.toml:
    the client refuses to start instead, naming the variable."""
    home = workspace / "home"
    home.mkdir()
    (home / "environments.toml").write_text('default = "none"\ninclude_local = false\n')
    monkeypatch.setenv("CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN", "not-a-real-token")
    with pytest.raises(ConfigurationError, match="CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN"):
        Codex(**client_kwargs(codex_mock, workspace, codex_home=str(home)))  # type: ignore[arg-type]
    monkeypatch.delenv("CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN")
    with Codex(**client_kwargs(codex_mock, workspace, codex_home=str(home))) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("hi").final_response


def test_exec_server_url_option_opts_in(codex_mock: MockResponsesServer, workspace: Path) -> None:
    """The option does what the variable no longer does: commands go to that server (here
    a dead port, so the command fails there and never runs locally)."""
    target = workspace / "ran-here.txt"
    codex_mock.enqueue(responses.exec_command(f"echo local > {target}", login=False), responses.text("ok"))
    config = CodexConfig(exec_server_url=f"ws://127.0.0.1:{_dead_port()}")
    with Codex(config, **client_kwargs(codex_mock, workspace)) as codex:  # type: ignore[arg-type]
        codex.thread_start(sandbox=Sandbox.workspace_write).run("run it")
    assert not target.exists()


def test_an_mcp_servers_bearer_token_is_redacted_like_the_key(
    codex_mock: MockResponsesServer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "mcp-token-" + secrets.token_hex(12)
    monkeypatch.setenv("CODEX_TEST_MCP_TOKEN", token)
    message = f"upstream said: token {token} is not valid here"
    codex_mock.enqueue(*[responses.http_error(400, message) for _ in range(3)])
    server = McpHttpServer(name="remote", url="http://127.0.0.1:9/mcp", bearer_token_env_var="CODEX_TEST_MCP_TOKEN")
    config = CodexConfig(request_max_retries=0, stream_max_retries=0, mcp_servers=(server,))
    with Codex(config, **client_kwargs(codex_mock, workspace)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start()
        with pytest.raises(TurnFailedError) as caught:
            thread.run("hi")
    assert "token [REDACTED] is not valid" in caught.value.message
    assert token not in repr(vars(caught.value))
