"""Thread.turn/run and their async twins: options written once (TurnOptions), signatures spelled out."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from codex import AsyncThread, Thread
from codex.threads import TurnOptions, prepare_turn


@pytest.mark.parametrize("cls", [Thread, AsyncThread])
@pytest.mark.parametrize("method", ["turn", "run"])
def test_signatures_list_every_option_as_keyword_only(cls: type, method: str) -> None:
    parameters = inspect.signature(getattr(cls, method)).parameters
    assert list(parameters)[:2] == ["self", "input"]
    expected = [*TurnOptions.__annotations__, *(["retry"] if method == "run" else [])]
    keywords = [name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert keywords == expected
    assert all(parameters[name].default is None for name in keywords)
    assert inspect.iscoroutinefunction(getattr(cls, method)) is (cls is AsyncThread)


def test_an_unknown_option_raises_what_python_would() -> None:
    thread = Thread(None, "t")  # type: ignore[arg-type]  # never reaches the session
    options: Any = {"temperature": 1}
    with pytest.raises(TypeError, match=r"^Thread\.turn\(\) got an unexpected keyword argument 'temperature'$"):
        thread.turn("hi", **options)
    with pytest.raises(TypeError, match=r"^Thread\.run\(\) got an unexpected keyword argument 'temperature'$"):
        thread.run("hi", **options)
    twin = AsyncThread(None, "t")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^AsyncThread\.run\(\) got an unexpected keyword argument 'temperature'$"):
        asyncio.run(twin.run("hi", **options))


def test_the_core_builds_turn_start_params_without_io() -> None:
    request = prepare_turn("Thread.turn", "t-1", "hello", {"model": "gpt-x", "effort": "low"})
    assert request.output is None
    assert request.params["threadId"] == "t-1"
    assert request.params["model"] == "gpt-x"
    assert request.params["effort"] == "low"
    assert "cwd" not in request.params
