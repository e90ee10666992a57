"""Structured output through the real engine: schema on the wire, validated value back."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from codex import AsyncCodex, Codex, ConfigurationError, StructuredOutputError
from codex.testing import MockResponsesServer, responses

from .conftest import client_kwargs


class Colour(str, enum.Enum):
    red = "red"
    blue = "blue"


class LineItem(BaseModel):
    name: str
    quantity: int


class Invoice(BaseModel):
    customer: str
    colour: Colour
    items: list[LineItem]
    note: str | None = None


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


def _sent_format(mock: MockResponsesServer) -> dict[str, Any]:
    body = mock.response_requests[-1].body
    fmt: dict[str, Any] = body["text"]["format"]
    return fmt


def test_pydantic_model_output(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    reply = {"customer": "ACME", "colour": "blue", "items": [{"name": "bolt", "quantity": 3}], "note": None}
    codex_mock.enqueue(responses.structured(reply))
    result = codex_client.thread_start().run("bill ACME", output_type=Invoice)

    assert isinstance(result.output, Invoice)
    assert result.output.items[0] == LineItem(name="bolt", quantity=3)
    assert result.output.colour is Colour.blue
    assert result.final_response is not None
    assert '"ACME"' in result.final_response
    fmt = _sent_format(codex_mock)
    assert fmt["type"] == "json_schema"
    assert fmt["strict"] is True
    schema = fmt["schema"]
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["colour", "customer", "items", "note"]
    assert schema["$defs"]["LineItem"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("output_type", "reply", "expected"),
    [
        (Point, {"x": 1, "y": 2}, Point(1, 2)),
        (Movie, {"title": "Alien", "year": 1979}, {"title": "Alien", "year": 1979}),
        (
            {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
            {"ok": True},
            {"ok": True},
        ),
    ],
    ids=["dataclass", "typeddict", "raw-schema"],
)
def test_other_output_types(
    codex_mock: MockResponsesServer, codex_client: Codex, output_type: object, reply: object, expected: object
) -> None:
    codex_mock.enqueue(responses.structured(reply))
    assert codex_client.thread_start().run("go", output_type=output_type).output == expected


def test_invalid_json_and_invalid_value_raise_and_thread_survives(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    thread = codex_client.thread_start()
    codex_mock.enqueue(responses.text("not json at all"))
    with pytest.raises(StructuredOutputError) as not_json:
        thread.run("go", output_type=Point)
    assert not_json.value.raw_text == "not json at all"

    codex_mock.enqueue(responses.structured({"x": "left", "y": 2}))
    with pytest.raises(StructuredOutputError) as invalid:
        thread.run("go", output_type=Point)
    assert invalid.value.errors
    assert invalid.value.errors[0]["loc"] == ("x",)

    codex_mock.enqueue(responses.structured({"x": 5, "y": 6}))
    assert thread.run("go", output_type=Point).output == Point(5, 6)


def test_unexpressible_types_fail_before_any_request(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    thread = codex_client.thread_start()
    with pytest.raises(ConfigurationError, match="free-form"):
        thread.run("go", output_type=dict[str, int])
    with pytest.raises(ConfigurationError, match="JSON object"):
        thread.run("go", output_type=int)
    with pytest.raises(ConfigurationError, match="not both"):
        thread.run("go", output_type=Point, output_schema={"type": "object"})
    assert codex_mock.response_requests == []


def test_async_structured_output(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> object:
        codex_mock.enqueue(responses.structured({"x": 7, "y": 8}))
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            return (await thread.run("go", output_type=Point)).output

    assert asyncio.run(scenario()) == Point(7, 8)
