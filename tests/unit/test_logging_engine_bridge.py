"""The ``codex`` logger's filter and JSON format at their edges, and the engine log bridge driven
by a pure-Python bridge (``_logging.EngineLogBridge``'s shape; the extension's own bridge is
tested in test_logging.py when it is built).
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections import deque

import pytest

from codex import _logging

CREATED = 1_700_000_000.25


class FakeBridge:
    """Queues records as the extension's bridge does; hands them out in batches."""

    def __init__(self) -> None:
        self.levels: list[int] = []
        self._queue: deque[_logging.EngineLogRecord] = deque()
        self._condition = threading.Condition()

    def set_log_level(self, levelno: int, /) -> None:
        self.levels.append(levelno)

    def next_log_records(self, max_records: int, timeout: float, /) -> list[_logging.EngineLogRecord]:
        with self._condition:
            if not self._queue and timeout > 0:
                self._condition.wait(timeout)
            return [self._queue.popleft() for _ in range(min(max_records, len(self._queue)))]

    def put(self, *records: _logging.EngineLogRecord) -> None:
        with self._condition:
            self._queue.extend(records)
            self._condition.notify_all()


def engine_record(
    message: str,
    *,
    level: int = logging.INFO,
    target: str = "codex_core::exec",
    fields: list[tuple[str, str]] | None = None,
) -> _logging.EngineLogRecord:
    return (level, target, message, fields or [], "thread-1", "turn-1", CREATED, "exec.rs", 42)


@pytest.fixture
def bridge(monkeypatch: pytest.MonkeyPatch) -> FakeBridge:
    """A fake bridge attached as the extension's would be, with a pump of its own (restored after)."""
    fake = FakeBridge()
    monkeypatch.setattr(_logging, "_bridge", None)
    monkeypatch.setattr(_logging, "_pushed_level", None)
    monkeypatch.setattr(_logging, "engine_log_pump", _logging._EngineLogPump())
    _logging.attach_engine_bridge(fake)
    return fake


def _pump_threads() -> int:
    return [thread.name for thread in threading.enumerate()].count("codex-engine-logs")


def _signal(event: threading.Event) -> logging.Filter:
    """A filter that lets every record through and sets ``event``."""

    class Signal(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            event.set()
            return True

    return Signal()


def _engine_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith("codex.engine.")]


# -- the filter and the JSON format -------------------------------------------------------------


def test_a_record_with_a_bad_format_string_is_passed_on_untouched() -> None:
    record = logging.LogRecord("codex", logging.INFO, "x.py", 1, "%d items of sk-secretvalue1", ("many",), None)
    assert _logging.CodexRecordFilter().filter(record)
    assert (record.msg, record.args) == ("%d items of sk-secretvalue1", ("many",))  # logging reports it as usual
    assert not getattr(record, "_codex_prepared", False)


def test_stack_info_is_scrubbed(codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="codex")
    codex_logger.info("where am I", stack_info=True, extra={"note": "sk-fromthesourceline1"})
    (record,) = caplog.records
    assert record.stack_info is not None
    assert "sk-fromthesourceline1" not in record.stack_info  # the calling line is part of the stack
    assert _logging.REDACTED in record.stack_info


def test_get_logger_attaches_its_filter_once() -> None:
    first = _logging.get_logger("codex.test_bridge")
    again = _logging.get_logger("codex.test_bridge")
    assert first is again
    assert sum(isinstance(item, _logging.CodexRecordFilter) for item in first.filters) == 1


def test_the_json_format_carries_engine_fields_and_the_exception() -> None:
    try:
        raise ValueError("bad value")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("codex.engine.core", logging.ERROR, "core.rs", 7, "failed", (), exc_info)
    record.engine_fields = {"attempt": "2"}
    entry = json.loads(_logging.JsonFormatter().format(record))
    assert entry["fields"] == {"attempt": "2"}
    assert entry["exception"].startswith("Traceback")
    assert "ValueError: bad value" in entry["exception"]
    assert (entry["thread_id"], entry["turn_id"]) == (None, None)


def test_configure_logging_takes_a_numeric_level(codex_logger: logging.Logger) -> None:
    stream = io.StringIO()
    _logging.configure_logging(logging.ERROR, stream=stream)
    codex_logger.warning("dropped")
    codex_logger.error("kept")
    assert stream.getvalue().splitlines()[-1].endswith("kept")
    assert "dropped" not in stream.getvalue()


# -- engine records --------------------------------------------------------------------------


