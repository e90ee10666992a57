"""Accounts: API-key and ChatGPT login, the current account, logout.

The engine keeps credentials in the client's home (``auth.json``), so a private home
forgets them on ``close()``. ChatGPT logins return a live handle: the browser flow gives
an ``auth_url`` for the user to open, the device-code flow a ``verification_url`` and a
``user_code``; ``wait()`` blocks until the engine reports the attempt finished.
Both flows talk to ``https://auth.openai.com`` and need a real ChatGPT account; only
development builds honour ``CODEX_APP_SERVER_LOGIN_ISSUER`` (how the tests point them at a
loopback server).

The sync classes are generated from the async ones by ``scripts/generate_sync_twins.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import api_models
from .errors import CodexError, ConfigurationError
from .events import JsonObject

if TYPE_CHECKING:
    from ._session import AsyncSession, Session
    from .api_models import AccountLoginCompletedNotification, CancelLoginAccountResponse, GetAccountResponse

_POLL_S = 0.05


def _deadline(timeout: float | None) -> float | None:
    if timeout is not None and (not isinstance(timeout, int | float) or timeout < 0):
        raise ConfigurationError(f"timeout must be a non-negative number of seconds, got {timeout!r}")
    return None if timeout is None else time.monotonic() + timeout


def _timed_out(deadline: float | None, login_id: str) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise TimeoutError(f"login {login_id} did not finish in time")


def _api_key_params(api_key: str) -> JsonObject:
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigurationError("api_key must be a nonempty string")
    return {"type": "apiKey", "apiKey": api_key}


def _expect(response: JsonObject, kind: str, fields: tuple[str, ...]) -> list[str]:
    if response.get("type") != kind or not all(isinstance(response.get(name), str) for name in fields):
        raise CodexError(f"unexpected {kind} login response: {response!r}")
    return [str(response[name]) for name in fields]


# --- sync twin source: the async login handles and AsyncAccountApi ---
@dataclass(slots=True)
class AsyncChatgptLoginHandle:
    """A browser login in progress: open ``auth_url``, then ``await wait()``."""

    _session: AsyncSession
    login_id: str
    auth_url: str

    async def wait(self, *, timeout: float | None = None) -> AccountLoginCompletedNotification:
        """Waits until the engine reports this attempt finished (``success`` tells how)."""
        return await _wait_async(self._session, self.login_id, timeout)

    async def cancel(self) -> CancelLoginAccountResponse:
        return await _cancel_async(self._session, self.login_id)


@dataclass(slots=True)
class AsyncDeviceCodeLoginHandle:
    """A device-code login in progress: show ``verification_url`` and ``user_code``, then ``await wait()``."""

    _session: AsyncSession
    login_id: str
    verification_url: str
    user_code: str

    async def wait(self, *, timeout: float | None = None) -> AccountLoginCompletedNotification:
        """Waits until the engine reports this attempt finished (``success`` tells how)."""
        return await _wait_async(self._session, self.login_id, timeout)

    async def cancel(self) -> CancelLoginAccountResponse:
        return await _cancel_async(self._session, self.login_id)


async def _wait_async(session: AsyncSession, login_id: str, timeout: float | None) -> AccountLoginCompletedNotification:
    import asyncio

    deadline = _deadline(timeout)
    while True:
        outcome = session.take_login_outcome(login_id)
        if outcome is not None:
            return outcome
        _timed_out(deadline, login_id)
        await asyncio.sleep(_POLL_S)


async def _cancel_async(session: AsyncSession, login_id: str) -> CancelLoginAccountResponse:
    response = await session.request("account/login/cancel", {"loginId": login_id})
    return api_models.CancelLoginAccountResponse.model_validate(response)


class AsyncAccountApi:
    """Account methods of :class:`~codex.AsyncCodex`."""

    if TYPE_CHECKING:
        _session: AsyncSession

    async def login_api_key(self, api_key: str) -> None:
        """Signs in with an API key (stored in this client's home)."""
        await self._session.request("account/login/start", _api_key_params(api_key))

    async def login_chatgpt(self) -> AsyncChatgptLoginHandle:
        """Starts a browser ChatGPT login (a local callback server listens; no browser is opened)."""
        response = await self._session.request("account/login/start", {"type": "chatgpt"})
        login_id, auth_url = _expect(response, "chatgpt", ("loginId", "authUrl"))
        return AsyncChatgptLoginHandle(self._session, login_id, auth_url)

    async def login_chatgpt_device_code(self) -> AsyncDeviceCodeLoginHandle:
        """Starts a device-code ChatGPT login."""
        response = await self._session.request("account/login/start", {"type": "chatgptDeviceCode"})
        login_id, url, code = _expect(response, "chatgptDeviceCode", ("loginId", "verificationUrl", "userCode"))
        return AsyncDeviceCodeLoginHandle(self._session, login_id, url, code)

    async def account(self, *, refresh_token: bool = False) -> GetAccountResponse:
        """Who is signed in (``account`` is None when nobody is)."""
        response = await self._session.request("account/read", {"refreshToken": refresh_token})
        return api_models.GetAccountResponse.model_validate(response)

    async def logout(self) -> None:
        """Forgets the stored credentials."""
        await self._session.request("account/logout", None)


# --- end sync twin source ---


# --- generated from the async login handles and AsyncAccountApi by scripts/generate_sync_twins.py; do not edit ---
@dataclass(slots=True)
class ChatgptLoginHandle:
    """A browser login in progress: open ``auth_url``, then ``wait()``."""

    _session: Session
    login_id: str
    auth_url: str

    def wait(self, *, timeout: float | None = None) -> AccountLoginCompletedNotification:
        """Blocks until the engine reports this attempt finished (``success`` tells how)."""
        return _wait(self._session, self.login_id, timeout)

    def cancel(self) -> CancelLoginAccountResponse:
        return _cancel(self._session, self.login_id)


@dataclass(slots=True)
class DeviceCodeLoginHandle:
    """A device-code login in progress: show ``verification_url`` and ``user_code``, then ``wait()``."""

    _session: Session
    login_id: str
    verification_url: str
    user_code: str

    def wait(self, *, timeout: float | None = None) -> AccountLoginCompletedNotification:
        """Blocks until the engine reports this attempt finished (``success`` tells how)."""
        return _wait(self._session, self.login_id, timeout)

    def cancel(self) -> CancelLoginAccountResponse:
        return _cancel(self._session, self.login_id)


def _wait(session: Session, login_id: str, timeout: float | None) -> AccountLoginCompletedNotification:
    deadline = _deadline(timeout)
    while True:
        outcome = session.take_login_outcome(login_id)
        if outcome is not None:
            return outcome
        _timed_out(deadline, login_id)
        time.sleep(_POLL_S)


def _cancel(session: Session, login_id: str) -> CancelLoginAccountResponse:
    response = session.request("account/login/cancel", {"loginId": login_id})
    return api_models.CancelLoginAccountResponse.model_validate(response)


class AccountApi:
    """Account methods of :class:`~codex.Codex`."""

    if TYPE_CHECKING:
        _session: Session

    def login_api_key(self, api_key: str) -> None:
        """Signs in with an API key (stored in this client's home)."""
        self._session.request("account/login/start", _api_key_params(api_key))

    def login_chatgpt(self) -> ChatgptLoginHandle:
        """Starts a browser ChatGPT login (a local callback server listens; no browser is opened)."""
        response = self._session.request("account/login/start", {"type": "chatgpt"})
        login_id, auth_url = _expect(response, "chatgpt", ("loginId", "authUrl"))
        return ChatgptLoginHandle(self._session, login_id, auth_url)

    def login_chatgpt_device_code(self) -> DeviceCodeLoginHandle:
        """Starts a device-code ChatGPT login."""
        response = self._session.request("account/login/start", {"type": "chatgptDeviceCode"})
        login_id, url, code = _expect(response, "chatgptDeviceCode", ("loginId", "verificationUrl", "userCode"))
        return DeviceCodeLoginHandle(self._session, login_id, url, code)

    def account(self, *, refresh_token: bool = False) -> GetAccountResponse:
        """Who is signed in (``account`` is None when nobody is)."""
        response = self._session.request("account/read", {"refreshToken": refresh_token})
        return api_models.GetAccountResponse.model_validate(response)

    def logout(self) -> None:
        """Forgets the stored credentials."""
        self._session.request("account/logout", None)


# --- end generated ---


__all__ = [
    "AccountApi",
    "AsyncAccountApi",
    "AsyncChatgptLoginHandle",
    "AsyncDeviceCodeLoginHandle",
    "ChatgptLoginHandle",
    "DeviceCodeLoginHandle",
]
