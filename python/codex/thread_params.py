"""Wire params for threads (start, list, resume, fork, rollback, goals).

Shared by the sync and async clients so both send exactly the same requests.
Enum arguments may be our enums, ``openai_codex``'s enums or their plain string values.

The keyword options of ``thread_start``, ``thread_list``, ``thread_resume`` and
``thread_fork`` are listed once each, as a TypedDict (:class:`ThreadStartOptions`, ...):
the methods take ``**options: Unpack[...]`` (what type checkers check a call against) and
:func:`spelled_out` gives them the signature they would have with every option written out
(what ``help()``, ``inspect.signature`` and IDEs reading the live object show). The builders
below take the options as given and reject a name the list lacks, with Python's own words.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from . import _validate
from .errors import ConfigurationError, NotSupportedError
from .events import JsonObject
from .mcp import mcp_config_overrides
from .sandbox import ApprovalMode, SandboxSetting, approval_settings, sandbox_mode, sandbox_thread_config

if TYPE_CHECKING:
    from .mcp import McpHttpServer, McpStdioServer

F = TypeVar("F", bound=Callable[..., Any])


def spelled_out(options: type, **defaults: object) -> Callable[[F], F]:
    """Gives a method taking ``**options: Unpack[options]`` the signature it would have with
    every option written out (keyword-only, default None unless ``defaults`` says otherwise),
    before the method's own keyword-only parameters, so ``help()`` shows the keywords."""

    def decorate(method: F) -> F:
        signature = inspect.signature(method)
        own = [param for param in signature.parameters.values() if param.kind is not inspect.Parameter.VAR_KEYWORD]
        first_keyword = next(
            (index for index, param in enumerate(own) if param.kind is inspect.Parameter.KEYWORD_ONLY), len(own)
        )
        # The module's annotations are strings (``from __future__ import annotations``); a
        # TypedDict keeps them as forward references.
        expanded = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=defaults.get(name),
                annotation=getattr(hint, "__forward_arg__", hint),
            )
            for name, hint in options.__annotations__.items()
        ]
        parameters = [*own[:first_keyword], *expanded, *own[first_keyword:]]
        method.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        return method

    return decorate


def check_option_names(caller: str, options: Mapping[str, object], allowed: type) -> None:
    """Raises what Python says for a keyword the signature lacks, as if the options were spelled out."""
    names = allowed.__annotations__
    for name in options:
        if name not in names:
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")


class ThreadStartOptions(TypedDict, total=False):
    """The keyword options of ``thread_start()`` sent as thread/start params."""

    approval_mode: ApprovalMode
    base_instructions: str | None
    config: JsonObject | None
    cwd: str | None
    developer_instructions: str | None
    ephemeral: bool | None
    model: str | None
    model_provider: str | None
    personality: str | None
    sandbox: SandboxSetting | None
    mcp_servers: Sequence[McpStdioServer | McpHttpServer] | None
    service_name: str | None
    service_tier: str | None
    session_start_source: str | None
    thread_source: str | None


#: The thread_start options whose default is not None.
THREAD_START_DEFAULTS: dict[str, object] = {"approval_mode": ApprovalMode.auto_review}


class ThreadListOptions(TypedDict, total=False):
    """The keyword options of ``thread_list()``."""

    archived: bool | None
    cursor: str | None
    cwd: str | Sequence[str] | None
    limit: int | None
    model_providers: list[str] | None
    search_term: str | None
    section_id: str | None
    sort_direction: object | None
    sort_key: object | None
    source_kinds: list[object] | None
    use_state_db_only: bool | None


class ThreadResumeOptions(TypedDict, total=False):
    """The keyword options of ``thread_resume()``."""

    approval_mode: ApprovalMode | None
    base_instructions: str | None
    config: JsonObject | None
    cwd: str | None
    developer_instructions: str | None
    include_turns: bool | None
    model: str | None
    model_provider: str | None
    personality: object | None
    sandbox: SandboxSetting | None
    service_tier: str | None


class ThreadForkOptions(TypedDict, total=False):
    """The keyword options of ``thread_fork()``."""

    approval_mode: ApprovalMode | None
    base_instructions: str | None
    config: JsonObject | None
    cwd: str | None
    developer_instructions: str | None
    ephemeral: bool | None
    include_turns: bool | None
    model: str | None
    model_provider: str | None
    sandbox: SandboxSetting | None
    service_tier: str | None
    thread_source: object | None


def _wire(value: object) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


def _compact(params: dict[str, Any]) -> JsonObject:
    return {key: _wire(value) for key, value in params.items() if value is not None}


