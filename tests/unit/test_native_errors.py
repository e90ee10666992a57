"""Every error the native boundary can raise reaches the caller as a ``CodexError``.

``codex._native`` raises one exception type, ``NativeError(kind, message, code, data_json)``;
``codex._engine`` maps each kind to an SDK class. The kinds are read from the engine crate's
``EngineError::kind`` so a kind added there without a mapping here fails this test.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from codex import _engine, _native
from codex.errors import (
    CodexError,
    CodexRpcError,
    ConfigurationError,
    EngineStartError,
    InvalidParamsError,
    InvalidRequestError,
    JsonRpcError,
    MethodNotFoundError,
    ServerBusyError,
    TransportClosedError,
)

ERROR_RS = Path(__file__).resolve().parents[2] / "rust" / "engine" / "src" / "error.rs"

#: What each native kind becomes, during a request and while the client starts.
EXPECTED: dict[str, tuple[type[CodexError], type[CodexError]]] = {
    "invalid_input": (InvalidParamsError, ConfigurationError),
    "rpc": (JsonRpcError, JsonRpcError),
    "closed": (TransportClosedError, TransportClosedError),
    "startup": (EngineStartError, EngineStartError),
}


def native_kinds() -> set[str]:
    source = ERROR_RS.read_text()
    body = source[source.index("pub fn kind(&self)") :]
    body = body[: body.index("\n    }\n")]
    return set(re.findall(r'=>\s*"([a-z_]+)"', body))


def test_every_native_kind_has_a_mapping() -> None:
    kinds = native_kinds()
    assert kinds, f"no kinds found in {ERROR_RS}: did EngineError::kind move?"
    assert kinds == set(EXPECTED)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("starting", [False, True])
def test_each_native_kind_becomes_its_codex_error(kind: str, starting: bool) -> None:
    data = json.dumps({"detail": 1}) if kind == "rpc" else None
    error = _engine.translate(
        _native.NativeError(kind, "went wrong", -32099 if kind == "rpc" else None, data), starting=starting
    )
    assert isinstance(error, CodexError)
    assert isinstance(error, EXPECTED[kind][starting])
    assert "went wrong" in str(error)


def test_rpc_errors_keep_code_and_data() -> None:
    def rpc(code: int, message: str = "m", data: object = None) -> CodexError:
        return _engine.translate(_native.NativeError("rpc", message, code, json.dumps(data) if data else None))

    assert type(rpc(-32600)) is InvalidRequestError
    assert type(rpc(-32601)) is MethodNotFoundError
    assert type(rpc(-32001, data={"codex_error_info": "server_overloaded"})) is ServerBusyError
    plain = rpc(-32050, data={"k": [1]})
    assert type(plain) is CodexRpcError
    assert (plain.code, plain.data) == (-32050, {"k": [1]})


def test_a_real_native_failure_is_translated_and_its_native_cause_hidden() -> None:
    """Through the extension itself: options that are not JSON fail before an engine starts."""
    with pytest.raises(ConfigurationError) as raised:
        _engine.call(lambda: _native.NativeEngine.start("{not json"), starting=True)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__

    async def start() -> _native.NativeEngine:
        return await _engine.call_async(lambda: _native.NativeEngine.start_async("{not json"))

    with pytest.raises(InvalidParamsError):
        asyncio.run(start())


def test_other_exceptions_pass_through_untouched() -> None:
    # Only NativeError is the engine's; anything else is a bug in the caller, not wrapped.
    def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        _engine.call(boom)
