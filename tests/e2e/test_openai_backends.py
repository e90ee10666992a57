"""Reaching OpenAI as the engine itself does: no ``base_url``, the engine's built-in provider.

The built-in OpenAI provider is pointed at the loopback mock through the engine's own
base-URL setting (``openai_base_url``), so these turns take the code path a real user's
turns take: an API key goes to the platform Responses API (``/v1``), a ChatGPT login to the
ChatGPT Codex backend (``/backend-api/codex``) with its account id, and the backend's model
catalog decides what a ChatGPT account may use. No environment variable configures the
client; the login issuer is a loopback stand-in, as in ``test_auth.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import codex
from codex import Codex, CodexConfig, CodexError
from codex.testing import MockResponsesServer, RecordedRequest, catalog_model, responses

from .conftest import run_python_program
from .mock_auth import MockAuthServer
from .test_auth import _start_device_login

#: The codex release the embedded engine is (.cargo/config.toml sets it for the build).
ENGINE_VERSION = "0.145.0"
PLATFORM_KEY = "sk-platform-user-key"
#: A version the republished packages would report instead: 0.N.0 with N below 100.
SLOT_VERSION = re.compile(r"(?<![\d.])0\.\d{1,2}\.0(?![\d.])")


@pytest.fixture
def backend() -> Iterator[MockResponsesServer]:
    catalog = [
        catalog_model("gpt-5.5", minimal_client_version="0.144.0", priority=1),
        catalog_model("gpt-from-the-future", minimal_client_version="9.0.0", priority=2),
    ]
    with MockResponsesServer(catalog=catalog) as server:
        yield server


def _built_in_provider_at(url: str) -> tuple[str, ...]:
    return (f'openai_base_url="{url}"', f'chatgpt_base_url="{url}"')


def _assert_engine_identity(request: RecordedRequest) -> None:
    headers = request.headers
    assert headers.get("version") == ENGINE_VERSION
    # The engine keeps one originator per process (the first client's client_name); the
    # default, codex_embedded, is checked in a fresh process below.
    originator = headers.get("originator")
    assert originator
    assert headers.get("user-agent", "").startswith(f"{originator}/{ENGINE_VERSION} ")


FRESH_PROCESS_TURN = """
import json, sys
from codex import Codex, CodexConfig
from codex.testing import MockResponsesServer, responses
with MockResponsesServer() as mock:
    mock.enqueue(responses.text("hi"))
    config = CodexConfig(config_overrides=(f'openai_base_url="{mock.base_url}"',))
    with Codex(config, api_key="sk-fresh-process", cwd=sys.argv[1]) as client:
        client.thread_start().run("hello")
    print(json.dumps(mock.response_requests[-1].headers))
"""


def test_a_fresh_process_identifies_as_codex_embedded(keyless: None, codex_workspace: Path) -> None:
    done = run_python_program(FRESH_PROCESS_TURN, str(codex_workspace), timeout=120)
    headers = json.loads(done.stdout.strip().splitlines()[-1])
    assert headers["originator"] == "codex_embedded"
    assert headers["user-agent"].startswith(f"codex_embedded/{ENGINE_VERSION} (")
    assert headers["user-agent"].endswith(f"(codex_embedded; {codex.__version__})")
    assert headers["version"] == ENGINE_VERSION


def _assert_no_slot_version(requests: list[RecordedRequest]) -> None:
    """No header or URL carries a version of a republished package instead of the engine's."""
    own = f"; {codex.__version__})"  # the SDK's own version, named in the User-Agent's client part
    for request in requests:
        texts = [request.path] + [value.replace(own, "; sdk)") for value in request.headers.values()]
        leaked = [text for text in texts if SLOT_VERSION.search(text)]
        assert not leaked, f"{request.method} {request.path} carries a package slot version: {leaked}"


def test_api_key_turn_goes_to_the_platform_api_as_the_engine_sends_it(
    keyless: None, backend: MockResponsesServer, codex_workspace: Path
) -> None:
    backend.enqueue(responses.text("from the platform"))
    config = CodexConfig(config_overrides=_built_in_provider_at(backend.base_url))
    with Codex(config, api_key=PLATFORM_KEY, cwd=str(codex_workspace)) as client:
        thread = client.thread_start()
        assert thread.run("hello").final_response == "from the platform"
        stored = thread.read()

    (request,) = backend.response_requests
    assert request.path == "/v1/responses"
    assert request.headers["authorization"] == f"Bearer {PLATFORM_KEY}"
    assert "chatgpt-account-id" not in request.headers
    _assert_engine_identity(request)
    assert request.headers.get("session-id") == thread.id
    assert request.headers.get("thread-id") == thread.id
    assert request.method == "WEBSOCKET", "the built-in provider speaks the Responses API over WebSocket"
    assert "responses_websockets=" in request.headers.get("openai-beta", "")
    assert request.body["model"] == "gpt-5.5"
    assert stored.thread.cli_version == ENGINE_VERSION
    _assert_no_slot_version(backend.requests)


