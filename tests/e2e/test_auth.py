"""Accounts through the real engine: API-key login, ChatGPT device-code and browser logins.

ChatGPT logins run against a loopback stand-in for ``auth.openai.com``: development builds of
the engine take their issuer from ``CODEX_APP_SERVER_LOGIN_ISSUER``. A dead proxy catches any
request that would leave the machine, so a build that ignores the override cannot reach the
internet (those tests then skip, saying why).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from codex import AsyncCodex, Codex, CodexError
from codex.api_models import ApiKeyAccount, ChatgptAccount
from codex.testing import MockResponsesServer, responses

USER_KEY = "sk-user-login-key"


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.signature"


class MockAuthServer:
    """The device-code endpoints of the ChatGPT issuer; the first token poll is 'pending'."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        token = _jwt(
            {
                "email": "dev@example.com",
                "https://api.openai.com/auth": {
                    "chatgpt_plan_type": "plus",
                    "chatgpt_account_id": "acct-test",
                    "chatgpt_user_id": "user-test",
                },
            }
        )
        routes = {
            "/api/accounts/deviceauth/usercode": {"device_auth_id": "dev-1", "user_code": "CODE-1234", "interval": "0"},
            "/api/accounts/deviceauth/token": {
                "authorization_code": "auth-code",
                "code_challenge": "challenge",
                "code_verifier": "verifier",
            },
            "/oauth/token": {"id_token": token, "access_token": token, "refresh_token": "refresh-test"},
        }
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                paths.append(self.path)
                body = routes.get(self.path)
                pending = self.path.endswith("/deviceauth/token") and paths.count(self.path) == 1
                status = 404 if body is None else 403 if pending else 200
                data = json.dumps(body if status == 200 else {}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def keyless(monkeypatch: pytest.MonkeyPatch) -> None:
    """No API key from the environment: credentials can only come from a login."""
    for name in ("OPENAI_API_KEY", "CODEX_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def auth_server(monkeypatch: pytest.MonkeyPatch, keyless: None) -> Iterator[MockAuthServer]:
    server = MockAuthServer()
    monkeypatch.setenv("CODEX_APP_SERVER_LOGIN_ISSUER", server.issuer)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield server
    server.close()


def _keyless_client(mock: MockResponsesServer, workspace: Path) -> Codex:
    return Codex(base_url=mock.base_url, cwd=str(workspace))


def test_api_key_login_is_used_shown_and_forgotten(
    keyless: None, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    with _keyless_client(codex_mock, codex_workspace) as codex:
        before = codex.account()
        assert before.account is None
        assert before.requires_openai_auth is True

        codex.login_api_key(USER_KEY)
        account = codex.account().account
        assert account is not None
        assert isinstance(account.root, ApiKeyAccount)
        codex_mock.enqueue(responses.text("authenticated"))
        assert codex.thread_start().run("hi").final_response == "authenticated"
        assert codex_mock.response_requests[-1].headers["authorization"] == f"Bearer {USER_KEY}"

        codex.logout()
        assert codex.account().account is None


def test_api_key_login_rejects_an_empty_key_and_stays_usable(
    keyless: None, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    with _keyless_client(codex_mock, codex_workspace) as codex:
        with pytest.raises(CodexError, match="api_key"):
            codex.login_api_key("  ")
        assert codex.account().account is None


def _start_device_login(codex: Codex, server: MockAuthServer) -> Any:
    try:
        return codex.login_chatgpt_device_code()
    except CodexError as exc:
        if not server.paths:
            pytest.skip(f"this engine build ignores CODEX_APP_SERVER_LOGIN_ISSUER (release build?): {exc}")
        raise


def test_device_code_login_against_a_loopback_issuer(
    auth_server: MockAuthServer, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    with _keyless_client(codex_mock, codex_workspace) as codex:
        handle = _start_device_login(codex, auth_server)
        assert handle.user_code == "CODE-1234"
        assert handle.verification_url == f"{auth_server.issuer}/codex/device"

        outcome = handle.wait(timeout=30)
        assert outcome.success is True
        assert outcome.login_id == handle.login_id
        assert auth_server.paths.count("/api/accounts/deviceauth/token") == 2, "polled until approved"
        assert "/oauth/token" in auth_server.paths

        account = codex.account().account
        assert account is not None
        assert isinstance(account.root, ChatgptAccount)
        assert account.root.email == "dev@example.com"
        assert account.root.plan_type == "plus"
        codex.logout()
        assert codex.account().account is None


def test_device_code_login_cancelled(
    auth_server: MockAuthServer, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    with _keyless_client(codex_mock, codex_workspace) as codex:
        handle = _start_device_login(codex, auth_server)
        assert handle.cancel().status == "canceled"
        outcome = handle.wait(timeout=30)
        assert outcome.success is False
        assert outcome.error
        assert handle.cancel().status == "notFound"
        assert codex.account().account is None


def test_browser_login_gives_an_auth_url_and_can_be_cancelled(
    auth_server: MockAuthServer, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    with _keyless_client(codex_mock, codex_workspace) as codex:
        handle = codex.login_chatgpt()
        if not handle.auth_url.startswith(auth_server.issuer):
            handle.cancel()
            pytest.skip("this engine build ignores CODEX_APP_SERVER_LOGIN_ISSUER (release build?)")
        assert handle.auth_url.startswith(f"{auth_server.issuer}/oauth/authorize?")
        assert "code_challenge=" in handle.auth_url
        assert handle.cancel().status == "canceled"
        outcome = handle.wait(timeout=30)
        assert outcome.success is False
        assert outcome.login_id == handle.login_id


def test_login_wait_times_out(
    auth_server: MockAuthServer, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    with _keyless_client(codex_mock, codex_workspace) as codex:
        handle = codex.login_chatgpt()
        with pytest.raises(TimeoutError):
            handle.wait(timeout=0.2)
        handle.cancel()


def test_async_account_methods(keyless: None, codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        async with AsyncCodex(base_url=codex_mock.base_url, cwd=str(codex_workspace)) as codex:
            assert (await codex.account()).account is None
            await codex.login_api_key(USER_KEY)
            account = (await codex.account()).account
            assert account is not None
            assert isinstance(account.root, ApiKeyAccount)
            await codex.logout()
            assert (await codex.account()).account is None

    asyncio.run(scenario())


def test_async_device_code_login(
    auth_server: MockAuthServer, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    async def scenario() -> None:
        async with AsyncCodex(base_url=codex_mock.base_url, cwd=str(codex_workspace)) as codex:
            try:
                handle = await codex.login_chatgpt_device_code()
            except CodexError as exc:
                if not auth_server.paths:
                    pytest.skip(f"this engine build ignores CODEX_APP_SERVER_LOGIN_ISSUER: {exc}")
                raise
            assert handle.user_code == "CODE-1234"
            outcome = await handle.wait(timeout=30)
            assert outcome.success is True
            account = (await codex.account()).account
            assert account is not None
            assert isinstance(account.root, ChatgptAccount)

    asyncio.run(scenario())