def thread_start_params(caller: str, options: ThreadStartOptions, *, default_cwd: str | None) -> JsonObject:
    """thread/start params (without the thread's tools); ``default_cwd`` is the client's."""
    check_option_names(caller, options, ThreadStartOptions)
    config = options.get("config")
    _validate.check_config_dict("config", config)
    cwd = options.get("cwd")
    cwd = _validate.check_directory("cwd", cwd if cwd is not None else default_cwd)
    params: dict[str, Any] = dict(approval_settings(options.get("approval_mode", ApprovalMode.auto_review)))
    sandbox = options.get("sandbox")
    # Sandbox options and MCP servers travel as config overrides; explicit config= wins.
    extra_config = {**sandbox_thread_config(sandbox), **mcp_config_overrides(options.get("mcp_servers"))}
    if extra_config:
        config = {**extra_config, **(config or {})}
    optional = {
        "baseInstructions": options.get("base_instructions"),
        "config": config,
        "cwd": cwd,
        "developerInstructions": options.get("developer_instructions"),
        "ephemeral": options.get("ephemeral"),
        "model": options.get("model"),
        "modelProvider": options.get("model_provider"),
        "personality": options.get("personality"),
        "sandbox": sandbox_mode(sandbox),
        "serviceName": options.get("service_name"),
        "serviceTier": options.get("service_tier"),
        "sessionStartSource": options.get("session_start_source"),
        "threadSource": options.get("thread_source"),
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    return params


def thread_list_params(caller: str, options: ThreadListOptions) -> JsonObject:
    check_option_names(caller, options, ThreadListOptions)
    limit = options.get("limit")
    section_id = options.get("section_id")
    sort_key = options.get("sort_key")
    cwd = options.get("cwd")
    model_providers = options.get("model_providers")
    source_kinds = options.get("source_kinds")
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
            "archived": options.get("archived"),
            "cursor": options.get("cursor"),
            "cwd": list(cwd) if isinstance(cwd, list | tuple) else cwd,
            "limit": limit,
            "modelProviders": list(model_providers) if model_providers is not None else None,
            "searchTerm": options.get("search_term"),
            "sortDirection": options.get("sort_direction"),
            "sortKey": sort_key,
            "sourceKinds": list(source_kinds) if source_kinds is not None else None,
            "useStateDbOnly": options.get("use_state_db_only") or None,
        }
    )


def thread_resume_params(caller: str, thread_id: str, options: ThreadResumeOptions) -> JsonObject:
    check_option_names(caller, options, ThreadResumeOptions)
    _require_thread_id(thread_id)
    params = _compact(
        {
            "threadId": thread_id,
            **_thread_config_params(options),
            "personality": options.get("personality"),
        }
    )
    params.update(approval_settings(options.get("approval_mode")))
    return params


def thread_fork_params(caller: str, thread_id: str, options: ThreadForkOptions) -> JsonObject:
    check_option_names(caller, options, ThreadForkOptions)
    _require_thread_id(thread_id)
    params = _compact(
        {
            "threadId": thread_id,
            **_thread_config_params(options),
            "ephemeral": options.get("ephemeral"),
            "threadSource": options.get("thread_source"),
        }
    )
    params.update(approval_settings(options.get("approval_mode")))
    return params


def _thread_config_params(options: ThreadResumeOptions | ThreadForkOptions) -> dict[str, Any]:
    """What thread/resume and thread/fork send alike (None values dropped by the caller)."""
    include_turns = options.get("include_turns")
    sandbox = options.get("sandbox")
    return {
        "baseInstructions": options.get("base_instructions"),
        "config": _with_sandbox_config(options.get("config"), sandbox),
        "cwd": _validate.check_directory("cwd", options.get("cwd")),
        "developerInstructions": options.get("developer_instructions"),
        "excludeTurns": None if include_turns is None else not include_turns,
        "model": options.get("model"),
        "modelProvider": options.get("model_provider"),
        "sandbox": sandbox_mode(sandbox),
        "serviceTier": options.get("service_tier"),
    }


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
    if token_budget is not None and (
        not isinstance(token_budget, int) or isinstance(token_budget, bool) or token_budget < 1
    ):
        raise ConfigurationError(f"token_budget must be a positive int, got {token_budget!r}")
    return _compact({"threadId": thread_id, "objective": objective, "status": status, "tokenBudget": token_budget})


def _require_thread_id(thread_id: object) -> None:
    if not isinstance(thread_id, str) or not thread_id.strip():
        raise ConfigurationError(f"thread_id must be a nonempty string, got {thread_id!r}")