def test_chatgpt_login_turn_goes_to_the_codex_backend_with_the_account(
    auth_server: MockAuthServer, backend: MockResponsesServer, codex_workspace: Path
) -> None:
    config = CodexConfig(config_overrides=_built_in_provider_at(backend.chatgpt_base_url))
    with Codex(config, cwd=str(codex_workspace)) as client:
        assert _start_device_login(client, auth_server).wait(timeout=30).success is True

        offered = [model.id for model in client.models().data]
        assert "gpt-5.5" in offered
        assert "gpt-from-the-future" not in offered, "the backend offers only what this version may use"
        catalog_requests = [r for r in backend.requests if r.path.startswith("/backend-api/codex/models")]
        assert catalog_requests, "the catalog is asked of the ChatGPT backend"
        assert all(r.path.endswith(f"client_version={ENGINE_VERSION}") for r in catalog_requests)

        backend.enqueue(responses.text("from the codex backend"))
        thread = client.thread_start()
        assert thread.run("hello").final_response == "from the codex backend"
        request = backend.response_requests[-1]
        assert request.path == "/backend-api/codex/responses"
        assert request.headers.get("chatgpt-account-id") == "acct-test"
        assert request.headers["authorization"].startswith("Bearer ")
        assert request.headers["authorization"] != "Bearer "
        _assert_engine_identity(request)

        # Like the real backend, a model newer than the client is refused.
        with pytest.raises(CodexError, match="not supported when using Codex with a ChatGPT account"):
            client.thread_start(model="gpt-from-the-future").run("hello")
        client.logout()
    _assert_no_slot_version(backend.requests)


def _write_gateway_config(home: Path, mock: MockResponsesServer) -> None:
    gateway = mock.base_url.removesuffix("/v1") + "/gateway/v1"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f"""model = "gpt-5.4"
model_provider = "gateway"

[model_providers.gateway]
name = "A local gateway"
base_url = "{gateway}"
wire_api = "responses"
experimental_bearer_token = "sk-gateway-key"
http_headers = {{ "x-gateway-tenant" = "team-a" }}
"""
    )


def test_a_homes_config_toml_selects_the_provider_and_model(
    keyless: None, codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _write_gateway_config(home, codex_mock)
    with Codex(codex_home=str(home), cwd=str(codex_workspace)) as client:
        client.thread_start().run("through the gateway")
    request = codex_mock.response_requests[-1]
    assert request.path == "/gateway/v1/responses"
    assert request.body["model"] == "gpt-5.4"
    assert request.headers["authorization"] == "Bearer sk-gateway-key"
    assert request.headers.get("x-gateway-tenant") == "team-a"

    # Explicit options win over config.toml.
    with Codex(codex_home=str(home), cwd=str(codex_workspace), model="gpt-5.5") as client:
        client.thread_start().run("a model of my choosing")
    assert codex_mock.response_requests[-1].body["model"] == "gpt-5.5"
    assert codex_mock.response_requests[-1].path == "/gateway/v1/responses"

    with Codex(codex_home=str(home), cwd=str(codex_workspace), base_url=codex_mock.base_url, api_key="sk-x") as client:
        client.thread_start().run("a provider of my choosing")
    assert codex_mock.response_requests[-1].path == "/v1/responses"
    assert codex_mock.response_requests[-1].headers["authorization"] == "Bearer sk-x"


def test_provider_options_that_cannot_apply_are_refused(codex_workspace: Path) -> None:
    with pytest.raises(CodexError, match="not both"):
        Codex(CodexConfig(base_url="http://127.0.0.1:9/v1", model_provider="openai", cwd=str(codex_workspace)))
    with pytest.raises(CodexError, match="request_max_retries"):
        Codex(CodexConfig(request_max_retries=2, api_key="sk-x", cwd=str(codex_workspace)))


def test_an_unreadable_config_toml_is_a_configuration_error(tmp_path: Path, codex_workspace: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("model = [unclosed\n")
    with pytest.raises(CodexError, match=r"config\.toml is not valid TOML"):
        Codex(codex_home=str(home), cwd=str(codex_workspace))
