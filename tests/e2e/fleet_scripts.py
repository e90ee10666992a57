"""What the mock "model" says to fleet tasks, and the tools and approval callback tasks name.

Fleet workers import this module by name (tools, callbacks and structured-output classes
travel as import paths or pickled references), so it holds nothing but those.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from pydantic import BaseModel

from codex import tool
from codex.approvals import Allow, ApprovalRequest, CommandApprovalRequest, Decision, Deny
from codex.testing import MockResponsesServer, RecordedRequest, responses
from codex.testing.responses import ScriptedResponse

MARK = re.compile(r"TASK\[([\w-]+)\] (\w+)")


class Answer(BaseModel):
    task: str
    count: int


@tool
def lookup(key: str) -> str:
    """Looks a key up (runs inside the fleet worker that owns the thread)."""
    return f"value-of-{key}-from-pid-{os.getpid()}"


@tool
def crash_once(marker: str) -> str:
    """Kills the worker process it runs in, the first time it is called with ``marker``."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return "survived"


#: What a task's ``tools=`` names: imported by each worker, since tool objects do not pickle.
FLEET_TOOLS = [lookup, crash_once]


def allow_fleet_echo(request: ApprovalRequest) -> Decision:
    """A task's approval callback (named by import path): allows only the fleet's echo."""
    if isinstance(request, CommandApprovalRequest) and request.script.startswith("echo approved-in-worker"):
        return Allow()
    return Deny()


def task_of(request: RecordedRequest) -> tuple[str, str] | None:
    for text in request.input_texts():
        found = MARK.search(text)
        if found:
            return found.group(1), found.group(2)
    return None


def fleet_responder(request: RecordedRequest) -> ScriptedResponse:
    """What the model says to ``TASK[id] action``: every task's turn is scripted by its prompt."""
    marked = task_of(request)
    if marked is None:
        return responses.text("no task in this request")
    task_id, action = marked
    outputs = request.tool_outputs()
    if outputs and action == "crash":
        return responses.text(f"{task_id} {outputs[-1].get('output')}")
    if action == "crash":
        marker = request.input_texts()[-1].split(" crash ", 1)[1]
        return responses.function_call("crash_once", {"marker": marker})
    if outputs and action == "tool":
        return responses.text(f"the tool said {outputs[-1].get('output')}")
    if outputs:
        return responses.text(f"{task_id} is done")
    if action == "tool":
        return responses.function_call("lookup", {"key": task_id})
    if action == "escalate":
        # The target directory is the rest of the prompt; writing there needs an approval.
        target = request.input_texts()[-1].split(" escalate ", 1)[1]
        command = f"echo approved-in-worker > {target}/{task_id}.txt"
        arguments = {"cmd": command, "sandbox_permissions": "require_escalated", "justification": "fleet"}
        return responses.function_call("exec_command", arguments)
    if action == "write":
        return responses.apply_patch(responses.add_file_patch(f"notes-{task_id}.md", f"written by {task_id}"))
    if action == "fail":
        return responses.http_error(500, f"the mock fails {task_id}")
    if action == "slow":
        # Far longer than any timeout here: only an interrupt ends it early.
        return responses.slow_stream(["still ", "thinking "] * 60, delay_s=0.5)
    if action == "reject":
        return responses.http_error(400, f"the mock rejects {task_id}")
    if action == "json":
        return responses.structured({"task": task_id, "count": 7})
    if action == "badjson":
        return responses.structured({"task": task_id})
    return responses.text(f"answer for {task_id}")


def requests_for(mock: MockResponsesServer, task_id: str) -> int:
    return sum(1 for request in mock.response_requests if (task_of(request) or ("",))[0] == task_id)
