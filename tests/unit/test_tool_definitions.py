"""What ``@tool`` and ``ToolRegistry`` accept and refuse (no engine involved).

docs/tools-and-approvals.md: every parameter needs a type hint; ``*args``, ``**kwargs`` and
positional-only parameters are refused at decoration time; the description is the docstring
unless ``description=`` is given; a name used twice in a registry raises ``ConfigurationError``.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from pydantic import BaseModel

from codex import ConfigurationError, ToolError
from codex.tools import Tool, ToolHandle, ToolRegistry, tool


class Query(BaseModel):
    text: str
    limit: int = 10


def test_unresolvable_type_hints_are_a_configuration_error() -> None:
    def lookup(key: UndefinedName) -> str:  # type: ignore[name-defined]  # noqa: F821
        return str(key)

    with pytest.raises(ConfigurationError, match=r"tool 'lookup': cannot resolve its type hints \(.*UndefinedName"):
        tool(lookup)


def test_positional_only_and_keyword_catch_all_parameters_are_refused() -> None:
    def positional(a: int, /) -> int:
        return a

    def catch_all(**options: int) -> int:
        return len(options)

    with pytest.raises(ConfigurationError, match="tool 'positional': positional-only parameters are not supported"):
        tool(positional)
    with pytest.raises(ConfigurationError, match=r"tool 'catch_all': \*args and \*\*kwargs"):
        tool(catch_all)


@pytest.mark.parametrize("value", [42, "add", Query(text="not a function")])
def test_tool_needs_a_callable(value: object) -> None:
    with pytest.raises(ConfigurationError, match="@tool needs a function"):
        tool(value)  # type: ignore[call-overload]


@pytest.mark.parametrize("name", ["", "a" * 129, "dotted.name", "ünïcode"])
def test_tool_names_outside_the_allowed_alphabet_or_length_are_refused(name: str) -> None:
    def ok() -> None:
        return None

    with pytest.raises(ConfigurationError, match="must be 1-128 characters"):
        tool(name=name)(ok)


def test_a_name_of_128_characters_is_accepted() -> None:
    def ok() -> None:
        return None

    assert tool(name="a" * 128)(ok).name == "a" * 128


def test_without_a_docstring_the_description_is_the_name_and_description_overrides_the_docstring() -> None:
    def undocumented(x: int) -> int:
        return x

    def documented(x: int) -> int:
        """From the docstring."""
        return x

    assert tool(undocumented).description == "undocumented"
    assert tool(documented).description == "From the docstring."
    assert tool(description="  Given.  ")(documented).description == "Given."


def test_a_dashed_name_gets_a_schema_and_defaults_make_parameters_optional() -> None:
    @tool(name="look-up_thing")
    def look(key: str, depth: int = 2) -> str:
        """Looks."""
        return f"{key}:{depth}"

    schema = look.input_schema()
    assert "title" not in schema
    assert schema["required"] == ["key"]
    assert schema["properties"]["depth"]["default"] == 2
    assert look.input_model.__name__ == "LookUpThingArguments"
    assert look.run_sync({"key": "k"}) == "k:2"


def test_a_tool_without_parameters_takes_none_or_an_empty_object() -> None:
    @tool
    def now() -> str:
        """The time."""
        return "noon"

    assert now.input_schema() == {"additionalProperties": False, "properties": {}, "type": "object"}
    assert now.run_sync(None) == "noon"
    assert now.run_sync({}) == "noon"
    with pytest.raises(ToolError, match="invalid arguments for now: extra: Extra inputs are not permitted"):
        now.run_sync({"extra": 1})


def test_an_input_model_tool_receives_the_validated_model_from_sync_and_async_callers() -> None:
    seen: list[Query] = []

    @tool(input=Query)
    def search(query: Query) -> list[str]:
        """Searches."""
        seen.append(query)
        return [query.text] * min(query.limit, 2)

    assert search.takes_model
    assert search.run_sync({"text": "a"}) == ["a", "a"]
    assert asyncio.run(search.run_async({"text": "b", "limit": 1})) == ["b"]
    assert seen == [Query(text="a"), Query(text="b", limit=1)]
    with pytest.raises(ToolError, match="invalid arguments for search: text: Field required"):
        search.run_sync({"limit": 1})
    with pytest.raises(ToolError, match="invalid arguments for search: arguments: Input should be"):
        search.run_sync("just text")


def test_run_async_runs_a_sync_tool_in_a_worker_thread() -> None:
    ran_on: list[threading.Thread] = []

    @tool
    def where(x: int) -> int:
        """Records its thread."""
        ran_on.append(threading.current_thread())
        return x + 1

    assert asyncio.run(where.run_async({"x": 1})) == 2
    assert ran_on != [threading.current_thread()]
    assert len(ran_on) == 1


def test_a_tool_object_cannot_be_built_with_a_reserved_name_or_a_bad_timeout() -> None:
    with pytest.raises(ConfigurationError, match="taken by one of the engine's built-in tools"):
        Tool(name="shell", description="", input_model=Query, function=print)
    with pytest.raises(ConfigurationError, match="timeout must be positive"):
        Tool(name="t", description="", input_model=Query, function=print, timeout=-1)
    assert repr(Tool(name="t", description="", input_model=Query, function=print)) == "Tool(name='t')"


# -- the registry ---------------------------------------------------------------------------


@tool
def alpha() -> str:
    """A."""
    return "a"


@tool
def beta() -> str:
    """B."""
    return "b"


def test_a_registry_lists_contains_and_counts_its_tools() -> None:
    registry = ToolRegistry([alpha])

    def gamma(n: int) -> int:
        """A plain function goes through @tool."""
        return n

    registry.register(beta)
    handle = registry.register(gamma)
    assert repr(registry) == "ToolRegistry(['alpha', 'beta', 'gamma'])"
    assert len(registry) == 3
    assert "beta" in registry
    assert "delta" not in registry
    assert [item.name for item in registry] == ["alpha", "beta", "gamma"]
    registered = registry.get("gamma")
    assert registered is not None
    assert registered.description == "A plain function goes through @tool."
    registry.unregister(handle)
    assert registry.names() == ["alpha", "beta"]
    assert registry.get("gamma") is None


def test_a_name_is_registered_once_and_only_its_own_handle_removes_it() -> None:
    registry = ToolRegistry()
    first = registry.register(alpha)
    with pytest.raises(ConfigurationError, match="a tool named 'alpha' is already registered"):
        registry.register(alpha)
    registry.unregister(first)
    second = registry.register(alpha)
    assert second != first
    with pytest.raises(KeyError, match="is not registered here"):
        registry.unregister(first)  # stale: the name belongs to a newer registration
    with pytest.raises(KeyError, match="is not registered here"):
        registry.unregister(ToolHandle("never"))
    assert registry.names() == ["alpha"]
