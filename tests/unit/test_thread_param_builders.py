"""The wire params of thread requests (codex.thread_params): start, list, resume, fork, rollback and
goals. Options combine as documented, enums go out as their values, and bad values raise
ConfigurationError (or NotSupportedError for what the embedded engine lacks) before any request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex import (
    ApprovalMode,
    ConfigurationError,
    McpStdioServer,
    NotSupportedError,
    Sandbox,
    SandboxPolicy,
)
from codex.protocol.models import SortDirection, ThreadGoalStatus, ThreadSortKey, ThreadSourceKind
from codex.thread_params import (
    goal_set_params,
    rollback_params,
    thread_fork_params,
    thread_list_params,
    thread_resume_params,
    thread_start_params,
)

ROOTS_KEY = "sandbox_workspace_write.writable_roots"
NETWORK_KEY = "sandbox_workspace_write.network_access"


def _start(options: dict[str, Any], default_cwd: str | None = None) -> dict[str, Any]:
    return thread_start_params("Codex.thread_start", options, default_cwd=default_cwd)  # type: ignore[arg-type]


# -- thread/start ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "approval"),
    [
        (ApprovalMode.auto_review, {"approvalPolicy": "on-request", "approvalsReviewer": "user"}),
        (ApprovalMode.deny_all, {"approvalPolicy": "never"}),
        (ApprovalMode.untrusted, {"approvalPolicy": "untrusted", "approvalsReviewer": "user"}),
    ],
)
def test_each_approval_mode_sends_its_policy(mode: ApprovalMode, approval: dict[str, str]) -> None:
    assert _start({"approval_mode": mode}) == approval


def test_without_options_a_thread_starts_with_auto_review_and_nothing_else() -> None:
    assert _start({}) == {"approvalPolicy": "on-request", "approvalsReviewer": "user"}


@pytest.mark.parametrize("mode", ["deny_all", "auto_review", 1])
def test_an_approval_mode_must_be_the_enum(mode: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^approval_mode must be one of: ApprovalMode\.deny_all, "):
        _start({"approval_mode": mode})


def test_the_clients_cwd_is_the_default_and_a_threads_own_cwd_wins(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    assert _start({}, default_cwd=str(tmp_path))["cwd"] == str(tmp_path)
    assert _start({"cwd": str(own)}, default_cwd=str(tmp_path))["cwd"] == str(own)


def test_a_cwd_that_is_not_a_directory_is_refused_before_the_request(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^cwd='.*nowhere' is not an existing directory$"):
        _start({"cwd": str(tmp_path / "nowhere")})
    with pytest.raises(ConfigurationError, match=r"is not an existing directory$"):
        _start({}, default_cwd=str(tmp_path / "gone"))


def test_every_plain_option_travels_under_its_wire_name() -> None:
    options = {
        "base_instructions": "b",
        "developer_instructions": "d",
        "ephemeral": True,
        "model": "m",
        "model_provider": "p",
        "personality": "friendly",
        "service_name": "svc",
        "service_tier": "flex",
        "session_start_source": "startup",
        "thread_source": "user",
    }
    params = _start(options)
    assert params == {
        "approvalPolicy": "on-request",
        "approvalsReviewer": "user",
        "baseInstructions": "b",
        "developerInstructions": "d",
        "ephemeral": True,
        "model": "m",
        "modelProvider": "p",
        "personality": "friendly",
        "serviceName": "svc",
        "serviceTier": "flex",
        "sessionStartSource": "startup",
        "threadSource": "user",
    }


def test_false_is_sent_and_none_is_left_out() -> None:
    params = _start({"ephemeral": False, "model": None, "config": None})
    assert params["ephemeral"] is False
    assert "model" not in params
    assert "config" not in params


def test_a_sandbox_policys_options_travel_as_config_and_explicit_config_wins(tmp_path: Path) -> None:
    policy = SandboxPolicy(Sandbox.workspace_write, writable_roots=[tmp_path], network_access=True)
    params = _start({"sandbox": policy})
    assert params["sandbox"] == "workspace-write"
    assert params["config"] == {ROOTS_KEY: [str(tmp_path)], NETWORK_KEY: True}
    overridden = _start({"sandbox": policy, "config": {NETWORK_KEY: False, "model_reasoning_effort": "low"}})
    assert overridden["config"] == {ROOTS_KEY: [str(tmp_path)], NETWORK_KEY: False, "model_reasoning_effort": "low"}


def test_a_bare_sandbox_mode_adds_no_config() -> None:
    params = _start({"sandbox": Sandbox.read_only})
    assert params["sandbox"] == "read-only"
    assert "config" not in params


def test_mcp_servers_travel_as_config_beside_the_callers_config() -> None:
    server = McpStdioServer(name="files", command="mcp-files", args=["--root", "/srv"])
    params = _start({"mcp_servers": [server], "config": {"model": "m"}})
    assert params["config"]["model"] == "m"
    assert params["config"]["mcp_servers.files"] == server.engine_table()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"config": {"": 1}}, r"^config= keys must be nonempty strings"),
        ({"config": "model=m"}, r"^config= must be a dict of config keys to values, got str$"),
        ({"mcp_servers": "files"}, r"^mcp_servers must be a list of McpStdioServer / McpHttpServer objects$"),
        ({"sandbox": "read-only"}, r"^sandbox must be one of: Sandbox\."),
        (
            {"sandbox": SandboxPolicy(Sandbox.read_only, network_access=True)},
            r"^a read-only sandbox with network access can only be set per turn",
        ),
    ],
)
def test_a_bad_start_option_is_a_configuration_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _start(options)


# -- thread/list ------------------------------------------------------------------------------
def _list(options: dict[str, Any]) -> dict[str, Any]:
    return thread_list_params("Codex.thread_list", options)  # type: ignore[arg-type]


def test_list_options_go_out_with_enums_as_their_values() -> None:
    params = _list(
        {
            "archived": True,
            "cursor": "c-1",
            "cwd": ("/a", "/b"),
            "limit": 20,
            "model_providers": ("openai",),
            "search_term": "bug",
            "sort_direction": SortDirection.asc,
            "sort_key": ThreadSortKey.updated_at,
            "source_kinds": [ThreadSourceKind.cli, "vscode"],
            "use_state_db_only": True,
        }
    )
    assert params == {
        "archived": True,
        "cursor": "c-1",
        "cwd": ["/a", "/b"],
        "limit": 20,
        "modelProviders": ["openai"],
        "searchTerm": "bug",
        "sortDirection": "asc",
        "sortKey": "updated_at",
        "sourceKinds": ["cli", "vscode"],
        "useStateDbOnly": True,
    }


def test_an_empty_list_request_sends_no_params_and_false_state_db_only_is_left_out() -> None:
    assert _list({}) == {}
    assert _list({"use_state_db_only": False, "archived": False, "cwd": "/one"}) == {"archived": False, "cwd": "/one"}


@pytest.mark.parametrize("limit", [0, -3, True, 2.5, "10"])
def test_a_limit_must_be_a_positive_int(limit: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^limit must be a positive int, got "):
        _list({"limit": limit})


@given(st.integers(min_value=1))
def test_any_positive_limit_is_sent_as_given(limit: int) -> None:
    assert _list({"limit": limit}) == {"limit": limit}


def test_sections_need_a_newer_engine() -> None:
    with pytest.raises(NotSupportedError, match=r"^section_id= needs a newer engine"):
        _list({"section_id": "s"})
    for key in (ThreadSortKey.section_position, "section_position"):
        with pytest.raises(NotSupportedError, match=r"^sort_key=ThreadSortKey\.section_position needs a newer engine"):
            _list({"sort_key": key})


def test_an_unknown_list_option_raises_what_python_would() -> None:
    with pytest.raises(TypeError, match=r"^Codex\.thread_list\(\) got an unexpected keyword argument 'page'$"):
        _list({"page": 2})


# -- thread/resume and thread/fork ---------------------------------------------------------------
def test_resume_and_fork_send_only_what_was_given() -> None:
    assert thread_resume_params("Codex.thread_resume", "t-1", {}) == {"threadId": "t-1"}
    assert thread_fork_params("Codex.thread_fork", "t-1", {}) == {"threadId": "t-1"}


@pytest.mark.parametrize(("include", "exclude"), [(True, False), (False, True)])
def test_include_turns_is_sent_as_its_opposite(include: bool, exclude: bool) -> None:
    assert thread_resume_params("r", "t", {"include_turns": include})["excludeTurns"] is exclude
    assert thread_fork_params("f", "t", {"include_turns": include})["excludeTurns"] is exclude


def test_resume_and_fork_take_an_approval_mode_and_a_sandbox_like_start(tmp_path: Path) -> None:
    policy = SandboxPolicy(Sandbox.workspace_write, writable_roots=[tmp_path])
    options: Any = {
        "approval_mode": ApprovalMode.deny_all,
        "sandbox": policy,
        "config": {"model": "m"},
        "cwd": str(tmp_path),
        "base_instructions": "b",
        "developer_instructions": "d",
        "model_provider": "p",
        "service_tier": "flex",
    }
    expected = {
        "threadId": "t",
        "approvalPolicy": "never",
        "sandbox": "workspace-write",
        "config": {ROOTS_KEY: [str(tmp_path)], "model": "m"},
        "cwd": str(tmp_path),
        "baseInstructions": "b",
        "developerInstructions": "d",
        "modelProvider": "p",
        "serviceTier": "flex",
    }
    assert thread_resume_params("r", "t", options) == expected
    assert thread_fork_params("f", "t", options) == expected


def test_a_fork_sends_its_thread_source_enum_as_its_value() -> None:
    params = thread_fork_params("f", "t", {"thread_source": ThreadSourceKind.sub_agent, "ephemeral": False})
    assert params == {"threadId": "t", "threadSource": "subAgent", "ephemeral": False}


@pytest.mark.parametrize("thread_id", ["", "   ", None, 5])
def test_resume_and_fork_need_a_thread_id(thread_id: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^thread_id must be a nonempty string, got "):
        thread_resume_params("r", thread_id, {})
    with pytest.raises(ConfigurationError, match=r"^thread_id must be a nonempty string, got "):
        thread_fork_params("f", thread_id, {})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cwd": "/definitely/not/here"}, r"^cwd='/definitely/not/here' is not an existing directory$"),
        ({"config": {"x": object()}}, r"^config\['x'\] must be a JSON value"),
        ({"approval_mode": "never"}, r"^approval_mode must be one of: "),
    ],
)
def test_a_bad_resume_or_fork_option_is_a_configuration_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        thread_resume_params("r", "t", options)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=message):
        thread_fork_params("f", "t", options)  # type: ignore[arg-type]


# -- thread/rollback ---------------------------------------------------------------------------
@given(st.integers(min_value=1))
def test_a_rollback_of_any_positive_number_of_turns(num_turns: int) -> None:
    assert rollback_params("t", num_turns) == {"threadId": "t", "numTurns": num_turns}


@pytest.mark.parametrize("num_turns", [0, -1, True, 1.0, "2", None])
def test_a_rollback_needs_a_positive_int(num_turns: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^num_turns must be a positive int, got "):
        rollback_params("t", num_turns)


# -- thread/goal/set ---------------------------------------------------------------------------
def test_a_goal_sends_what_was_given_with_the_status_as_its_value() -> None:
    assert goal_set_params("t", "ship it", status=None, token_budget=None) == {"threadId": "t", "objective": "ship it"}
    assert goal_set_params("t", None, status=ThreadGoalStatus.usage_limited, token_budget=None) == {
        "threadId": "t",
        "status": "usageLimited",
    }
    assert goal_set_params("t", "x", status="paused", token_budget=500) == {
        "threadId": "t",
        "objective": "x",
        "status": "paused",
        "tokenBudget": 500,
    }


def test_a_goal_needs_something_to_set() -> None:
    with pytest.raises(ConfigurationError, match=r"^give an objective, a status or a token_budget$"):
        goal_set_params("t", None, status=None, token_budget=None)


@pytest.mark.parametrize("objective", ["", "  \n", 5])
def test_a_goal_objective_must_be_a_nonempty_string(objective: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^a goal objective must be a nonempty string$"):
        goal_set_params("t", objective, status=None, token_budget=None)


@pytest.mark.parametrize("token_budget", [0, -10, True, 1.5, "100"])
def test_a_token_budget_must_be_a_positive_int(token_budget: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"^token_budget must be a positive int, got "):
        goal_set_params("t", "x", status=None, token_budget=token_budget)
