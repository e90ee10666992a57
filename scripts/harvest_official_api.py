"""Record the public API of the official ``openai_codex`` SDK as JSON.

Run it with an interpreter that has ``openai_codex`` installed and commit the result;
``tests/unit/test_api_coverage.py`` compares it with our ``codex`` package and with
the table in ``docs/compatibility.md``::

    /root/.cache/official-venv/bin/python scripts/harvest_official_api.py \
        > tests/fixtures/official/public_api.json

The same functions describe our package (``describe_module``), so both sides are
read by one set of rules: top-level names of ``__all__``, and for each class its
constructor, public methods, properties, dataclass / pydantic fields and enum members.

``--types`` records the *shape* of the types instead (``tests/unit/test_type_shapes.py``
compares it with ours), for every class the two public modules export and every model
reachable from their fields: root model or not (and what its root holds), enum members
and values, fields and whether each is required::

    /root/.cache/official-venv/bin/python scripts/harvest_official_api.py --types \
        > tests/fixtures/official/public_types.json
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import sys
import types
import typing
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


# ------------------------------------------------------------------------------ type shapes


def _is_model(value: Any) -> bool:
    return inspect.isclass(value) and hasattr(value, "model_fields") and hasattr(value, "model_validate")


def _is_root_model(value: Any) -> bool:
    return (
        _is_model(value)
        and "root" in value.model_fields
        and any(klass.__name__ == "RootModel" and klass.__module__.startswith("pydantic") for klass in value.__mro__)
    )


def _is_shaped(value: Any) -> bool:
    """A class whose shape a program relies on: a pydantic model, an enum or a dataclass."""
    if not inspect.isclass(value):
        return False
    return _is_model(value) or issubclass(value, enum.Enum) or dataclasses.is_dataclass(value)


def _named_types(annotation: Any) -> list[Any]:
    """The shaped classes an annotation names, through unions, containers and ``Annotated``."""
    found: list[Any] = []
    pending = [annotation]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _is_shaped(current):
            found.append(current)
            continue
        # A PEP 695 / typing_extensions type alias stands for its value.
        value = getattr(current, "__value__", None)
        if value is not None and type(current).__name__ == "TypeAliasType":
            pending.append(value)
        pending.extend(typing.get_args(current))
    return found


# Names to resolve dataclass annotations with when their module imports them only for type
# checking (ours: ``TurnResult.items: list[ThreadItem]``); set by ``harvest_types``.
_extra_names: dict[str, Any] = {}


def _dataclass_hints(cls: Any) -> dict[str, Any]:
    """Each field's annotation, evaluated where the class lives (unresolvable ones name no type)."""
    namespace = {**_extra_names, **vars(sys.modules[cls.__module__])}
    hints: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        annotation = field.type
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception:  # a forward reference that does not resolve names no type
                annotation = None
        hints[field.name] = annotation
    return hints


def _fields(cls: Any) -> dict[str, Any]:
    """name -> (required, the shaped classes its annotation names)."""
    if _is_model(cls):
        return {
            name: {"required": field.is_required(), "types": _names(_named_types(field.annotation))}
            for name, field in cls.model_fields.items()
        }
    hints = _dataclass_hints(cls)
    return {
        field.name: {
            "required": field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
            "types": _names(_named_types(hints.get(field.name, field.type))),
        }
        for field in dataclasses.fields(cls)
        if not field.name.startswith("_")
    }


def _names(classes: list[Any]) -> list[str]:
    return sorted({cls.__name__ for cls in classes})


def describe_type(value: Any) -> dict[str, Any]:
    """The shape of one public type: what a program can rely on without reading its docs."""
    if not inspect.isclass(value):
        # A type alias: record what it stands for, so an alias where a class is expected shows.
        return {"kind": "alias", "types": _names(_named_types(value))}
    if issubclass(value, enum.Enum):
        return {
            "kind": "enum",
            "str": issubclass(value, str),
            # An open enum takes any other value (as a new member) instead of raising.
            "open": getattr(value._missing_, "__func__", None) is not getattr(enum.Enum._missing_, "__func__", None),
            # In definition order: a program may iterate an enum.
            "members": [[member.name, member.value] for member in value],
        }
    if _is_root_model(value):
        return {"kind": "root_model", "root": _names(_named_types(value.model_fields["root"].annotation))}
    if _is_model(value):
        return {"kind": "model", "fields": _fields(value)}
    if dataclasses.is_dataclass(value):
        return {"kind": "dataclass", "fields": _fields(value)}
    return {"kind": "class"}


def _reachable(start: list[Any]) -> list[Any]:
    """``start`` and every shaped class reachable from their fields and roots."""
    order: list[Any] = []
    seen: set[Any] = set()
    pending = list(start)
    while pending:
        current = pending.pop(0)
        if current in seen or not inspect.isclass(current):
            continue
        seen.add(current)
        order.append(current)
        if _is_model(current):
            for field in current.model_fields.values():
                pending.extend(_named_types(field.annotation))
        elif dataclasses.is_dataclass(current):
            hints = _dataclass_hints(current)
            for field in dataclasses.fields(current):
                pending.extend(_named_types(hints.get(field.name, field.type)))
    return order


def harvest_types(
    modules: tuple[str, ...] = ("openai_codex", "openai_codex.types"), extra_names: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Public names of ``modules`` -> shape, and every model they expose (by class name) -> shape."""
    _extra_names.clear()
    _extra_names.update(extra_names or {})
    public: dict[str, dict[str, Any]] = {}
    roots: list[Any] = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        names = sorted(getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")])
        described: dict[str, Any] = {}
        for name in names:
            value = getattr(module, name)
            if inspect.isclass(value) and not _is_shaped(value):
                continue
            if not inspect.isclass(value) and (callable(value) and not _named_types(value)):
                continue
            if isinstance(value, str | int | float | bool | types.ModuleType):
                continue
            described[name] = describe_type(value)
            roots.extend([value] if inspect.isclass(value) else _named_types(value))
        public[module_name] = described
    reached: dict[str, Any] = {}
    for cls in _reachable(roots):
        reached.setdefault(cls.__name__, describe_type(cls))
    root = importlib.import_module(modules[0])
    return {
        "package": modules[0],
        "version": getattr(root, "__version__", None),
        "modules": public,
        "reachable": dict(sorted(reached.items())),
    }


def main() -> int:
    if sys.argv[1:] == ["--types"]:
        json.dump(harvest_types(), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    json.dump(harvest(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
