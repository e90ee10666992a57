"""Tool/MCP manifests and ``python -m codex tools validate``; typed MCP server configs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import ConfigurationError, McpHttpServer, McpStdioServer
from codex.cli import main
from codex.manifest import ManifestError, ManifestIssue, load_manifest, validate_manifest
from codex.mcp import mcp_config_overrides

GOOD_TOML = """
version = 1

[[tools]]
name = "get_weather"
description = "Current weather for a city."
handler = "myapp.tools:get_weather"
timeout_s = 30
[tools.parameters]
type = "object"
required = ["city"]
properties.city = { type = "string", description = "City name" }

[mcp_servers.docs]
command = "python"
args = ["-m", "docs_server"]
env = { DOCS_ROOT = "/srv/docs" }
tool_approval = "approve"
tool_timeout_s = 5

[mcp_servers.search]
url = "http://127.0.0.1:8931/mcp"
bearer_token_env_var = "SEARCH_TOKEN"
"""

GOOD_JSON = {
    "version": 1,
    "tools": [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "handler": "myapp.tools:get_weather",
            "timeout_s": 30,
            "parameters": {
                "type": "object",
                "required": ["city"],
                "properties": {"city": {"type": "string", "description": "City name"}},
            },
        }
    ],
    "mcp_servers": {
        "docs": {
            "command": "python",
            "args": ["-m", "docs_server"],
            "env": {"DOCS_ROOT": "/srv/docs"},
            "tool_approval": "approve",
            "tool_timeout_s": 5,
        },
        "search": {"url": "http://127.0.0.1:8931/mcp", "bearer_token_env_var": "SEARCH_TOKEN"},
    },
}

BAD_TOML = """
version = 2
[[tools]]
name = "exec_command"
description = "  "
[tools.parameters]
type = "object"
properties.town = { type = "str" }

[[tools]]
name = "ok_tool"
description = "fine"
handler = "not a path"
colour = "red"

[mcp_servers.docs]
args = ["x"]

[mcp_servers.web]
url = "ftp://x"
tool_approval = "sometimes"

[mcp_servers."bad name"]
command = "x"
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _issues(data: object) -> list[tuple[str, str]]:
    with pytest.raises(ManifestError) as caught:
        validate_manifest(data)
    return [(issue.location, issue.message) for issue in caught.value.issues]


def test_toml_and_json_give_the_same_manifest(tmp_path: Path) -> None:
    from_toml = load_manifest(_write(tmp_path, "tools.toml", GOOD_TOML))
    from_json = load_manifest(_write(tmp_path, "tools.json", json.dumps(GOOD_JSON)))
    assert from_toml == from_json

    (tool,) = from_toml.tools
    assert tool.name == "get_weather"
    assert tool.parameters.required == ["city"]
    docs, search = from_toml.servers()
    assert isinstance(docs, McpStdioServer)
    assert isinstance(search, McpHttpServer)
    assert (docs.name, search.name) == ("docs", "search")
    assert docs.engine_table() == {
        "command": "python",
        "args": ["-m", "docs_server"],
        "env": {"DOCS_ROOT": "/srv/docs"},
        "enabled": True,
        "tool_timeout_sec": 5.0,
        "default_tools_approval_mode": "approve",
    }
    assert search.engine_table() == {
        "url": "http://127.0.0.1:8931/mcp",
        "bearer_token_env_var": "SEARCH_TOKEN",
        "enabled": True,
    }


