"""`python -m tests.contract.parity` end to end: the real engine against stored (or tampered) fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codex import cli
from tests.contract.parity import DEFAULT_FIXTURES, main

SCENARIO = "empty_response"  # the quickest scenario: one model call per mode
NO_OFFICIAL = "/nonexistent/python"


def test_matching_scenario_prints_its_row_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--official-python", NO_OFFICIAL, SCENARIO]) == 0
    out = capsys.readouterr().out
    assert "no openai_codex at /nonexistent/python: comparing with stored fixtures" in out
    assert f"| {SCENARIO} | allowed difference | 2 allowed (allow-list lines " in out


def test_a_tampered_fixture_is_reported_as_differing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture = json.loads((DEFAULT_FIXTURES / f"{SCENARIO}.json").read_text())
    (turn,) = fixture["modes"]["run"]["turns"]
    turn["result"]["status"] = "interrupted"
    (tmp_path / f"{SCENARIO}.json").write_text(json.dumps(fixture))

    assert main(["--no-harvest", "--fixtures", str(tmp_path), "-v", SCENARIO]) == 1
    out = capsys.readouterr().out
    assert f"| {SCENARIO} | differs | [run turn 0] result status changed" in out
    assert '(official: "interrupted", ours: "completed")' in out
    assert "1x result status changed: DIFFERS" in out


def test_missing_fixture_and_unknown_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-harvest", "--fixtures", str(tmp_path), SCENARIO]) == 1
    assert f"| {SCENARIO} | no fixture | run the harvest" in capsys.readouterr().out

    assert main(["--no-harvest", "no_such_scenario"]) == 2
    assert "unknown scenarios: no_such_scenario" in capsys.readouterr().err


def test_malformed_allow_list_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allow = tmp_path / "allowed.txt"
    allow.write_text("* | only two fields\n")
    shutil.copy(DEFAULT_FIXTURES / f"{SCENARIO}.json", tmp_path / f"{SCENARIO}.json")
    assert main(["--no-harvest", "--allow-list", str(allow), SCENARIO]) == 2
    assert "allowed.txt:1: expected 'scenario-glob | difference-glob | reason'" in capsys.readouterr().err


def test_the_packages_cli_says_where_the_repository_tool_is(capsys: pytest.CaptureFixture[str]) -> None:
    # The fixtures and the allow-list live in the repository, not in an installed package.
    assert cli.main(["parity", "--no-harvest", SCENARIO]) == 2
    assert "run it from a clone: python -m tests.contract.parity" in capsys.readouterr().err
