"""The request kinds of the engine's older API, commands that cannot be split into words, and
how the policies of ``codex.policies`` read them (docs/tools-and-approvals.md, "Request kinds"
and "Policies"). Pure models: no engine involved.
"""

from __future__ import annotations

import pytest

from codex import policies
from codex.approvals import (
    Allow,
    ApprovalRequest,
    CommandApprovalRequest,
    Decision,
    Deny,
    DynamicToolCallRequest,
    FileChangeApprovalRequest,
    LegacyExecApprovalRequest,
    LegacyPatchApprovalRequest,
    UnknownRequest,
    parse_request,
)


def _verdict(opinion: Decision | None) -> str:
    return "none" if opinion is None else "allow" if isinstance(opinion, Allow) else "deny"


def legacy_exec(*command: str, cwd: str | None = None) -> ApprovalRequest:
    return parse_request(
        "execCommandApproval", {"conversationId": "t", "callId": "c", "command": list(command), "cwd": cwd}
    )


def legacy_patch(*paths: str, grant_root: str | None = None) -> ApprovalRequest:
    changes = {path: {"type": "add", "content": ""} for path in paths}
    return parse_request(
        "applyPatchApproval", {"conversationId": "t", "callId": "c", "fileChanges": changes, "grantRoot": grant_root}
    )


# -- the older API's answers --------------------------------------------------------------------


def test_a_legacy_command_approval_answers_in_the_older_apis_review_decisions() -> None:
    request = legacy_exec("git", "push")
    assert isinstance(request, LegacyExecApprovalRequest)
    assert (request.kind, request.command, request.call_id) == ("command", ["git", "push"], "c")
    assert request.result_for(Allow()) == {"decision": "approved"}
    assert request.result_for(Allow(for_session=True)) == {"decision": "approved_for_session"}
    assert request.result_for(Allow(execpolicy_amendment=("git", "push"))) == {
        "decision": {"approved_execpolicy_amendment": {"proposed_execpolicy_amendment": ["git", "push"]}}
    }
    assert request.result_for(Deny(cancel=True)) == {"decision": "abort"}


def test_a_legacy_patch_approval_answers_in_the_older_apis_review_decisions() -> None:
    request = legacy_patch("/src/a.py")
    assert isinstance(request, LegacyPatchApprovalRequest)
    assert request.kind == "file_change"
    assert request.result_for(Allow()) == {"decision": "approved"}
    assert request.result_for(Allow(for_session=True)) == {"decision": "approved_for_session"}
    assert request.result_for(Deny("not in src")) == {"decision": {"denied": {"rejection": "not in src"}}}
    assert request.result_for(Deny(cancel=True)) == {"decision": "abort"}


def test_a_file_change_is_accepted_and_a_refused_tool_call_tells_the_model_why() -> None:
    change = parse_request("item/fileChange/requestApproval", {"itemId": "i", "grantRoot": "/src"})
    assert isinstance(change, FileChangeApprovalRequest)
    assert change.result_for(Allow()) == {"decision": "accept"}
    assert change.result_for(Allow(for_session=True)) == {"decision": "acceptForSession"}
    assert change.result_for(Deny(cancel=True)) == {"decision": "cancel"}
    call = parse_request("item/tool/call", {"callId": "call-1", "tool": "add", "arguments": {"a": 1}})
    assert isinstance(call, DynamicToolCallRequest)
    assert call.result_for(Deny("tools are off")) == {
        "contentItems": [{"type": "inputText", "text": "tools are off"}],
        "success": False,
    }


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("execCommandApproval", {"command": "not a list", "callId": "c"}),
        ("item/fileChange/requestApproval", {"grantRoot": 5}),
        ("item/tool/requestUserInput", {"questions": [{"header": "no id"}]}),
    ],
)
def test_a_known_request_with_params_of_the_wrong_shape_becomes_unknown(method: str, params: dict[str, object]) -> None:
    request = parse_request(method, params)
    assert isinstance(request, UnknownRequest)
    assert (request.request_method, request.params) == (method, params)
    assert request.result_for(Allow()) is None  # never allowed


