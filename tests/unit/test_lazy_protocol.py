"""``import codex`` stays fast: the generated protocol models load on first use.

Each check that is about what a fresh process imports runs in a subprocess, as
this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from types import ModuleType
from typing import Any

import pytest

import codex
import codex.events
from codex import protocol
from codex.protocol import models


def _fresh(code: str) -> Any:
    """Runs ``code`` in a fresh interpreter; it prints one JSON value."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_codex_loads_no_generated_model_asyncio_or_opentelemetry() -> None:
    loaded = _fresh(
        """
        import json, sys
        import codex
        heavy = ("pydantic.root_model", "importlib.metadata", "asyncio")
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(("codex.protocol.", "opentelemetry")))
                         + sorted(m for m in heavy if m in sys.modules)))
        """
    )
    # No root model either: pydantic completes RootModel on import, which loads its schema
    # machinery and its plugins (importlib.metadata), tens of milliseconds. asyncio (~16 ms) loads
    # when an async API first runs.
    assert loaded == ["codex.protocol._base"]


def test_a_turns_events_load_only_what_a_turn_streams() -> None:
    loaded = _fresh(
        """
        import json, sys
        from codex.events import AgentMessageDeltaNotification, parse_notification
        event = parse_notification(
            "item/agentMessage/delta", {"threadId": "t", "turnId": "1", "itemId": "m", "delta": "hi"}
        )
        assert isinstance(event.payload, AgentMessageDeltaNotification), event
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("codex.protocol."))))
        """
    )
    assert loaded == ["codex.protocol._base", "codex.protocol._root", "codex.protocol._turn"]


def test_other_events_load_only_what_the_engine_sends() -> None:
    loaded = _fresh(
        """
        import json, sys
        from codex.events import parse_notification
        event = parse_notification("thread/name/updated", {"threadId": "t", "threadName": "x"})
        assert type(event.payload).__name__ == "ThreadNameUpdatedNotification", event
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("codex.protocol."))))
        """
    )
    assert loaded == [
        "codex.protocol._base",
        "codex.protocol._items",
        "codex.protocol._root",
        "codex.protocol._server",
        "codex.protocol._turn",
    ]


def test_lazy_names_are_the_generated_classes() -> None:
    assert codex.events.AgentMessageDeltaNotification is models.AgentMessageDeltaNotification
    assert codex.events.ThreadInfo is models.Thread
    assert codex.events.McpServerStartupStatusNotification is models.McpServerStatusUpdatedNotification
    assert codex.events.NOTIFICATION_MODELS is protocol.SERVER_NOTIFICATION_PARAMS
    assert codex.ThreadItem is models.ThreadItem
    assert codex.TurnStatus is models.TurnStatus
    server = protocol.server_models()
    for table in (protocol.SERVER_NOTIFICATION_PARAMS, protocol.SERVER_REQUEST_RESPONSES, protocol.THREAD_ITEM_TYPES):
        for model in table.values():
            assert getattr(models, model.__name__) is model
            assert getattr(server, model.__name__) is model
    assert protocol.CLIENT_REQUEST_PARAMS["thread/start"] is models.ThreadStartParams


@pytest.mark.parametrize("module", [codex, codex.events, protocol], ids=lambda module: module.__name__)
def test_unknown_names_still_raise_attribute_error(module: ModuleType) -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        getattr(module, "NoSuchModel")  # noqa: B009 - the module's __getattr__ is the subject


def test_warm_up_builds_a_turns_validators_in_the_background() -> None:
    built = _fresh(
        """
        import json, sys
        from codex import protocol
        protocol.warm_up()
        protocol.warm_up()  # once per process: a no-op
        # This thread touches none of them: only the warm-up can build them.
        protocol._warm_up_thread.join(timeout=60)
        turn = protocol.turn_models()
        models = list(turn.TURN_NOTIFICATION_PARAMS.values())
        models += list(turn.ThreadItem.common_variants.values())
        print(json.dumps({
            "built": all(m.__pydantic_complete__ for m in models),
            # What only approvals and rarer notices need loads when first needed, and so do
            # the thread item kinds a plain turn does not stream.
            "server_models_loaded": "codex.protocol._server" in sys.modules,
            "other_item_kinds_loaded": "codex.protocol._items" in sys.modules,
        }))
        """
    )
    assert built == {"built": True, "server_models_loaded": False, "other_item_kinds_loaded": False}


