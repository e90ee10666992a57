"""thread_start/list/resume/fork: keyword options written once (thread_params TypedDicts), signatures spelled out."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from codex import AsyncCodex, Codex
from codex.sandbox import ApprovalMode
from codex.thread_params import (
    ThreadForkOptions,
    ThreadListOptions,
    ThreadResumeOptions,
    ThreadStartOptions,
    thread_fork_params,
    thread_resume_params,
    thread_start_params,
)

LISTS: dict[str, tuple[type, list[str], list[str]]] = {
    # method: (options, leading parameters, trailing keyword-only parameters)
    "thread_start": (ThreadStartOptions, ["self"], ["tools", "approval_callback"]),
    "thread_list": (ThreadListOptions, ["self"], []),
    "thread_resume": (ThreadResumeOptions, ["self", "thread_id"], []),
    "thread_fork": (ThreadForkOptions, ["self", "thread_id"], []),
}


@pytest.mark.parametrize("cls", [Codex, AsyncCodex])
@pytest.mark.parametrize("method", sorted(LISTS))
def test_signatures_list_every_option_as_keyword_only(cls: type, method: str) -> None:
    options, leading, trailing = LISTS[method]
    parameters = inspect.signature(getattr(cls, method)).parameters
    assert list(parameters)[: len(leading)] == leading
    keywords = [name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert keywords == [*options.__annotations__, *trailing]
    defaults = {name: parameters[name].default for name in keywords}
    expected = dict.fromkeys(keywords)
    if method == "thread_start":
        expected["approval_mode"] = ApprovalMode.auto_review
    assert defaults == expected
    assert inspect.iscoroutinefunction(getattr(cls, method)) is (cls is AsyncCodex)


def _call(method: Any, *args: Any, **kwargs: Any) -> None:
    result = method(*args, **kwargs)
    if inspect.iscoroutine(result):
        asyncio.run(result)


@pytest.mark.parametrize(("cls", "prefix"), [(Codex, "ThreadAdminApi"), (AsyncCodex, "AsyncThreadAdminApi")])
def test_an_unknown_option_raises_what_python_would(cls: type, prefix: str) -> None:
    client: Any = object.__new__(cls)  # never reaches a session
    for method, args in (("thread_list", ()), ("thread_resume", ("t",)), ("thread_fork", ("t",))):
        message = rf"^{prefix}\.{method}\(\) got an unexpected keyword argument 'temperature'$"
        with pytest.raises(TypeError, match=message):
            _call(getattr(cls, method), client, *args, temperature=1)
    with pytest.raises(TypeError, match=r"^Codex\.thread_start\(\) got an unexpected keyword argument 'modle'$"):
        thread_start_params("Codex.thread_start", {"modle": "x"}, default_cwd=None)  # type: ignore[typeddict-unknown-key]


def test_the_builders_send_what_the_spelled_out_keywords_sent(tmp_path: Any) -> None:
    cwd = str(tmp_path)
    assert thread_start_params("Codex.thread_start", {"model": "m"}, default_cwd=cwd) == {
        "approvalPolicy": "on-request",
        "approvalsReviewer": "user",
        "cwd": cwd,
        "model": "m",
    }
    resume = thread_resume_params(
        "Codex.thread_resume", "t", {"include_turns": False, "personality": "friendly", "model": "m", "cwd": cwd}
    )
    assert resume == {"threadId": "t", "cwd": cwd, "excludeTurns": True, "model": "m", "personality": "friendly"}
    fork = thread_fork_params("Codex.thread_fork", "t", {"ephemeral": True, "thread_source": "user"})
    assert fork == {"threadId": "t", "ephemeral": True, "threadSource": "user"}
