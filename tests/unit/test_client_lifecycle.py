"""A client's life on the fake engine: lazy async start, start failures, use after close, the
thread-less stream's counts, repr. What the engine itself does at start and shutdown is the
e2e suite's; these pin the session's bookkeeping around it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from codex import AsyncCodex, Codex
from codex.errors import TransportClosedError
from tests.fakes.fake_engine import FakeEngine

API_KEY = "sk-lifecycle-test"


@pytest.fixture
def homes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Where clients without a ``codex_home`` create their private homes."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "codex-embedded" / "homes"


def private_homes(root: Path) -> list[Path]:
    return sorted(root.iterdir()) if root.exists() else []


class EngineStartError(RuntimeError):
    pass


def test_a_sync_client_whose_engine_fails_to_start_removes_its_private_home(
    fake_engine: FakeEngine, homes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(options_json: str) -> FakeEngine:
        # The engine creates its home and writes state there before it can fail.
        Path(json.loads(options_json)["codex_home"], "state.db").parent.mkdir(parents=True)
        raise EngineStartError("no engine today")

    monkeypatch.setattr(fake_engine, "start", refuse)
    with pytest.raises(EngineStartError):
        Codex(api_key=API_KEY)
    assert homes.is_dir()
    assert private_homes(homes) == []


def test_an_async_client_starts_its_engine_on_first_use_and_once(
    fake_engine: FakeEngine, homes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[str] = []
    start = fake_engine.start_async

    async def start_in_home(options_json: str) -> FakeEngine:
        starts.append(options_json)
        Path(json.loads(options_json)["codex_home"]).mkdir(parents=True)  # as the engine does
        return await start(options_json)

    monkeypatch.setattr(fake_engine, "start_async", start_in_home)

    async def main() -> None:
        client = AsyncCodex(api_key=API_KEY)
        assert fake_engine.options is None
        assert repr(client).startswith("AsyncCodex(not started, home=")
        with pytest.raises(RuntimeError, match="not started yet"):
            _ = client.metadata
        # Two first uses at once start one engine.
        first, second = await asyncio.gather(client.thread_start(), client.thread_start())
        assert first.id != second.id
        assert len(starts) == 1
        assert len(private_homes(homes)) == 1
        assert repr(client).startswith("AsyncCodex(open, home=")
        assert client.metadata is not None
        await client.close()
        assert repr(client).startswith("AsyncCodex(closed, home=")
        with pytest.raises(TransportClosedError, match="this AsyncCodex client is closed"):
            await client.thread_start()

    asyncio.run(main())
    assert fake_engine.closed
    assert private_homes(homes) == []  # the private home went with the client


def test_an_async_client_whose_engine_fails_to_start_removes_its_home_and_can_be_closed(
    fake_engine: FakeEngine, homes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(options_json: str) -> FakeEngine:
        Path(json.loads(options_json)["codex_home"]).mkdir(parents=True)
        raise EngineStartError("no engine today")

    monkeypatch.setattr(fake_engine, "start_async", refuse)

    async def main() -> None:
        client = AsyncCodex(api_key=API_KEY)
        with pytest.raises(EngineStartError):
            async with client:
                pass
        assert homes.is_dir()
        assert private_homes(homes) == []
        await client.close()  # closing a client that never started is fine

    asyncio.run(main())


def test_a_closed_sync_client_refuses_new_work_and_keeps_its_last_counts(fake_engine: FakeEngine, homes: Path) -> None:
    client = Codex(api_key=API_KEY)
    assert repr(client).startswith("Codex(open")
    client.thread_start().run("hi")
    before = client.delivery_stats()
    client.close()
    assert repr(client).startswith("Codex(closed")
    with pytest.raises(TransportClosedError):
        client.thread_start()
    assert client.delivery_stats() == before  # a closed client answers from its last counts
    client.close()  # twice is harmless


def test_thread_less_notifications_nobody_reads_are_counted_as_dropped(
    fake_codex: Codex, fake_engine: FakeEngine
) -> None:
    assert fake_codex.delivery_stats().unrouted_dropped == 0
    fake_engine.emit_unrouted("account/updated", {"authMode": "apikey"})
    fake_engine.emit_unrouted("account/rateLimits/updated", {"rateLimits": {}})
    # The stream is drained when a turn starts (so the engine's queue never grows).
    fake_codex.thread_start().run("hi")
    assert fake_codex.delivery_stats().unrouted_dropped == 2


def test_an_async_thread_outlives_nothing_after_close(fake_engine: FakeEngine, homes: Path) -> None:
    async def main() -> None:
        async with AsyncCodex(api_key=API_KEY) as client:
            thread = await client.thread_start()
            assert (await thread.run("hi")).final_response == "done"
        with pytest.raises(TransportClosedError):
            await thread.run("again")

    asyncio.run(main())
