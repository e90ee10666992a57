"""Python functions the agent can call.

``@tool`` turns a function (sync or async) into a :class:`Tool`: its name, the
description from its docstring, and a JSON schema built by pydantic from its type
hints (or from an explicit pydantic model). The engine offers it to the model as a
*dynamic tool*; when the model calls it, the SDK validates the arguments, runs the
function in this process and sends the result back. A failure of any kind
(:class:`ToolError`, another exception, invalid arguments, a timeout) is reported to
the model as a failed call and the turn goes on.

Tools are given per client (``Codex(tools=[...])`` or ``codex.tools.register(...)``)
or per thread (``thread_start(tools=[...])``); a thread sees the tools registered
when it starts.
"""

from __future__ import annotations

import inspect
import itertools
import threading
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, overload

import pydantic
import pydantic_core
from pydantic import BaseModel, ConfigDict

# ToolError lives with the other errors; raise it inside a tool to tell the model the call failed.
from .errors import ConfigurationError, ToolError
from .events import JsonObject

__all__ = [
    "BUILTIN_TOOL_NAMES",
    "DEFAULT_TOOL_TIMEOUT_S",
    "Tool",
    "ToolError",
    "ToolHandle",
    "ToolRegistry",
    "tool",
]

#: How long a tool may run before the model is told it failed.
DEFAULT_TOOL_TIMEOUT_S = 60.0

#: Names of the engine's own tools (and names the engine reserves); a Python tool may not take them.
BUILTIN_TOOL_NAMES = frozenset(
    {
        "apply_patch",
        "close_agent",
        "container.exec",
        "create_goal",
        "exec",
        "exec_command",
        "get_context_remaining",
        "get_goal",
        "image_generation",
        "imagegen",
        "js_repl",
        "js_repl_reset",
        "list_agents",
        "list_available_plugins_to_install",
        "list_mcp_resource_templates",
        "list_mcp_resources",
        "local_shell",
        "mcp",
        "new_context",
        "read_mcp_resource",
        "request_permissions",
        "request_plugin_install",
        "request_user_input",
        "resume_agent",
        "send_input",
        "send_message",
        "shell",
        "shell_command",
        "spawn_agent",
        "tool_search",
        "tool_suggest",
        "update_goal",
        "update_plan",
        "view_image",
        "wait",
        "wait_agent",
        "wait_for_environment",
        "web_search",
        "write_stdin",
    }
)

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_NAME_MAX = 128

ToolFunction: TypeAlias = Callable[..., Any]


@dataclass(eq=False)
class Tool:
    """A Python function offered to the model. Calling the object calls the function."""

    name: str
    description: str
    input_model: type[BaseModel]
    function: ToolFunction
    #: Seconds before the call is reported as failed (None: no limit).
    timeout: float | None = DEFAULT_TOOL_TIMEOUT_S
    #: True when the function takes the validated input model as its single argument.
    takes_model: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigurationError(f"tool {self.name!r}: timeout must be positive, got {self.timeout!r}")

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.function)

    def input_schema(self) -> JsonObject:
        """The JSON schema of the arguments (no extra properties allowed)."""
        schema = self.input_model.model_json_schema()
        schema.pop("title", None)
        schema.setdefault("properties", {})
        schema["additionalProperties"] = False
        return schema

    def spec(self) -> JsonObject:
        """The thread/start ``dynamicTools`` entry for this tool."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema(),
        }

    # -- running ---------------------------------------------------------------
    def _bind(self, arguments: object) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Validates the model's arguments; raises ToolError when they do not fit."""
        if arguments is None:
            arguments = {}
        try:
            model = self.input_model.model_validate(arguments)
        except pydantic.ValidationError as exc:
            raise ToolError(f"invalid arguments for {self.name}: {_summarize(exc)}") from None
        if self.takes_model:
            return (model,), {}
        return (), {name: getattr(model, name) for name in type(model).model_fields}

    def run_sync(self, arguments: object) -> Any:
        """Validates and runs the tool in this thread (an async tool runs in a fresh event loop)."""
        args, kwargs = self._bind(arguments)
        if self.is_async:
            import asyncio

            return asyncio.run(self.function(*args, **kwargs))
        return self.function(*args, **kwargs)

    async def run_async(self, arguments: object) -> Any:
        """Validates and runs the tool; a sync tool runs in a worker thread."""
        import asyncio

        args, kwargs = self._bind(arguments)
        if self.is_async:
            return await self.function(*args, **kwargs)
        return await asyncio.to_thread(self.function, *args, **kwargs)


