"""Work the engine used to repeat on every model request, done once (the engine patches
`os_info`, `rustls-native-certs` and codex-login's default client; vendor/codex/README.md):

- one HTTP client, so a client's model requests share one kept-alive connection instead of
  building a client (root certificates included) and connecting for every request;
- the OS detection behind the User-Agent (`lsb_release -a`, `getconf LONG_BIT`: processes)
  runs once per process instead of once per turn, and the next process takes its answer from
  the kept detection until what it read changes;
- a thread start outside any git repository spawns no `git rev-parse --git-dir` to learn it
  (the codex-git-utils patch); inside one, git is still asked;
- a new thread does not look up a stored title (the codex-core patch): the lookup found no
  rollout for the new id and fell back to a fuzzy search of every session file; a resumed
  thread still gets its name;
- a thread start answers before its skill roots are registered with the file watcher (the
  app-server patch): the registration (recursive inotify watches) still follows, and is
  released with the client.

Two costs grew with every turn of a thread: the metadata sync after each rollout append read
the whole rollout back (the codex-thread-store patch), and the after-agent hook's payload was
parsed from the whole conversation with no hook set (the codex-hooks / codex-core patch). What
they fed must still arrive: the listed metadata follows each turn, and a `notify` hook still
gets every user message.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from codex import Codex, CodexConfig, EngineStartError
from codex.testing import MockResponsesServer

from .conftest import client_kwargs, run_python_program


def test_model_requests_of_many_turns_share_one_connection(codex_workspace: Path) -> None:
    with MockResponsesServer(keep_alive=True) as mock:
        with Codex(**client_kwargs(mock, codex_workspace)) as client:  # type: ignore[arg-type]
            first = client.thread_start()
            for _ in range(3):
                assert first.run("again").final_response == "Hello from the mock."
            assert client.thread_start().run("another thread").final_response == "Hello from the mock."
        posts = [request for request in mock.requests if request.method == "POST"]

    assert len(posts) >= 4
    ports = [request.client_port for request in posts]
    assert None not in ports
    # One connection for all of them; a second one is allowed (a pooled connection can be
    # retired under load), one per request is the defect.
    assert len(set(ports)) <= 2, f"each model request opened its own connection: ports {ports}"


def test_model_requests_open_a_connection_each_when_the_host_closes_them(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    # The reused client still works against a host that closes every connection (the default
    # mock speaks HTTP/1.0): each request connects anew, and every turn completes.
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as client:  # type: ignore[arg-type]
        thread = client.thread_start()
        for _ in range(3):
            assert thread.run("again").final_response == "Hello from the mock."
    posts = [request for request in codex_mock.requests if request.method == "POST"]
    assert len(posts) >= 3
    assert len({request.client_port for request in posts}) == len(posts)


PROGRAM = textwrap.dedent(
    """
    import sys
    from codex import Codex

    base_url, workspace = sys.argv[1:3]
    with Codex(base_url=base_url, api_key="sk-e2e-test-key", cwd=workspace) as client:
        thread = client.thread_start()
        for _ in range(3):
            assert thread.run("again").final_response == "Hello from the mock."
        assert client.thread_start().run("more").final_response == "Hello from the mock."
    # A program with no async API in it never pays for importing asyncio.
    assert "asyncio" not in sys.modules, "a sync client imported asyncio"
    """
)

FAKE_PROBE = textwrap.dedent(
    """\
    #!/bin/sh
    echo "$(basename "$0") $*" >> {log}
    case "$(basename "$0")" in
      lsb_release) printf 'Distributor ID:\\tDebian\\nRelease:\\t13\\nCodename:\\ttrixie\\n' ;;
      getconf) echo 64 ;;
    esac
    """
)


def fake_os_probes(tmp_path: Path) -> tuple[Path, Path]:
    """A directory of fake ``lsb_release`` and ``getconf`` programs (Debian 13), and the log
    where each records its calls."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    log = tmp_path / "probes.log"
    for name in ("lsb_release", "getconf"):
        probe = fake_bin / name
        probe.write_text(FAKE_PROBE.format(log=log))
        probe.chmod(0o755)
    return fake_bin, log


