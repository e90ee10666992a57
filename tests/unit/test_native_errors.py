"""Every error the native boundary can raise reaches the caller as a ``CodexError``.

``codex._native`` raises one exception class per engine error variant (all subclasses of
``NativeError``; the Rust side maps the variants with an exhaustive ``match``), and
``codex._engine`` maps each class to an SDK class. The variants are read from the engine
crate's ``EngineError`` so a variant added there without a class and a mapping fails here.
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

#: What each native class becomes, during a request and while the client starts.
EXPECTED: dict[type[_native.NativeError], tuple[type[CodexError], type[CodexError]]] = {
    _native.InvalidInputError: (InvalidParamsError, ConfigurationError),
    _native.RpcError: (JsonRpcError, JsonRpcError),
    _native.ClosedError: (TransportClosedError, TransportClosedError),
    _native.StartupError: (EngineStartError, EngineStartError),
}


def engine_error_variants() -> set[str]:
    source = ERROR_RS.read_text()
    body = source[source.index("pub enum EngineError {") :]
    body = body[: body.index("\n}\n")]
    return set(re.findall(r"^    ([A-Z][A-Za-z]+)\b", body, re.MULTILINE))


def test_every_engine_error_variant_has_a_native_class_and_a_mapping() -> None:
    variants = engine_error_variants()
    assert variants == {"InvalidInput", "Rpc", "Closed", "Startup"}, f"EngineError changed in {ERROR_RS}: {variants}"
    assert set(_native.NativeError.__subclasses__()) == set(EXPECTED)
    assert all(issubclass(cls, _engine.NativeError) for cls in EXPECTED)


def _raise(cls: type[_native.NativeError]) -> _native.NativeError:
    if cls is _native.RpcError:
        return cls("went wrong", -32099, json.dumps({"detail": 1}))
    return cls("went wrong")


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("starting", [False, True])
def test_each_native_class_becomes_its_codex_error(cls: type[_native.NativeError], starting: bool) -> None:
    error = _engine.translate(_raise(cls), starting=starting)
    assert isinstance(error, CodexError)
    assert isinstance(error, EXPECTED[cls][starting])
    assert "went wrong" in str(error)


def test_rpc_errors_keep_code_and_data() -> None:
    def rpc(code: int, message: str = "m", data: object = None) -> CodexError:
        return _engine.translate(_native.RpcError(message, code, json.dumps(data) if data else None))

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
    # Only NativeError (and its subclasses) is the engine's; anything else is a bug in the caller, not wrapped.
    def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        _engine.call(boom)
