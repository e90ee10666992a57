"""``python -m codex verify`` on this installation: its table and its exit status."""

from __future__ import annotations

import os
import subprocess
import sys


def run_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex", "verify"], capture_output=True, text=True, env=env, check=False, cwd="/"
    )


def rows(output: str) -> dict[str, str]:
    table = {}
    for line in output.splitlines()[2:]:
        name, status = line[:11].strip(), line[13:19].strip()
        table[name] = status
    return table


def test_verify_passes_with_engine_helper_and_bubblewrap() -> None:
    result = run_verify(dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    table = rows(result.stdout)
    assert table["sandbox"] == "ok"
    assert table["helper runs"] == "ok"
    # This checkout is an editable install: the engine is present but has no build record.
    assert table["engine"] in {"ok", "warn"}
    assert table["helper"] in {"ok", "warn"}


def test_verify_fails_without_bubblewrap() -> None:
    env = dict(os.environ, PATH="/nonexistent")
    result = run_verify(env)
    assert result.returncode == 1
    assert rows(result.stdout)["sandbox"] == "FAIL"
    assert "bubblewrap (bwrap) not on PATH" in result.stdout
