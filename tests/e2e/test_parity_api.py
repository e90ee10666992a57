"""The ``openai_codex`` client/thread/turn API (and the engine's extras) through the real engine."""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import pytest

from codex import (
    AsyncCodex,
    Codex,
    ConfigurationError,
    ExternalMessage,
    ImageInput,
    InvalidRequestError,
    LocalImageInput,
    MentionInput,
    NotSupportedError,
    SkillInput,
    TextInput,
    Thread,
)
from codex.api_models import ThreadGoalStatus
from codex.testing import MockResponsesServer, responses
from codex.types import SortDirection, ThreadSortKey, ThreadSourceKind

from .conftest import client_kwargs

PIXEL_PNG = bytes.fromhex(  # a valid 2x2 RGB PNG
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001149444154789c63f8cfc0004460e23f03001df003fda03309890000000049454e44ae426082"
)
PIXEL_DATA_URL = "data:image/png;base64," + base64.b64encode(PIXEL_PNG).decode()


def _ran(codex_mock: MockResponsesServer, thread: Thread, prompt: str, reply: str) -> None:
    codex_mock.enqueue(responses.text(reply))
    assert thread.run(prompt).final_response == reply


def test_fork_gets_a_copy_of_the_history_and_the_original_is_untouched(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    original = codex_client.thread_start()
    _ran(codex_mock, original, "the password is swordfish", "noted")

    fork = codex_client.thread_fork(original.id)
    assert isinstance(fork, Thread)
    assert fork.id != original.id
    _ran(codex_mock, fork, "only on the fork", "fork reply")
    fork_texts = codex_mock.response_requests[-1].input_texts()
    assert "the password is swordfish" in fork_texts
    assert "noted" in fork_texts

    _ran(codex_mock, original, "back on the original", "original reply")
    assert "only on the fork" not in codex_mock.response_requests[-1].input_texts()
    assert fork.read().thread.forked_from_id == original.id


def test_list_pages_filters_archive_and_unarchive(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    threads: list[Thread] = []
    for topic in ("apples", "bananas", "cherries"):
        if threads:
            # The engine's page cursor is a timestamp in whole seconds: threads created in the
            # same second can fall between two pages (docs/compatibility.md).
            time.sleep(1.05)
        threads.append(codex_client.thread_start())
        _ran(codex_mock, threads[-1], f"tell me about {topic}", f"{topic} are fruit")
    ids = {thread.id for thread in threads}

    first = codex_client.thread_list(limit=2, sort_key=ThreadSortKey.created_at, sort_direction=SortDirection.asc)
    assert len(first.data) == 2
    assert first.next_cursor is not None
    second = codex_client.thread_list(
        limit=2, cursor=first.next_cursor, sort_key=ThreadSortKey.created_at, sort_direction=SortDirection.asc
    )
    paged = [entry.id for entry in first.data + second.data]
    assert sorted(paged) == sorted(ids), "two pages cover every thread once"
    assert paged[0] == threads[0].id, "ascending creation order"

    found = codex_client.thread_list(search_term="bananas")
    assert [entry.id for entry in found.data] == [threads[1].id]
    assert found.data[0].preview == "tell me about bananas"

    codex_client.thread_archive(threads[0].id)
    assert threads[0].id not in [entry.id for entry in codex_client.thread_list().data]
    archived = codex_client.thread_list(archived=True)
    assert [entry.id for entry in archived.data] == [threads[0].id]

    restored = codex_client.thread_unarchive(threads[0].id)
    assert restored == threads[0]
    assert threads[0].id in [entry.id for entry in codex_client.thread_list().data]
    assert codex_client.thread_list(archived=True).data == []
    _ran(codex_mock, restored, "still there?", "yes")


def test_models_lists_the_engines_catalogue(codex_client: Codex) -> None:
    listed = codex_client.models()
    assert listed.data, "the engine ships a model catalogue"
    assert sum(model.is_default for model in listed.data) == 1
    assert all(not model.hidden for model in listed.data)
    everything = codex_client.models(include_hidden=True)
    assert {model.id for model in listed.data} <= {model.id for model in everything.data}


def test_rollback_drops_the_last_turn_from_what_the_model_sees(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    thread = codex_client.thread_start()
    _ran(codex_mock, thread, "first question", "first answer")
    _ran(codex_mock, thread, "regretted question", "regretted answer")

    rolled = thread.rollback(1)
    assert [turn.status for turn in rolled.thread.turns] == ["completed"]
    _ran(codex_mock, thread, "next question", "next answer")
    texts = codex_mock.response_requests[-1].input_texts()
    assert "first question" in texts
    assert "first answer" in texts
    assert "regretted question" not in texts
    assert "regretted answer" not in texts
    assert len(thread.read(include_turns=True).thread.turns) == 2


def test_unsubscribe_then_resume_keeps_the_history(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    thread = codex_client.thread_start()
    _ran(codex_mock, thread, "remember 42", "ok")
    assert thread.unsubscribe().status == "unsubscribed"
    resumed = codex_client.thread_resume(thread.id)
    assert resumed == thread
    _ran(codex_mock, resumed, "what number?", "42")
    assert "remember 42" in codex_mock.response_requests[-1].input_texts()


def test_goal_set_drives_turns_and_clear_removes_it(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    thread = codex_client.thread_start()
    assert thread.get_goal().goal is None
    before = len(codex_mock.response_requests)
    goal = thread.set_goal("write the release notes", token_budget=10_000).goal
    assert goal is not None
    assert goal.objective == "write the release notes"
    assert goal.status is ThreadGoalStatus.active
    assert goal.token_budget == 10_000

    # The engine works towards an active goal on its own: continuation turns reach the model.
    deadline = time.monotonic() + 20
    while len(codex_mock.response_requests) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(codex_mock.response_requests) > before
    assert any("write the release notes" in text for text in codex_mock.response_requests[-1].input_texts())

    assert thread.clear_goal().cleared is True
    assert thread.get_goal().goal is None


def test_steer_adds_input_to_the_running_turn(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    thread = codex_client.thread_start()
    codex_mock.enqueue(responses.text("working on it", delay_s=0.6), responses.text("done, with the extra"))
    turn = thread.turn("start the job")
    deadline = time.monotonic() + 10
    while not codex_mock.response_requests and time.monotonic() < deadline:
        time.sleep(0.02)
    steered = turn.steer("also mention the extra")
    assert steered.turn_id == turn.id
    result = turn.run()
    assert result.status == "completed"
    assert result.final_response == "done, with the extra"
    assert "also mention the extra" in codex_mock.response_requests[-1].input_texts()


def test_every_input_kind_reaches_the_model(
    codex_mock: MockResponsesServer, codex_client: Codex, codex_workspace: Path
) -> None:
    image = codex_workspace / "pixel.png"
    image.write_bytes(PIXEL_PNG)
    # Skills are looked up among the engine's skill roots; the home's skills/ is one.
    skill = Path(codex_client.codex_home) / "skills" / "greet" / "SKILL.md"
    skill.parent.mkdir(parents=True, exist_ok=True)
    skill.write_text("---\nname: greet\ndescription: say hello\n---\nSay hello warmly.\n")
    thread = codex_client.thread_start()
    codex_mock.enqueue(responses.text("seen"))
    thread.run(
        [
            TextInput("plain text item"),
            ImageInput(PIXEL_DATA_URL),
            LocalImageInput(str(image)),
            SkillInput("greet", str(skill)),
            MentionInput("readme", str(codex_workspace / "README.md")),
        ]
    )
    request = codex_mock.response_requests[-1]
    assert "plain text item" in request.input_texts()
    parts = [part for item in request.input_items for part in item.get("content", []) if isinstance(part, dict)]
    images = [part.get("image_url", "") for part in parts if part.get("type") == "input_image"]
    assert PIXEL_DATA_URL in images
    assert len(images) == 2, "the local image is inlined as a second data URL"
    assert any("Say hello warmly." in text for text in request.input_texts()), "the skill's body is injected"
    # A mention names an app/plugin resource; with apps off (hermetic default) the engine accepts
    # it and injects nothing, so only the completed turn is observable here.

    codex_mock.enqueue(responses.text("mixed"))
    thread.run(["a plain string", TextInput("and an item")])
    texts = codex_mock.response_requests[-1].input_texts()
    assert "a plain string" in texts
    assert "and an item" in texts


def test_external_message_is_refused_and_the_thread_stays_usable(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    thread = codex_client.thread_start()
    with pytest.raises(NotSupportedError, match="ExternalMessage"):
        thread.run(ExternalMessage(tool_name="crm", content="a customer wrote this"))
    _ran(codex_mock, thread, "still fine?", "yes")


def test_async_twins(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            codex_mock.enqueue(responses.text("one"), responses.text("two"), responses.text("on fork"))
            await thread.run("first")
            await thread.run("second")
            fork = await codex.thread_fork(thread.id)
            assert (await fork.run("fork turn")).final_response == "on fork"
            assert "first" in codex_mock.response_requests[-1].input_texts()
            rolled = await thread.rollback(1)
            assert len(rolled.thread.turns) == 1
            listed = await codex.thread_list(limit=10)
            assert {thread.id, fork.id} <= {entry.id for entry in listed.data}
            await codex.thread_archive(fork.id)
            assert [entry.id for entry in (await codex.thread_list(archived=True)).data] == [fork.id]
            assert (await codex.thread_unarchive(fork.id)).id == fork.id
            assert (await codex.models()).data
            await thread.set_name("async thread")
            assert (await thread.read()).thread.name == "async thread"
            assert (await thread.unsubscribe()).status == "unsubscribed"

    asyncio.run(scenario())


def test_async_steer_and_interrupt(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def wait_for_requests(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(codex_mock.response_requests) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def scenario() -> None:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            thread = await codex.thread_start()
            codex_mock.enqueue(responses.text("working", delay_s=0.6), responses.text("steered answer"))
            turn = await thread.turn("start")
            await wait_for_requests(1)
            steered = await turn.steer(TextInput("async extra"))
            assert steered.turn_id == turn.id
            result = await turn.run()
            assert result.final_response == "steered answer"
            assert "async extra" in codex_mock.response_requests[-1].input_texts()

            codex_mock.enqueue(responses.text("never finished", delay_s=2.0))
            turn = await thread.turn("long job")
            await wait_for_requests(3)
            await turn.interrupt()
            assert (await turn.run()).status == "interrupted"

    asyncio.run(scenario())


def test_resume_and_fork_options_reach_the_engine(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    thread = codex_client.thread_start()
    _ran(codex_mock, thread, "hello", "hi")
    assert thread.unsubscribe().status == "unsubscribed"

    resumed = codex_client.thread_resume(thread.id, model="gpt-resumed-model", include_turns=True)
    _ran(codex_mock, resumed, "after resume", "ok")
    assert codex_mock.response_requests[-1].body["model"] == "gpt-resumed-model"

    fork = codex_client.thread_fork(
        thread.id, model="gpt-forked-model", base_instructions="You are a careful pirate.", ephemeral=True
    )
    _ran(codex_mock, fork, "on the fork", "arr")
    request = codex_mock.response_requests[-1]
    assert request.body["model"] == "gpt-forked-model"
    assert request.body["instructions"] == "You are a careful pirate."
    assert fork.id not in [entry.id for entry in codex_client.thread_list().data], "ephemeral forks are not stored"


def test_list_filters_by_cwd_source_and_provider(
    codex_mock: MockResponsesServer, codex_client: Codex, codex_workspace: Path
) -> None:
    sub = codex_workspace / "sub"
    sub.mkdir()
    here = codex_client.thread_start()
    there = codex_client.thread_start(cwd=str(sub))
    _ran(codex_mock, here, "in the workspace", "ok")
    _ran(codex_mock, there, "in the subdirectory", "ok")

    assert [entry.id for entry in codex_client.thread_list(cwd=str(sub)).data] == [there.id]
    both = codex_client.thread_list(cwd=[str(sub), str(codex_workspace)]).data
    assert sorted(entry.id for entry in both) == sorted([here.id, there.id])
    assert len(codex_client.thread_list(source_kinds=[ThreadSourceKind.vscode]).data) == 2
    assert codex_client.thread_list(source_kinds=[ThreadSourceKind.cli]).data == []
    assert len(codex_client.thread_list(model_providers=["codex-embedded"]).data) == 2
    assert codex_client.thread_list(model_providers=["someone-else"]).data == []
    with pytest.raises(NotSupportedError, match="section_id"):
        codex_client.thread_list(section_id="inbox")
    assert len(codex_client.thread_list().data) == 2, "the client is still usable"


def test_bad_arguments_raise_typed_errors_and_the_client_stays_usable(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    thread = codex_client.thread_start()
    with pytest.raises(ConfigurationError, match="thread_id"):
        codex_client.thread_fork("")
    with pytest.raises(ConfigurationError, match="limit"):
        codex_client.thread_list(limit=0)
    with pytest.raises(ConfigurationError, match="num_turns"):
        thread.rollback(0)
    with pytest.raises(ConfigurationError, match="objective"):
        thread.set_goal("   ")
    with pytest.raises(ConfigurationError, match="name"):
        thread.set_name("")
    with pytest.raises(InvalidRequestError):
        codex_client.thread_fork("00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidRequestError):
        thread.rollback(5)
    _ran(codex_mock, thread, "still usable?", "yes")
