"""The ``codex`` logger: levels, JSON output, correlation ids, redaction, engine logs.

``CODEX_LOG=debug|info|warning|error`` attaches a stderr handler at import;
``CODEX_LOG_FORMAT=json`` makes it write one JSON object a line. Programs call
:func:`configure_logging` instead, or attach their own handlers: every record of
a ``codex`` logger then carries ``thread_id`` and ``turn_id`` (None outside a
turn) and has its secrets scrubbed before any handler sees it. The engine's Rust
``tracing`` events arrive as records of ``codex.engine.<crate>.<module>``.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any, Protocol, TypeAlias

LOGGER_NAME = "codex"
ENGINE_LOGGER_NAME = "codex.engine"

logger = logging.getLogger(LOGGER_NAME)
# A library's records go where the application sends them, and nowhere by default.
logger.addHandler(logging.NullHandler())

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

_thread_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("codex_thread_id", default=None)
_turn_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("codex_turn_id", default=None)


@contextlib.contextmanager
def correlation(thread_id: str | None, turn_id: str | None = None) -> Iterator[None]:
    """Tags the ``codex`` records emitted inside the block with these ids."""
    thread_token = _thread_id.set(thread_id)
    turn_token = _turn_id.set(turn_id)
    try:
        yield
    finally:
        _turn_id.reset(turn_token)
        _thread_id.reset(thread_token)


# -- redaction -----------------------------------------------------------------

REDACTED = "[REDACTED]"
_SECRET_PATTERNS = re.compile(
    r"(?P<bearer>\b[Bb]earer\s+)[A-Za-z0-9._~+/=\-]{6,}"
    r"|\bsk-[A-Za-z0-9_\-]{6,}"
    r"|(?P<field>\"?(?:api[_-]?key|authorization|access[_-]?token|refresh[_-]?token|bearer[_-]?token)\"?"
    r"\s*[:=]\s*\"?(?:(?:bearer|basic)\s+)?)"
    r"[^\s\",}]{6,}",
    re.IGNORECASE,
)
_SECRET_ENV_VARS = ("OPENAI_API_KEY", "CODEX_API_KEY")
_MIN_SECRET_LENGTH = 6
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Adds a literal value (an API key given in code) to what every record is scrubbed of."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def _pattern_replacement(match: re.Match[str]) -> str:
    prefix = match.group("bearer") or match.group("field") or ""
    return prefix + REDACTED


def redact(text: str) -> str:
    """``text`` with API keys, bearer tokens and registered secrets replaced."""
    for name in _SECRET_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= _MIN_SECRET_LENGTH and value in text:
            text = text.replace(value, REDACTED)
    if _secrets:
        with _secrets_lock:
            known = sorted(_secrets, key=len, reverse=True)
        for value in known:
            if value in text:
                text = text.replace(value, REDACTED)
    return _SECRET_PATTERNS.sub(_pattern_replacement, text)


class CodexRecordFilter(logging.Filter):
    """Adds ``thread_id``/``turn_id`` and scrubs secrets from a record, in place.

    Attached to every ``codex`` logger (so records are clean before any handler,
    the application's included, sees them) and to the SDK's own handlers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_codex_prepared", False):
            return True
        if getattr(record, "thread_id", None) is None:
            record.thread_id = _thread_id.get()
        if getattr(record, "turn_id", None) is None:
            record.turn_id = _turn_id.get()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let logging report it as usual
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        fields = getattr(record, "engine_fields", None)
        if isinstance(fields, dict):
            record.engine_fields = {key: redact(str(value)) for key, value in fields.items()}
        record._codex_prepared = True
        return True


_record_filter = CodexRecordFilter()


def get_logger(name: str) -> logging.Logger:
    """A ``codex.*`` logger with the correlation and redaction filter attached."""
    found = logging.getLogger(name)
    if _record_filter not in found.filters:
        found.addFilter(_record_filter)
    return found


get_logger(LOGGER_NAME)


# -- formats and handlers --------------------------------------------------------

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [thread=%(thread_id)s turn=%(turn_id)s]: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, correlation ids, engine fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread_id": getattr(record, "thread_id", None),
            "turn_id": getattr(record, "turn_id", None),
        }
        fields = getattr(record, "engine_fields", None)
        if fields:
            entry["fields"] = fields
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


def _make_handler(stream: IO[str] | None, as_json: bool) -> logging.Handler:
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_record_filter)
    return handler


def _parse_level(level: int | str) -> int:
    if isinstance(level, int):
        return level
    found = _LEVELS.get(level.strip().lower())
    if found is None:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(_LEVELS)}")
    return found


def configure_logging(
    level: int | str = logging.INFO, *, json: bool = False, stream: IO[str] | None = None
) -> logging.Handler:
    """Sends ``codex`` records (engine ones included) at ``level`` and above to ``stream``.

    ``json=True`` writes one JSON object a line. Calling it again replaces the
    handler it added before. Returns the handler, e.g. to remove it later.
    """
    for old in [h for h in logger.handlers if getattr(h, "_codex_handler", False)]:
        logger.removeHandler(old)
    handler = _make_handler(stream, json)
    handler._codex_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(_parse_level(level))
    sync_engine_level()
    return handler


def configure_from_env() -> None:
    """Applies ``CODEX_LOG`` and ``CODEX_LOG_FORMAT`` (once; later calls keep the handler)."""
    level = _LEVELS.get(os.environ.get("CODEX_LOG", "").strip().lower())
    if level is None or any(getattr(h, "_codex_env_handler", False) for h in logger.handlers):
        return
    as_json = os.environ.get("CODEX_LOG_FORMAT", "").strip().lower() == "json"
    handler = _make_handler(None, as_json)
    handler._codex_env_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)


