"""Argument checks at the SDK's boundary: a wrong type or value raises ConfigurationError.

Everything a caller passes is checked here before it reaches the engine (or Python code
that would fail with a bare ``TypeError``): :func:`check_fields` checks a dataclass's
fields against their annotations, the other helpers check one kind of argument each.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._logging import logger
from .errors import ConfigurationError

#: Fields annotated ``str`` that name a directory or file: a ``pathlib.Path`` is as good.
_PATH_FIELDS = frozenset({"cwd", "codex_home", "helper_path"})
#: Fields whose value must not appear in a message.
_SECRET_FIELDS = frozenset({"api_key", "env"})
_JSON_SCHEMA_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


def _matches(value: object, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (unknown kinds of hint accept anything)."""
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is tuple or origin is Sequence:
        if not isinstance(value, (tuple, list)):
            return False
        item = args[0] if args else Any
        return all(_matches(element, item) for element in value)
    if origin is dict or origin is Mapping:
        if not isinstance(value, Mapping):
            return False
        key, item = args if len(args) == 2 else (Any, Any)
        return all(_matches(k, key) and _matches(v, item) for k, v in value.items())
    if origin is os.PathLike:
        return isinstance(value, os.PathLike)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    # "collections.abc.Sequence[codex.mcp.McpStdioServer]" -> "Sequence[McpStdioServer]"
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text.replace("typing.", ""))


def check_fields(instance: object) -> None:
    """Checks every field of the dataclass ``instance`` against its annotation."""
    hints = typing.get_type_hints(type(instance))
    for field in dataclasses.fields(instance):  # type: ignore[arg-type]
        value = getattr(instance, field.name)
        hint = hints.get(field.name, Any)
        if field.name in _PATH_FIELDS and isinstance(value, os.PathLike):
            continue
        if not _matches(value, hint):
            expected = "a path (str or os.PathLike) or None" if field.name in _PATH_FIELDS else _describe(hint)
            shown = "***" if field.name in _SECRET_FIELDS else _shorten(repr(value))
            raise ConfigurationError(f"{field.name}= must be {expected}, got {type(value).__name__} ({shown})")


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_base_url(base_url: str | None) -> None:
    """An http(s) URL with a host; anything else would only fail after the first turn's retries."""
    if base_url is None:
        return
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigurationError(f"base_url {base_url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an http:// or https:// URL with a host (such as "
            f"'https://api.openai.com/v1'), got {base_url!r}"
        )


def check_timeout(name: str, value: object) -> None:
    """None, or a positive finite number of seconds."""
    if value is None:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not _finite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds or None, got {value!r}")


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float (10**400): no timer waits that long
        return False


def check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"{name}= must be a string, got {type(value).__name__} ({_shorten(repr(value))})")


def check_directory(name: str, value: object) -> str | None:
    """A directory that exists (a turn or thread cwd); returns it as a string."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigurationError(f"{name}= must be a path, got {type(value).__name__} ({_shorten(repr(value))})")
    text = os.fspath(value)
    if not isinstance(text, str) or not text:
        raise ConfigurationError(f"{name}= must be a nonempty path, got {value!r}")
    if not Path(text).expanduser().is_dir():
        raise ConfigurationError(f"{name}={text!r} is not an existing directory")
    return text


def check_effort(effort: object) -> None:
    """A known effort passes; another string is sent as given (a newer model may know it), with a warning."""
    if effort is None:
        return
    value = getattr(effort, "value", effort)  # our enum, openai_codex's, or a plain string
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"effort= must be a reasoning effort such as 'low', got {effort!r}")
    from .protocol._server import ReasoningEffort

    known = [member.value for member in ReasoningEffort]
    if value not in known:
        logger.warning(
            "effort=%r is not a reasoning effort this engine knows (%s); sending it as given",
            value,
            ", ".join(known),
        )


def check_json_schema(name: str, schema: object) -> None:
    """A JSON object shaped like a JSON Schema. The provider checks the rest (a 400 on the turn)."""
    if schema is None:
        return
    if not isinstance(schema, Mapping):
        raise ConfigurationError(f"{name}= must be a JSON Schema dict, got {type(schema).__name__}")
    try:
        json.dumps(schema)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name}= is not JSON: {exc}") from None
    problem = _schema_problem(schema, "")
    if problem is not None:
        raise ConfigurationError(f"{name}= is not a valid JSON Schema: {problem}")


def _schema_problem(schema: object, where: str) -> str | None:
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return f"{where or 'the schema'} must be an object, got {type(schema).__name__}"
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        unknown = [k for k in kinds if not isinstance(k, str) or k not in _JSON_SCHEMA_TYPES]
        if unknown:
            return f"{where}/type {unknown[0]!r} is not one of {', '.join(sorted(_JSON_SCHEMA_TYPES))}"
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, Mapping):
            return f"{where}/properties must be an object"
        for key, sub in properties.items():
            problem = _schema_problem(sub, f"{where}/properties/{key}")
            if problem is not None:
                return problem
    required = schema.get("required")
    if required is not None and (not isinstance(required, list) or not all(isinstance(r, str) for r in required)):
        return f"{where}/required must be a list of property names"
    for keyword in ("items", "additionalProperties"):
        sub = schema.get(keyword)
        if sub is not None:
            problem = _schema_problem(sub, f"{where}/{keyword}")
            if problem is not None:
                return problem
    for keyword in ("anyOf", "oneOf", "allOf"):
        subs = schema.get(keyword)
        if subs is not None:
            if not isinstance(subs, list):
                return f"{where}/{keyword} must be a list of schemas"
            for index, sub in enumerate(subs):
                problem = _schema_problem(sub, f"{where}/{keyword}/{index}")
                if problem is not None:
                    return problem
    for keyword in ("$defs", "definitions"):
        defs = schema.get(keyword)
        if defs is not None:
            if not isinstance(defs, Mapping):
                return f"{where}/{keyword} must be an object"
            for key, sub in defs.items():
                problem = _schema_problem(sub, f"{where}/{keyword}/{key}")
                if problem is not None:
                    return problem
    return None


def check_config_dict(name: str, config: object) -> None:
    """A thread's ``config=``: dotted keys to JSON values (the engine's config overrides)."""
    if config is None:
        return
    if not isinstance(config, Mapping):
        raise ConfigurationError(f"{name}= must be a dict of config keys to values, got {type(config).__name__}")
    for key, value in config.items():
        if not isinstance(key, str) or not key:
            raise ConfigurationError(f"{name}= keys must be nonempty strings, got {key!r}")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ConfigurationError(
                f"{name}[{key!r}] must be a JSON value (str, number, bool, list, dict): {exc}"
            ) from None
