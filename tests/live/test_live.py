"""A plain turn, a Python tool call and structured output against the real API (CODEX_TEST_LIVE=1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from codex import Codex, tool


def test_plain_turn(live_client: Codex, live_model: str | None) -> None:
    thread = live_client.thread_start(model=live_model)
    result = thread.run("Reply with exactly the word: pong")
    assert result.final_response is not None
    assert "pong" in result.final_response.lower()


@pytest.mark.usefixtures("live_api_key")
def test_python_tool_call(live_workspace: Path, live_model: str | None) -> None:
    calls: list[int] = []

    @tool
    def secret_number(seed: int) -> int:
        """Returns the secret number derived from a seed."""
        calls.append(seed)
        return seed * 7 + 3

    with Codex(api_key_env="OPENAI_API_KEY", cwd=str(live_workspace), tools=[secret_number]) as codex:
        result = codex.thread_start(model=live_model).run(
            "Call the secret_number tool with seed 5 and reply with only the number it returns."
        )
    assert calls == [5]
    assert result.final_response is not None
    assert "38" in result.final_response


class Capital(BaseModel):
    country: str
    capital: str


def test_structured_output(live_client: Codex, live_model: str | None) -> None:
    result = live_client.thread_start(model=live_model).run("What is the capital of France?", output_type=Capital)
    assert isinstance(result.output, Capital)
    assert result.output.capital.lower() == "paris"
