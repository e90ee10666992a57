"""Wire params for thread administration (list, resume, fork, rollback, goals).

Shared by the sync and async clients so both send exactly the same requests.
Enum arguments may be our enums, ``openai_codex``'s enums or their plain string values.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from . import _validate
from .errors import ConfigurationError, NotSupportedError
from .events import JsonObject
from .sandbox import ApprovalMode, SandboxSetting, approval_settings, sandbox_mode, sandbox_thread_config


def _wire(value: object) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


def _compact(params: dict[str, Any]) -> JsonObject:
    return {key: _wire(value) for key, value in params.items() if value is not None}


def thread_list_params(
    *,
    archived: bool | None,
    cursor: str | None,
    cwd: str | Sequence[str] | None,
    limit: int | None,
    model_providers: Sequence[str] | None,
    search_term: str | None,
    section_id: str | None,
    sort_direction: object | None,
    sort_key: object | None,
    source_kinds: Sequence[object] | None,
    use_state_db_only: bool | None,
) -> JsonObject:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ConfigurationError(f"limit must be a positive int, got {limit!r}")
    if section_id is not None:
        # The embedded engine's thread/list has no sections; silently listing everything would mislead.
        raise NotSupportedError("section_id= needs a newer engine than the one embedded here")
    if sort_key == "section_position":
        raise NotSupportedError(
            "sort_key=ThreadSortKey.section_position needs a newer engine than the one embedded here"
        )
    return _compact(
        {
            "archived": archived,
            "cursor": cursor,
            "cwd": list(cwd) if isinstance(cwd, list | tuple) else cwd,
            "limit": limit,
            "modelProviders": list(model_providers) if model_providers is not None else None,
            "searchTerm": search_term,
            "sortDirection": sort_direction,
            "sortKey": sort_key,
            "sourceKinds": list(source_kinds) if source_kinds is not None else None,
            "useStateDbOnly": use_state_db_only or None,
        }
    )


def thread_resume_params(
    thread_id: str,
    *,
    approval_mode: ApprovalMode | None,
    base_instructions: str | None,
    config: JsonObject | None,
    cwd: str | None,
    developer_instructions: str | None,
    include_turns: bool | None,
    model: str | None,
    model_provider: str | None,
    personality: object | None,
    sandbox: SandboxSetting | None,
    service_tier: str | None,
) -> JsonObject:
    _require_thread_id(thread_id)
    params = _compact(
        {
            "threadId": thread_id,
            "baseInstructions": base_instructions,
            "config": _with_sandbox_config(config, sandbox),
            "cwd": _validate.check_directory("cwd", cwd),
            "developerInstructions": developer_instructions,
            "excludeTurns": None if include_turns is None else not include_turns,
            "model": model,
            "modelProvider": model_provider,
            "personality": personality,
            "sandbox": sandbox_mode(sandbox),
            "serviceTier": service_tier,
        }
    )
    params.update(approval_settings(approval_mode))
    return params


def thread_fork_params(
    thread_id: str,
    *,
    approval_mode: ApprovalMode | None,
    base_instructions: str | None,
    config: JsonObject | None,
    cwd: str | None,
    developer_instructions: str | None,
    ephemeral: bool | None,
    include_turns: bool | None,
    model: str | None,
    model_provider: str | None,
    sandbox: SandboxSetting | None,
    service_tier: str | None,
    thread_source: object | None,
) -> JsonObject:
    _require_thread_id(thread_id)
    params = _compact(
        {
            "threadId": thread_id,
            "baseInstructions": base_instructions,
            "config": _with_sandbox_config(config, sandbox),
            "cwd": _validate.check_directory("cwd", cwd),
            "developerInstructions": developer_instructions,
            "ephemeral": ephemeral,
            "excludeTurns": None if include_turns is None else not include_turns,
            "model": model,
            "modelProvider": model_provider,
            "sandbox": sandbox_mode(sandbox),
            "serviceTier": service_tier,
            "threadSource": thread_source,
        }
    )
    params.update(approval_settings(approval_mode))
    return params


def _with_sandbox_config(config: JsonObject | None, sandbox: SandboxSetting | None) -> JsonObject | None:
    _validate.check_config_dict("config", config)
    # As in thread/start: a policy's options travel as config overrides; explicit config= wins.
    extra = sandbox_thread_config(sandbox)
    return {**extra, **(config or {})} if extra else config


def rollback_params(thread_id: str, num_turns: int) -> JsonObject:
    if not isinstance(num_turns, int) or isinstance(num_turns, bool) or num_turns < 1:
        raise ConfigurationError(f"num_turns must be a positive int, got {num_turns!r}")
    return {"threadId": thread_id, "numTurns": num_turns}


def goal_set_params(
    thread_id: str,
    objective: str | None,
    *,
    status: object | None,
    token_budget: int | None,
) -> JsonObject:
    if objective is not None and (not isinstance(objective, str) or not objective.strip()):
        raise ConfigurationError("a goal objective must be a nonempty string")
    if objective is None and status is None and token_budget is None:
        raise ConfigurationError("give an objective, a status or a token_budget")
    if token_budget is not None and (not isinstance(token_budget, int) or token_budget < 1):
        raise ConfigurationError(f"token_budget must be a positive int, got {token_budget!r}")
    return _compact({"threadId": thread_id, "objective": objective, "status": status, "tokenBudget": token_budget})


def _require_thread_id(thread_id: object) -> None:
    if not isinstance(thread_id, str) or not thread_id.strip():
        raise ConfigurationError(f"thread_id must be a nonempty string, got {thread_id!r}")
