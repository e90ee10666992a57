"""Golden contract: codex-embedded produces what the official SDK produced, scenario by scenario.

Each scenario of ``tests.contract.scenarios`` runs through the real embedded
engine against the testing mock; its normalized transcript (turn events, turn
results or raised errors, files written, requests the engine sent) is compared
with the official SDK's transcript stored in ``tests/fixtures/official``
(re-record with ``scripts/harvest_official.py``). Differences must be listed,
with their reason, in ``tests/contract/allowed_differences.txt``.
"""

from __future__ import annotations

import functools
import json

import pytest

import codex
from tests.contract.parity import (
    DEFAULT_ALLOW_LIST,
    DEFAULT_FIXTURES,
    ScenarioReport,
    compare_transcripts,
    judge,
    load_allow_list,
    load_fixture,
)
from tests.contract.scenario_runner import run_scenario
from tests.contract.scenarios import SCENARIOS

ALLOW_LIST = load_allow_list(DEFAULT_ALLOW_LIST)


@functools.cache
def _report(name: str) -> ScenarioReport:
    official = load_fixture(DEFAULT_FIXTURES, name)
    assert official is not None, f"no fixture for {name}: run scripts/harvest_official.py"
    ours = run_scenario(codex, SCENARIOS[name])
    # Fresh allow-list objects per scenario: usage is counted by the last test.
    return judge(name, compare_transcripts(official, ours), load_allow_list(DEFAULT_ALLOW_LIST))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_matches_the_official_sdk(name: str) -> None:
    report = _report(name)
    assert not report.differences, "\n".join(d.describe() for d in report.differences)


def test_every_scenario_has_an_official_fixture() -> None:
    for name in SCENARIOS:
        fixture = json.loads((DEFAULT_FIXTURES / f"{name}.json").read_text())
        assert fixture["sdk"] == "openai_codex 0.163.0"
        assert fixture["scenario"] == name
        assert set(fixture["modes"]) == set(SCENARIOS[name].modes)


def test_every_allow_list_entry_is_still_needed() -> None:
    used: set[int] = set()
    for name in SCENARIOS:
        used.update(entry.line for _, entry in _report(name).allowed)
    unused = [f"line {e.line}: {e.scenario_glob} | {e.difference_glob}" for e in ALLOW_LIST if e.line not in used]
    assert not unused, "allow-list entries no scenario needs any more:\n" + "\n".join(unused)
