"""Tool manifests: tool declarations and MCP servers in one JSON or TOML file.

A manifest lets tools and servers live in configuration rather than code, and
``python -m codex tools validate FILE`` checks one before it is deployed. The format
(TOML shown; JSON has the same shape)::

    version = 1                      # optional; the only version so far

    [[tools]]
    name = "get_weather"             # 1-128 of [A-Za-z0-9_-], not an engine tool name
    description = "Current weather for a city."
    handler = "myapp.tools:get_weather"   # optional: module:function
    timeout_s = 30                   # optional
    [tools.parameters]               # a JSON Schema for the arguments: an object schema
    type = "object"
    required = ["city"]
    properties.city = { type = "string" }

    [mcp_servers.docs]               # the table key is the server name
    command = "python"               # stdio server ...
    args = ["-m", "docs_server"]
    tool_approval = "approve"

    [mcp_servers.search]
    url = "http://127.0.0.1:8931/mcp"    # ... or streamable HTTP

``mcp_servers`` entries take the fields of :class:`~codex.McpStdioServer` and
:class:`~codex.McpHttpServer`; :meth:`ToolManifest.servers` returns them ready for
``Codex(mcp_servers=...)``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from .errors import ConfigurationError
from .mcp import McpHttpServer, McpServer, McpStdioServer
from .tools import BUILTIN_TOOL_NAMES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["ManifestError", "ToolDeclaration", "ToolManifest", "load_manifest", "validate_manifest"]

_JSON_SCHEMA_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_SCHEMA_KEYWORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "not")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PropertySchema(BaseModel):
    """The JSON Schema of one argument (keywords beyond ``type`` are kept as given)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str | list[str] | None = None

    @field_validator("type")
    @classmethod
    def _known_types(cls, kinds: str | list[str] | None) -> str | list[str] | None:
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            if kind is not None and kind not in _JSON_SCHEMA_TYPES:
                known = ", ".join(sorted(_JSON_SCHEMA_TYPES))
                raise ValueError(f"unknown JSON Schema type {kind!r}; use one of {known}")
        return kinds

    @model_validator(mode="after")
    def _says_what_it_is(self) -> PropertySchema:
        given = set(self.model_fields_set) | set(self.model_extra or {})
        if not given & set(_SCHEMA_KEYWORDS):
            raise ValueError("an argument schema needs `type` (or $ref/anyOf/oneOf/allOf/enum/const)")
        return self


class ParametersSchema(BaseModel):
    """The JSON Schema of a tool's arguments: an object schema (other keywords are kept)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    type: Literal["object"]
    properties: dict[str, PropertySchema] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list)
    additional_properties: bool | dict[str, Any] | None = Field(default=None, alias="additionalProperties")

    @model_validator(mode="after")
    def _required_are_properties(self) -> ParametersSchema:
        unknown = [name for name in self.required if name not in self.properties]
        if unknown:
            raise ValueError(f"required names no property: {', '.join(map(repr, unknown))}")
        if len(set(self.required)) != len(self.required):
            raise ValueError("required lists a property twice")
        return self


class ToolDeclaration(_Strict):
    """A function tool the model may call."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    description: str = Field(min_length=1)
    parameters: ParametersSchema = Field(default_factory=lambda: ParametersSchema(type="object"))
    handler: str | None = None
    timeout_s: float | None = Field(default=None, gt=0)

    @field_validator("name")
    @classmethod
    def _not_an_engine_name(cls, name: str) -> str:
        if name in BUILTIN_TOOL_NAMES or name.startswith("mcp__"):
            raise ValueError(f"{name!r} is taken by the engine (its own tools and the mcp__ prefix)")
        return name

    @field_validator("handler")
    @classmethod
    def _handler_is_an_import_path(cls, handler: str | None) -> str | None:
        if handler is not None and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", handler):
            raise ValueError(f"handler must look like 'package.module:function', got {handler!r}")
        return handler

    @field_validator("description")
    @classmethod
    def _description_has_text(cls, description: str) -> str:
        if not description.strip():
            raise ValueError("description must say what the tool does (it is blank)")
        return description


