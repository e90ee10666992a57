"""Record the public API of the official ``openai_codex`` SDK as JSON.

Run it with an interpreter that has ``openai_codex`` installed and commit the result;
``tests/unit/test_api_coverage.py`` compares it with our ``codex`` package and with
the table in ``docs/compatibility.md``::

    /root/.cache/official-venv/bin/python scripts/harvest_official_api.py \
        > tests/fixtures/official/public_api.json

The same functions describe our package (``describe_module``), so both sides are
read by one set of rules: top-level names of ``__all__``, and for each class its
constructor, public methods, properties, dataclass / pydantic fields and enum members.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import sys
from typing import Any

# Members every pydantic model, exception or enum has; they say nothing about the SDK.
_INHERITED_NOISE = ("pydantic", "builtins", "enum", "typing", "abc", "collections")


def _call_style(function: Any) -> str:
    if inspect.iscoroutinefunction(function):
        return "coroutine"
    if inspect.isasyncgenfunction(function):
        return "asyncgen"
    return "sync"


def _parameters(function: Any) -> list[dict[str, Any]]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    described = []
    for parameter in signature.parameters.values():
        if parameter.name == "self":
            continue
        described.append(
            {
                "name": parameter.name,
                "kind": parameter.kind.name,
                "required": parameter.default is inspect.Parameter.empty
                and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD),
            }
        )
    return described


def _own_attribute(cls: type, name: str) -> Any:
    """The attribute as defined by the first class of the MRO that is not library noise."""
    for klass in cls.__mro__:
        if name in vars(klass):
            if klass.__module__.split(".")[0] in _INHERITED_NOISE:
                return None
            return vars(klass)[name]
    return None


def describe_class(cls: type) -> dict[str, Any]:
    members: dict[str, Any] = {}
    if issubclass(cls, enum.Enum):
        for member in cls:
            members[member.name] = {"kind": "enum_member", "value": member.value}
    if dataclasses.is_dataclass(cls):
        for field in dataclasses.fields(cls):
            if not field.name.startswith("_"):
                members[field.name] = {"kind": "field"}
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict):
        for name in model_fields:
            if not name.startswith("_"):
                members[name] = {"kind": "field"}
    for name in sorted(dir(cls)):
        if name.startswith("_") or name in members:
            continue
        attribute = _own_attribute(cls, name)
        if attribute is None:
            continue
        if isinstance(attribute, property):
            members[name] = {"kind": "property"}
        elif isinstance(attribute, staticmethod | classmethod):
            function = attribute.__func__
            members[name] = {"kind": "method", "call": _call_style(function), "params": _parameters(function)}
        elif inspect.isfunction(attribute):
            members[name] = {"kind": "method", "call": _call_style(attribute), "params": _parameters(attribute)}
    init = _own_attribute(cls, "__init__")
    constructor = _parameters(cls) if init is not None or dataclasses.is_dataclass(cls) else []
    return {"kind": "class", "constructor": constructor, "members": dict(sorted(members.items()))}


def describe_name(value: Any) -> dict[str, Any]:
    if inspect.isclass(value):
        return describe_class(value)
    if inspect.isfunction(value):
        return {"kind": "function", "call": _call_style(value), "params": _parameters(value)}
    if isinstance(value, str | int | float | bool):
        return {"kind": "value"}
    # Type aliases (``Input = list[InputItem] | InputItem``) and other typing constructs.
    return {"kind": "alias"}


def describe_module(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    return {name: describe_name(getattr(module, name)) for name in sorted(names)}


def harvest(package: str = "openai_codex") -> dict[str, Any]:
    root = importlib.import_module(package)
    return {
        "package": package,
        "version": getattr(root, "__version__", None),
        "modules": {
            package: describe_module(package),
            f"{package}.types": describe_module(f"{package}.types"),
        },
    }


def main() -> int:
    json.dump(harvest(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