def test_params_that_are_not_an_object_become_an_unknown_request_with_empty_params() -> None:
    request = parse_request("item/somethingNew", ["a", "list"])
    assert isinstance(request, UnknownRequest)
    assert request.params == {}


# -- commands and their words -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "script", "argv"),
    [
        ("/bin/bash -lc 'pytest -q'", "pytest -q", ["/bin/bash", "-lc", "pytest -q"]),
        ("zsh -c 'ls'", "ls", ["zsh", "-c", "ls"]),
        ("python -c 'print(1)'", "python -c 'print(1)'", ["python", "-c", "print(1)"]),
        ("bash -x 'ls'", "bash -x 'ls'", ["bash", "-x", "ls"]),
        ("echo 'unterminated", "echo 'unterminated", []),
        (None, "", []),
    ],
)
def test_a_commands_script_is_the_shell_wrappers_script_else_the_command(
    command: str | None, script: str, argv: list[str]
) -> None:
    request = CommandApprovalRequest(command=command)
    assert (request.script, request.argv) == (script, argv)


def test_allow_commands_never_matches_a_script_it_cannot_split() -> None:
    allow = policies.allow_commands(prefixes=["echo"])
    assert _verdict(allow.decide(CommandApprovalRequest(command="echo 'unterminated"))) == "none"
    assert _verdict(allow.decide(CommandApprovalRequest(command="echo fine"))) == "allow"


def test_allow_commands_compares_a_legacy_command_word_by_word() -> None:
    allow = policies.allow_commands(exact=[["git", "status"]], prefixes=["ls -l"], for_session=True)
    assert allow.decide(legacy_exec("git", "status")) == Allow(for_session=True)
    assert _verdict(allow.decide(legacy_exec("ls", "-l", "/tmp"))) == "allow"
    assert _verdict(allow.decide(legacy_exec("git", "status", "--short"))) == "none"
    assert _verdict(allow.decide(legacy_exec())) == "none"  # no words: never a match


def test_deny_paths_reads_legacy_commands_and_patches() -> None:
    deny = policies.deny_paths(["/etc"], reason="system files")
    assert deny.decide(legacy_exec("cat", "/etc/passwd")) == Deny("system files")
    assert _verdict(deny.decide(legacy_exec("cat", "notes.txt"))) == "none"  # no path in it
    assert _verdict(deny.decide(legacy_patch("/etc/hosts"))) == "deny"
    assert _verdict(deny.decide(legacy_patch("/srv/a.py", grant_root="/etc"))) == "deny"
    assert _verdict(deny.decide(legacy_patch("/srv/a.py", grant_root="/srv"))) == "none"
    assert _verdict(deny.decide(parse_request("attestation/generate", {}))) == "none"


def test_deny_paths_resolves_relative_words_against_the_cwd_and_reads_assignments() -> None:
    deny = policies.deny_paths(["/w/secrets"])
    inside = CommandApprovalRequest(command="cat secrets/key", cwd="/w")
    assigned = CommandApprovalRequest(command="env OUT=/w/secrets/x make", cwd="/tmp")
    elsewhere = CommandApprovalRequest(command="cat secrets/key", cwd="/v")
    no_cwd = CommandApprovalRequest(command="cat secrets/key")
    assert [_verdict(deny.decide(request)) for request in (inside, assigned, elsewhere, no_cwd)] == [
        "deny",
        "deny",
        "none",
        "none",
    ]


def test_shlex_words_splits_redirects_and_gives_nothing_for_an_unbalanced_quote() -> None:
    assert policies.shlex_words("cat a>/etc/out") == ["cat", "a", ">", "/etc/out"]
    assert policies.shlex_words("echo 'open") == []
    deny = policies.deny_paths(["/etc"])
    assert _verdict(deny.decide(CommandApprovalRequest(command="echo hi>/etc/motd", cwd="/w"))) == "deny"


def test_read_only_denies_the_older_apis_commands_and_patches() -> None:
    read_only = policies.read_only()
    assert read_only.decide(legacy_exec("ls")) == Deny("read-only: no changes allowed")
    assert read_only.decide(legacy_patch("/a")) == Deny("read-only: no changes allowed")
