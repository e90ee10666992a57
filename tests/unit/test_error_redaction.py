"""Every SDK error is scrubbed of credentials, whatever built it and whatever field holds the text."""

from __future__ import annotations

import pickle
import secrets

import pytest

from codex import _logging
from codex.errors import (
    CodexError,
    ConfigurationError,
    EngineStartError,
    HttpStatusError,
    JsonRpcError,
    TurnFailedError,
    map_jsonrpc_error,
    turn_failed_error,
)

KEY = "sk-proj-" + "a1B2" * 8
PLAIN_KEY = "gw-" + secrets.token_hex(16)  # no recognizable shape: known only as a registered secret


@pytest.fixture(autouse=True)
def registered() -> None:
    _logging.register_secret(PLAIN_KEY)


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), repr(error.args), repr(vars(error))]


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY])
def test_failed_turn_errors_are_scrubbed(key: str) -> None:
    error = turn_failed_error(
        f"unexpected status 401 Unauthorized: Incorrect API key provided: {key}",
        thread_id="t",
        turn_id="u",
        codex_error_info={"httpConnectionFailed": {"httpStatusCode": 401, "detail": key}},
        additional_details=f"Authorization: Bearer {key}",
    )
    assert isinstance(error, HttpStatusError)
    assert error.http_status == 401
    assert error.message == "unexpected status 401 Unauthorized: Incorrect API key provided: [REDACTED]"
    for text in _texts(error):
        assert key not in text


def test_json_rpc_errors_scrub_message_and_data() -> None:
    error = map_jsonrpc_error(-32603, f"login failed for {KEY}", {"key": KEY, "nested": [f"Bearer {PLAIN_KEY}"]})
    assert isinstance(error, JsonRpcError)
    assert error.message == "login failed for [REDACTED]"
    for text in _texts(error):
        assert KEY not in text
        assert PLAIN_KEY not in text


@pytest.mark.parametrize("cls", [CodexError, ConfigurationError, EngineStartError])
def test_plain_errors_and_later_assignments_are_scrubbed(cls: type[CodexError]) -> None:
    error = cls(f"bad key {PLAIN_KEY}", KEY)
    error.detail = {"api_key": PLAIN_KEY}
    error.args = (f"reassigned {KEY}",)
    for text in _texts(error):
        assert KEY not in text
        assert PLAIN_KEY not in text


def test_a_subclass_that_sets_its_own_fields_is_covered() -> None:
    class GatewayError(TurnFailedError):
        def __init__(self, body: str) -> None:
            super().__init__("gateway refused", thread_id="t", turn_id="u")
            self.body = body

    error = GatewayError(f'{{"api_key": "{PLAIN_KEY}"}}')
    assert PLAIN_KEY not in error.body
    assert error.message == "gateway refused"


def test_text_without_secrets_is_unchanged() -> None:
    error = CodexError("cwd /srv/project is not a directory")
    assert str(error) == "cwd /srv/project is not a directory"
    assert pickle.loads(pickle.dumps(error)).args == error.args
