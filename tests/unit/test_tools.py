"""The @tool decorator: schemas, validation and result encoding (no engine involved)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from codex import ConfigurationError, ToolError
from codex.tools import Tool, failure_result, success_result, tool


class Point(BaseModel):
    x: int
    y: int


def test_schema_from_type_hints_is_strict() -> None:
    @tool
    def move(point: Point, mode: Literal["walk", "run"], steps: Annotated[int, Field(ge=1)] = 1) -> str:
        """Moves to a point.

        More detail here.
        """
        return f"{mode} {steps} to {point.x},{point.y}"

    spec = move.spec()
    assert spec["type"] == "function"
    assert spec["name"] == "move"
    assert spec["description"].startswith("Moves to a point.")
    schema = spec["inputSchema"]
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["mode", "point"]
    assert schema["properties"]["mode"]["enum"] == ["walk", "run"]
    assert schema["properties"]["steps"]["minimum"] == 1
    assert move.run_sync({"point": {"x": 1, "y": 2}, "mode": "run"}) == "run 1 to 1,2"
    # Still a plain function for direct calls.
    assert move(Point(x=0, y=0), "walk", 3) == "walk 3 to 0,0"


@pytest.mark.parametrize(
    "arguments",
    [{"point": {"x": 1}, "mode": "run"}, {"point": {"x": 1, "y": 2}, "mode": "fly"}, {"mode": "run", "extra": 1}, []],
)
def test_invalid_arguments_raise_tool_error_before_the_call(arguments: object) -> None:
    calls: list[object] = []

    @tool
    def move(point: Point, mode: Literal["walk", "run"]) -> None:
        """Moves."""
        calls.append(point)

    with pytest.raises(ToolError, match="invalid arguments for move"):
        move.run_sync(arguments)
    assert calls == []


def test_async_tools_run_from_sync_and_async_code() -> None:
    @tool(name="double_it", timeout=None)
    async def double(n: int) -> int:
        """Doubles."""
        await asyncio.sleep(0)
        return n * 2

    assert double.is_async
    assert double.name == "double_it"
    assert double.timeout is None
    assert double.run_sync({"n": 2}) == 4
    assert asyncio.run(double.run_async({"n": 5})) == 10


def test_results_are_text_or_json() -> None:
    assert success_result("plain") == {"contentItems": [{"type": "inputText", "text": "plain"}], "success": True}
    assert success_result(None)["contentItems"][0]["text"] == ""
    assert success_result(Point(x=1, y=2))["contentItems"][0]["text"] == '{"x":1,"y":2}'
    assert success_result([1, "a"])["contentItems"][0]["text"] == '[1,"a"]'
    assert failure_result("boom") == {"contentItems": [{"type": "inputText", "text": "boom"}], "success": False}


def test_bad_tool_definitions_are_configuration_errors() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    def star(*args: int) -> None:
        return None

    def ok() -> None:
        return None

    def two(a: Point, b: Point) -> None:
        return None

    with pytest.raises(ConfigurationError, match="type hint"):
        tool(untyped)
    with pytest.raises(ConfigurationError, match=r"\*args"):
        tool(star)
    with pytest.raises(ConfigurationError, match="must be 1-128 characters"):
        tool(name="has space")(ok)
    with pytest.raises(ConfigurationError, match="built-in"):
        tool(name="apply_patch")(ok)
    with pytest.raises(ConfigurationError, match="built-in"):
        tool(name="mcp__x")(ok)
    with pytest.raises(ConfigurationError, match="positive"):
        tool(timeout=0)(ok)
    with pytest.raises(ConfigurationError, match="pydantic model"):
        tool(input=dict)(ok)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="exactly one argument"):
        tool(input=Point)(two)
    with pytest.raises(ConfigurationError, match="already a tool"):
        tool(Tool(name="t", description="", input_model=Point, function=print))