def _summarize(exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _check_name(name: str) -> None:
    if not name or not set(name) <= _NAME_CHARS or len(name) > _NAME_MAX:
        raise ConfigurationError(f"tool name {name!r} must be 1-{_NAME_MAX} characters of [a-zA-Z0-9_-]")
    if name in BUILTIN_TOOL_NAMES or name.startswith("mcp__"):
        raise ConfigurationError(f"tool name {name!r} is taken by one of the engine's built-in tools")


# --------------------------------------------------------------------------- results
def success_result(value: Any) -> JsonObject:
    """The item/tool/call answer for a returned value (text as is, anything else as JSON)."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = ""
    else:
        text = pydantic_core.to_json(value).decode()
    return {"contentItems": [{"type": "inputText", "text": text}], "success": True}


def failure_result(message: str) -> JsonObject:
    """The item/tool/call answer for a failed call; the model sees ``message``."""
    return {"contentItems": [{"type": "inputText", "text": message}], "success": False}


def error_message(tool_name: str, exc: BaseException) -> str:
    """What the model is told about an exception raised by a tool."""
    if isinstance(exc, ToolError):
        return str(exc) or f"{tool_name} failed"
    return f"{tool_name} raised {type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- decorator
def _input_model_from_signature(function: ToolFunction, name: str) -> type[BaseModel]:
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except Exception as exc:
        raise ConfigurationError(f"tool {name!r}: cannot resolve its type hints ({exc})") from None
    fields: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ConfigurationError(f"tool {name!r}: *args and **kwargs cannot be described to the model")
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise ConfigurationError(f"tool {name!r}: positional-only parameters are not supported")
        if parameter.name not in hints:
            raise ConfigurationError(f"tool {name!r}: parameter {parameter.name!r} needs a type hint")
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (hints[parameter.name], default)
    model_name = "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + "Arguments"
    created: type[BaseModel] = pydantic.create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)
    return created


def _make_tool(
    function: ToolFunction,
    *,
    name: str | None,
    description: str | None,
    input: type[BaseModel] | None,  # noqa: A002
    timeout: float | None,
) -> Tool:
    if isinstance(function, Tool):
        raise ConfigurationError(f"{function!r} is already a tool")
    if not callable(function):
        raise ConfigurationError(f"@tool needs a function, got {function!r}")
    tool_name: str = str(getattr(function, "__name__", "")) if name is None else name
    _check_name(tool_name)
    doc: str | None = description if description is not None else inspect.getdoc(function)
    if input is not None:
        if not (isinstance(input, type) and issubclass(input, BaseModel)):
            raise ConfigurationError(f"tool {tool_name!r}: input= must be a pydantic model class")
        parameters = list(inspect.signature(function).parameters.values())
        if len(parameters) != 1:
            raise ConfigurationError(f"tool {tool_name!r}: with input= the function takes exactly one argument")
        model = input
        takes_model = True
    else:
        model = _input_model_from_signature(function, tool_name)
        takes_model = False
    return Tool(
        name=tool_name,
        description=(doc or "").strip() or tool_name,
        input_model=model,
        function=function,
        timeout=timeout,
        takes_model=takes_model,
    )


@overload
def tool(function: ToolFunction, /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    input: type[BaseModel] | None = None,
    timeout: float | None = DEFAULT_TOOL_TIMEOUT_S,
) -> Callable[[ToolFunction], Tool]: ...


def tool(
    function: ToolFunction | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    input: type[BaseModel] | None = None,  # noqa: A002
    timeout: float | None = DEFAULT_TOOL_TIMEOUT_S,
) -> Tool | Callable[[ToolFunction], Tool]:
    """Makes a function (sync or async) a tool the agent can call.

    The arguments' schema comes from the type hints (validated by pydantic before
    the call), or from ``input=``, a pydantic model the function receives whole.
    The description is the docstring unless ``description=`` is given. A call
    running longer than ``timeout`` seconds is reported to the model as failed.
    The return value is sent back as text: a ``str`` as is, anything else as JSON.
    """

    def decorate(fn: ToolFunction) -> Tool:
        return _make_tool(fn, name=name, description=description, input=input, timeout=timeout)

    if function is not None:
        return decorate(function)
    return decorate


def as_tool(value: Tool | ToolFunction) -> Tool:
    """A :class:`Tool` as is; a plain function through ``@tool`` with its defaults."""
    return value if isinstance(value, Tool) else tool(value)


# --------------------------------------------------------------------------- registry
_handle_ids = itertools.count(1)


@dataclass(frozen=True)
class ToolHandle:
    """Identifies one registration; pass it to :meth:`ToolRegistry.unregister`."""

    name: str
    id: int = field(default_factory=lambda: next(_handle_ids))


class ToolRegistry:
    """A set of tools by name. Thread-safe; every registration returns a unique handle."""

    def __init__(self, tools: Iterable[Tool | ToolFunction] = ()) -> None:
        self._lock = threading.Lock()
        self._tools: dict[str, tuple[ToolHandle, Tool]] = {}
        for item in tools:
            self.register(item)

    def __repr__(self) -> str:
        return f"ToolRegistry({sorted(self.names())!r})"

    def register(self, value: Tool | ToolFunction) -> ToolHandle:
        """Adds a tool (a plain function goes through ``@tool``); its name must be free."""
        registered = as_tool(value)
        with self._lock:
            if registered.name in self._tools:
                raise ConfigurationError(f"a tool named {registered.name!r} is already registered")
            handle = ToolHandle(registered.name)
            self._tools[registered.name] = (handle, registered)
        return handle

    def unregister(self, handle: ToolHandle) -> None:
        """Removes the registration ``handle`` names; a stale handle raises KeyError."""
        with self._lock:
            current = self._tools.get(handle.name)
            if current is None or current[0] != handle:
                raise KeyError(f"{handle!r} is not registered here")
            del self._tools[handle.name]

    def get(self, name: str) -> Tool | None:
        with self._lock:
            entry = self._tools.get(name)
        return entry[1] if entry is not None else None

    def names(self) -> list[str]:
        with self._lock:
            return list(self._tools)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        with self._lock:
            tools = [entry[1] for entry in self._tools.values()]
        return iter(tools)

    def __len__(self) -> int:
        with self._lock:
            return len(self._tools)


def thread_tool_specs(client: ToolRegistry, thread: ToolRegistry | None) -> list[JsonObject]:
    """The ``dynamicTools`` of a new thread: the client's tools plus the thread's own."""
    specs = [item.spec() for item in client]
    if thread is not None:
        clashes = set(client.names()) & set(thread.names())
        if clashes:
            raise ConfigurationError(f"thread tools clash with the client's tools: {sorted(clashes)}")
        specs.extend(item.spec() for item in thread)
    return specs


def tools_registry(tools: Iterable[Tool | ToolFunction] | None) -> ToolRegistry | None:
    """A registry for a ``tools=`` argument (None stays None)."""
    if tools is None:
        return None
    if isinstance(tools, (Tool, str, bytes, Mapping)) or callable(tools) or not isinstance(tools, Iterable):
        raise ConfigurationError(f"tools= takes a list of tools, got {type(tools).__name__}")
    return ToolRegistry(tools)
