"""Accounts through the real engine: API-key login, ChatGPT device-code and browser logins.

ChatGPT logins run against a loopback stand-in for ``auth.openai.com``: development builds of
the engine take their issuer from ``CODEX_APP_SERVER_LOGIN_ISSUER``. A dead proxy catches any
request that would leave the machine, so a build that ignores the override cannot reach the
internet (those tests then skip, saying why).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from codex import AsyncCodex, Codex, CodexError
from codex.api_models import ApiKeyAccount, ChatgptAccount
from codex.testing import MockResponsesServer, responses

from .mock_auth import MockAuthServer

USER_KEY = "sk-user-login-key"


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


def test_a_flood_of_unrouted_notifications_does_not_lose_a_login_completion(
    auth_server: MockAuthServer, codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    """The completion waits in the session's unrouted subscription, however much else arrives
    there: here 3,000 deltas of a turn whose thread has no open stream (a ring of 1,024 kept
    before lost the completion under such a burst)."""
    with _keyless_client(codex_mock, codex_workspace) as codex:
        handle = _start_device_login(codex, auth_server)
        assert handle.cancel().status == "canceled"
        codex.login_api_key(USER_KEY)

        # A turn started by raw requests: no stream is subscribed to its thread.
        session = codex._session
        thread_id = session.request("thread/start", {"cwd": str(codex_workspace)})["thread"]["id"]
        codex_mock.enqueue(responses.streamed_text([f"<{i}>" for i in range(3000)]))
        session.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "flood"}]})
        deadline = time.monotonic() + 60
        while True:
            status = session.request("thread/read", {"threadId": thread_id})["thread"]["status"]
            if status["type"] == "idle" and codex.delivery_stats().turn_text_deltas >= 3000:
                break
            assert time.monotonic() < deadline, "the flooding turn did not finish"
            time.sleep(0.05)

        outcome = handle.wait(timeout=30)
        assert outcome.success is False
        assert outcome.login_id == handle.login_id
        # The deltas went the same way and were counted, not kept.
        assert codex.delivery_stats().unrouted_dropped >= 3000
