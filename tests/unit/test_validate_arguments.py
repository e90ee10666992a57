"""Argument checks at the SDK's boundary (codex._validate): a wrong type or value raises
ConfigurationError with a message that names the argument, before anything reaches the engine."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import CodexConfig, ConfigurationError
from codex._validate import (
    check_base_url,
    check_config_dict,
    check_directory,
    check_effort,
    check_fields,
    check_json_schema,
    check_optional_str,
    check_timeout,
)
from codex.protocol._server import ReasoningEffort

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


# -- check_fields: a dataclass's fields against their annotations -------------------------
@dataclass
class _Options:
    anything: Any = None
    whatever: object = None
    flag: bool = False
    count: int = 0
    ratio: float = 0.0
    color: Literal["red", "green"] = "red"
    names: Sequence[str] = ()
    pair: tuple[int, ...] = ()
    table: Mapping[str, int] = field(default_factory=dict)
    labels: dict[str, str] | None = None
    callback: Callable[[], None] | None = None
    cwd: str | None = None
    api_key: str | None = None

    def __post_init__(self) -> None:
        check_fields(self)


@pytest.mark.parametrize(
    "options",
    [
        {"anything": object()},
        {"whatever": [1, "x"]},
        {"ratio": 3},
        {"ratio": 2.5},
        {"color": "green"},
        {"names": ["a", "b"]},
        {"names": ("a",)},
        {"pair": [1, 2, 3]},
        {"table": {"a": 1}},
        {"labels": None},
        {"callback": print},
        {"cwd": Path("/somewhere")},
    ],
)
def test_values_that_fit_their_annotation_pass(options: dict[str, Any]) -> None:
    _Options(**options)  # raises ConfigurationError when a value does not fit


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"flag": 1}, r"^flag= must be bool, got int \(1\)$"),
        ({"count": True}, r"^count= must be int, got bool \(True\)$"),
        ({"count": 1.5}, r"^count= must be int, got float \(1\.5\)$"),
        ({"ratio": False}, r"^ratio= must be float, got bool \(False\)$"),
        ({"ratio": "1"}, r"^ratio= must be float, got str \('1'\)$"),
        ({"color": "blue"}, r"^color= must be Literal\['red', 'green'\], got str \('blue'\)$"),
        ({"names": "ab"}, r"^names= must be Sequence\[str\], got str \('ab'\)$"),
        ({"names": ["a", 2]}, r"^names= must be Sequence\[str\], got list \(\['a', 2\]\)$"),
        ({"pair": (1, "2")}, r"^pair= must be tuple\[int, \.\.\.\], got tuple"),
        ({"table": [("a", 1)]}, r"^table= must be Mapping\[str, int\], got list"),
        ({"table": {"a": "1"}}, r"^table= must be Mapping\[str, int\], got dict"),
        ({"table": {1: 1}}, r"^table= must be Mapping\[str, int\], got dict"),
        ({"labels": {"a": 1}}, r"^labels= must be dict\[str, str\] \| None, got dict"),
        ({"cwd": 3}, r"^cwd= must be a path \(str or os\.PathLike\) or None, got int \(3\)$"),
    ],
)
def test_a_value_that_does_not_fit_names_the_field_and_the_expected_type(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _Options(**options)


def test_a_secret_field_is_never_shown_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as caught:
        _Options(api_key=12345678)  # type: ignore[arg-type]
    assert str(caught.value) == "api_key= must be str | None, got int (***)"


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as caught:
        _Options(count="x" * 500)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.endswith("...)")
    assert len(message) < 200


def test_codex_config_rejects_a_wrong_type_before_starting_anything() -> None:
    with pytest.raises(ConfigurationError, match=r"^channel_capacity= must be int, got str \('big'\)$"):
        CodexConfig(channel_capacity="big")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"^mcp_servers= must be Sequence\[McpStdioServer \| McpHttpServer\]"):
        CodexConfig(mcp_servers=["not a server"])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match=r"^env= must be dict\[str, str\] \| None, got dict \(\*\*\*\)$"):
        CodexConfig(env={"OPENAI_API_KEY": 123})  # type: ignore[dict-item]


@pytest.mark.parametrize("name", ["cwd", "codex_home", "helper_path"])
def test_codex_config_path_fields_take_a_path_object_but_not_a_number(name: str, tmp_path: Path) -> None:
    good: dict[str, Any] = {name: tmp_path}
    CodexConfig(**good)
    bad: dict[str, Any] = {name: 7}
    with pytest.raises(ConfigurationError, match=rf"^{name}= must be a path \(str or os\.PathLike\) or None, got int"):
        CodexConfig(**bad)


def _configuration_error(call: Callable[[], object]) -> ConfigurationError | None:
    try:
        call()
    except ConfigurationError as exc:
        return exc
    return None


@given(value=json_values)
def test_codex_config_takes_an_int_or_none_for_an_int_field_and_refuses_the_rest(value: object) -> None:
    error = _configuration_error(lambda: CodexConfig(request_max_retries=value))  # type: ignore[arg-type]
    fits = value is None or (isinstance(value, int) and not isinstance(value, bool))
    if fits:
        assert error is None
    else:
        assert error is not None
        assert str(error).startswith(f"request_max_retries= must be int | None, got {type(value).__name__} (")


# -- check_base_url -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", [None, "http://localhost:8080", "https://api.openai.com/v1", "http://127.0.0.1/v1", "https://[::1]:443/"]
)
def test_http_and_https_urls_with_a_host_are_base_urls(url: str | None) -> None:
    check_base_url(url)
    assert CodexConfig(base_url=url).base_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://host:99999", r"^base_url 'http://host:99999' is not a valid URL: "),
        ("http://[::1", r"^base_url 'http://\[::1' is not a valid URL: "),
        ("ftp://example.com", r"^base_url must be an http:// or https:// URL with a host .*got 'ftp://example\.com'$"),
        ("api.openai.com/v1", r"^base_url must be an http:// or https:// URL with a host"),
        ("https://", r"^base_url must be an http:// or https:// URL with a host"),
        ("", r"^base_url must be an http:// or https:// URL with a host"),
    ],
)
def test_anything_else_is_refused_as_a_base_url(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_base_url(url)
    with pytest.raises(ConfigurationError, match=message):
        CodexConfig(base_url=url)


# -- check_timeout --------------------------------------------------------------------------
@given(st.none() | st.integers(min_value=1) | st.floats(min_value=1e-9, allow_infinity=False))
def test_none_and_positive_finite_numbers_are_timeouts(value: float | None) -> None:
    check_timeout("approval_timeout", value)


@pytest.mark.parametrize(
    "value", [0, -1, -0.5, 0.0, math.inf, math.nan, True, "5", [5], pytest.param(10**400, id="10**400")]
)
def test_anything_else_is_refused_as_a_timeout(value: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^approval_timeout must be a positive number of seconds or None"):
        check_timeout("approval_timeout", value)


# -- check_optional_str ---------------------------------------------------------------------
def test_an_optional_string_accepts_a_string_or_none_only() -> None:
    check_optional_str("model", None)
    check_optional_str("model", "gpt-x")
    with pytest.raises(ConfigurationError, match=r"^model= must be a string, got int \(5\)$"):
        check_optional_str("model", 5)


# -- check_directory ------------------------------------------------------------------------
def test_an_existing_directory_comes_back_as_a_string(tmp_path: Path) -> None:
    assert check_directory("cwd", None) is None
    assert check_directory("cwd", tmp_path) == str(tmp_path)
    assert check_directory("cwd", str(tmp_path)) == str(tmp_path)


def test_a_directory_under_home_may_be_written_with_a_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "work").mkdir()
    assert check_directory("cwd", "~/work") == "~/work"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, r"^cwd= must be a path, got int \(5\)$"),
        (b"/tmp", r"^cwd= must be a path, got bytes"),
        ("", r"^cwd= must be a nonempty path, got ''$"),
    ],
)
def test_a_directory_must_be_a_nonempty_path(value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_directory("cwd", value)


class _BytesPath(os.PathLike[bytes]):
    def __fspath__(self) -> bytes:
        return b"/tmp"


def test_a_path_object_that_gives_bytes_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"^cwd= must be a nonempty path"):
        check_directory("cwd", _BytesPath())


def test_a_missing_directory_or_a_file_is_not_a_working_directory(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(ConfigurationError, match=r"^cwd='.*missing' is not an existing directory$"):
        check_directory("cwd", missing)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ConfigurationError, match=r"is not an existing directory$"):
        check_directory("cwd", a_file)


# -- check_effort ---------------------------------------------------------------------------
@pytest.mark.parametrize("effort", [None, *ReasoningEffort, *(member.value for member in ReasoningEffort)])
def test_a_known_effort_passes_quietly(effort: object, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="codex"):
        check_effort(effort)
    assert caplog.records == []


def test_an_unknown_effort_is_sent_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="codex"):
        check_effort("ludicrous")
    (record,) = caplog.records
    assert "effort='ludicrous' is not a reasoning effort this engine knows" in record.getMessage()
    assert "low" in record.getMessage()


@pytest.mark.parametrize("effort", ["", 3, ["low"]])
def test_an_effort_that_is_not_a_nonempty_string_is_refused(effort: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^effort= must be a reasoning effort such as 'low', got "):
        check_effort(effort)


# -- check_json_schema ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "schema",
    [
        None,
        {},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        {"type": ["string", "null"]},
        {"type": "array", "items": {"type": "integer"}},
        {"type": "object", "additionalProperties": False},
        {"type": "object", "properties": {"x": True}},
        {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/N"}], "$defs": {"N": {"type": "null"}}},
        {"oneOf": [{"type": "number"}], "allOf": [{}], "definitions": {"D": {"type": "boolean"}}},
    ],
)
def test_schemas_shaped_like_json_schema_pass(schema: object) -> None:
    check_json_schema("output_schema", schema)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ([], r"^output_schema= must be a JSON Schema dict, got list$"),
        ('{"type": "object"}', r"^output_schema= must be a JSON Schema dict, got str$"),
        ({"type": "object", "default": object()}, r"^output_schema= is not JSON: "),
        ({"type": "text"}, r"^output_schema= is not a valid JSON Schema: /type 'text' is not one of array, boolean, "),
        ({"type": ["string", "date"]}, r": /type 'date' is not one of "),
        ({"properties": []}, r": /properties must be an object$"),
        ({"properties": {"a": {"type": "str"}}}, r": /properties/a/type 'str' is not one of "),
        ({"properties": {"a": 1}}, r": /properties/a must be an object, got int$"),
        ({"required": "a"}, r": /required must be a list of property names$"),
        ({"required": ["a", 1]}, r": /required must be a list of property names$"),
        ({"items": {"type": "tuple"}}, r": /items/type 'tuple' is not one of "),
        ({"additionalProperties": "no"}, r": /additionalProperties must be an object, got str$"),
        ({"anyOf": {"type": "string"}}, r": /anyOf must be a list of schemas$"),
        ({"oneOf": [{"type": "string"}, 5]}, r": /oneOf/1 must be an object, got int$"),
        ({"allOf": [{"items": {"type": "x"}}]}, r": /allOf/0/items/type 'x' is not one of "),
        ({"$defs": []}, r": /\$defs must be an object$"),
        ({"definitions": {"D": {"type": "float"}}}, r": /definitions/D/type 'float' is not one of "),
    ],
)
def test_a_schema_with_a_problem_names_where_it_is(schema: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_json_schema("output_schema", schema)


def test_a_schema_that_refers_to_itself_is_not_json() -> None:
    schema: dict[str, Any] = {"type": "object"}
    schema["properties"] = {"self": schema}
    with pytest.raises(ConfigurationError, match=r"^output_schema= is not JSON: "):
        check_json_schema("output_schema", schema)


SCHEMA_KEYWORDS = [
    "type",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "anyOf",
    "oneOf",
    "allOf",
    "$defs",
]
schema_like = st.recursive(
    json_values,
    lambda children: (
        st.dictionaries(st.sampled_from(SCHEMA_KEYWORDS) | st.text(max_size=4), children, max_size=4)
        | st.lists(children, max_size=3)
    ),
    max_leaves=25,
)


@given(st.dictionaries(st.sampled_from(SCHEMA_KEYWORDS) | st.text(max_size=12), schema_like, max_size=5))
def test_any_json_object_is_either_a_schema_or_a_configuration_error(schema: dict[str, Any]) -> None:
    error = _configuration_error(lambda: check_json_schema("output_schema", schema))
    assert error is None or str(error).startswith("output_schema= is not a valid JSON Schema: ")


@pytest.mark.parametrize("kind", [{"x": 1}, [["string"]], [{"type": "string"}], 3])
def test_a_type_that_is_not_a_type_name_is_a_configuration_error(kind: object) -> None:
    with pytest.raises(
        ConfigurationError, match=r"^output_schema= is not a valid JSON Schema: /type .* is not one of "
    ):
        check_json_schema("output_schema", {"type": kind})


# -- check_config_dict ----------------------------------------------------------------------
def test_config_maps_nonempty_keys_to_json_values() -> None:
    check_config_dict("config", None)
    check_config_dict("config", {"model": "m", "sandbox_workspace_write.network_access": True, "a.b": [1, {"c": None}]})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (["model=m"], r"^config= must be a dict of config keys to values, got list$"),
        ({"": 1}, r"^config= keys must be nonempty strings, got ''$"),
        ({1: 1}, r"^config= keys must be nonempty strings, got 1$"),
        ({"x": {1, 2}}, r"^config\['x'\] must be a JSON value \(str, number, bool, list, dict\): "),
        ({"x": math.nan}, r"^config\['x'\] must be a JSON value"),
        ({"x": math.inf}, r"^config\['x'\] must be a JSON value"),
    ],
)
def test_config_that_is_not_json_names_the_key(config: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_config_dict("config", config)


def test_config_nested_deeper_than_json_can_write_is_a_configuration_error() -> None:
    value: list[Any] = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(ConfigurationError, match=r"^config\['deep'\] must be a JSON value"):
        check_config_dict("config", {"deep": value})
