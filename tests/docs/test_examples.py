"""Every ```python block of README.md and docs/*.md runs, against the loopback mock.

The docs are written for a reader with a real key and a model; here each block runs with
``OPENAI_API_KEY`` set to a test key, every ``Codex(...)`` it builds pointed at a
``MockResponsesServer`` (unless the block points the engine at a mock itself), ``HOME`` and the
working directory in a scratch workspace, and the names the docs take as given (``Codex``,
``codex``, ``thread`` with a turn behind it, ``tasks``, ``repos``, ``incoming_header``) already
bound. A block that defines a pytest test gets it called with ``codex_mock`` and ``codex_client``.
A block that cannot run here says why in an HTML comment right above it,
``<!-- not-run: reason -->``; such blocks are reported as skipped with that reason and counted at
the end of the session (tests/docs/conftest.py).
"""

from __future__ import annotations

import logging
import re
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import codex
import codex.fleet
from codex import Codex, CodexConfig, _logging
from codex.fleet import DirectoryWorkspace, FleetTask, TaskResult, WorkerOptions
from codex.testing import MockResponsesServer, RecordedRequest, responses

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FIXTURE_MCP_SERVER = ROOT / "tests" / "fixtures" / "mcp_server.py"
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(?P<reason>.*?)\s*-->$")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Example:
    path: Path
    start_line: int  # the opening fence, 1-based
    source: str
    not_run: str | None  # the reason of a not-run marker above the block

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.start_line}"


def find_examples(path: Path) -> list[Example]:
    """The ```python blocks of a Markdown file (a fence inside another fence is not a block)."""
    lines = path.read_text().splitlines()
    found = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next(
            (
                later
                for later in range(index + 1, len(lines))
                if lines[later].strip() == opening["ticks"] and lines[later].startswith(opening["indent"])
            ),
            len(lines),
        )
        if opening["info"].strip().split(" ")[0] in ("python", "py"):
            above = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
            marker = NOT_RUN.match(above)
            body = textwrap.dedent("\n".join(lines[index + 1 : end])) + "\n"
            found.append(Example(path, index + 1, body, marker["reason"] if marker else None))
        index = end + 1
    return found


EXAMPLES = [example for path in DOC_FILES for example in find_examples(path)]


