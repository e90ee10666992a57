"""``python -m codex exec``: a real turn through the engine against the mock, from a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from codex.testing import MockResponsesServer, responses

from .conftest import API_KEY


def run_exec(
    mock: MockResponsesServer, workspace: Path, *extra: str, key: str | None = API_KEY
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in {"OPENAI_API_KEY", "CODEX_HOME"}}
    env["CODEX_HOME"] = str(workspace / "no-login-here")
    if key is not None:
        env["OPENAI_API_KEY"] = key
    command = [sys.executable, "-m", "codex", "exec", "--base-url", mock.base_url, "--cd", str(workspace), *extra]
    return subprocess.run([*command, "write the greeting"], capture_output=True, text=True, env=env, check=False)


def test_exec_streams_text_and_reports_commands_and_patches(tmp_path: Path) -> None:
    with MockResponsesServer() as mock:
        mock.enqueue(
            responses.exec_command("printf 'hi\\n' > greeting.txt", login=False),
            responses.apply_patch(responses.add_file_patch("NOTES.md", "notes")),
            responses.streamed_text(["Wrote ", "the greeting."]),
        )
        result = run_exec(mock, tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "Wrote the greeting."
        assert "[exec] $ " in result.stderr
        assert "[exec] exit 0" in result.stderr
        assert "[patch] completed: " in result.stderr
        assert (tmp_path / "greeting.txt").read_text() == "hi\n"
        assert (tmp_path / "NOTES.md").is_file()
        assert mock.response_requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_exec_json_prints_one_notification_per_line(tmp_path: Path) -> None:
    with MockResponsesServer() as mock:
        mock.enqueue(responses.streamed_text(["Hello", " there"]))
        result = run_exec(mock, tmp_path, "--json")
        assert result.returncode == 0, result.stderr
        events = [json.loads(line) for line in result.stdout.splitlines()]
        methods = [event["method"] for event in events]
        assert methods[-1] == "turn/completed"
        deltas = [event["params"]["delta"] for event in events if event["method"] == "item/agentMessage/delta"]
        assert "".join(deltas) == "Hello there"


def test_exec_without_a_key_or_login_says_so(tmp_path: Path) -> None:
    with MockResponsesServer() as mock:
        result = run_exec(mock, tmp_path, key=None)
        assert result.returncode == 2
        assert "set OPENAI_API_KEY" in result.stderr
        assert mock.response_requests == []