def test_os_detection_runs_once_per_process(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    fake_bin, log = fake_os_probes(tmp_path)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}"}

    run_python_program(PROGRAM, codex_mock.base_url, str(codex_workspace), env=env)

    assert len([r for r in codex_mock.requests if r.method == "POST"]) == 4
    calls = log.read_text().splitlines()
    # Detected once (the first client's start asks, on a thread of its own), not once per turn (4 turns).
    assert calls.count("lsb_release -a") == 1, calls
    assert calls.count("getconf LONG_BIT") == 1, calls
    user_agents = {r.headers.get("user-agent", "") for r in codex_mock.requests if r.method == "POST"}
    assert len(user_agents) == 1


ONE_TURN = textwrap.dedent(
    """
    import sys
    from codex import Codex

    base_url, workspace = sys.argv[1:3]
    with Codex(base_url=base_url, api_key="sk-e2e-test-key", cwd=workspace) as client:
        assert client.thread_start().run("hello").final_response == "Hello from the mock."
    """
)


def test_the_os_detection_is_kept_for_the_next_process_until_what_it_read_changes(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    fake_bin, log = fake_os_probes(tmp_path)
    kept = tmp_path / "cache" / "os-detection.json"
    env = {
        **os.environ,
        "PATH": f"{fake_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "CODEX_EMBEDDED_OS_DETECTION_CACHE": str(kept),
    }
    # The upgraded lsb_release is written now and renamed into place later, as a package
    # manager installs it. Rewritten in place right before a process ran it, it once did not run
    # at all (its call missing from the log), probably refused by the kernel as a file still open
    # for writing somewhere (ETXTBSY: a child forked meanwhile holds the descriptor).
    upgrade = tmp_path / "lsb_release.upgrade"
    upgrade.write_text(FAKE_PROBE.format(log=log).replace("13", "14"))
    upgrade.chmod(0o755)

    def run_one_process() -> tuple[list[str], str]:
        before = len(codex_mock.requests)
        run_python_program(ONE_TURN, codex_mock.base_url, str(codex_workspace), env=env)
        posts = [r for r in codex_mock.requests[before:] if r.method == "POST"]
        assert len(posts) == 1
        return log.read_text().splitlines(), posts[0].headers.get("user-agent", "")

    calls, user_agent = run_one_process()
    assert calls == ["lsb_release -a", "getconf LONG_BIT"]
    assert "(Debian 13" in user_agent, user_agent
    assert json.loads(kept.read_text())["info"]["version"] == {"Semantic": [13, 0, 0]}

    # The next process takes the kept answer: no program runs, the same User-Agent.
    calls, again = run_one_process()
    assert calls == ["lsb_release -a", "getconf LONG_BIT"]
    assert again == user_agent

    # An upgrade (here: another lsb_release) is detected anew, and kept.
    upgrade.replace(fake_bin / "lsb_release")
    calls, after_upgrade = run_one_process()
    assert calls[2:] == ["lsb_release -a", "getconf LONG_BIT"]
    assert "(Debian 14" in after_upgrade, after_upgrade
    assert json.loads(kept.read_text())["info"]["version"] == {"Semantic": [14, 0, 0]}

    # A kept file that is not a detection (damaged, or written by something else) is detected
    # over, and replaced.
    kept.write_text("not a detection")
    calls, after_damage = run_one_process()
    assert calls[4:] == ["lsb_release -a", "getconf LONG_BIT"]
    assert after_damage == after_upgrade
    assert json.loads(kept.read_text())["info"]["version"] == {"Semantic": [14, 0, 0]}

    # Turned off, every process detects again and nothing is written.
    written = kept.stat().st_mtime_ns
    env["CODEX_EMBEDDED_OS_DETECTION_CACHE"] = "off"
    calls, _ = run_one_process()
    assert calls[6:] == ["lsb_release -a", "getconf LONG_BIT"]
    assert kept.stat().st_mtime_ns == written


GIT_SPY = textwrap.dedent(
    """\
    #!/bin/sh
    echo "$*" >> {log}
    exec {git} "$@"
    """
)


def _git_probes(log: Path) -> list[str]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if line.endswith("rev-parse --git-dir")]


