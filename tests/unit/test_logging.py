"""The ``codex`` logger: redaction, correlation ids, JSON format, and the Rust tracing bridge."""

from __future__ import annotations

import io
import json
import logging
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import _engine, _logging

KEY_ALPHABET = string.ascii_letters + string.digits


@given(st.text(KEY_ALPHABET, min_size=8, max_size=40))
def test_openai_style_keys_are_redacted(secret: str) -> None:
    text = f"calling with sk-{secret} now"
    assert secret not in _logging.redact(text)
    assert _logging.REDACTED in _logging.redact(text)


@given(st.text(KEY_ALPHABET, min_size=8, max_size=40))
def test_bearer_tokens_are_redacted(token: str) -> None:
    redacted = _logging.redact(f"Authorization: Bearer {token}")
    assert token not in redacted


def test_registered_and_environment_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    _logging.register_secret("plainsecret-without-prefix")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-value-1234")
    text = _logging.redact("a plainsecret-without-prefix b env-key-value-1234 c")
    assert "plainsecret" not in text
    assert "env-key-value" not in text
    # Short values are not registered: they would scrub ordinary words.
    _logging.register_secret("abc")
    assert _logging.redact("abc") == "abc"


def test_key_fields_are_redacted() -> None:
    assert "hunter22" not in _logging.redact('{"api_key": "hunter22xyz"}')
    assert "tok-123456" not in _logging.redact("experimental_bearer_token=tok-123456")


def test_records_carry_correlation_ids_and_are_scrubbed(
    codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    with _logging.correlation("thread-1", "turn-1"):
        codex_logger.info("sending %s", "sk-abcdefghijkl")
    codex_logger.info("outside")
    inside, outside = caplog.records
    assert (inside.thread_id, inside.turn_id) == ("thread-1", "turn-1")  # type: ignore[attr-defined]
    assert (outside.thread_id, outside.turn_id) == (None, None)  # type: ignore[attr-defined]
    assert "sk-abcdefghijkl" not in caplog.text
    assert inside.getMessage() == f"sending {_logging.REDACTED}"


def test_exception_text_is_scrubbed(codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    try:
        raise RuntimeError("failed with sk-exceptionkey123")
    except RuntimeError:
        codex_logger.exception("boom")
    assert "sk-exceptionkey123" not in caplog.text
    assert _logging.REDACTED in caplog.text


def test_json_format(codex_logger: logging.Logger) -> None:
    stream = io.StringIO()
    _logging.configure_logging("debug", json=True, stream=stream)
    with _logging.correlation("t", "u"):
        codex_logger.warning("hello %d", 5)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["message"] == "hello 5"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "codex"
    assert (entry["thread_id"], entry["turn_id"]) == ("t", "u")


def test_configure_logging_replaces_its_handler_and_rejects_bad_levels(codex_logger: logging.Logger) -> None:
    _logging.configure_logging("info")
    _logging.configure_logging("warning")
    assert sum(getattr(h, "_codex_handler", False) for h in codex_logger.handlers) == 1
    assert codex_logger.level == logging.WARNING
    with pytest.raises(ValueError, match="unknown log level"):
        _logging.configure_logging("chatty")


def test_codex_log_format_env_selects_json(codex_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_LOG", "debug")
    monkeypatch.setenv("CODEX_LOG_FORMAT", "json")
    _logging.configure_from_env()
    (handler,) = [h for h in codex_logger.handlers if getattr(h, "_codex_env_handler", False)]
    assert isinstance(handler.formatter, _logging.JsonFormatter)


# -- the Rust side ----------------------------------------------------------------------


@pytest.fixture
def bridge() -> None:
    """The extension loaded as a client loads it: through the engine layer, which attaches
    its log bridge to ``_logging`` (importing ``codex._native`` alone does not)."""
    _engine.native_module()


@pytest.mark.needs_native
def test_bridge_forwards_engine_events_with_span_ids(
    bridge: None, codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    from codex import _native

    caplog.set_level(logging.DEBUG, logger="codex")
    _logging.sync_engine_level()
    _logging.flush_engine_logs()
    _native.emit_probe_events(3, "probe with sk-probekey12345", "thread-x", "turn-y")
    _logging.flush_engine_logs()
    records = [r for r in caplog.records if r.name == "codex.engine.codex_embedded.probe"]
    assert len(records) == 3
    assert all(r.levelno == logging.DEBUG for r in records)
    assert {(r.thread_id, r.turn_id) for r in records} == {("thread-x", "turn-y")}  # type: ignore[attr-defined]
    assert [r.engine_fields["index"] for r in records] == ["0", "1", "2"]  # type: ignore[attr-defined]
    assert "sk-probekey12345" not in caplog.text


@pytest.mark.needs_native
def test_bridge_builds_nothing_below_the_python_level(bridge: None, codex_logger: logging.Logger) -> None:
    from codex import _native

    codex_logger.setLevel(logging.WARNING)
    _logging.sync_engine_level()
    _logging.flush_engine_logs()
    before = _native.log_bridge_stats()["forwarded"]
    _native.emit_probe_events(1000, "debug noise")
    assert _native.log_bridge_stats()["forwarded"] == before
    codex_logger.setLevel(logging.DEBUG)
    _logging.sync_engine_level()
    _native.emit_probe_events(2, "now wanted")
    assert _native.log_bridge_stats()["forwarded"] == before + 2
    _logging.flush_engine_logs()


@pytest.mark.needs_native
def test_a_quieter_engine_child_logger_filters_on_the_python_side(
    bridge: None, codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    from codex import _native

    caplog.set_level(logging.DEBUG, logger="codex")
    probe_logger = logging.getLogger("codex.engine.codex_embedded")
    probe_logger.setLevel(logging.ERROR)
    try:
        _logging.sync_engine_level()
        _logging.flush_engine_logs()
        _native.emit_probe_events(2, "filtered")
        _logging.flush_engine_logs()
    finally:
        probe_logger.setLevel(logging.NOTSET)
    assert not [r for r in caplog.records if r.name.startswith("codex.engine.codex_embedded")]