def test_every_problem_is_reported_with_its_location(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(_write(tmp_path, "bad.toml", BAD_TOML))
    found = {issue.location: issue.message for issue in caught.value.issues}
    assert found == {
        "version": "Input should be 1",
        "tools[0].name": "'exec_command' is taken by the engine (its own tools and the mcp__ prefix)",
        "tools[0].description": "description must say what the tool does (it is blank)",
        "tools[0].parameters.properties.town.type": (
            "unknown JSON Schema type 'str'; use one of array, boolean, integer, null, number, object, string"
        ),
        "tools[1].handler": "handler must look like 'package.module:function', got 'not a path'",
        "tools[1].colour": "Extra inputs are not permitted",
        "mcp_servers.docs": "an MCP server needs `command` (stdio) or `url` (streamable HTTP)",
        "mcp_servers.web.tool_approval": "Input should be 'auto', 'prompt', 'writes' or 'approve'",
        "mcp_servers.web.url": "url must be an http:// or https:// URL, got 'ftp://x'",
        "mcp_servers.bad name.name": "server name 'bad name' may only use letters, digits, '_' and '-'",
    }
    assert isinstance(caught.value, ConfigurationError)


def test_schema_and_cross_field_checks() -> None:
    tool = {"name": "t", "description": "d"}
    assert _issues({"tools": [{**tool, "parameters": {"type": "object", "required": ["x"]}}]}) == [
        ("tools[0].parameters", "required names no property: 'x'")
    ]
    assert _issues({"tools": [{**tool, "parameters": {"type": "array"}}]}) == [
        ("tools[0].parameters.type", "Input should be 'object'")
    ]
    assert _issues({"tools": [{**tool, "parameters": {"type": "object", "properties": {"x": {"title": "X"}}}}]}) == [
        ("tools[0].parameters.properties.x", "an argument schema needs `type` (or $ref/anyOf/oneOf/allOf/enum/const)")
    ]
    assert _issues({"tools": [tool, tool]}) == [("", "tools[1].name: 't' is declared twice")]
    assert _issues({"mcp_servers": {"a": {"command": "x", "name": "b"}}}) == [
        ("", "mcp_servers.a: the table key is the server name; drop name = 'b'")
    ]
    assert _issues({"mcp_servers": {"a": {"command": "x", "enabled_tools": ["k"], "disabled_tools": ["k"]}}}) == [
        ("mcp_servers.a", "tools both enabled and disabled: k")
    ]
    assert _issues({"mcp_servers": {"a": {"command": "x", "url": "http://h/"}}}) == [
        ("mcp_servers.a.url", "Extra inputs are not permitted")
    ]
    assert _issues([1, 2]) == [("", "the manifest must be a table/object, not list")]


def test_parse_errors_point_at_the_line(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(_write(tmp_path, "broken.json", '{"tools": [\n  {"name": "a",}\n]}'))
    expected = ManifestIssue("line 2 column 16", "Expecting property name enclosed in double quotes")
    assert caught.value.issues == [expected]
    with pytest.raises(ManifestError, match=r"invalid TOML: .*line 2"):
        load_manifest(_write(tmp_path, "broken.toml", "version = 1\nname = = 2\n"))
    with pytest.raises(ManifestError, match="cannot read the file"):
        load_manifest(tmp_path / "missing.toml")


def test_cli_validate_prints_each_error_and_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "good.toml", GOOD_TOML)
    bad = _write(tmp_path, "bad.toml", BAD_TOML)
    assert main(["tools", "validate", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: OK (1 tool(s), 2 MCP server(s))\n"

    assert main(["tools", "validate", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{good}: OK (1 tool(s), 2 MCP server(s))\n"
    lines = captured.err.splitlines()
    assert f"{bad}: mcp_servers.web.url: url must be an http:// or https:// URL, got 'ftp://x'" in lines
    assert lines[-1] == f"{bad}: invalid (10 problem(s))"


def test_cli_runs_as_a_module(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.json", json.dumps({"tools": [{"name": "x y", "description": "d"}]}))
    done = subprocess.run(
        [sys.executable, "-m", "codex", "tools", "validate", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert f"{bad}: tools[0].name: String should match pattern" in done.stderr


_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=40).filter(
    lambda name: not name.startswith("mcp__") and name not in {"shell", "mcp", "exec", "wait"}
)


@given(names=st.lists(_names, min_size=1, max_size=5, unique=True), text=st.text(min_size=1).filter(str.strip))
def test_any_well_formed_manifest_validates_from_json(names: list[str], text: str) -> None:
    from codex.tools import BUILTIN_TOOL_NAMES

    tools = [{"name": name, "description": text} for name in names if name not in BUILTIN_TOOL_NAMES]
    servers = {name: {"command": "srv", "args": [text]} for name in names}
    manifest = validate_manifest(json.loads(json.dumps({"tools": tools, "mcp_servers": servers})))
    assert [tool.name for tool in manifest.tools] == [tool["name"] for tool in tools]
    assert [server.name for server in manifest.servers()] == names


def _outside_alphabet(name: str) -> bool:
    return any(not (c.isascii() and (c.isalnum() or c in "_-")) for c in name)


@given(bad=st.text(min_size=1, max_size=20).filter(_outside_alphabet))
def test_tool_names_outside_the_alphabet_are_rejected(bad: str) -> None:
    issues = _issues({"tools": [{"name": bad, "description": "d"}]})
    assert [location for location, _ in issues] == ["tools[0].name"]


# --------------------------------------------------------------------------- typed MCP configs
def test_server_objects_become_engine_config_tables() -> None:
    stdio = McpStdioServer(
        name="local",
        command="/usr/bin/srv",
        args=["--fast"],
        env_vars=["HOME"],
        required=True,
        startup_timeout_s=2.5,
        tool_approvals={"delete": "prompt"},
        enabled_tools=["read", "delete"],
    )
    http = McpHttpServer(name="remote", url="https://mcp.example/mcp", http_headers={"X-Team": "a"}, enabled=False)
    assert mcp_config_overrides([stdio, http]) == {
        "mcp_servers.local": {
            "command": "/usr/bin/srv",
            "args": ["--fast"],
            "env_vars": ["HOME"],
            "enabled": True,
            "required": True,
            "startup_timeout_sec": 2.5,
            "tools": {"delete": {"approval_mode": "prompt"}},
            "enabled_tools": ["read", "delete"],
        },
        "mcp_servers.remote": {"url": "https://mcp.example/mcp", "http_headers": {"X-Team": "a"}, "enabled": False},
    }
    assert mcp_config_overrides(None) == {}


def test_bad_server_lists_raise_configuration_errors() -> None:
    server = McpStdioServer(name="a", command="x")
    with pytest.raises(ConfigurationError, match="two MCP servers are named 'a'"):
        mcp_config_overrides([server, server])
    with pytest.raises(ConfigurationError, match="must be a list"):
        mcp_config_overrides(server)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="got dict"):
        mcp_config_overrides([{"name": "a", "command": "x"}])  # type: ignore[list-item]
    # Built directly, a bad server is a typed SDK error (not pydantic's ValidationError).
    with pytest.raises(ConfigurationError, match="may only use letters"):
        McpStdioServer(name="a.b", command="x")
    with pytest.raises(ConfigurationError, match=r"tool_timeout_s: .*greater than 0"):
        McpHttpServer(name="a", url="http://h/", tool_timeout_s=0)
    with pytest.raises(ConfigurationError, match="url: Extra inputs"):
        McpStdioServer(name="a", command="x", url="http://h/")  # type: ignore[call-arg]


def test_client_config_rejects_bad_servers_before_starting_an_engine() -> None:
    from codex import CodexConfig
    from codex.config import resolve

    with pytest.raises(ConfigurationError, match="two MCP servers"):
        resolve(CodexConfig(mcp_servers=[McpStdioServer(name="a", command="x")] * 2))
    overrides = dict(resolve(CodexConfig(mcp_servers=[McpStdioServer(name="a", command="x")])).options["overrides"])
    assert overrides["mcp_servers.a"] == {"command": "x", "args": [], "enabled": True}


def test_run_command_writes_to_the_given_streams(tmp_path: Path) -> None:
    from argparse import Namespace

    from codex.manifest import run_command

    out, err = io.StringIO(), io.StringIO()
    good = _write(tmp_path, "good.json", json.dumps(GOOD_JSON))
    assert run_command(Namespace(files=[good]), out, err) == 0
    assert err.getvalue() == ""
    assert "OK" in out.getvalue()
