"""Fleet tasks from JSON lines and from Python: every field read, every wrong value refused with
a message naming the task (complements test_fleet.py's table of bad lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex.errors import ConfigurationError
from codex.fleet.tasks import (
    DirectoryWorkspace,
    FleetTask,
    GitWorkspace,
    WorkerOptions,
    load_tasks,
    task_from_json,
)
from codex.inputs import ImageInput, LocalImageInput, MentionInput, SkillInput, TextInput
from codex.sandbox import ApprovalMode, Sandbox


def test_every_field_of_a_task_line_is_read(tmp_path: Path) -> None:
    line = {
        "id": "full",
        "input": [
            "plain",
            {"type": "text", "text": "t"},
            {"type": "image", "url": "https://example.com/a.png"},
            {"type": "localImage", "path": "/tmp/a.png"},
            {"type": "skill", "name": "s", "path": "/skills/s"},
            {"type": "mention", "name": "m", "path": "/m"},
        ],
        "workspace": {"directory": "src", "exclude": ["node_modules"]},
        "model": "gpt-x",
        "sandbox": "read-only",
        "approval_mode": ApprovalMode.deny_all.value,
        "developer_instructions": "be brief",
        "base_instructions": "you are a bot",
        "effort": "low",
        "config": {"a.b": 1},
        "output_schema": {"type": "object", "properties": {}},
        "tools": "pkg.mod:TOOLS",
        "approval_callback": "pkg.mod:policy",
        "timeout_s": 30,
        "metadata": {"owner": "me"},
    }
    task = task_from_json(line, default_id="line-1", base_dir=tmp_path)
    assert task.id == "full"
    assert task.input == [
        "plain",
        TextInput("t"),
        ImageInput("https://example.com/a.png"),
        LocalImageInput("/tmp/a.png"),
        SkillInput("s", "/skills/s"),
        MentionInput("m", "/m"),
    ]
    assert task.turn_input is task.input
    assert task.workspace == DirectoryWorkspace(str(tmp_path / "src"), ("node_modules",))
    assert task.sandbox is Sandbox.read_only
    assert task.approval_mode is ApprovalMode.deny_all
    assert (task.model, task.effort, task.config) == ("gpt-x", "low", {"a.b": 1})
    assert (task.developer_instructions, task.base_instructions) == ("be brief", "you are a bot")
    assert task.output_type == {"type": "object", "properties": {}}
    assert task.tools == ("pkg.mod:TOOLS",)  # one path given as a string
    assert task.approval_callback == "pkg.mod:policy"
    assert task.timeout_s == 30
    assert task.metadata == {"owner": "me"}


def test_workspaces_resolve_relative_to_the_tasks_file(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    lines = [
        {"id": "a", "prompt": "p", "workspace": "plain-dir"},
        {"id": "b", "prompt": "p", "workspace": {"git": "repo", "revision": "v2"}},
        {"id": "c", "prompt": "p", "workspace": {"git": "https://example.com/r.git"}},
        {"prompt": "no id"},
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("# a comment\n\n" + "\n".join(json.dumps(line) for line in lines) + "\n")
    a, b, c, d = load_tasks(path)
    assert a.workspace == DirectoryWorkspace(str(tmp_path / "plain-dir"))
    assert b.workspace == GitWorkspace(str(tmp_path / "repo"), "v2")  # a local repository next to the file
    assert c.workspace == GitWorkspace("https://example.com/r.git", "HEAD")  # a URL stays as given
    assert d.id == "line-6"  # no id: named by its line
    assert d.workspace is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"tasks.jsonl:1: not a JSON object"),
        ("[1, 2]", r"tasks.jsonl:1: each line must be a JSON object"),
    ],
)
def test_a_line_that_is_not_an_object_names_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text(text + "\n")
    with pytest.raises(ConfigurationError, match=message):
        load_tasks(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": "x", "input": "not a list"}, "input must be a list"),
        ({"id": "x", "input": [{"type": "image"}]}, "lacks 'url'"),
        ({"id": "x", "prompt": "p", "approval_mode": "sometimes"}, "approval_mode must be one of"),
        ({"id": "x", "prompt": "p", "workspace": {"svn": "r"}}, "workspace must be a path"),
        ({"id": "x", "prompt": "p", "output_schema": "object"}, "output_schema must be a JSON Schema object"),
        ({"id": "x", "prompt": "p", "timeout_s": 0}, "timeout_s must be positive"),
        ({"id": "", "prompt": "p"}, "nonempty string id"),
    ],
)
def test_bad_fields_name_the_task(line: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        task_from_json(line, default_id="line-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sandbox": "read-only"}, "sandbox must be a Sandbox or SandboxPolicy"),
        ({"approval_mode": "deny"}, "approval_mode must be an ApprovalMode"),
        ({"tools": (3,)}, "import paths 'module:attribute', got 3"),
    ],
)
def test_tasks_built_in_python_are_checked_too(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        FleetTask("t", prompt="p", **kwargs)


def test_worker_options_refuse_an_api_key_override_and_accept_others() -> None:
    with pytest.raises(ConfigurationError, match="would carry a credential"):
        WorkerOptions(config_overrides=("model_providers.p.API_KEY = sk-1",))
    assert WorkerOptions(config_overrides=("model=gpt-x",)).config_overrides == ("model=gpt-x",)
