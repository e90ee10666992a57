"""Bad input gets a typed exception and leaves the client usable."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex import (
    Codex,
    CodexConfig,
    CodexError,
    ConfigurationError,
    EngineStartError,
    InvalidParamsError,
    JsonRpcError,
    NotSupportedError,
)
from codex.testing import MockResponsesServer

from .conftest import client_kwargs


def test_invalid_options_raise_and_client_stays_usable(codex_mock: MockResponsesServer, codex_client: Codex) -> None:
    with pytest.raises(ConfigurationError):
        codex_client.thread_start(sandbox="everything")  # type: ignore[arg-type]
    thread = codex_client.thread_start()
    with pytest.raises(ConfigurationError):
        thread.run([])
    with pytest.raises(ConfigurationError):
        thread.run(object())  # type: ignore[arg-type]
    assert thread.run("fine").final_response == "Hello from the mock."


def test_engine_rejections_are_typed(codex_client: Codex) -> None:
    with pytest.raises(InvalidParamsError):
        codex_client._request("turn/start", {"threadId": 42})
    with pytest.raises(JsonRpcError):
        codex_client._request("thread/read", {"threadId": "no-such-thread"})
    assert codex_client.thread_start().id


def test_not_applicable_options_explain_themselves(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    with pytest.raises(NotSupportedError, match="inside this process"):
        Codex(CodexConfig(codex_bin="/usr/bin/codex"))
    with pytest.raises(NotSupportedError, match="environment"):
        Codex(CodexConfig(env={"PATH": "/bin"}))


def test_bad_override_fails_at_start_with_typed_error(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    config = CodexConfig(config_overrides=("sandbox_mode=42",))
    with pytest.raises(EngineStartError):
        Codex(config, **client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]


def test_unknown_config_keys_are_accepted_as_documented(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    """docs/errors-and-retries.md: unknown keys are ignored (forward compatibility), not an error."""
    config = CodexConfig(config_overrides=("no_such_key=1", "no_such_table.value='x'"))
    with Codex(config, **client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        thread = codex.thread_start(config={"another_unknown_key": 2})
        assert thread.run("hi").final_response == "Hello from the mock."


def test_wrong_helper_is_rejected(codex_mock: MockResponsesServer, codex_workspace: Path) -> None:
    config = CodexConfig(helper_path="/bin/true")
    # Asked while the configuration builds; its answer still decides the start.
    with pytest.raises(EngineStartError, match="is not the codex-embedded helper executable"):
        Codex(config, **client_kwargs(codex_mock, codex_workspace))  # type: ignore[arg-type]


def test_api_key_never_in_repr_or_logs(
    codex_mock: MockResponsesServer, codex_workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-super-secret-value"
    config = CodexConfig(api_key=secret)
    assert secret not in repr(config)
    assert secret not in str(config)
    with caplog.at_level(logging.DEBUG), Codex(config, base_url=codex_mock.base_url, cwd=str(codex_workspace)) as codex:
        assert secret not in repr(codex)
        codex.thread_start().run("hi")
    assert secret not in caplog.text
    assert codex_mock.response_requests[0].headers["authorization"] == f"Bearer {secret}"


# --------------------------------------------------------------------------- wrong types, one place
_WRONG_CONSTRUCTOR_ARGS: list[dict[str, object]] = [
    {"api_key": 1},
    {"cwd": 1},
    {"codex_home": 1},
    {"tools": 1},
    {"tools": [1]},
    {"approval_timeout": "x"},
    {"approval_timeout": float("nan")},
    {"approval_callback": "yes"},
    {"model": 3.5},
    {"mcp_servers": ["not a server"]},
    {"config": {"model": "x"}},
    {"base_url": "not a url"},
    {"base_url": "ftp://example.invalid/v1"},
    {"base_url": "http://"},
    {"base_url": 8080},
]


@pytest.mark.parametrize("bad", _WRONG_CONSTRUCTOR_ARGS, ids=lambda bad: "-".join(f"{k}={v!r}" for k, v in bad.items()))
def test_wrong_constructor_arguments_raise_configuration_error(
    codex_mock: MockResponsesServer, codex_workspace: Path, bad: dict[str, object]
) -> None:
    bad = dict(bad)
    config = bad.pop("config", None)
    kwargs = {**client_kwargs(codex_mock, codex_workspace), **bad}
    with pytest.raises(ConfigurationError) as raised:
        Codex(config, **kwargs) if config is not None else Codex(**kwargs)  # type: ignore[arg-type]
    assert type(raised.value) is ConfigurationError
    # Nothing was started or broken: the next client runs a turn.
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("after").final_response == "Hello from the mock."


@pytest.mark.parametrize(
    "field",
    [
        {"api_key": 1},
        {"base_url": "not a url"},
        {"config_overrides": [1]},
        {"env": {"OPENAI_API_KEY": 1}},
        {"channel_capacity": "big"},
        {"experimental_api": "yes"},
        {"helper_path": 7},
        {"request_max_retries": True},
    ],
    ids=lambda field: next(iter(field)),
)
def test_codex_config_checks_its_fields_when_built(field: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(field))):
        CodexConfig(**field)  # type: ignore[arg-type]


def test_codex_config_takes_paths_and_lists_where_they_make_sense(
    codex_mock: MockResponsesServer, codex_workspace: Path
) -> None:
    config = CodexConfig(cwd=codex_workspace, config_overrides=['model_reasoning_effort="low"'])  # type: ignore[arg-type]
    with Codex(config, base_url=codex_mock.base_url, api_key="sk-test") as codex:
        assert codex.thread_start().run("hi").final_response == "Hello from the mock."


def test_a_secret_given_with_the_wrong_type_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as raised:
        CodexConfig(api_key=b"sk-bytes-secret-value")  # type: ignore[arg-type]
    assert "sk-bytes-secret-value" not in str(raised.value)


def test_thread_options_without_a_json_form_raise_and_the_client_stays_usable(
    codex_mock: MockResponsesServer, codex_client: Codex, codex_workspace: Path
) -> None:
    with pytest.raises(ConfigurationError, match="'x'"):
        codex_client.thread_start(config={"x": object()})
    with pytest.raises(ConfigurationError):
        codex_client.thread_start(config=["model", "x"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not an existing directory"):
        codex_client.thread_start(cwd=str(codex_workspace / "missing"))
    thread = codex_client.thread_start()
    assert thread.run("one").final_response == "Hello from the mock."
    with pytest.raises(ConfigurationError):
        codex_client.thread_fork(thread.id, config={"x": {1, 2}})
    with pytest.raises(ConfigurationError, match="not an existing directory"):
        codex_client.thread_resume(thread.id, cwd=str(codex_workspace / "missing"))
    assert thread.run("two").final_response == "Hello from the mock."


def test_invalid_mcp_server_is_a_configuration_error() -> None:
    from codex import McpHttpServer, McpStdioServer

    with pytest.raises(ConfigurationError, match="name"):
        McpStdioServer(name="bad name!", command="true")
    with pytest.raises(ConfigurationError, match="command"):
        McpStdioServer(name="ok")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="startup_timeout_s"):
        McpHttpServer(name="ok", url="http://127.0.0.1:1/mcp", startup_timeout_s=-1)
    assert McpStdioServer(name="fine", command="true").name == "fine"


def test_turn_options_are_checked_before_the_turn_starts(
    codex_mock: MockResponsesServer, codex_client: Codex, codex_workspace: Path
) -> None:
    thread = codex_client.thread_start()
    with pytest.raises(ConfigurationError, match="retry"):
        thread.run("x", retry=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not an existing directory"):
        thread.run("x", cwd=str(codex_workspace / "nope"))
    with pytest.raises(ConfigurationError, match="cwd"):
        thread.run("x", cwd=1)  # type: ignore[arg-type]
    for schema in ({"type": "objekt"}, {"type": "object", "properties": []}, {"required": "a"}, ["type"]):
        with pytest.raises(ConfigurationError, match="output_schema"):
            thread.run("x", output_schema=schema)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="effort"):
        thread.run("x", effort=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        thread.run("x", summary=object())  # type: ignore[arg-type]
    assert len(codex_mock.response_requests) == 0, "no bad turn reached the model"
    # A subdirectory is a fine cwd; the thread is still usable.
    (codex_workspace / "sub").mkdir()
    assert thread.run("ok", cwd=str(codex_workspace / "sub")).final_response == "Hello from the mock."


def test_an_unknown_reasoning_effort_warns_and_is_sent_as_given(
    codex_mock: MockResponsesServer, codex_client: Codex, caplog: pytest.LogCaptureFixture
) -> None:
    thread = codex_client.thread_start()
    with caplog.at_level(logging.WARNING, logger="codex"):
        assert thread.run("hi", effort="extreme").final_response == "Hello from the mock."
        thread.run("again", effort="low")
    warnings = [record.getMessage() for record in caplog.records if "effort" in record.getMessage()]
    assert len(warnings) == 1
    assert "'extreme'" in warnings[0]
    efforts = [request.body.get("reasoning", {}).get("effort") for request in codex_mock.response_requests]
    assert efforts == ["extreme", "low"]


# --------------------------------------------------------------------------- property: every failure is typed
def _not_a_url(text: str) -> bool:
    return "://" not in text  # no drawn base_url may point anywhere real


_ANY_VALUE = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12).filter(_not_a_url),
    st.binary(max_size=6),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=2),
    st.builds(object),
    st.just(()),
)
#: Never a string or path: a drawn home could be "." or "/", and the engine writes into its home.
_NOT_A_PATH = _ANY_VALUE.filter(lambda value: not isinstance(value, (str, bytes)))

_CONSTRUCTOR_ARGS: dict[str, st.SearchStrategy[object]] = {
    "config": _ANY_VALUE,
    "base_url": _ANY_VALUE,
    "api_key": _ANY_VALUE | st.none(),
    "api_key_env": _ANY_VALUE.filter(lambda value: not isinstance(value, str)),
    "model": _ANY_VALUE | st.none(),
    "codex_home": _NOT_A_PATH,
    "cwd": _NOT_A_PATH | st.text(max_size=12).filter(lambda text: text.strip() not in ("", ".", "/", "~")),
    "approval_handler": _ANY_VALUE,
    "mcp_servers": _ANY_VALUE,
    "tools": _ANY_VALUE,
    "approval_callback": _ANY_VALUE,
    "approval_timeout": _ANY_VALUE | st.none(),
    "tracer_provider": _ANY_VALUE,
    "traceparent": _ANY_VALUE,
}

_RUN_ARGS: dict[str, st.SearchStrategy[object]] = {
    "approval_mode": _ANY_VALUE,
    "cwd": _NOT_A_PATH | st.text(max_size=12).filter(lambda text: text.strip() not in ("", ".", "/", "~")),
    "effort": _ANY_VALUE,
    "model": _ANY_VALUE,
    "output_schema": _ANY_VALUE,
    "personality": _ANY_VALUE,
    "sandbox": _ANY_VALUE,
    "service_tier": _ANY_VALUE,
    "source": _ANY_VALUE,
    "summary": _ANY_VALUE,
    "turn_service_tier": _ANY_VALUE,
    "output_type": _ANY_VALUE,
    "retry": _ANY_VALUE,
}


def _some_of(arguments: dict[str, st.SearchStrategy[object]]) -> st.SearchStrategy[dict[str, object]]:
    """One to three of ``arguments``, each with a drawn value."""
    return st.lists(st.sampled_from(sorted(arguments)), min_size=1, max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: arguments[name] for name in names})
    )


_PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_PROPERTY
@given(drawn=_some_of(_CONSTRUCTOR_ARGS))
def test_any_constructor_argument_fails_typed_or_builds_a_working_client(
    codex_mock: MockResponsesServer, codex_workspace: Path, drawn: dict[str, object]
) -> None:
    config = drawn.pop("config", None)
    kwargs = {**client_kwargs(codex_mock, codex_workspace), **drawn}
    try:
        client = Codex(config, **kwargs)  # type: ignore[arg-type]
    except CodexError:
        pass
    else:
        client.close()
    with Codex(**client_kwargs(codex_mock, codex_workspace)) as codex:  # type: ignore[arg-type]
        assert codex.thread_start().run("still fine").final_response == "Hello from the mock."


@_PROPERTY
@given(drawn=_some_of(_RUN_ARGS))
def test_any_run_argument_fails_typed_and_the_thread_stays_usable(
    codex_mock: MockResponsesServer, codex_client: Codex, drawn: dict[str, object]
) -> None:
    thread = codex_client.thread_start()
    with contextlib.suppress(CodexError):  # anything else fails the test
        thread.run("anything", **drawn)  # type: ignore[arg-type]
    assert thread.run("still fine").final_response == "Hello from the mock."
