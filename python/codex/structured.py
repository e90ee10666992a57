"""Structured output: a Python type in, a strict JSON schema to the model, a validated value out.

``thread.run(prompt, output_type=Invoice)`` sends a schema that follows OpenAI's strict
mode (every property required, ``additionalProperties: false``, optional fields
nullable) and returns ``result.output`` as an ``Invoice``. ``output_type`` may be a
pydantic model, a dataclass, a TypedDict, any type pydantic can validate, or a raw
JSON Schema dict (then ``output`` is the parsed JSON).
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from .errors import CodexError, ConfigurationError
from .events import JsonObject

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["StructuredOutputError", "OutputSpec"]


class StructuredOutputError(CodexError):
    """The model's reply is not valid JSON, or does not match ``output_type``."""

    def __init__(self, message: str, *, raw_text: str | None, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.raw_text = raw_text
        self.errors = errors or []


class OutputSpec:
    """An ``output_type`` turned into a wire schema and a validator."""

    def __init__(self, output_type: object) -> None:
        self.output_type = output_type
        if isinstance(output_type, dict):
            if output_type.get("type") != "object":
                raise ConfigurationError("a raw output schema must describe a JSON object (type: object)")
            self._adapter: TypeAdapter[Any] | None = None
            self.schema: JsonObject = copy.deepcopy(output_type)
            return
        from pydantic import TypeAdapter  # pydantic.type_adapter: only for a turn with an output type

        try:
            self._adapter = TypeAdapter(cast(Any, output_type))
            schema = self._adapter.json_schema()
            self._source_schema: JsonObject = schema
        except Exception as exc:
            raise ConfigurationError(f"cannot build a JSON schema for output_type {output_type!r}: {exc}") from exc
        if schema.get("type") != "object":
            raise ConfigurationError(
                f"output_type must describe a JSON object (a model, dataclass or TypedDict), not {output_type!r}"
            )
        self.schema = strict_schema(schema)

    def parse(self, text: str | None) -> Any:
        if text is None:
            raise StructuredOutputError("the turn produced no final message to parse", raw_text=None)
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise StructuredOutputError(f"the reply is not JSON: {exc}", raw_text=text) from None
        if self._adapter is None:
            return value
        # The strict schema made every optional field nullable; a null the type itself does
        # not accept means "left out", so the field's default applies.
        _drop_nulls_the_type_refuses(value, self._source_schema, self._source_schema.get("$defs", {}))
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            raise StructuredOutputError(
                f"the reply does not match {getattr(self.output_type, '__name__', self.output_type)}: "
                f"{exc.error_count()} error(s)",
                raw_text=text,
                errors=exc.errors(include_url=False),
            ) from None


def _resolve(node: Any, defs: JsonObject) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
        node = defs.get(node["$ref"].removeprefix("#/$defs/"), {})
    return node


def _allows_null(node: Any, defs: JsonObject) -> bool:
    node = _resolve(node, defs)
    if not isinstance(node, dict):
        return True
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = [*node.get("anyOf", []), *node.get("oneOf", [])]
    return any(_allows_null(branch, defs) for branch in branches)


def _drop_nulls_the_type_refuses(value: Any, node: Any, defs: JsonObject) -> None:
    """Removes ``"field": null`` where the schema had the field optional and not nullable."""
    node = _resolve(node, defs)
    if not isinstance(node, dict):
        return
    if isinstance(value, dict) and isinstance(node.get("properties"), dict):
        required = set(node.get("required", []))
        for name, prop in node["properties"].items():
            if name not in value:
                continue
            if value[name] is None and name not in required and not _allows_null(prop, defs):
                del value[name]
            else:
                _drop_nulls_the_type_refuses(value[name], prop, defs)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            _drop_nulls_the_type_refuses(item, node["items"], defs)
    elif value is not None:
        for branch in node.get("anyOf", []):
            resolved = _resolve(branch, defs)
            if isinstance(resolved, dict) and ("properties" in resolved or "items" in resolved):
                _drop_nulls_the_type_refuses(value, resolved, defs)
                break


def strict_schema(schema: JsonObject) -> JsonObject:
    """Rewrites a pydantic JSON schema into what OpenAI's strict mode accepts."""
    result = copy.deepcopy(schema)
    _strictify(result, path="$")
    return result


def _strictify(node: Any, path: str) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _strictify(item, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    node.pop("default", None)
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) or extra is True:
            raise ConfigurationError(
                f"strict structured output cannot express free-form mappings (at {path}); use a model with fixed fields"
            )
        properties: dict[str, Any] = node.setdefault("properties", {})
        required = set(node.get("required", []))
        for name, prop in properties.items():
            if name not in required:
                properties[name] = {"anyOf": [prop, {"type": "null"}]}
        node["required"] = list(properties)
        node["additionalProperties"] = False
    for key, value in node.items():
        if key in {"properties", "$defs", "items", "anyOf", "oneOf", "allOf", "prefixItems"}:
            if isinstance(value, dict) and key in {"properties", "$defs"}:
                for name, child in value.items():
                    _strictify(child, f"{path}.{key}.{name}")
            else:
                _strictify(value, f"{path}.{key}")
