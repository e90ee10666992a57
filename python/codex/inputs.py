"""Turn inputs, shaped like ``openai_codex``'s so programs port by changing the import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias, runtime_checkable

from .errors import ConfigurationError
from .events import JsonObject


@dataclass(slots=True)
class TextInput:
    """Text supplied to a turn or steering request."""

    text: str


@dataclass(slots=True)
class ImageInput:
    """An image by URL (https or data URL)."""

    url: str


@dataclass(slots=True)
class LocalImageInput:
    """An image file on the local disk."""

    path: str


@dataclass(slots=True)
class SkillInput:
    """A named skill reference."""

    name: str
    path: str


@dataclass(slots=True)
class MentionInput:
    """A named resource mention."""

    name: str
    path: str


@dataclass(slots=True)
class ExternalMessage:
    """Untrusted content from another agent, tool or application (tool-level authority)."""

    tool_name: str
    content: str | Sequence[JsonObject]
    namespace: str | None = None


@runtime_checkable
class ConvertibleToInput(Protocol):
    """Anything that knows its input item, such as a staged :class:`~codex.files.Attachment`."""

    def as_input(self) -> TextInput | ImageInput | LocalImageInput | SkillInput | MentionInput: ...


InputItem: TypeAlias = TextInput | ImageInput | LocalImageInput | SkillInput | MentionInput | ConvertibleToInput
#: One item, or a list mixing items and plain strings (each string is a text item).
Input: TypeAlias = list[InputItem | str] | InputItem
RunInput: TypeAlias = Input | str | ExternalMessage


def _wire_item(item: object) -> JsonObject:
    if isinstance(item, str):
        return {"type": "text", "text": item, "text_elements": []}
    if isinstance(item, TextInput):
        return {"type": "text", "text": item.text, "text_elements": []}
    if isinstance(item, ImageInput):
        return {"type": "image", "url": item.url}
    if isinstance(item, LocalImageInput):
        return {"type": "localImage", "path": item.path}
    if isinstance(item, SkillInput):
        return {"type": "skill", "name": item.name, "path": item.path}
    if isinstance(item, MentionInput):
        return {"type": "mention", "name": item.name, "path": item.path}
    if isinstance(item, ConvertibleToInput) and not isinstance(item, type):
        converted = item.as_input()
        if isinstance(converted, ConvertibleToInput):
            raise ConfigurationError(f"{type(item).__name__}.as_input() must return a plain input item")
        return _wire_item(converted)
    raise ConfigurationError(
        f"unsupported input item {type(item).__name__}: use str, TextInput, ImageInput, "
        "LocalImageInput, SkillInput, MentionInput or an attachment"
    )


def to_wire_input(value: object) -> list[JsonObject]:
    """The ``input`` list of turn/start and turn/steer."""
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        raise ConfigurationError("a turn needs at least one input item")
    return [_wire_item(item) for item in items]


def to_wire_turn_input(value: object) -> tuple[list[JsonObject], JsonObject | None]:
    """(input, toolOutput) for turn/start; an ExternalMessage becomes a tool output."""
    if isinstance(value, ExternalMessage):
        if not isinstance(value.tool_name, str) or not value.tool_name.strip():
            raise ConfigurationError("ExternalMessage.tool_name must be a nonempty string")
        content = value.content
        if not isinstance(content, str) and not (
            isinstance(content, Sequence) and all(isinstance(part, dict) for part in content)
        ):
            raise ConfigurationError(
                f"ExternalMessage.content must be a string or a list of JSON objects, got {type(content).__name__}"
            )
        output = content if isinstance(content, str) else list(content)
        tool_output: JsonObject = {"name": value.tool_name, "output": output}
        if value.namespace is not None:
            tool_output["namespace"] = value.namespace
        return [], tool_output
    return to_wire_input(value), None
