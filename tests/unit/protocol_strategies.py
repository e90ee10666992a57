"""Hypothesis strategies for wire JSON, derived from the engine's protocol schema.

hypothesis-jsonschema would be the natural choice, but its 0.23 release uses
hypothesis internals that current hypothesis no longer has. The schema that
schemars writes uses a small subset of JSON Schema, which this covers: ``$ref``,
``type`` (also as a list), ``enum``/``const``, ``oneOf``/``anyOf``/``allOf``,
objects with ``properties``/``required``/``additionalProperties``, arrays and
numeric ranges from the integer ``format``s.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

from hypothesis import strategies as st

from codex import _native

JsonSchema = dict[str, Any]
Strategy = st.SearchStrategy[Any]

# Past this nesting depth optional fields and collections stay empty, so that
# recursive types (JSON values, nested items) terminate.
MAX_DEPTH = 4
# A key no model declares (its hyphen keeps it from being any field's name or alias).
EXTRA_KEY = "x-newer-engine-field"

INTEGER_RANGES = {
    "uint": (0, 2**64 - 1),
    "uint64": (0, 2**64 - 1),
    "uint32": (0, 2**32 - 1),
    "uint16": (0, 2**16 - 1),
    "uint8": (0, 2**8 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "int32": (-(2**31), 2**31 - 1),
}
JSON_SCALARS: Strategy = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
ANY_JSON: Strategy = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@cache
def flat_definitions() -> dict[str, JsonSchema]:
    """The exported schema's definitions with the nested v2 namespace flattened."""
    bundle = json.loads(_native.protocol_schema(True))
    definitions = dict(bundle["definitions"])
    for name, schema in definitions.pop("v2", {}).items():
        definitions.setdefault(name, schema)
    text = json.dumps(definitions).replace('"#/definitions/v2/', '"#/definitions/')
    flat: dict[str, JsonSchema] = json.loads(text)
    return flat


def for_definition(name: str, *, unknown_fields: bool = True) -> Strategy:
    """Wire JSON values of the named definition."""
    return for_schema(flat_definitions()[name], unknown_fields=unknown_fields)


def for_thread_item(item_type: str, *, unknown_fields: bool = True) -> Strategy:
    """Wire JSON values of the ThreadItem variant tagged ``item_type``."""
    for variant in flat_definitions()["ThreadItem"]["oneOf"]:
        if variant["properties"]["type"]["enum"] == [item_type]:
            return for_schema(variant, unknown_fields=unknown_fields)
    raise KeyError(item_type)


def for_schema(schema: JsonSchema, *, unknown_fields: bool = True) -> Strategy:
    """Wire JSON values of a schema whose references point into the protocol's definitions."""
    return _Builder(flat_definitions(), unknown_fields).build(schema, 0)


class _Builder:
    def __init__(self, definitions: dict[str, JsonSchema], unknown_fields: bool) -> None:
        self.definitions = definitions
        self.unknown_fields = unknown_fields

    def build(self, schema: JsonSchema | bool, depth: int) -> Strategy:
        if schema is True or schema == {}:
            return ANY_JSON
        if schema is False:
            return st.nothing()
        assert isinstance(schema, dict)
        if "$ref" in schema:
            target = self.definitions[schema["$ref"].rsplit("/", 1)[-1]]
            rest = {key: value for key, value in schema.items() if key != "$ref"}
            return self.build({**target, **_structural(rest)}, depth)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for key in ("oneOf", "anyOf"):
            if key in schema:
                base = {k: v for k, v in schema.items() if k != key}
                return st.one_of(*(self.build(_merge(base, variant), depth) for variant in schema[key]))
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, self._resolve(part))
            return self.build(merged, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of(*(self.build({**schema, "type": one}, depth) for one in kind))
        return self._typed(kind, schema, depth)

    def _resolve(self, schema: JsonSchema) -> JsonSchema:
        while "$ref" in schema and len(schema) == 1:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _typed(self, kind: str | None, schema: JsonSchema, depth: int) -> Strategy:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            low, high = INTEGER_RANGES.get(schema.get("format", ""), (-(2**63), 2**63 - 1))
            low = max(low, math.ceil(schema.get("minimum", low)))
            high = min(high, math.floor(schema.get("maximum", high)))
            return st.integers(low, high)
        if kind == "number":
            return st.floats(
                min_value=schema.get("minimum"), max_value=schema.get("maximum"), allow_nan=False, allow_infinity=False
            )
        if kind == "string":
            if "pattern" in schema:
                return st.from_regex(schema["pattern"], fullmatch=True)
            return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 12), 12))
        if kind == "array":
            items = schema.get("items", True)
            if isinstance(items, list):  # a tuple
                return st.tuples(*(self.build(item, depth + 1) for item in items)).map(list)
            low = schema.get("minItems", 0)
            high = low if depth >= MAX_DEPTH else max(low, min(schema.get("maxItems", 3), 3))
            return st.lists(self.build(items, depth + 1), min_size=low, max_size=high)
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        return ANY_JSON

    def _object(self, schema: JsonSchema, depth: int) -> Strategy:
        properties: dict[str, JsonSchema] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fields = {name: self.build(sub, depth + 1) for name, sub in properties.items() if name in required}
        optional = (
            {}
            if depth >= MAX_DEPTH
            else {name: self.build(sub, depth + 1) for name, sub in properties.items() if name not in required}
        )
        value = st.fixed_dictionaries(fields, optional=optional)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict) and not properties:
            size = 0 if depth >= MAX_DEPTH else 3
            return st.dictionaries(st.text(max_size=8), self.build(additional, depth + 1), max_size=size)
        if self.unknown_fields and additional is not False:
            extra = st.fixed_dictionaries({}, optional={EXTRA_KEY: JSON_SCALARS})
            return st.tuples(value, extra).map(lambda pair: {**pair[0], **pair[1]})
        return value


def _structural(schema: JsonSchema) -> JsonSchema:
    """Keywords that constrain values (annotations such as descriptions dropped)."""
    ignored = {"description", "title", "default", "$schema", "examples", "deprecated"}
    return {key: value for key, value in schema.items() if key not in ignored}


def _merge(base: JsonSchema, extra: JsonSchema) -> JsonSchema:
    base = _structural(base)
    merged = {**base, **_structural(extra)}
    if "properties" in base and "properties" in extra:
        merged["properties"] = {**base["properties"], **extra["properties"]}
    if "required" in base and "required" in extra:
        merged["required"] = sorted({*base["required"], *extra["required"]})
    return merged