class _RecordingEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


def test_a_first_event_waits_for_the_warm_up_rather_than_building_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    built = _RecordingEvent()
    monkeypatch.setattr(protocol, "_plain_turn_built", built)
    running = threading.Event()
    warm_up = threading.Thread(target=running.wait, daemon=True)
    warm_up.start()
    monkeypatch.setattr(protocol, "_warm_up_thread", warm_up)
    signal = threading.Timer(0.05, built.set)
    signal.start()
    protocol.wait_for_warm_up()
    assert built.is_set()  # it returned because the warm-up said so
    assert built.waits == 1
    protocol.wait_for_warm_up()  # built: no wait
    assert built.waits == 1
    running.set()
    warm_up.join()
    signal.join()

    built.clear()
    protocol.wait_for_warm_up()  # a warm-up that ended (or failed) is not waited for
    monkeypatch.setattr(protocol, "_warm_up_thread", threading.current_thread())
    protocol.wait_for_warm_up()  # nor by the warm-up itself
    monkeypatch.setattr(protocol, "_warm_up_thread", None)
    protocol.wait_for_warm_up()  # nor when none was started
    assert built.waits == 1
    assert not built.is_set()


def test_results_openai_codex_also_has_are_the_generated_models() -> None:
    """As in openai_codex, whose types are its generated models: one class, whichever the import."""
    import codex.api_models
    import codex.types

    assert codex.api_models.StoredThread is models.Thread
    for name in ("ThreadReadResponse", "ThreadListResponse", "ModelListResponse", "GetAccountResponse"):
        assert getattr(codex.api_models, name) is getattr(models, name)
        assert getattr(codex.types, name) is getattr(models, name)
    stored = codex.api_models.ThreadReadResponse.model_validate(
        {"thread": {**THREAD, "turns": [{"id": "1", "status": "completed", "items": []}]}}
    ).thread
    assert isinstance(stored.turns[0], models.Turn)
    assert stored.turns[0].status is models.TurnStatus.completed


THREAD = {
    "id": "t",
    "sessionId": "s",
    "preview": "",
    "ephemeral": False,
    "modelProvider": "mock",
    "createdAt": 0,
    "updatedAt": 0,
    "status": {"type": "idle"},
    "cwd": "/tmp",
    "cliVersion": "0.0.0",
    "source": "appServer",
    "turns": [],
}


def test_the_warm_up_shortens_the_switch_interval_while_it_runs_then_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    during: list[float] = []
    monkeypatch.setattr(protocol, "_load_turn_models", lambda: during.append(sys.getswitchinterval()))
    before = sys.getswitchinterval()
    protocol._warm_up()
    assert during == [min(before, protocol.WARM_UP_SWITCH_INTERVAL_S)]
    assert sys.getswitchinterval() == before


def test_the_warm_up_leaves_a_switch_interval_set_meanwhile_and_restores_after_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = sys.getswitchinterval()
    try:
        monkeypatch.setattr(protocol, "_load_turn_models", lambda: sys.setswitchinterval(0.002))
        protocol._warm_up()
        assert sys.getswitchinterval() == pytest.approx(0.002)  # the program's own choice stays
        sys.setswitchinterval(before)

        def failing() -> None:
            raise RuntimeError("a model failed to load")

        monkeypatch.setattr(protocol, "_load_turn_models", failing)
        with pytest.raises(RuntimeError):
            protocol._warm_up()
        assert sys.getswitchinterval() == before
    finally:
        sys.setswitchinterval(before)