# -- the engine's records ----------------------------------------------------------

#: One record of the Rust bridge: (levelno, target, message, fields, thread_id, turn_id,
#: created, file, line), as ``codex._native.next_log_records`` returns it.
EngineLogRecord: TypeAlias = tuple[
    int, str, str, list[tuple[str, str]], str | None, str | None, float, str | None, int | None
]


class EngineLogBridge(Protocol):
    """The extension's side of the bridge (``codex._native`` itself has this shape).

    This module does not import the extension: ``codex._engine`` attaches it when it loads
    it (:func:`attach_engine_bridge`), so logging works, and imports, without the engine.
    """

    def set_log_level(self, levelno: int, /) -> None: ...

    def next_log_records(self, max_records: int, timeout: float, /) -> list[EngineLogRecord]: ...


#: Above CRITICAL: tells the bridge to forward nothing.
_OFF = logging.CRITICAL + 10
_POLL_S = 0.5
_BATCH = 512


def _engine_level() -> int:
    engine_logger = logging.getLogger(ENGINE_LOGGER_NAME)
    if engine_logger.disabled or logging.root.manager.disable >= logging.CRITICAL:
        return _OFF
    return max(engine_logger.getEffectiveLevel(), logging.root.manager.disable + 1)


_pushed_level: int | None = None
_bridge: EngineLogBridge | None = None


def sync_engine_level() -> None:
    """Tells the Rust side the level below which engine events are not even built."""
    global _pushed_level
    bridge = _bridge
    if bridge is None:  # no engine loaded yet: attaching pushes the level then
        return
    level = _engine_level()
    if level != _pushed_level:
        bridge.set_log_level(level)
        _pushed_level = level


_engine_loggers: dict[str, logging.Logger] = {}


def _engine_logger(target: str) -> logging.Logger:
    found = _engine_loggers.get(target)
    if found is None:
        found = get_logger(f"{ENGINE_LOGGER_NAME}.{target.replace('::', '.')}")
        _engine_loggers[target] = found
    return found


def emit_engine_records(records: list[EngineLogRecord]) -> None:
    """Hands records from the Rust bridge to their ``codex.engine.*`` loggers."""
    for levelno, target, message, fields, thread_id, turn_id, created, path, line in records:
        target_logger = _engine_logger(target)
        if not target_logger.isEnabledFor(levelno):
            continue
        text = message
        if fields:
            text = " ".join([message, *(f"{key}={value}" for key, value in fields)]).strip()
        record = target_logger.makeRecord(
            target_logger.name,
            levelno,
            path or "",
            line or 0,
            text,
            (),
            None,
            extra={
                "thread_id": thread_id,
                "turn_id": turn_id,
                "engine_target": target,
                "engine_fields": dict(fields),
            },
        )
        record.created = created
        record.msecs = (created - int(created)) * 1000
        record.relativeCreated = (created - logging._startTime) * 1000  # type: ignore[attr-defined]
        target_logger.handle(record)


class _EngineLogPump:
    """A daemon thread that drains the bridge's queue into Python logging."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Held while a batch is taken from the bridge and emitted, so that flush()
        # returns only after records the pump thread already took are emitted too.
        self._drain_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # A client asked for engine logs; the thread starts once the extension is attached.
        self._wanted = False

    def start(self) -> None:
        sync_engine_level()
        with self._lock:
            self._wanted = True
            if _bridge is None or (self._thread is not None and self._thread.is_alive()):
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="codex-engine-logs", daemon=True)
            self._thread.start()

    def attached(self) -> None:
        """The extension is loaded: start the thread a client asked for before it was."""
        if self._wanted:
            self.start()

    def _run(self) -> None:
        bridge = _bridge
        assert bridge is not None, "the pump thread starts only once the bridge is attached"
        while not self._stop.is_set():
            try:
                with self._drain_lock:
                    records = bridge.next_log_records(_BATCH, _POLL_S)
                    if records:
                        emit_engine_records(records)
                sync_engine_level()
            except Exception:  # a broken handler must not end engine logging for good
                logging.getLogger(LOGGER_NAME).debug("engine log forwarding failed", exc_info=True)

    def flush(self) -> None:
        """Emits what is queued now, on the caller's thread (tests, shutdown)."""
        bridge = _bridge
        if bridge is None:
            return
        with self._drain_lock:
            while records := bridge.next_log_records(_BATCH, 0.0):
                emit_engine_records(records)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=2 * _POLL_S)

    def _after_fork_in_child(self) -> None:
        # The pump thread did not survive fork(), and it may have held these locks then.
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._thread = None
        self._stop = threading.Event()


engine_log_pump = _EngineLogPump()
atexit.register(engine_log_pump.stop)
if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=engine_log_pump._after_fork_in_child)


def attach_engine_bridge(bridge: EngineLogBridge) -> None:
    """Connects the extension's log bridge (``codex._engine`` does, when it loads the extension)."""
    global _bridge, _pushed_level
    _bridge, _pushed_level = bridge, None
    sync_engine_level()
    engine_log_pump.attached()


def start_engine_logging() -> None:
    """Starts forwarding the engine's records (idempotent; called when a client starts)."""
    engine_log_pump.start()


def flush_engine_logs() -> None:
    """Emits the engine records queued so far, now."""
    engine_log_pump.flush()


configure_from_env()
