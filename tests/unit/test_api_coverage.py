"""Every public name of ``openai_codex`` 0.163 exists here, or docs/compatibility.md says why not.

The official API is read from a committed snapshot (``tests/fixtures/official/public_api.json``,
written by ``scripts/harvest_official_api.py``), so this runs without the official SDK;
when the official interpreter is present, the snapshot is checked to be current.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "tests" / "fixtures" / "official" / "public_api.json"
HARVESTER = ROOT / "scripts" / "harvest_official_api.py"
TABLE = ROOT / "docs" / "compatibility.md"


def _official_python() -> Path:
    """$CODEX_OFFICIAL_PYTHON, else the venv `benchmarks/compare_official.py --setup-official`
    makes, else the one CONTRIBUTING.md describes."""
    if "CODEX_OFFICIAL_PYTHON" in os.environ:
        return Path(os.environ["CODEX_OFFICIAL_PYTHON"])
    venvs = [Path.home() / ".cache" / "codex-embedded" / "official-venv", Path.home() / ".cache" / "official-venv"]
    return next(
        (venv / "bin" / "python" for venv in venvs if (venv / "bin" / "python").exists()), venvs[-1] / "bin" / "python"
    )


OFFICIAL_PYTHON = _official_python()
OURS = {"openai_codex": "codex", "openai_codex.types": "codex.types"}
#: Table statuses that excuse a missing or different name; "same" and "extended" promise it works.
EXCUSED = {"not applicable", "differs"}
STATUSES = EXCUSED | {"same", "extended"}
POSITIONAL = {"POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD"}


def _harvester() -> ModuleType:
    spec = importlib.util.spec_from_file_location("harvest_official_api", HARVESTER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snapshot() -> dict[str, Any]:
    return dict(json.loads(SNAPSHOT.read_text()))


def _qualify(module: str, name: str) -> str:
    return name if module == "openai_codex" else f"types.{name}"


def compatibility_table() -> dict[str, str]:
    """Qualified name -> status, from every table row of docs/compatibility.md naming official API."""
    rows: dict[str, str] = {}
    text = TABLE.read_text()
    table = text[text.index("<!-- api-table:start -->") : text.index("<!-- api-table:end -->")]
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        status = cells[1].strip("* ").lower()
        for name in re.findall(r"`([^`]+)`", cells[0]):
            rows[name] = status
    return rows


def _params_problem(official: list[dict[str, Any]], ours: list[dict[str, Any]]) -> str | None:
    names = {param["name"]: (index, param) for index, param in enumerate(ours)}
    takes_kwargs = any(param["kind"] == "VAR_KEYWORD" for param in ours)
    for index, param in enumerate(official):
        if param["kind"] in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            continue
        found = names.get(param["name"])
        if found is None:
            if not takes_kwargs:
                return f"no parameter {param['name']!r}"
            continue
        our_index, our_param = found
        if param["kind"] in POSITIONAL and (our_param["kind"] not in POSITIONAL or our_index != index):
            return f"parameter {param['name']!r} must be positional at index {index}"
        if our_param["required"] and not param["required"]:
            return f"parameter {param['name']!r} is required here but optional in openai_codex"
    official_names = {param["name"] for param in official}
    extra = [param["name"] for param in ours if param["required"] and param["name"] not in official_names]
    return f"extra required parameters {extra}" if extra else None


def _call_problem(official: dict[str, Any], ours: dict[str, Any]) -> str | None:
    # An async generator and a sync method returning an async iterator are used alike (`async for`).
    official_call = "sync" if official["call"] == "asyncgen" else official["call"]
    our_call = "sync" if ours["call"] == "asyncgen" else ours["call"]
    if official_call != our_call:
        return f"is {ours['call']} here but {official['call']} in openai_codex"
    return _params_problem(official["params"], ours["params"])


def _has_attribute(cls: type, name: str) -> bool:
    if hasattr(cls, name):
        return True
    return any(name in getattr(klass, "__annotations__", {}) for klass in cls.__mro__)


def _class_problems(qualified: str, official: dict[str, Any], ours: dict[str, Any], cls: type) -> dict[str, str]:
    problems: dict[str, str] = {}
    if ours["kind"] != "class":
        return {qualified: f"is a {ours['kind']} here, a class in openai_codex"}
    # Handles whose constructor takes the SDK's private client are built by the SDK, never by users.
    if official["constructor"] and not any(param["name"].startswith("_") for param in official["constructor"]):
        problem = _params_problem(official["constructor"], ours["constructor"])
        if problem:
            problems[f"{qualified}()"] = problem
    for member, spec in official["members"].items():
        key = f"{qualified}.{member}"
        mine = ours["members"].get(member)
        if spec["kind"] == "enum_member":
            if mine is None or mine.get("value") != spec["value"]:
                problems[key] = f"enum member missing or with another value (want {spec['value']!r})"
        elif spec["kind"] == "method":
            if mine is None or mine["kind"] != "method":
                problems[key] = "method missing"
            elif problem := _call_problem(spec, mine):
                problems[key] = problem
        elif mine is None and not _has_attribute(cls, member):
            problems[key] = f"{spec['kind']} missing"
    return problems


def coverage_problems() -> dict[str, str]:
    """Qualified official name -> what is missing or different in ours."""
    harvester = _harvester()
    problems: dict[str, str] = {}
    for module_name, names in _snapshot()["modules"].items():
        our_module = importlib.import_module(OURS[module_name])
        ours = harvester.describe_module(OURS[module_name])
        for name, spec in names.items():
            qualified = _qualify(module_name, name)
            if not hasattr(our_module, name):
                problems[qualified] = "missing"
                continue
            mine = ours.get(name) or harvester.describe_name(getattr(our_module, name))
            if name not in ours:
                problems[qualified] = f"importable but not in {OURS[module_name]}.__all__"
            elif spec["kind"] == "class":
                problems.update(_class_problems(qualified, spec, mine, getattr(our_module, name)))
            elif spec["kind"] == "function":
                if mine["kind"] != "function":
                    problems[qualified] = f"is a {mine['kind']} here"
                elif problem := _call_problem(spec, mine):
                    problems[qualified] = problem
    return problems


def official_names() -> list[str]:
    """What the table must list: every name, and every member of the top-level classes."""
    listed: list[str] = []
    for module_name, names in _snapshot()["modules"].items():
        for name, spec in names.items():
            qualified = _qualify(module_name, name)
            listed.append(qualified)
            if module_name == "openai_codex" and spec["kind"] == "class":
                listed += [f"{qualified}.{member}" for member in spec["members"]]
    return listed


def test_snapshot_is_the_official_sdk() -> None:
    snapshot = _snapshot()
    assert snapshot["package"] == "openai_codex"
    assert snapshot["version"] == "0.163.0"
    assert len(snapshot["modules"]["openai_codex"]) >= 30
    assert "thread_fork" in snapshot["modules"]["openai_codex"]["Codex"]["members"]


def test_compatibility_table_lists_every_official_name_with_a_status() -> None:
    table = compatibility_table()
    unlisted = [name for name in official_names() if name not in table]
    assert not unlisted, f"docs/compatibility.md has no row for: {unlisted}"
    unknown = {name: status for name, status in table.items() if status not in STATUSES}
    assert not unknown, f"statuses must be one of {sorted(STATUSES)}: {unknown}"


def test_every_official_name_works_here_or_the_table_explains_why_not() -> None:
    table = compatibility_table()
    unexplained = {name: problem for name, problem in coverage_problems().items() if table.get(name) not in EXCUSED}
    assert not unexplained, (
        "names of openai_codex missing or different here, not marked 'not applicable' or 'differs' "
        f"in docs/compatibility.md: {json.dumps(unexplained, indent=1)}"
    )


def test_the_table_does_not_excuse_what_works() -> None:
    """A row saying 'not applicable' for a name that now matches is stale."""
    table = compatibility_table()
    problems = coverage_problems()
    stale = [
        name
        for name in official_names()
        if table.get(name) == "not applicable" and name not in problems and not name.endswith("()")
    ]
    assert not stale, f"marked 'not applicable' but present and compatible: {stale}"


def test_a_missing_name_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison itself: removing a method from ours is reported."""
    import codex

    monkeypatch.delattr(codex.thread_admin.ThreadAdminApi, "thread_fork")
    assert coverage_problems().get("Codex.thread_fork") == "method missing"


def test_a_missing_keyword_or_a_lost_await_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import codex

    def thread_list(self: object, *, limit: int | None = None) -> None:
        raise AssertionError("never called")

    def models(self: object, *, include_hidden: bool = False) -> None:
        raise AssertionError("never called")

    monkeypatch.setattr(codex.thread_admin.ThreadAdminApi, "thread_list", thread_list)
    monkeypatch.setattr(codex.thread_admin.AsyncThreadAdminApi, "models", models)
    problems = coverage_problems()
    assert problems["Codex.thread_list"] == "no parameter 'archived'"
    assert problems["AsyncCodex.models"] == "is sync here but coroutine in openai_codex"


@pytest.mark.skipif(not OFFICIAL_PYTHON.exists(), reason=f"the official SDK's interpreter {OFFICIAL_PYTHON} is absent")
def test_snapshot_is_current() -> None:
    harvested = subprocess.run(
        [str(OFFICIAL_PYTHON), str(HARVESTER)], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert json.loads(harvested) == _snapshot(), "re-run scripts/harvest_official_api.py and commit the snapshot"
