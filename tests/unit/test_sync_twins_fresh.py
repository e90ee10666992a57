"""The sync twins equal a fresh generation from their async source.

The sync classes (or methods) of ``_session``, ``client``, ``login``, ``mcp``, ``thread_admin``,
``thread_controls`` and ``threads`` are written by ``scripts/generate_sync_twins.py`` from the
async ones. These fail when a generated region is stale (its async source changed) or was
edited by hand, until the script is rerun and its output committed.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_sync_twins.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_sync_twins", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def test_committed_sync_twins_equal_a_fresh_generation(generator: ModuleType) -> None:
    assert generator.stale_modules() == [], "sync twins are stale or hand-edited: run scripts/generate_sync_twins.py"


def test_every_listed_module_pairs_its_regions(generator: ModuleType) -> None:
    for module in generator.MODULES:
        text = (ROOT / module).read_text()
        assert "# --- sync twin source: " in text, module
        assert text.count("# --- end generated ---") == text.count("# --- end sync twin source ---"), module


def test_the_check_exits_zero_on_the_committed_tree(generator: ModuleType) -> None:
    assert generator.main(["--check"]) == 0


def test_the_shells_that_differ_only_by_await_are_generated(generator: ModuleType) -> None:
    # The session's calls and the thread shells: what is left hand-written truly differs.
    session = (ROOT / "python" / "codex" / "_session.py").read_text()
    generated = session[session.index("# --- generated from AsyncSession") : session.index("# --- end generated ---")]
    for method in ("def request(", "def start_turn(", "def dispatch("):
        assert method in generated, method
    threads = (ROOT / "python" / "codex" / "threads.py").read_text()
    assert "# --- generated from AsyncThread by" in threads
    assert threads.count("class Thread(") == 1
    assert "class Thread(" in threads[threads.index("# --- generated from AsyncThread") :]


def test_a_hand_edit_inside_a_generated_region_is_caught(generator: ModuleType) -> None:
    path = ROOT / "python" / "codex" / "thread_controls.py"
    committed = path.read_text()
    generated = committed[committed.index("# --- generated from") :]
    assert 'self._session.request("thread/read"' in generated
    tampered = committed.replace(generated, generated.replace('"thread/read"', '"thread/read2"'))
    fresh = generator.generate_text(tampered, path)
    assert fresh != tampered
    assert fresh == committed


def test_an_edit_of_the_async_source_reaches_the_sync_twin(generator: ModuleType) -> None:
    path = ROOT / "python" / "codex" / "thread_controls.py"
    committed = path.read_text()
    anchor = "    async def clear_goal(self)"
    added = (
        "    async def ping(self) -> JsonObject:\n"
        '        """Asks ``AsyncThread`` for nothing."""\n'
        '        return await self._session.request("ping", None)\n\n'
    )
    fresh = generator.generate_text(committed.replace(anchor, added + anchor), path)
    assert "    def ping(self) -> JsonObject:\n" in fresh
    assert '        """Asks ``Thread`` for nothing."""\n' in fresh
    assert '        return self._session.request("ping", None)\n' in fresh


def test_the_transform_drops_async_and_renames_by_the_tables(generator: ModuleType) -> None:
    source = _module(
        '''
        class AsyncThing:
            """Made by :class:`AsyncCodex`; open ``auth_url``, then ``await wait()``."""

            async def __aenter__(self) -> AsyncThing:
                return self

            async def events(self, session: AsyncSession) -> AsyncIterator[str]:
                # AsyncSession answers; asyncio_extra is not a rename
                async with session.lock():
                    async for event in session.stream():
                        yield (await event.text())
                await asyncio.sleep(0.1)
        '''
    )
    sync = generator.to_sync(source.replace("AsyncThing", "AsyncThread"))
    assert sync == _module(
        '''
        class Thread:
            """Made by :class:`Codex`; open ``auth_url``, then ``wait()``."""

            def __enter__(self) -> Thread:
                return self

            def events(self, session: Session) -> Iterator[str]:
                # Session answers; asyncio_extra is not a rename
                with session.lock():
                    for event in session.stream():
                        yield (event.text())
                time.sleep(0.1)
        '''
    )


def test_a_name_the_tables_miss_is_an_error(generator: ModuleType, tmp_path: Path) -> None:
    module = tmp_path / "twins.py"
    text = _module(
        """
        # --- sync twin source: AsyncWidget ---
        class AsyncWidget:
            async def spin(self) -> None:
                await asyncio.gather()


        # --- end sync twin source ---


        # --- generated from AsyncWidget by scripts/generate_sync_twins.py; do not edit ---
        # --- end generated ---
        """
    )
    with pytest.raises(generator.TwinError, match="AsyncWidget"):
        generator.generate_text(text, module)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# --- sync twin source: A ---\nx = 1\n", "never closed"),
        ("# --- sync twin source: A ---\nx = 1\n# --- end sync twin source ---\n", "do not pair up"),
        ("# --- end generated ---\n", "closes no region"),
        ("x = 1\n", "no '# --- sync twin source"),
    ],
)
def test_broken_markers_are_errors(generator: ModuleType, tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(generator.TwinError, match=problem):
        generator.generate_text(text, tmp_path / "twins.py")
