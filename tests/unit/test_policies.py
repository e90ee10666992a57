"""Approval policies: the combinators' laws (hypothesis) and the built-in policies."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codex import policies
from codex.approvals import (
    Allow,
    ApprovalRequest,
    CommandApprovalRequest,
    Decision,
    Deny,
    ElicitationRequest,
    FileChangeApprovalRequest,
    PermissionsApprovalRequest,
    UnknownRequest,
    parse_request,
)
from codex.policies import Opinion, Policy

Verdict = Literal["allow", "deny", "none"]


def verdict(opinion: Opinion) -> Verdict:
    if isinstance(opinion, Allow):
        return "allow"
    if isinstance(opinion, Deny):
        return "deny"
    return "none"


# --------------------------------------------------------------------------- strategies
WORDS = ["git", "status", "ls", "-la", "rm", "-rf", "/etc", "~/.ssh/id", "pytest", "echo", "hi", "src/x.py"]

commands = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
scripts = st.one_of(commands, st.tuples(commands, st.sampled_from([" && ", "; ", " | ", " > "]), commands).map("".join))


def _command_request(script: str, cwd: str, read_only: bool) -> ApprovalRequest:
    action = "read" if read_only else "unknown"
    return CommandApprovalRequest(
        command=f"/bin/bash -lc '{script}'",
        cwd=cwd,
        command_actions=[{"type": action, "command": script}],
    )


requests: st.SearchStrategy[ApprovalRequest] = st.one_of(
    st.builds(_command_request, scripts, st.sampled_from(["/work", "/etc", "/home/u"]), st.booleans()),
    st.builds(lambda root: FileChangeApprovalRequest(grant_root=root), st.sampled_from([None, "/work", "/etc/x"])),
    st.builds(
        lambda write: PermissionsApprovalRequest(permissions={"fileSystem": {"write": write}}),
        st.lists(st.sampled_from(["/work", "/etc", "/tmp"]), max_size=2),
    ),
    st.just(ElicitationRequest(server_name="s", message="m")),
    st.just(UnknownRequest(request_method="future/thing")),
)

decisions: st.SearchStrategy[Opinion] = st.one_of(
    st.none(),
    st.builds(Allow, for_session=st.booleans()),
    st.builds(Deny, reason=st.sampled_from(["a", "b"]), cancel=st.booleans()),
)


def _constant(opinion: Opinion) -> Policy:
    return policies.policy(lambda _request: opinion)


def _by_kind(table: dict[str, Opinion]) -> Policy:
    return policies.policy(lambda request: table.get(request.kind))


base_policies: st.SearchStrategy[Policy] = st.one_of(
    decisions.map(_constant),
    st.dictionaries(st.sampled_from(["command", "file_change", "permissions", "mcp_elicitation"]), decisions).map(
        _by_kind
    ),
    st.builds(
        lambda exact, prefixes: policies.allow_commands(exact=exact, prefixes=prefixes),
        st.lists(commands, max_size=2),
        st.lists(commands, max_size=2),
    ),
    st.lists(st.sampled_from(["/etc", "~/.ssh", "/work/secret"]), min_size=1, max_size=2).map(policies.deny_paths),
    st.just(policies.read_only()),
    st.just(policies.allow_all()),
    st.just(policies.deny_all()),
    st.just(policies.no_opinion()),
)

policy_trees: st.SearchStrategy[Policy] = st.recursive(
    base_policies,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda ps: policies.all_of(*ps)),
        st.lists(children, min_size=1, max_size=3).map(lambda ps: policies.any_of(*ps)),
        st.lists(children, min_size=1, max_size=3).map(lambda ps: policies.first_match(*ps)),
    ),
    max_leaves=6,
)


# --------------------------------------------------------------------------- laws
@settings(deadline=None)
@given(policy_trees, requests)
def test_all_of_with_allow_all_is_the_policy_itself(p: Policy, request: ApprovalRequest) -> None:
    assert policies.all_of(p, policies.allow_all()).decide(request) == p.decide(request)
    assert policies.all_of(policies.allow_all(), p).decide(request) == p.decide(request)


@settings(deadline=None)
@given(policy_trees, requests)
def test_deny_dominates_all_of(p: Policy, request: ApprovalRequest) -> None:
    assert verdict(policies.all_of(p, policies.deny_all()).decide(request)) == "deny"
    assert verdict(policies.all_of(policies.deny_all(), p).decide(request)) == "deny"


@settings(deadline=None)
@given(policy_trees, requests)
def test_allow_dominates_any_of(p: Policy, request: ApprovalRequest) -> None:
    assert verdict(policies.any_of(p, policies.allow_all()).decide(request)) == "allow"


@settings(deadline=None)
@given(policy_trees, requests)
def test_no_opinion_is_the_identity_of_any_of_and_first_match(p: Policy, request: ApprovalRequest) -> None:
    for combined in (
        policies.any_of(p, policies.no_opinion()),
        policies.any_of(policies.no_opinion(), p),
        policies.first_match(p, policies.no_opinion()),
        policies.first_match(policies.no_opinion(), p),
    ):
        assert combined.decide(request) == p.decide(request)


@settings(deadline=None)
@given(policy_trees, policy_trees, requests)
def test_all_of_and_any_of_do_not_depend_on_order(p: Policy, q: Policy, request: ApprovalRequest) -> None:
    assert verdict(policies.all_of(p, q).decide(request)) == verdict(policies.all_of(q, p).decide(request))
    assert verdict(policies.any_of(p, q).decide(request)) == verdict(policies.any_of(q, p).decide(request))


@settings(deadline=None)
@given(policy_trees, policy_trees, policy_trees, requests)
def test_combinators_are_associative(p: Policy, q: Policy, r: Policy, request: ApprovalRequest) -> None:
    for combine in (policies.all_of, policies.any_of):
        left = combine(combine(p, q), r).decide(request)
        right = combine(p, combine(q, r)).decide(request)
        assert verdict(left) == verdict(right)
    assert policies.first_match(policies.first_match(p, q), r).decide(request) == policies.first_match(
        p, policies.first_match(q, r)
    ).decide(request)


@settings(deadline=None)
@given(policy_trees, requests)
def test_combinators_are_idempotent(p: Policy, request: ApprovalRequest) -> None:
    for combine in (policies.all_of, policies.any_of, policies.first_match):
        assert verdict(combine(p, p).decide(request)) == verdict(p.decide(request))


@settings(deadline=None)
@given(policy_trees, requests)
def test_a_policy_as_callback_fails_closed(p: Policy, request: ApprovalRequest) -> None:
    decision: Decision = p(request)
    assert isinstance(decision, (Allow, Deny))
    if p.decide(request) is None:
        assert isinstance(decision, Deny)


@settings(deadline=None)
@given(policy_trees, requests)
def test_operators_are_the_combinators(p: Policy, request: ApprovalRequest) -> None:
    q = policies.read_only()
    assert (p & q).decide(request) == policies.all_of(p, q).decide(request)
    assert (p | q).decide(request) == policies.any_of(p, q).decide(request)


def test_first_match_is_order_dependent() -> None:
    request = _command_request("ls", "/work", read_only=True)
    allow, deny = policies.allow_all(), policies.deny_all()
    assert verdict(policies.first_match(allow, deny).decide(request)) == "allow"
    assert verdict(policies.first_match(deny, allow).decide(request)) == "deny"


# --------------------------------------------------------------------------- built-in policies
@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("git status", "allow"),
        ("git   status", "allow"),
        ("git statusx", "none"),
        ("git status && rm -rf /", "none"),
        ("git status; rm -rf /", "none"),
        ("echo $(rm -rf /)", "none"),
        ("pytest -q tests", "allow"),
        ("pytest", "allow"),
        ("pytestx", "none"),
        ("ls > out.txt", "none"),
    ],
)
def test_allow_commands_matches_whole_words_and_never_shell_syntax(script: str, expected: Verdict) -> None:
    policy = policies.allow_commands(exact=["git status"], prefixes=["pytest", ["echo"]])
    assert verdict(policy.decide(_command_request(script, "/work", read_only=False))) == expected


def test_allow_commands_rejects_an_empty_entry() -> None:
    with pytest.raises(ValueError, match="empty"):
        policies.allow_commands(prefixes=[""])


@pytest.mark.parametrize(
    ("script", "cwd", "expected"),
    [
        ("cat /etc/passwd", "/work", "deny"),
        ("cat ../etc/passwd", "/", "deny"),
        ("cat notes.txt", "/etc", "deny"),
        ("cp a.txt --target=/etc/x", "/work", "deny"),
        ("cat /etcetera/x", "/work", "none"),
        ("echo hi > /etc/motd", "/work", "deny"),
        ("ls src/x.py", "/work", "none"),
    ],
)
def test_deny_paths(script: str, cwd: str, expected: Verdict) -> None:
    policy = policies.deny_paths(["/etc"])
    assert verdict(policy.decide(_command_request(script, cwd, read_only=False))) == expected


def test_deny_paths_covers_file_changes_and_permissions() -> None:
    policy = policies.deny_paths(["/etc"])
    assert verdict(policy.decide(FileChangeApprovalRequest(grant_root="/etc/nginx"))) == "deny"
    assert verdict(policy.decide(FileChangeApprovalRequest(grant_root="/srv"))) == "none"
    wants_etc = PermissionsApprovalRequest(permissions={"fileSystem": {"write": ["/etc"]}})
    assert verdict(policy.decide(wants_etc)) == "deny"


def test_read_only() -> None:
    policy = policies.read_only()
    assert verdict(policy.decide(_command_request("cat a", "/w", read_only=True))) == "allow"
    assert verdict(policy.decide(_command_request("touch a", "/w", read_only=False))) == "deny"
    assert verdict(policy.decide(FileChangeApprovalRequest())) == "deny"
    network = PermissionsApprovalRequest(permissions={"network": {"enabled": True}})
    assert verdict(policy.decide(network)) == "deny"
    assert verdict(policy.decide(ElicitationRequest())) == "none"


# --------------------------------------------------------------------------- wire answers
def test_every_request_kind_has_an_explicit_answer() -> None:
    """Each kind turns Allow/Deny into its own protocol answer; unknown kinds cannot be allowed."""
    command = parse_request("item/commandExecution/requestApproval", {"threadId": "t", "command": "ls"})
    assert command.result_for(Allow()) == {"decision": "accept"}
    assert command.result_for(Allow(for_session=True)) == {"decision": "acceptForSession"}
    assert command.result_for(Allow(execpolicy_amendment=["ls"])) == {
        "decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["ls"]}}
    }
    assert command.result_for(Deny()) == {"decision": "decline"}
    assert command.result_for(Deny(cancel=True)) == {"decision": "cancel"}
    change = parse_request("item/fileChange/requestApproval", {})
    assert change.result_for(Deny()) == {"decision": "decline"}
    permissions = parse_request("item/permissions/requestApproval", {"permissions": {"network": {"enabled": True}}})
    assert permissions.result_for(Allow()) == {"permissions": {"network": {"enabled": True}}, "scope": "turn"}
    assert permissions.result_for(Deny()) == {"permissions": {}, "scope": "turn"}
    elicitation = parse_request("mcpServer/elicitation/request", {"serverName": "s", "mode": "form", "message": "m"})
    assert elicitation.result_for(Allow(content={"x": 1})) == {"action": "accept", "content": {"x": 1}, "_meta": None}
    assert elicitation.result_for(Deny()) == {"action": "decline", "content": None, "_meta": None}
    user_input = parse_request("item/tool/requestUserInput", {"questions": [{"id": "q"}]})
    assert user_input.result_for(Allow(answers={"q": ["yes"]})) == {"answers": {"q": {"answers": ["yes"]}}}
    assert user_input.result_for(Allow()) is None
    assert parse_request("account/chatgptAuthTokens/refresh", {"reason": "unauthorized"}).result_for(Deny()) is None
    assert parse_request("attestation/generate", {}).result_for(Allow(result={"token": "t"})) == {"token": "t"}
    legacy = parse_request("execCommandApproval", {"command": ["ls"], "callId": "c"})
    assert legacy.result_for(Deny("no")) == {"decision": {"denied": {"rejection": "no"}}}
    unknown = parse_request("future/request", {"a": 1})
    assert isinstance(unknown, UnknownRequest)
    assert unknown.result_for(Allow()) is None


def test_the_read_only_actions_are_tags_of_the_generated_command_actions() -> None:
    """``read_only()`` names command actions by their wire tags; they must be the generated union's."""
    import typing

    from codex.policies import _READ_ACTIONS
    from codex.protocol import ProtocolModel, models

    tags = {
        typing.get_args(variant.model_fields["type"].annotation)[0]
        for name, variant in vars(models).items()
        if isinstance(variant, type)
        and name.endswith("CommandAction")
        and issubclass(variant, ProtocolModel)
        and typing.get_origin(variant.model_fields["type"].annotation) is typing.Literal
    }
    assert _READ_ACTIONS.issubset(tags)
