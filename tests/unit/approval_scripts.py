"""Approval requests as the engine sends them, and the steps the fake-engine dispatcher tests share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from codex import ApprovalResolved, Codex
from tests.fakes.fake_engine import Event, FakeEngine, ScriptedTurn

COMMAND = "item/commandExecution/requestApproval"
FILE_CHANGE = "item/fileChange/requestApproval"
PERMISSIONS = "item/permissions/requestApproval"
USER_INPUT = "item/tool/requestUserInput"
ELICITATION = "mcpServer/elicitation/request"
AUTH_REFRESH = "account/chatgptAuthTokens/refresh"
ATTESTATION = "attestation/generate"
STARTED_MS = 1_700_000_000_000

#: Params of each kind, as the engine sends them (threadId/turnId are added by ScriptedTurn.request).
PARAMS: dict[str, dict[str, Any]] = {
    COMMAND: {"itemId": "item-cmd", "startedAtMs": STARTED_MS, "command": "make clean", "cwd": "/workspace"},
    FILE_CHANGE: {"itemId": "item-patch", "startedAtMs": STARTED_MS, "reason": "outside the root", "grantRoot": "/src"},
    PERMISSIONS: {
        "itemId": "item-perm",
        "startedAtMs": STARTED_MS,
        "cwd": "/workspace",
        "reason": "needs the network",
        "permissions": {"network": {"enabled": True}},
    },
    USER_INPUT: {
        "itemId": "item-ask",
        "startedAtMs": STARTED_MS,
        "questions": [{"id": "color", "header": "Color", "question": "Which color?", "isOther": False}],
    },
    ELICITATION: {
        "serverName": "docs",
        "mode": "openai/form",
        "message": "Your name?",
        "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
    AUTH_REFRESH: {"reason": "unauthorized", "previousAccountId": "acct-1"},
    ATTESTATION: {},
}


AMENDED = {"decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["make", "clean"]}}}
ACCEPTED_FORM = {"action": "accept", "content": {"name": "Ada"}, "_meta": None}
#: Passes the type checks of Allow(...), fails json.dumps.
NOT_JSON: Any = [object()]
TOKENS = {"accessToken": "tok", "chatgptAccountId": "acct-1"}


def one_request(method: str, **params: Any) -> Callable[[ScriptedTurn], list[Event]]:
    """A turn that sends one server request and goes on (held by the fake) once it is answered."""

    def script(turn: ScriptedTurn) -> list[Event]:
        return [turn.started(), turn.request(method, **params), turn.agent_message("after"), turn.completed()]

    return script


def resolved(payloads: Sequence[object]) -> list[ApprovalResolved]:
    return [payload for payload in payloads if isinstance(payload, ApprovalResolved)]


def run_one(client: Codex, fake: FakeEngine, method: str, **thread_options: Any) -> list[object]:
    """Runs a turn with one ``method`` request on a new thread; the stream's payloads."""
    fake.script_turn(one_request(method, **PARAMS[method]))
    turn = client.thread_start(**thread_options).turn("go")
    return [event.payload for event in turn.stream()]


def only_reply(fake: FakeEngine) -> tuple[str, dict[str, Any] | tuple[int, str]]:
    """The one request the fake saw answered: ("answer", result) or ("error", (code, message))."""
    replies: list[tuple[str, Any]] = [("answer", answer) for answer in fake.answers.values()]
    replies += [("error", failure) for failure in fake.failed_requests.values()]
    assert len(replies) == 1, f"expected exactly one reply, got {replies}"
    return replies[0]