def test_thread_starts_outside_a_repository_spawn_no_git(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: nothing to compare with")
    spy_bin = tmp_path / "bin"
    spy_bin.mkdir()
    log = tmp_path / "git.log"
    (spy_bin / "git").write_text(GIT_SPY.format(log=log, git=git))
    (spy_bin / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{spy_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    repository = tmp_path / "repo"
    repository.mkdir()
    subprocess.run([git, "init", "-q", str(repository)], check=True)
    # An empty `.git` directory (sandbox set-ups leave them) is no repository either.
    (codex_workspace / ".git").mkdir()

    with Codex(**client_kwargs(codex_mock, codex_workspace)) as client:  # type: ignore[arg-type]
        for _ in range(3):
            client.thread_start()
        assert _git_probes(log) == [], "git spawned to learn that there is no repository"
        client.thread_start(cwd=str(repository))
        assert _git_probes(log), "inside a repository the engine still asks git"


class _ThreadNames:
    """Names of this process's threads, sampled in the background (the search's workers live
    for at least one 10 ms tick of its matcher, far longer than a sampling round)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        tasks = Path("/proc/self/task")
        while not self._stop.is_set():
            for task in tasks.iterdir():
                with contextlib.suppress(OSError):
                    self.seen.add((task / "comm").read_text().strip())
            time.sleep(0.0005)

    def __enter__(self) -> _ThreadNames:
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._sampler.join()


def test_a_new_thread_does_not_search_the_session_files_for_a_title(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    kwargs = client_kwargs(codex_mock, codex_workspace, codex_home=str(tmp_path / "home"))
    with Codex(**kwargs) as client:  # type: ignore[arg-type]
        named = client.thread_start()
        named.run("hi")
        named.set_name("the named one")
        with _ThreadNames() as names:
            for _ in range(5):
                client.thread_start().run("hi")
        assert "codex-engine" in " ".join(names.seen), "the sampler saw none of the engine's threads"
        assert not [name for name in names.seen if name.startswith("nucleo")], "a thread start ran a file search"

    # A resumed thread is still looked up, and keeps its name.
    with Codex(**kwargs) as client:  # type: ignore[arg-type]
        resumed = client.thread_resume(named.id)
        assert resumed.read().thread.name == "the named one"


def test_the_listed_and_read_metadata_follow_every_turn_of_a_thread(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    kwargs = client_kwargs(codex_mock, codex_workspace, codex_home=str(tmp_path / "home"))
    with Codex(**kwargs) as client:  # type: ignore[arg-type]
        older = client.thread_start()
        older.run("the older thread")
        newer = client.thread_start()
        newer.run("the newer thread")
        time.sleep(1.1)  # updated_at has a resolution of one second
        older.run("the older thread again")

        # The state database alone (no rollout scan): the row the per-append sync writes.
        listed = client.thread_list(use_state_db_only=True, sort_key="updated_at", limit=10).data
        assert [entry.id for entry in listed][:2] == [older.id, newer.id]
        by_id = {entry.id: entry for entry in listed}
        assert by_id[older.id].preview == "the older thread"
        assert by_id[older.id].updated_at > by_id[newer.id].updated_at

        # thread/read of the loaded thread reports the same last update as the listing (the
        # rollout's own view of it is its creation time: patched, as the official engine does).
        read = older.read().thread
        assert read.updated_at == by_id[older.id].updated_at > read.created_at
        assert older.read(include_turns=True).thread.updated_at == read.updated_at

    with Codex(**kwargs) as client:  # type: ignore[arg-type]
        resumed = client.thread_resume(older.id)
        assert resumed.run("once more").final_response == "Hello from the mock."
    texts = codex_mock.response_requests[-1].input_texts()
    assert texts.index("the older thread") < texts.index("the older thread again") < texts.index("once more")


def test_a_notify_hook_still_gets_every_user_message_of_the_thread(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    payloads = tmp_path / "notify.jsonl"
    writer = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + chr(10))"
    notify = f"notify=['{sys.executable}', '-c', \"{writer}\", '{payloads}']"
    config = CodexConfig(config_overrides=(notify,))
    with Codex(config, **client_kwargs(codex_mock, codex_workspace)) as client:  # type: ignore[arg-type]
        thread = client.thread_start()
        thread.run("first message")
        thread.run("second message")

    deadline = time.monotonic() + 30
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = payloads.read_text().splitlines() if payloads.exists() else []
        if len(lines) >= 2:
            break
        time.sleep(0.1)
    assert len(lines) == 2, f"the notify hook ran {len(lines)} times for two turns"
    last = json.loads(lines[-1])
    assert last["type"] == "agent-turn-complete"
    assert last["thread-id"] == thread.id
    assert last["input-messages"] == ["first message", "second message"]
    assert last["last-assistant-message"] == "Hello from the mock."


def _inotify_watched_inodes() -> set[int]:
    """Inodes this process's inotify instances watch (from /proc/self/fdinfo)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fdinfo"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/self/fdinfo/{fd}").read_text().splitlines():
                if line.startswith("inotify wd:"):
                    inodes.add(int(line.split("ino:")[1].split()[0], 16))
    return inodes


def test_a_threads_skill_roots_are_watched_after_its_start_answers(codex_workspace: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with MockResponsesServer() as mock:
        client = Codex(CodexConfig(codex_home=str(home), **client_kwargs(mock, codex_workspace)))  # type: ignore[arg-type]
        try:
            skill_dirs = [Path(root) for root, _dirs, _files in os.walk(home / "skills")]
            assert home / "skills" / ".system" in skill_dirs  # the bundled system skills
            inodes = {directory.stat().st_ino for directory in skill_dirs}
            assert not inodes & _inotify_watched_inodes()

            client.thread_start()
            deadline = time.monotonic() + 10
            while not inodes <= _inotify_watched_inodes() and time.monotonic() < deadline:
                time.sleep(0.02)
            # Kept, not only made: a registration dropped after its task ends unwatches them.
            time.sleep(0.3)
            missing = [str(d) for d in skill_dirs if d.stat().st_ino not in _inotify_watched_inodes()]
            assert not missing, f"skill directories not watched after the thread started: {missing}"
        finally:
            client.close()
        assert not inodes & _inotify_watched_inodes()


HELPER_SPY = """#!/bin/bash
if [ "$1" = --codex-embedded-probe ]; then echo probe >> {log}; fi
exec -a "$0" {helper} "$@"
"""


def _install_program(path: Path, text: str) -> None:
    """Writes a program beside ``path`` and renames it into place, as a package manager does:
    a file still open for writing somewhere cannot be run (ETXTBSY)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.chmod(0o755)
    partial.replace(path)


def test_the_helper_check_is_kept_for_later_clients_until_the_helper_changes(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codex.config import bundled_helper

    log = tmp_path / "probes.log"
    helper = tmp_path / "helper"
    _install_program(helper, HELPER_SPY.format(log=log, helper=bundled_helper()))
    kept = tmp_path / "helper-check"
    monkeypatch.setenv("CODEX_EMBEDDED_HELPER_CHECK_CACHE", str(kept))

    def probes() -> int:
        return len(log.read_text().splitlines()) if log.exists() else 0

    def one_turn() -> None:
        with Codex(CodexConfig(helper_path=str(helper)), **client_kwargs(codex_mock, codex_workspace)) as client:  # type: ignore[arg-type]
            assert client.thread_start().run("hello").final_response == "Hello from the mock."

    one_turn()
    assert probes() == 1
    assert str(helper) in kept.read_text()
    one_turn()
    assert probes() == 1, "the second client asked the same helper again"

    # A replaced helper is asked again...
    _install_program(helper, HELPER_SPY.format(log=log, helper=bundled_helper()) + "# upgraded\n")
    one_turn()
    assert probes() == 2
    # ...and one that gives the wrong answer still stops the start, and is not kept.
    kept_before = kept.read_text()
    _install_program(helper, f"#!/bin/sh\necho probe >> {log}\necho somebody-else\n")
    with pytest.raises(EngineStartError, match="is not the codex-embedded helper executable"):
        Codex(CodexConfig(helper_path=str(helper)), **client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]
    assert probes() == 3
    assert kept.read_text() == kept_before