class ToolManifest(_Strict):
    """A validated manifest."""

    version: Literal[1] = 1
    tools: list[ToolDeclaration] = Field(default_factory=list)
    mcp_servers: dict[str, McpServer] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _server_names_from_keys(cls, data: Any) -> Any:
        servers = data.get("mcp_servers") if isinstance(data, dict) else None
        if not isinstance(servers, dict):
            return data
        named: dict[str, Any] = {}
        for key, entry in servers.items():
            if isinstance(entry, dict):
                if "name" in entry and entry["name"] != key:
                    raise ValueError(
                        f"mcp_servers.{key}: the table key is the server name; drop name = {entry['name']!r}"
                    )
                entry = {**entry, "name": key}
            named[key] = entry
        return {**data, "mcp_servers": named}

    @model_validator(mode="after")
    def _unique_tool_names(self) -> ToolManifest:
        seen: set[str] = set()
        for index, declaration in enumerate(self.tools):
            if declaration.name in seen:
                raise ValueError(f"tools[{index}].name: {declaration.name!r} is declared twice")
            seen.add(declaration.name)
        return self

    def servers(self) -> list[McpStdioServer | McpHttpServer]:
        """The MCP servers, for ``Codex(mcp_servers=...)`` or ``thread_start(mcp_servers=...)``."""
        return list(self.mcp_servers.values())


@dataclass(frozen=True, slots=True)
class ManifestIssue:
    """One problem: where (``tools[0].parameters.required``) and what."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ManifestError(ConfigurationError):
    """A manifest that cannot be read or does not validate; ``issues`` lists every problem."""

    def __init__(self, path: str, issues: Sequence[ManifestIssue]) -> None:
        self.path = path
        self.issues = list(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{path}: {len(self.issues)} problem(s)\n{lines}")


_UNION_TAGS = frozenset({"stdio", "streamable_http"})


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for index, part in enumerate(loc):
        # Drop pydantic's internal union tags and the "[key]" of dict validation.
        if part in _UNION_TAGS and index >= 2 and loc[0] == "mcp_servers":
            continue
        if part == "[key]":
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _issues(error: ValidationError) -> list[ManifestIssue]:
    issues = []
    for detail in error.errors(include_url=False):
        message = str(detail["msg"]).removeprefix("Value error, ")
        issues.append(ManifestIssue(_location(tuple(detail["loc"])), message))
    return issues


def _parse(path: Path, text: str) -> Any:
    kind = path.suffix.lower()
    if kind not in (".json", ".toml"):
        kind = ".json" if text.lstrip().startswith("{") else ".toml"
    try:
        return json.loads(text) if kind == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(str(path), [ManifestIssue(f"line {exc.lineno} column {exc.colno}", exc.msg)]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(str(path), [ManifestIssue("", f"invalid TOML: {exc}")]) from exc


def validate_manifest(data: Any, *, source: str = "<manifest>") -> ToolManifest:
    """Validates already-parsed manifest data; raises :class:`ManifestError` listing every problem."""
    if not isinstance(data, dict):
        raise ManifestError(
            source, [ManifestIssue("", f"the manifest must be a table/object, not {type(data).__name__}")]
        )
    try:
        return TypeAdapter(ToolManifest).validate_python(data)
    except ValidationError as exc:
        raise ManifestError(source, _issues(exc)) from exc


def load_manifest(path: str | Path) -> ToolManifest:
    """Reads and validates a ``.json`` or ``.toml`` manifest."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(str(file), [ManifestIssue("", f"cannot read the file: {exc}")]) from exc
    return validate_manifest(_parse(file, text), source=str(file))


# --------------------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tools validate FILE...`` under the ``tools`` command."""
    actions = parser.add_subparsers(dest="tools_command", required=True)
    validate = actions.add_parser("validate", help="check tool/MCP manifests (JSON or TOML)")
    validate.add_argument("files", nargs="+", metavar="FILE", type=Path)


def run_command(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validates each file; prints every problem with its location. Exit 1 if any file is invalid."""
    out = out or sys.stdout
    err = err or sys.stderr
    failed = False
    for path in args.files:
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            failed = True
            for issue in exc.issues:
                err.write(f"{exc.path}: {issue}\n")
            err.write(f"{exc.path}: invalid ({len(exc.issues)} problem(s))\n")
            continue
        out.write(f"{path}: OK ({len(manifest.tools)} tool(s), {len(manifest.mcp_servers)} MCP server(s))\n")
    return 1 if failed else 0
