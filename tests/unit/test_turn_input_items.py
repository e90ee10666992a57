"""Turn inputs (codex.inputs): every kind of item has its wire shape, and anything else raises
ConfigurationError naming what was given and what is accepted."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import (
    ConfigurationError,
    ExternalMessage,
    ImageInput,
    LocalImageInput,
    MentionInput,
    SkillInput,
    TextInput,
)
from codex.inputs import to_wire_input, to_wire_turn_input


class _Upload:
    """Knows its input item, as a staged attachment does."""

    def __init__(self, item: Any) -> None:
        self.item = item

    def as_input(self) -> Any:
        return self.item


@pytest.mark.parametrize(
    ("item", "wire"),
    [
        ("hello", {"type": "text", "text": "hello", "text_elements": []}),
        (TextInput("hi"), {"type": "text", "text": "hi", "text_elements": []}),
        (ImageInput("https://example.com/cat.png"), {"type": "image", "url": "https://example.com/cat.png"}),
        (ImageInput("data:image/png;base64,AAAA"), {"type": "image", "url": "data:image/png;base64,AAAA"}),
        (LocalImageInput("/tmp/cat.png"), {"type": "localImage", "path": "/tmp/cat.png"}),
        (SkillInput("review", "/skills/review"), {"type": "skill", "name": "review", "path": "/skills/review"}),
        (MentionInput("readme", "/repo/README.md"), {"type": "mention", "name": "readme", "path": "/repo/README.md"}),
        (_Upload(LocalImageInput("/a.png")), {"type": "localImage", "path": "/a.png"}),
        (_Upload(TextInput("see /a.txt")), {"type": "text", "text": "see /a.txt", "text_elements": []}),
    ],
)
def test_each_kind_of_item_has_its_wire_shape(item: object, wire: dict[str, Any]) -> None:
    assert to_wire_input(item) == [wire]
    assert to_wire_input([item]) == [wire]
    assert to_wire_input((item,)) == [wire]
    assert to_wire_turn_input(item) == ([wire], None)


def test_a_staged_attachment_is_sent_as_its_input_item(tmp_path: Path) -> None:
    from codex.files import Attachment

    picture = Attachment(sha256="0" * 64, path=tmp_path / "a.png", size=3, mime_type="image/png", name="a.png")
    assert to_wire_input([picture, "what is this?"]) == [
        {"type": "localImage", "path": str(tmp_path / "a.png")},
        {"type": "text", "text": "what is this?", "text_elements": []},
    ]


items = st.one_of(
    st.text(max_size=8),
    st.builds(TextInput, st.text(max_size=8)),
    st.builds(ImageInput, st.text(max_size=8)),
    st.builds(LocalImageInput, st.text(max_size=8)),
    st.builds(SkillInput, st.text(max_size=8), st.text(max_size=8)),
    st.builds(MentionInput, st.text(max_size=8), st.text(max_size=8)),
)


def _expected_fields(entry: Any) -> dict[str, Any]:
    """What the wire item says besides its type: the text, or the item's own fields."""
    if isinstance(entry, str):
        return {"text": entry, "text_elements": []}
    if isinstance(entry, TextInput):
        return {"text": entry.text, "text_elements": []}
    return dataclasses.asdict(entry)


@given(st.lists(items, min_size=1, max_size=6))
def test_a_list_becomes_one_wire_item_per_entry_in_order(entries: list[Any]) -> None:
    wire = to_wire_input(entries)
    assert len(wire) == len(entries)
    for entry, sent in zip(entries, wire, strict=True):
        assert {key: value for key, value in sent.items() if key != "type"} == _expected_fields(entry)


@pytest.mark.parametrize("empty", [[], ()])
def test_a_turn_needs_at_least_one_item(empty: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^a turn needs at least one input item$"):
        to_wire_input(empty)
    with pytest.raises(ConfigurationError, match=r"^a turn needs at least one input item$"):
        to_wire_turn_input(empty)


@pytest.mark.parametrize(
    ("item", "name"),
    [
        (5, "int"),
        (None, "NoneType"),
        (b"bytes", "bytes"),
        ({"type": "text", "text": "hi"}, "dict"),
        (ExternalMessage("tool", "x"), "ExternalMessage"),
        (TextInput, "type"),
        (_Upload, "type"),
    ],
)
def test_anything_else_names_itself_and_what_is_accepted(item: object, name: str) -> None:
    message = (
        rf"^unsupported input item {name}: use str, TextInput, ImageInput, LocalImageInput, SkillInput, "
        r"MentionInput or an attachment$"
    )
    with pytest.raises(ConfigurationError, match=message):
        to_wire_input(["fine", item])


def test_an_item_that_converts_to_another_convertible_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"^_Upload\.as_input\(\) must return a plain input item$"):
        to_wire_input(_Upload(_Upload(TextInput("nested"))))


def test_an_item_that_converts_to_something_unsupported_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"^unsupported input item int: "):
        to_wire_input(_Upload(42))


# -- ExternalMessage: a tool output instead of input items --------------------------------
def test_an_external_message_becomes_a_tool_output_and_no_input() -> None:
    assert to_wire_turn_input(ExternalMessage("browser", "page text")) == (
        [],
        {"name": "browser", "output": "page text"},
    )


def test_an_external_message_with_parts_and_a_namespace_sends_both() -> None:
    parts = ({"type": "inputText", "text": "a"}, {"type": "inputText", "text": "b"})
    _, output = to_wire_turn_input(ExternalMessage("search", parts, namespace="mcp__web"))
    assert output == {"name": "search", "output": list(parts), "namespace": "mcp__web"}


@pytest.mark.parametrize("tool_name", ["", "   ", 5, None])
def test_an_external_message_needs_a_tool_name(tool_name: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^ExternalMessage\.tool_name must be a nonempty string$"):
        to_wire_turn_input(ExternalMessage(tool_name, "text"))


@pytest.mark.parametrize(
    ("content", "name"), [(5, "int"), (None, "NoneType"), ({"type": "inputText"}, "dict"), (["text"], "list")]
)
def test_external_content_must_be_text_or_json_objects(content: Any, name: str) -> None:
    message = rf"^ExternalMessage\.content must be a string or a list of JSON objects, got {name}$"
    with pytest.raises(ConfigurationError, match=message):
        to_wire_turn_input(ExternalMessage("tool", content))
