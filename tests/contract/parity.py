"""Parity with the official SDK: harvest its transcripts, compare ours, report.

A repository tool (it reads ``tests/fixtures/official`` and this directory's allow-list), so it
lives beside the contract tests rather than in the package; run it from a clone::

    .venv/bin/python -m tests.contract.parity [--no-harvest] [SCENARIO ...]

The official SDK (``openai_codex`` plus its ``codex`` binary) runs the shared
scenarios of :mod:`tests.contract.scenarios` in its own interpreter; its
normalized transcripts are stored as fixtures. Ours run the same scenarios
through the embedded engine and are compared with them. A difference is
either *allowed* (listed, with its reason, in the allow-list file: the engine
revisions differ) or it *differs*.

Allow-list lines look like ``scenario-glob | difference-glob | reason``; the
globs (:mod:`fnmatch`) match a scenario name and a difference key such as
``event item/completed:agentMessage params.item.delivery missing``.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import codex
from tests.contract.normalize import signature

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "official"
DEFAULT_ALLOW_LIST = REPO_ROOT / "tests" / "contract" / "allowed_differences.txt"
DEFAULT_OFFICIAL_PYTHON = Path.home() / ".cache" / "official-venv" / "bin" / "python"


# --------------------------------------------------------------------------- differences
@dataclass(frozen=True)
class Difference:
    """One way our transcript differs from the official one."""

    mode: str
    turn: int | None
    subject: str
    path: str
    kind: str  # "missing" (official only), "extra" (ours only), "changed"
    official: Any = None
    ours: Any = None

    @property
    def key(self) -> str:
        """What allow-list globs match: no turn index, no values."""
        return " ".join(part for part in (self.subject, self.path, self.kind) if part)

    def describe(self) -> str:
        where = f"{self.mode}" + (f" turn {self.turn}" if self.turn is not None else "")
        values = {
            "missing": f"official: {_short(self.official)}",
            "extra": f"ours: {_short(self.ours)}",
            "changed": f"official: {_short(self.official)}, ours: {_short(self.ours)}",
        }[self.kind]
        return f"[{where}] {self.key} ({values})"


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _signature(value: Any) -> str:
    """How list elements are paired: events by method (and item type), items by type."""
    return signature(value) or json.dumps(value, sort_keys=True)


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


class _Differ:
    def __init__(self, mode: str, turn: int | None, subject: str) -> None:
        self.mode, self.turn, self.subject = mode, turn, subject
        self.found: list[Difference] = []

    def add(self, path: str, kind: str, official: Any = None, ours: Any = None, subject: str | None = None) -> None:
        self.found.append(Difference(self.mode, self.turn, subject or self.subject, path, kind, official, ours))

    def value(self, official: Any, ours: Any, path: str = "") -> None:
        if isinstance(official, dict) and isinstance(ours, dict):
            for key in sorted(set(official) | set(ours)):
                sub = _join(path, key)
                if key not in ours:
                    self.add(sub, "missing", official=official[key])
                elif key not in official:
                    self.add(sub, "extra", ours=ours[key])
                else:
                    self.value(official[key], ours[key], sub)
        elif isinstance(official, list) and isinstance(ours, list):
            self.sequence(official, ours, path)
        elif official != ours or type(official) is not type(ours):
            self.add(path, "changed", official, ours)

    def sequence(self, official: list[Any], ours: list[Any], path: str) -> None:
        left, right = [_signature(v) for v in official], [_signature(v) for v in ours]
        matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    self.value(official[i], ours[j], _join(path, f"#{left[i]}"))
                continue
            # Elements with no identity of their own (request options, say) pair up by position.
            paired = 0
            while i1 + paired < i2 and j1 + paired < j2 and signature(official[i1 + paired]) is None:
                if signature(ours[j1 + paired]) is not None:
                    break
                self.value(official[i1 + paired], ours[j1 + paired], _join(path, f"#{i1 + paired}"))
                paired += 1
            for i in range(i1 + paired, i2):
                self.add(_join(path, f"#{left[i]}"), "missing", official=official[i])
            for j in range(j1 + paired, j2):
                self.add(_join(path, f"#{right[j]}"), "extra", ours=ours[j])


def _event_differences(mode: str, turn: int, official: list[Any], ours: list[Any]) -> list[Difference]:
    differ = _Differ(mode, turn, "events")
    left, right = [_signature(v) for v in official], [_signature(v) for v in ours]
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                differ.subject = f"event {left[i]}"
                differ.value(official[i], ours[j])
            continue
        for i in range(i1, i2):
            differ.add("", "missing", official=official[i], subject=f"event {left[i]}")
        for j in range(j1, j2):
            differ.add("", "extra", ours=ours[j], subject=f"event {right[j]}")
    return differ.found


def compare_transcripts(official: dict[str, Any], ours: dict[str, Any]) -> list[Difference]:
    """Every difference between two normalized transcripts of one scenario."""
    found: list[Difference] = []
    for mode in sorted(set(official["modes"]) | set(ours["modes"])):
        left, right = official["modes"].get(mode), ours["modes"].get(mode)
        if left is None or right is None:
            found.append(Difference(mode, None, "mode", "", "missing" if right is None else "extra", left, right))
            continue
        for index in range(max(len(left["turns"]), len(right["turns"]))):
            if index >= len(right["turns"]) or index >= len(left["turns"]):
                kind = "missing" if index >= len(right["turns"]) else "extra"
                found.append(Difference(mode, index, "turn", "", kind))
                continue
            left_turn, right_turn = left["turns"][index], right["turns"][index]
            for area in sorted(set(left_turn) | set(right_turn)):
                if area == "events":
                    found += _event_differences(mode, index, left_turn.get(area, []), right_turn.get(area, []))
                    continue
                # "result" / "raised" of a turn, "call" / "returned" / "raised" of an API call.
                differ = _Differ(mode, index, area)
                if area not in right_turn:
                    differ.add("", "missing", official=left_turn[area])
                elif area not in left_turn:
                    differ.add("", "extra", ours=right_turn[area])
                else:
                    differ.value(left_turn[area], right_turn[area])
                found += differ.found
        for area in ("files", "requests"):
            differ = _Differ(mode, None, area)
            differ.value(left.get(area), right.get(area))
            found += differ.found
    return found


# --------------------------------------------------------------------------- allow-list
@dataclass
class Allowance:
    """One allow-list line: differences it covers and why they are fine."""

    scenario_glob: str
    difference_glob: str
    reason: str
    line: int
    used: int = 0

    def covers(self, scenario: str, difference: Difference) -> bool:
        return fnmatch.fnmatchcase(scenario, self.scenario_glob) and fnmatch.fnmatchcase(
            difference.key, self.difference_glob
        )


class AllowListError(ValueError):
    """The allow-list file has a line that is not ``scenario | difference | reason``."""


def load_allow_list(path: Path) -> list[Allowance]:
    entries: list[Allowance] = []
    if not path.exists():
        return entries
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise AllowListError(f"{path}:{number}: expected 'scenario-glob | difference-glob | reason', got {raw!r}")
        entries.append(Allowance(parts[0], parts[1], parts[2], number))
    return entries


@dataclass
class ScenarioReport:
    scenario: str
    differences: list[Difference] = field(default_factory=list)
    allowed: list[tuple[Difference, Allowance]] = field(default_factory=list)
    missing_fixture: bool = False

    @property
    def status(self) -> str:
        if self.missing_fixture:
            return "no fixture"
        if self.differences:
            return "differs"
        return "allowed difference" if self.allowed else "same"


def judge(scenario: str, differences: Iterable[Difference], allow_list: Sequence[Allowance]) -> ScenarioReport:
    """Splits differences into allowed ones (counting allow-list use) and the rest."""
    report = ScenarioReport(scenario)
    for difference in differences:
        entry = next((entry for entry in allow_list if entry.covers(scenario, difference)), None)
        if entry is None:
            report.differences.append(difference)
        else:
            entry.used += 1
            report.allowed.append((difference, entry))
    return report


# --------------------------------------------------------------------------- fixtures
def fixture_path(fixtures: Path, scenario: str) -> Path:
    return fixtures / f"{scenario}.json"


def load_fixture(fixtures: Path, scenario: str) -> dict[str, Any] | None:
    path = fixture_path(fixtures, scenario)
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def write_fixture(fixtures: Path, transcript: dict[str, Any]) -> Path:
    fixtures.mkdir(parents=True, exist_ok=True)
    path = fixture_path(fixtures, transcript["scenario"])
    path.write_text(json.dumps(transcript, indent=2, sort_keys=True) + "\n")
    return path


def harvest(official_python: Path, fixtures: Path, names: Sequence[str]) -> list[Path]:
    """Runs the scenarios through the official SDK (its own interpreter) and stores fixtures."""
    worker = Path(__file__).resolve().with_name("official_worker.py")
    done = subprocess.run(
        [str(official_python), str(worker), "--sdk", "official", *names],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the official harvest failed:\n{done.stderr[-4000:]}")
    return [write_fixture(fixtures, json.loads(line)) for line in done.stdout.splitlines() if line.strip()]


def official_python_available(official_python: Path) -> bool:
    if not official_python.exists():
        return False
    probe = subprocess.run(
        [str(official_python), "-c", "import openai_codex"], capture_output=True, timeout=60, check=False
    )
    return probe.returncode == 0


# --------------------------------------------------------------------------- report
def render_table(reports: Sequence[ScenarioReport], allow_list: Sequence[Allowance]) -> str:
    lines = ["| scenario | result | what differs |", "|---|---|---|"]
    for report in reports:
        if report.differences:
            what = "; ".join(d.describe() for d in report.differences[:6])
            if len(report.differences) > 6:
                what += f"; ... {len(report.differences) - 6} more"
        elif report.allowed:
            lines_used = sorted({entry.line for _, entry in report.allowed})
            what = f"{len(report.allowed)} allowed (allow-list lines {', '.join(map(str, lines_used))})"
        elif report.missing_fixture:
            what = "run the harvest (needs the official SDK)"
        else:
            what = ""
        lines.append(f"| {report.scenario} | {report.status} | {what} |")
    unused = [entry for entry in allow_list if entry.used == 0]
    if unused:
        lines.append("")
        lines.append("unused allow-list entries (remove them, or the difference they describe is gone):")
        lines += [f"  line {e.line}: {e.scenario_glob} | {e.difference_glob} | {e.reason}" for e in unused]
    return "\n".join(lines)


def render_details(reports: Sequence[ScenarioReport]) -> str:
    """Every distinct difference per scenario, with its count and verdict."""
    lines: list[str] = []
    for report in reports:
        verdicts: dict[str, tuple[int, str]] = {}
        for difference in report.differences:
            count, _ = verdicts.get(difference.key, (0, ""))
            verdicts[difference.key] = (count + 1, f"DIFFERS, e.g. {difference.describe()}")
        for difference, entry in report.allowed:
            count, _ = verdicts.get(difference.key, (0, ""))
            verdicts[difference.key] = (count + 1, f"allowed (line {entry.line}: {entry.reason})")
        if verdicts:
            lines.append(f"{report.scenario}:")
            lines += [f"  {count:>3}x {key}: {verdict}" for key, (count, verdict) in sorted(verdicts.items())]
    return "\n".join(lines)


def run_parity(
    names: Sequence[str],
    *,
    fixtures: Path = DEFAULT_FIXTURES,
    allow_list_path: Path = DEFAULT_ALLOW_LIST,
) -> tuple[list[ScenarioReport], list[Allowance]]:
    """Runs ``names`` through codex-embedded and compares them with the fixtures."""
    from tests.contract.scenario_runner import run_scenario
    from tests.contract.scenarios import SCENARIOS

    allow_list = load_allow_list(allow_list_path)
    reports = []
    for name in names:
        official = load_fixture(fixtures, name)
        if official is None:
            reports.append(ScenarioReport(name, missing_fixture=True))
            continue
        ours = run_scenario(codex, SCENARIOS[name])
        reports.append(judge(name, compare_transcripts(official, ours), allow_list))
    return reports, allow_list


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", nargs="*", help="scenario names (default: all)")
    parser.add_argument(
        "--official-python",
        type=Path,
        default=DEFAULT_OFFICIAL_PYTHON,
        help="an interpreter with openai_codex installed; the harvest is skipped when it has none",
    )
    parser.add_argument("--no-harvest", action="store_true", help="compare with the stored fixtures only")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--allow-list", type=Path, default=DEFAULT_ALLOW_LIST)
    parser.add_argument("--verbose", "-v", action="store_true", help="list every difference and why it is allowed")


def run_command(args: argparse.Namespace) -> int:
    """Harvests when the official SDK is there, compares, prints the table."""
    from tests.contract.scenarios import SCENARIOS

    scenarios = SCENARIOS
    names = list(args.scenarios) or list(scenarios)
    unknown = [name for name in names if name not in scenarios]
    if unknown:
        sys.stderr.write(f"unknown scenarios: {', '.join(unknown)}; known: {', '.join(scenarios)}\n")
        return 2
    if not args.no_harvest:
        if official_python_available(args.official_python):
            print(f"harvesting {len(names)} scenarios with {args.official_python} ...", flush=True)
            try:
                harvest(args.official_python, args.fixtures, names)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                sys.stderr.write(f"{exc}\n")
                return 2
        else:
            print(f"no openai_codex at {args.official_python}: comparing with stored fixtures", flush=True)
    try:
        reports, allow_list = run_parity(names, fixtures=args.fixtures, allow_list_path=args.allow_list)
    except AllowListError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    # Unused entries are only meaningful when every scenario ran.
    print(render_table(reports, allow_list if len(names) == len(scenarios) else []))
    if args.verbose:
        print()
        print(render_details(reports))
    return 1 if any(report.status in ("differs", "no fixture") for report in reports) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.contract.parity", description="compare with the official SDK on the contract scenarios"
    )
    add_arguments(parser)
    return run_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
