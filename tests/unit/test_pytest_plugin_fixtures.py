"""``codex.testing.pytest_plugin``: the fixtures users get, in a pytest run of their own.

Each test runs a small test file of a user's project with pytester, with the plugin enabled
as its entry point would (``-p codex.testing.pytest_plugin``). Clients start the fake engine
(a plugin object the inner run is given), so ``codex_client`` is checked without a build:
what it was wired to, and that it is closed after the test; the e2e suite runs it on the engine.
"""

from __future__ import annotations

import importlib.metadata
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import codex.client
from codex._session import Session
from codex.testing import pytest_plugin
from tests.fakes.fake_engine import FakeEngine

pytest_plugins = ["pytester"]

PLUGIN = "codex.testing.pytest_plugin"
#: The inner run's options: ``-p`` the plugin unless its entry point loads it already
#: (codex-embedded installed), where a second registration is an error.
PLUGIN_ARGS: tuple[str, ...] = (
    () if any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11")) else ("-p", PLUGIN)
)


class FakeEngines:
    """A plugin for the inner run: every client its tests create starts a fake engine kept here."""

    def __init__(self) -> None:
        self.engines: list[FakeEngine] = []

    @pytest.fixture(autouse=True)
    def _codex_on_fake_engines(self, monkeypatch: pytest.MonkeyPatch) -> None:
        engines = self.engines

        class FakeSession(Session):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                engine = FakeEngine()
                engines.append(engine)
                super().__init__(*args, start_engine=engine.start, **kwargs)

        monkeypatch.setattr(codex.client, "Session", FakeSession)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the inner run's workspaces go: ``$XDG_CACHE_HOME``, a directory of this test."""
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """A file the inner tests write what they saw to, read back after their fixtures ended."""
    return tmp_path / "report.json"


def read_report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# -- workspaces_root ------------------------------------------------------------------------------


def test_workspaces_live_under_xdg_cache_home_when_it_is_set(cache_home: Path) -> None:
    assert pytest_plugin.workspaces_root() == cache_home / "codex-embedded" / "workspaces"


def test_workspaces_live_under_the_home_cache_without_xdg_cache_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pytest_plugin.workspaces_root() == tmp_path / ".cache" / "codex-embedded" / "workspaces"
    # An empty XDG_CACHE_HOME counts as unset.
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert pytest_plugin.workspaces_root() == tmp_path / ".cache" / "codex-embedded" / "workspaces"


# -- the fixtures in a user's run -----------------------------------------------------------------


def test_codex_mock_is_a_running_server_stopped_after_the_test(pytester: pytest.Pytester, report: Path) -> None:
    pytester.makepyfile(
        f"""
        import json
        import urllib.request

        from codex.testing import MockResponsesServer, responses

        def test_uses_the_mock(codex_mock):
            assert isinstance(codex_mock, MockResponsesServer)
            codex_mock.enqueue(responses.text("scripted"))
            request = urllib.request.Request(codex_mock.base_url + "/responses", data=b"{{}}", method="POST")
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert b"scripted" in answer.read()
            with open({str(report)!r}, "w") as out:
                json.dump({{"base_url": codex_mock.base_url}}, out)

        def test_each_test_gets_its_own_mock(codex_mock):
            assert codex_mock.requests == []
            assert codex_mock.pending() == 0
        """
    )
    result = pytester.runpytest_inprocess(*PLUGIN_ARGS)
    result.assert_outcomes(passed=2)
    base_url = read_report(report)["base_url"]
    assert base_url.startswith("http://127.0.0.1:")
    # Stopped with its test: nothing listens on its port any more.
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base_url + "/models", timeout=5)


def test_codex_workspace_is_an_empty_directory_under_the_workspaces_root_removed_after_the_test(
    pytester: pytest.Pytester, report: Path, cache_home: Path
) -> None:
    pytester.makepyfile(
        f"""
        import json

        def test_writes_into_the_workspace(codex_workspace):
            assert codex_workspace.is_dir()
            assert list(codex_workspace.iterdir()) == []
            (codex_workspace / "file.txt").write_text("left behind?")
            with open({str(report)!r}, "w") as out:
                json.dump({{"workspace": str(codex_workspace)}}, out)
        """
    )
    pytester.runpytest_inprocess(*PLUGIN_ARGS).assert_outcomes(passed=1)
    workspace = Path(read_report(report)["workspace"])
    assert workspace.name == "workspace"
    root = cache_home / "codex-embedded" / "workspaces"
    assert workspace.parent.parent == root
    # The workspace and the random directory made for it are gone; the root is left for others.
    assert not workspace.parent.exists()
    assert root.is_dir()


def test_two_workspaces_are_never_the_same_directory(pytester: pytest.Pytester, cache_home: Path) -> None:
    pytester.makepyfile(
        """
        SEEN = []

        def test_first(codex_workspace):
            SEEN.append(codex_workspace)

        def test_second(codex_workspace):
            SEEN.append(codex_workspace)
            assert SEEN[0] != SEEN[1]
        """
    )
    pytester.runpytest_inprocess(*PLUGIN_ARGS).assert_outcomes(passed=2)
    assert list((cache_home / "codex-embedded" / "workspaces").iterdir()) == []


def test_codex_client_is_wired_to_the_mock_and_the_workspace_and_closed_after_the_test(
    pytester: pytest.Pytester, report: Path, cache_home: Path
) -> None:
    pytester.makepyfile(
        f"""
        import json

        from codex import Codex

        def test_runs_a_turn(codex_client, codex_mock, codex_workspace):
            assert isinstance(codex_client, Codex)
            assert codex_client.thread_start().run("hello").final_response == "done"
            with open({str(report)!r}, "w") as out:
                json.dump({{"base_url": codex_mock.base_url, "workspace": str(codex_workspace)}}, out)
        """
    )
    engines = FakeEngines()
    pytester.runpytest_inprocess(*PLUGIN_ARGS, plugins=[engines]).assert_outcomes(passed=1)
    seen = read_report(report)
    (engine,) = engines.engines
    assert engine.options is not None
    assert engine.options["cwd"] == seen["workspace"]
    overrides = dict(map(tuple, engine.options["overrides"]))
    assert overrides["model_providers.codex-embedded.base_url"] == seen["base_url"]
    assert overrides["model_providers.codex-embedded.experimental_bearer_token"] == pytest_plugin.MOCK_API_KEY
    (turn_start,) = engine.params_of("turn/start")
    assert turn_start["input"][0]["text"] == "hello"
    # The client was closed when the test ended: its engine is shut down.
    assert engine.closed
