"""An official-style program runs unchanged through the real engine: it uses the types' shapes.

Written as ``openai_codex`` code is, with only the imports changed (``openai_codex`` ->
``codex``, ``openai_codex.generated.v2_all`` -> ``codex.protocol.models``): items are
``ThreadItem`` root models reached through ``.root`` in ``TurnResult.items``, in
``item/completed`` notifications and in ``thread.read(include_turns=True)``; phases are
``MessagePhase`` members; ``ReasoningSummary`` is a root model passed as an option.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from codex import AsyncCodex, Codex
from codex.protocol.models import (
    AgentMessageThreadItem,
    ItemCompletedNotification,
    MessagePhase,
    ReasoningSummaryValue,
    TextUserInput,
    UserMessageThreadItem,
)
from codex.testing import MockResponsesServer, ScriptedResponse
from codex.types import ReasoningEffort, ReasoningSummary, ThreadItem, ThreadReadResponse, TurnStatus

from .conftest import client_kwargs

PROMPT = "Plan, then answer."
COMMENTARY = "Let me look at this first."
ANSWER = "The answer is 42."


def _message(item_id: str, text: str, phase: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "id": item_id,
        "phase": phase,
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def commentary_then_answer() -> ScriptedResponse:
    """One model reply with an interim commentary message and the final answer."""
    items = [_message("msg_commentary", COMMENTARY, "commentary"), _message("msg_answer", ANSWER, "final_answer")]
    events: list[dict[str, Any]] = [{"type": "response.created", "response": {"id": "resp_phases"}}]
    events += [{"type": "response.output_item.done", "output_index": i, "item": item} for i, item in enumerate(items)]
    usage = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    events.append({"type": "response.completed", "response": {"id": "resp_phases", "usage": usage}})
    return ScriptedResponse(events=tuple(events), label="commentary_then_answer")


def agent_messages(items: list[ThreadItem]) -> list[AgentMessageThreadItem]:
    """What official code writes to pick the assistant's messages out of a turn's items."""
    return [item.root for item in items if isinstance(item.root, AgentMessageThreadItem)]


def check_items(items: list[ThreadItem]) -> None:
    assert items, "a turn has items"
    assert all(isinstance(item, ThreadItem) for item in items)
    user = items[0].root
    assert isinstance(user, UserMessageThreadItem)
    first_input = user.content[0].root
    assert isinstance(first_input, TextUserInput)
    assert first_input.text == PROMPT
    messages = agent_messages(items)
    assert [message.text for message in messages] == [COMMENTARY, ANSWER]
    assert [message.phase for message in messages] == [MessagePhase.commentary, MessagePhase.final_answer]
    assert messages[0].phase is MessagePhase.commentary


def test_an_official_program_reads_items_phases_and_wrapped_options(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    codex_mock.enqueue(commentary_then_answer())
    thread = codex_client.thread_start()
    summary = ReasoningSummary.model_validate("concise")
    turn = thread.turn(PROMPT, summary=summary, effort=ReasoningEffort.high)

    notified: list[ThreadItem] = []
    for event in turn.stream():
        if isinstance(event.payload, ItemCompletedNotification):
            notified.append(event.payload.item)
    result = turn.run()

    assert result.status == TurnStatus.completed
    assert result.final_response == ANSWER
    check_items(result.items)
    check_items(notified)
    assert [item.to_dict() for item in notified] == [item.to_dict() for item in result.items]

    state = thread.read(include_turns=True)
    assert isinstance(state, ThreadReadResponse)
    (stored,) = state.thread.turns
    check_items(stored.items)
    assert state.thread.status.root.type == "idle"

    # The model catalogue: each supported effort is a ReasoningEffort, read with .value.
    efforts = [
        option.reasoning_effort for model in codex_client.models().data for option in model.supported_reasoning_efforts
    ]
    assert efforts
    assert all(isinstance(effort, ReasoningEffort) for effort in efforts)
    assert "high" in {effort.value for effort in efforts}

    # The root-model option reached the engine as its wire value.
    (request,) = codex_mock.response_requests
    assert request.body["reasoning"] == {"effort": "high", "summary": "concise"}


def test_the_async_client_yields_the_same_shapes(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    codex_mock.enqueue(commentary_then_answer())

    async def scenario() -> tuple[list[ThreadItem], list[ThreadItem]]:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            result = await thread.run(PROMPT)
            assert result.final_response == ANSWER
            state = await thread.read(include_turns=True)
            return result.items, state.thread.turns[0].items

    items, stored = asyncio.run(scenario())
    check_items(items)
    check_items(stored)


def test_reasoning_summary_and_effort_have_the_official_shapes() -> None:
    """What official code does with them, without a turn: validate, read ``.root``, ``.value``."""
    concise = ReasoningSummary.model_validate("concise")
    assert concise.root == "concise"
    assert isinstance(concise.root, ReasoningSummaryValue)
    assert concise.root.value == "concise"
    assert ReasoningSummary.model_validate("none").root == "none"
    assert ReasoningSummary(ReasoningSummaryValue.detailed).to_dict() == "detailed"
    # Open, as officially: a value a newer model advertises is kept, not refused.
    assert ReasoningEffort("xhigh") is ReasoningEffort.xhigh
    assert ReasoningEffort("turbo").value == "turbo"
