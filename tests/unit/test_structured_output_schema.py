"""Structured output (codex.structured): an output_type becomes a strict JSON schema for the model,
and the model's reply becomes a validated value or a StructuredOutputError that keeps the raw text."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict
from typing_extensions import NotRequired, TypedDict

from codex import CodexError, ConfigurationError, StructuredOutputError
from codex.structured import OutputSpec, strict_schema


class Line(BaseModel):
    sku: str
    quantity: int = 1


class Invoice(BaseModel):
    number: str
    lines: list[Line]
    note: str | None = None
    pair: tuple[int, str] = (0, "")


@dataclass
class Point:
    x: float
    label: str = "origin"


class Person(TypedDict):
    name: str
    nickname: NotRequired[str]


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")

    a: int


class WithMapping(BaseModel):
    counts: dict[str, int]


def _object_nodes(node: Any) -> list[dict[str, Any]]:
    """Every schema node that describes an object, anywhere in ``node``."""
    found: list[dict[str, Any]] = []
    if isinstance(node, list):
        for item in node:
            found += _object_nodes(item)
    elif isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for value in node.values():
            found += _object_nodes(value)
    return found


def _has_key(node: Any, key: str) -> bool:
    if isinstance(node, list):
        return any(_has_key(item, key) for item in node)
    if isinstance(node, dict):
        return key in node or any(_has_key(value, key) for value in node.values())
    return False


# -- the schema the model gets ----------------------------------------------------------------
@pytest.mark.parametrize("output_type", [Invoice, Line, Point, Person])
def test_every_object_in_the_schema_requires_all_its_properties_and_allows_no_others(output_type: object) -> None:
    schema = OutputSpec(output_type).schema
    objects = _object_nodes(schema)
    assert schema in objects
    for node in objects:
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert not _has_key(schema, "default")


def test_a_field_with_a_default_may_be_null_and_a_field_without_one_may_not() -> None:
    schema = OutputSpec(Invoice).schema
    line = schema["$defs"]["Line"]["properties"]
    assert line["sku"]["type"] == "string"
    assert {"type": "null"} in line["quantity"]["anyOf"]
    assert {"type": "null"} in schema["properties"]["note"]["anyOf"]
    assert schema["properties"]["number"]["type"] == "string"


def test_dataclasses_and_typed_dicts_are_objects_too() -> None:
    point = OutputSpec(Point).schema
    assert point["required"] == ["x", "label"]
    assert {"type": "null"} in point["properties"]["label"]["anyOf"]
    person = OutputSpec(Person).schema
    assert person["required"] == ["name", "nickname"]
    assert {"type": "null"} in person["properties"]["nickname"]["anyOf"]


@pytest.mark.parametrize("output_type", [int, str, list[int], tuple[int, str], bool | None])
def test_a_type_that_is_not_an_object_is_refused(output_type: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^output_type must describe a JSON object \(a model, dataclass or "):
        OutputSpec(output_type)


@pytest.mark.parametrize("output_type", [42, "Invoice", object()])
def test_something_that_is_not_a_type_is_refused_with_the_reason(output_type: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^cannot build a JSON schema for output_type "):
        OutputSpec(output_type)


@pytest.mark.parametrize(("output_type", "where"), [(Loose, r"\$"), (WithMapping, r"\$\.properties\.counts")])
def test_free_form_mappings_cannot_be_strict_and_say_where_they_are(output_type: type, where: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"cannot express free-form mappings \(at {where}\); use a model"):
        OutputSpec(output_type)


# -- a raw JSON Schema dict ---------------------------------------------------------------
def test_a_raw_schema_is_sent_as_given_and_not_shared_with_the_caller() -> None:
    raw: dict[str, Any] = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}
    spec = OutputSpec(raw)
    assert spec.schema == raw
    raw["properties"]["tags"]["items"]["type"] = "integer"
    assert spec.schema["properties"]["tags"]["items"]["type"] == "string"


@pytest.mark.parametrize("raw", [{}, {"type": "array", "items": {}}, {"type": "string"}, {"properties": {}}])
def test_a_raw_schema_must_describe_an_object(raw: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=r"^a raw output schema must describe a JSON object \(type: object\)$"):
        OutputSpec(raw)


def test_a_reply_to_a_raw_schema_comes_back_as_parsed_json_without_validation() -> None:
    spec = OutputSpec({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    assert spec.parse('{"n": 1}') == {"n": 1}
    assert spec.parse('{"other": [true, null]}') == {"other": [True, None]}
    with pytest.raises(StructuredOutputError, match=r"^the reply is not JSON: "):
        spec.parse("n = 1")


# -- the reply ------------------------------------------------------------------------------
def test_a_matching_reply_becomes_the_output_type() -> None:
    reply = '{"number": "A-1", "lines": [{"sku": "x", "quantity": 3}], "note": null, "pair": [2, "b"]}'
    invoice = OutputSpec(Invoice).parse(reply)
    assert invoice == Invoice(number="A-1", lines=[Line(sku="x", quantity=3)], note=None, pair=(2, "b"))
    assert OutputSpec(Point).parse('{"x": 1.5, "label": "p"}') == Point(1.5, "p")
    assert OutputSpec(Person).parse('{"name": "Ada"}') == {"name": "Ada"}


def test_null_for_a_field_with_a_default_is_accepted_as_the_schema_allows() -> None:
    schema = OutputSpec(Line).schema
    assert {"type": "null"} in schema["properties"]["quantity"]["anyOf"]
    assert OutputSpec(Line).parse('{"sku": "x", "quantity": null}') == Line(sku="x")


def test_null_means_the_default_also_inside_lists_and_nested_models() -> None:
    class Order(BaseModel):
        lines: list[Line]
        first: Line | None = None

    parsed = OutputSpec(Order).parse(
        '{"lines": [{"sku": "a", "quantity": null}, {"sku": "b", "quantity": 2}],'
        ' "first": {"sku": "c", "quantity": null}}'
    )
    assert parsed == Order(lines=[Line(sku="a"), Line(sku="b", quantity=2)], first=Line(sku="c"))


def test_null_stays_null_where_the_type_accepts_it_and_is_refused_where_the_field_is_required() -> None:
    class Note(BaseModel):
        text: str
        author: str | None = "me"

    assert OutputSpec(Note).parse('{"text": "t", "author": null}') == Note(text="t", author=None)
    with pytest.raises(StructuredOutputError, match="does not match Note"):
        OutputSpec(Note).parse('{"text": null, "author": null}')


def test_no_final_message_is_a_structured_output_error_without_raw_text() -> None:
    with pytest.raises(StructuredOutputError, match=r"^the turn produced no final message to parse$") as caught:
        OutputSpec(Line).parse(None)
    assert caught.value.raw_text is None
    assert caught.value.errors == []
    assert isinstance(caught.value, CodexError)


@pytest.mark.parametrize("text", ["", "sure! here it is", '{"sku": "x",', "```json\n{}\n```"])
def test_a_reply_that_is_not_json_keeps_the_raw_text(text: str) -> None:
    with pytest.raises(StructuredOutputError, match=r"^the reply is not JSON: ") as caught:
        OutputSpec(Line).parse(text)
    assert caught.value.raw_text == text
    assert caught.value.errors == []


def test_a_reply_that_does_not_match_counts_and_lists_the_errors() -> None:
    text = '{"sku": 5, "quantity": "many"}'
    with pytest.raises(StructuredOutputError, match=r"^the reply does not match Line: 2 error\(s\)$") as caught:
        OutputSpec(Line).parse(text)
    assert caught.value.raw_text == text
    assert sorted(error["loc"] for error in caught.value.errors) == [("quantity",), ("sku",)]
    assert all("url" not in error for error in caught.value.errors)


def test_a_reply_that_is_not_an_object_does_not_match_a_typed_dict() -> None:
    with pytest.raises(StructuredOutputError, match=r"^the reply does not match Person: 1 error\(s\)$"):
        OutputSpec(Person).parse("[1, 2]")


lines = st.builds(Line, sku=st.text(max_size=10), quantity=st.integers(-(2**53), 2**53))
invoices = st.builds(
    Invoice,
    number=st.text(max_size=10),
    lines=st.lists(lines, max_size=3),
    note=st.none() | st.text(max_size=10),
    pair=st.tuples(st.integers(-100, 100), st.text(max_size=5)),
)


@given(invoices)
def test_any_invoice_written_as_json_parses_back_to_itself(invoice: Invoice) -> None:
    assert OutputSpec(Invoice).parse(invoice.model_dump_json()) == invoice


# -- strict_schema on any schema ----------------------------------------------------------
json_leaf = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4)


def _schemas() -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.builds(
        _schema_node,
        kind=st.sampled_from(["string", "integer", "object", None]),
        properties=st.just({}),
        required_share=st.just(0.0),
        default=st.none() | json_leaf,
        items=st.none(),
        any_of=st.just([]),
    )
    return st.recursive(
        leaves,
        lambda children: st.builds(
            _schema_node,
            kind=st.sampled_from(["object", "object", "array", None]),
            properties=st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3),
            required_share=st.floats(0, 1),
            default=st.none() | json_leaf,
            items=st.none() | children,
            any_of=st.lists(children, max_size=2),
        ),
        max_leaves=12,
    )


def _schema_node(
    kind: str | None,
    properties: dict[str, dict[str, Any]],
    required_share: float,
    default: object,
    items: dict[str, Any] | None,
    any_of: list[dict[str, Any]],
) -> dict[str, Any]:
    node: dict[str, Any] = {}
    if kind is not None:
        node["type"] = kind
    if kind == "object":
        node["properties"] = properties
        node["required"] = list(properties)[: round(len(properties) * required_share)]
    if default is not None:
        node["default"] = default
    if kind == "array" and items is not None:
        node["items"] = items
    if any_of:
        node["anyOf"] = any_of
    return node


@given(_schemas())
def test_strict_schema_makes_every_object_closed_and_fully_required(schema: dict[str, Any]) -> None:
    original = copy.deepcopy(schema)
    strict = strict_schema(schema)
    assert schema == original  # the input is left as it was
    for node in _object_nodes(strict):
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert not _has_key(strict, "default")
    json.dumps(strict)


@given(_schemas())
def test_strict_schema_is_idempotent(schema: dict[str, Any]) -> None:
    once = strict_schema(schema)
    assert strict_schema(once) == once


@given(_schemas())
def test_a_property_is_nullable_after_strict_schema_exactly_when_it_was_optional(schema: dict[str, Any]) -> None:
    strict = strict_schema(schema)
    if schema.get("type") != "object":
        return
    for name, prop in schema["properties"].items():
        wrapped = strict["properties"][name]
        if name in schema["required"]:
            assert wrapped == strict_schema(prop)
        else:
            assert wrapped == {"anyOf": [strict_schema(prop), {"type": "null"}]}


def test_boolean_subschemas_pass_through_strict_schema() -> None:
    schema = {"type": "object", "properties": {"any": True}, "required": ["any"], "anyOf": [True, {"type": "object"}]}
    assert strict_schema(schema) == {
        "type": "object",
        "properties": {"any": True},
        "required": ["any"],
        "additionalProperties": False,
        "anyOf": [True, {"type": "object", "properties": {}, "required": [], "additionalProperties": False}],
    }