def test_engine_records_become_records_of_their_targets_logger(
    bridge: FakeBridge, codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    _logging.emit_engine_records(
        [
            engine_record("ran", fields=[("exit_code", "0"), ("token", "sk-fieldsecret123")]),
            engine_record("chatter", level=logging.DEBUG, target="codex_core::exec"),
            engine_record("plain", target="codex_core::exec"),
        ]
    )
    ran, chatter, plain = _engine_records(caplog)
    assert ran.name == "codex.engine.codex_core.exec"
    assert ran.getMessage() == f"ran exit_code=0 token={_logging.REDACTED}"
    assert ran.engine_fields == {"exit_code": "0", "token": _logging.REDACTED}  # type: ignore[attr-defined]
    assert (ran.thread_id, ran.turn_id, ran.pathname, ran.lineno) == ("thread-1", "turn-1", "exec.rs", 42)  # type: ignore[attr-defined]
    assert (ran.created, round(ran.msecs)) == (CREATED, 250)
    assert (chatter.levelno, plain.getMessage(), plain.engine_fields) == (logging.DEBUG, "plain", {})  # type: ignore[attr-defined]


def test_engine_records_below_their_loggers_level_are_dropped(
    bridge: FakeBridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    quiet = logging.getLogger("codex.engine.noisy")
    quiet.setLevel(logging.WARNING)
    try:
        _logging.emit_engine_records(
            [engine_record("info", target="noisy"), engine_record("bad", level=40, target="noisy")]
        )
    finally:
        quiet.setLevel(logging.NOTSET)
    assert [record.getMessage() for record in _engine_records(caplog)] == ["bad"]


def test_the_engine_is_told_the_python_level_and_nothing_when_logging_is_off(
    bridge: FakeBridge, codex_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    codex_logger.setLevel(logging.DEBUG)
    _logging.sync_engine_level()
    bridge.levels.clear()
    codex_logger.setLevel(logging.WARNING)
    _logging.sync_engine_level()
    _logging.sync_engine_level()  # unchanged: not sent again
    engine_logger = logging.getLogger("codex.engine")
    monkeypatch.setattr(engine_logger, "disabled", True)
    _logging.sync_engine_level()
    monkeypatch.setattr(engine_logger, "disabled", False)
    _logging.sync_engine_level()
    logging.disable(logging.CRITICAL)
    try:
        _logging.sync_engine_level()
        # Read before logging is enabled again: a pump thread still running from a client that
        # another test started syncs the level too, and would then push WARNING once more.
        told = list(bridge.levels)
    finally:
        logging.disable(logging.NOTSET)
    off = logging.CRITICAL + 10  # the bridge then builds no record at all
    assert told == [logging.WARNING, off, logging.WARNING, off]


# -- the pump thread ---------------------------------------------------------------------------


def test_the_pump_forwards_records_survives_a_broken_filter_and_stops(
    bridge: FakeBridge, codex_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    delivered, failed = threading.Event(), threading.Event()

    def broken(record: logging.LogRecord) -> bool:
        failed.set()
        raise RuntimeError("a broken filter")

    def watch(record: logging.LogRecord) -> bool:
        if record.getMessage() == "after":
            delivered.set()
        return True

    boom = logging.getLogger("codex.engine.boom")
    boom.addFilter(broken)
    good = logging.getLogger("codex.engine.good")
    good.addFilter(watch)
    pump = _logging.engine_log_pump
    before = _pump_threads()
    try:
        bridge.put(engine_record("lost", target="boom"))
        _logging.start_engine_logging()
        _logging.start_engine_logging()  # running already: one thread
        assert _pump_threads() == before + 1
        assert failed.wait(10)
        bridge.put(engine_record("after", target="good"))
        assert delivered.wait(10)
    finally:
        pump.stop()
        boom.removeFilter(broken)
        good.removeFilter(watch)
    assert [record.getMessage() for record in _engine_records(caplog)] == ["after"]
    assert "engine log forwarding failed" in caplog.text
    assert _pump_threads() == before


def test_flush_emits_what_is_queued_on_the_callers_thread(bridge: FakeBridge, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    bridge.put(*(engine_record(f"line {index}") for index in range(3)))
    _logging.flush_engine_logs()
    assert [record.getMessage() for record in _engine_records(caplog)] == ["line 0", "line 1", "line 2"]
    assert {record.thread for record in _engine_records(caplog)} == {threading.get_ident()}


def test_without_a_bridge_flush_does_nothing_and_a_wanted_pump_starts_once_attached(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    monkeypatch.setattr(_logging, "_bridge", None)
    monkeypatch.setattr(_logging, "_pushed_level", None)
    pump = _logging._EngineLogPump()
    monkeypatch.setattr(_logging, "engine_log_pump", pump)
    before = _pump_threads()
    _logging.flush_engine_logs()  # nothing to flush from
    _logging.start_engine_logging()  # wanted, but no bridge yet: no thread
    assert _pump_threads() == before
    fake = FakeBridge()
    delivered = threading.Event()
    fake.put(engine_record("first"))
    logger = logging.getLogger("codex.engine.codex_core.exec")
    signal = _signal(delivered)
    logger.addFilter(signal)
    try:
        _logging.attach_engine_bridge(fake)
        assert delivered.wait(10)
    finally:
        pump.stop()
        logger.removeFilter(signal)
    assert fake.levels  # attaching told it the level at once


def test_after_fork_the_child_does_not_wait_on_a_lock_the_parents_pump_held(
    bridge: FakeBridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="codex")
    pump = _logging.engine_log_pump
    held = pump._drain_lock
    held.acquire()  # the parent's pump thread was emitting a batch when the process forked
    try:
        pump._after_fork_in_child()  # what os.register_at_fork runs in the child
        bridge.put(engine_record("in the child"))
        _logging.flush_engine_logs()  # would wait forever on the inherited lock
    finally:
        held.release()
    assert [record.getMessage() for record in _engine_records(caplog)] == ["in the child"]