def run_example(example: Example, namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Runs the block as a module of its own; tracebacks point at the Markdown file's lines."""
    module = types.ModuleType(f"docs_example_{example.path.stem.replace('-', '_')}_{example.start_line}")
    module.__dict__.update(namespace)
    monkeypatch.setitem(sys.modules, module.__name__, module)  # pydantic and @tool look their module up
    code = compile("\n" * example.start_line + example.source, str(example.path), "exec")
    exec(code, module.__dict__)
    return module


# --------------------------------------------------------------------------- the mock's answers
def _instance_of(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A small value that satisfies ``schema`` (the subset pydantic's JSON schemas use)."""
    if "$ref" in schema:
        return _instance_of(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _instance_of(schema[key][0], defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _instance_of(sub, defs) for name, sub in properties.items()}
    if kind == "array":
        return [_instance_of(schema.get("items", {}), defs)]
    samples = {"string": "example", "boolean": True, "integer": 1, "number": 1.0, "null": None}
    return samples.get(kind or "string", "example")


def docs_responder(request: RecordedRequest) -> responses.ScriptedResponse:
    """A plain answer, or a conforming JSON value when the turn asks for structured output."""
    text_format = request.body.get("text", {}).get("format", {}) if isinstance(request.body, dict) else {}
    if text_format.get("type") == "json_schema":
        schema = text_format["schema"]
        return responses.structured(_instance_of(schema, schema.get("$defs", {})))
    return responses.text("Hello from the docs mock.")


# --------------------------------------------------------------------------- the world the docs assume
@pytest.fixture
def docs_mock() -> Iterator[MockResponsesServer]:
    with MockResponsesServer(responder=docs_responder) as mock:
        yield mock


@pytest.fixture
def docs_world(
    docs_mock: MockResponsesServer, codex_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """Points ``codex.Codex`` and ``codex.fleet.run_fleet`` at the mock and returns the globals
    a block starts with."""
    home = codex_workspace.parent / "home"
    (home / ".codex").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    for name in ("OPENAI_API_KEY", "GH_TOKEN", "SEARCH_TOKEN"):
        monkeypatch.setenv(name, "sk-docs-example-not-a-real-key")
    monkeypatch.chdir(codex_workspace)
    # Files and directories the examples name.
    (codex_workspace / "plots").mkdir()
    (codex_workspace / "plots" / "q3.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for name in ("billing", "search", "auth"):
        (codex_workspace / "repos" / name).mkdir(parents=True)
        (codex_workspace / "repos" / name / "app.py").write_text("import logging\n")
    # `python -m docs_server` (the MCP examples) finds this module in the server's working directory.
    (codex_workspace / "docs_server.py").write_text(
        f"import runpy\nrunpy.run_path({str(FIXTURE_MCP_SERVER)!r}, run_name='__main__')\n"
    )

    opened: list[Codex] = []
    real_codex = codex.Codex

    class MockedCodex(real_codex):  # type: ignore[misc, valid-type]
        def __init__(self, config: CodexConfig | None = None, **kwargs: Any) -> None:
            overrides = config.config_overrides if config else ()
            if not any(item.strip().startswith("openai_base_url") for item in overrides):
                kwargs["base_url"] = docs_mock.base_url  # also replaces a real host the block names
            super().__init__(config, **kwargs)
            opened.append(self)

    real_run_fleet = codex.fleet.run_fleet

    def mocked_run_fleet(tasks: Any, **kwargs: Any) -> Iterator[TaskResult]:
        options = kwargs.get("worker_options") or WorkerOptions()
        kwargs["worker_options"] = replace(options, base_url=docs_mock.base_url)
        return real_run_fleet(tasks, **kwargs)

    monkeypatch.setattr(codex, "Codex", MockedCodex)
    monkeypatch.setattr(codex.fleet, "run_fleet", mocked_run_fleet)

    logger = logging.getLogger("codex")
    logging_before = (list(logger.handlers), logger.level)  # configure_logging() examples change it
    client = MockedCodex()
    thread = client.thread_start()
    thread.run("Earlier work the example continues.")  # a thread with history (forks need one)
    repos = [str(codex_workspace / "repos" / "billing")]
    try:
        yield {
            "Codex": MockedCodex,  # imported by an earlier block of the same page
            "codex": client,
            "thread": thread,
            "repos": repos,
            "tasks": [FleetTask(id="billing", prompt="Fix the lint errors.", workspace=DirectoryWorkspace(repos[0]))],
            "run_fleet": mocked_run_fleet,
            "incoming_header": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        }
    finally:
        for opened_client in reversed(opened):
            opened_client.close()
        logger.handlers[:], logger.level = logging_before
        _logging.sync_engine_level()


def _tests_defined_by(module: types.ModuleType) -> list[types.FunctionType]:
    return [
        value
        for name, value in vars(module).items()
        if name.startswith("test_") and isinstance(value, types.FunctionType) and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_docs_example_runs(example: Example, docs_world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    if example.not_run is not None:
        pytest.skip(f"not-run: {example.not_run}")
    module = run_example(example, docs_world, monkeypatch)
    # A block showing a pytest test gets it run too, with the fixtures it names.
    for test in _tests_defined_by(module):
        with MockResponsesServer() as mock, Codex(base_url=mock.base_url, api_key="sk-test", cwd=".") as client:
            fixtures = {"codex_mock": mock, "codex_client": client}
            test(*(fixtures[name] for name in test.__code__.co_varnames[: test.__code__.co_argcount]))


def test_not_run_markers_have_reasons_and_stand_before_a_python_block() -> None:
    marked_blocks = {(example.path, example.start_line) for example in EXAMPLES if example.not_run is not None}
    for path in DOC_FILES:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            match = NOT_RUN.match(line.strip())
            if not match:
                continue
            assert match.group("reason"), f"{path.name}:{number}: a not-run marker needs a reason"
            fence = next(
                (index for index in range(number, len(lines)) if lines[index].strip()),
                None,
            )
            assert fence is not None, f"{path.name}:{number}: a not-run marker at the end of the page"
            assert (path, fence + 1) in marked_blocks, (
                f"{path.name}:{number}: a not-run marker must stand right above a ```python block"
            )


def test_examples_were_found() -> None:
    # A change to the fence syntax or the collector must not leave this suite running nothing.
    assert len(EXAMPLES) >= 20
    assert {example.path.name for example in EXAMPLES} >= {"README.md", "tools-and-approvals.md"}
    assert all(example.source.strip() for example in EXAMPLES)
