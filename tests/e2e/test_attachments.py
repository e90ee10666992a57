"""Attachments through the real engine: images reach the model inline, files by path."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest

from codex import AsyncCodex, Codex, TextInput
from codex.errors import ConfigurationError
from codex.events import ItemStartedNotification, UserMessageThreadItem
from codex.testing import MockResponsesServer, responses

from ..unit.test_files import png_bytes
from .conftest import client_kwargs


def _input_images(body: object) -> list[str]:
    """Every ``input_image`` URL in a Responses request body."""
    urls: list[str] = []
    items = body.get("input", []) if isinstance(body, dict) else []
    for item in items:
        for part in item.get("content") or [] if isinstance(item, dict) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                urls.append(str(part.get("image_url")))
    return urls


def test_image_attachment_reaches_the_request_body(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    data = png_bytes(3, 2, (10, 200, 30))
    attachment = codex_client.files.stage(data, name="dot.png")
    assert attachment.path.is_relative_to(Path(codex_client.codex_home))
    codex_mock.enqueue(responses.text("a green dot"))

    turn = codex_client.thread_start().turn([TextInput("what is this?"), attachment.as_input()])
    events = list(turn.stream())
    result = turn.run()

    assert result.final_response == "a green dot"
    (request,) = codex_mock.response_requests
    # Small PNGs go to the model byte for byte, as a base64 data URL.
    assert _input_images(request.body) == [f"data:image/png;base64,{base64.b64encode(data).decode()}"]
    # The stream shows the attachment in the user's message.
    user_messages = [
        event.payload.item.root
        for event in events
        if isinstance(event.payload, ItemStartedNotification)
        and isinstance(event.payload.item.root, UserMessageThreadItem)
    ]
    assert len(user_messages) == 1
    assert {"type": "localImage", "path": str(attachment.path)} in [
        {key: part.to_dict().get(key) for key in ("type", "path")} for part in user_messages[0].content
    ]


def test_attachments_go_straight_into_the_input_list(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    data = png_bytes(2, 2, (200, 10, 10))
    image = codex_client.files.stage(data, name="red.png")
    notes = codex_client.files.stage(b"meeting at noon\n", name="notes.txt")
    codex_mock.enqueue(responses.text("seen"))

    result = codex_client.thread_start().run(["look at these", image, notes])

    assert result.final_response == "seen"
    (request,) = codex_mock.response_requests
    assert _input_images(request.body) == [f"data:image/png;base64,{base64.b64encode(data).decode()}"]
    assert any(str(notes.path) in text for text in request.input_texts())


def test_an_object_whose_as_input_is_not_an_input_is_refused(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    class Odd:
        def as_input(self) -> object:
            return 42

    thread = codex_client.thread_start()
    with pytest.raises(ConfigurationError, match="unsupported input item int"):
        thread.run(["hi", Odd()])  # type: ignore[list-item]
    codex_mock.enqueue(responses.text("still fine"))
    assert thread.run("again").final_response == "still fine"


def test_file_attachment_is_readable_by_the_agent(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    attachment = codex_client.files.stage(b"quarterly numbers: 42\n", name="report.txt")
    codex_mock.enqueue(
        responses.exec_command(f"cat {attachment.path}", login=False),
        responses.text("the report says 42"),
    )
    result = codex_client.thread_start().run([TextInput("summarise the attachment"), attachment.as_input()])

    assert result.final_response == "the report says 42"
    first, follow_up = codex_mock.response_requests
    # The model is told the file's name, type and path...
    described = [text for text in first.input_texts() if "report.txt" in text]
    assert described
    assert str(attachment.path) in described[0]
    assert "text/plain" in described[0]
    # ...and the agent's read of that path returned the content.
    assert "quarterly numbers: 42" in json.dumps(follow_up.tool_outputs())


def test_temporary_attachment_is_removed_after_the_turn_even_on_error(
    codex_mock: MockResponsesServer, codex_client: Codex
) -> None:
    thread = codex_client.thread_start()
    codex_mock.enqueue(responses.text("seen"))
    with codex_client.files.temporary(png_bytes(), name="scratch.png") as attachment:
        assert thread.run([TextInput("look"), attachment.as_input()]).final_response == "seen"
        assert attachment.path.exists()
    assert not attachment.path.exists()

    codex_mock.enqueue(responses.http_error(400, "rejected"))
    second_image = png_bytes(4, 4)
    with pytest.raises(RuntimeError), codex_client.files.temporary(second_image, name="x.png") as failing:
        thread.run([TextInput("look again"), failing.as_input()])
    assert not failing.path.exists()
    # The image was sent while it existed.
    sent = f"data:image/png;base64,{base64.b64encode(second_image).decode()}"
    assert sent in _input_images(codex_mock.response_requests[-1].body)


def test_async_client_has_the_same_store(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    async def scenario() -> None:
        async with AsyncCodex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
            attachment = codex.files.stage(png_bytes())
            codex_mock.enqueue(responses.text("ok"))
            thread = await codex.thread_start()
            assert (await thread.run([TextInput("hi"), attachment.as_input()])).final_response == "ok"
        assert _input_images(codex_mock.response_requests[0].body)

    asyncio.run(scenario())
