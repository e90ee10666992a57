"""``codex.config.resolve``: from a ``CodexConfig`` to the engine's start options, no engine involved.

The e2e tests prove what the engine does with these options; here the precedence rules (the
caller's overrides > explicit options > the home's ``config.toml`` > the SDK's defaults), the
refusals, and where the key goes are checked one by one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codex import _constants
from codex.config import CodexConfig, resolve
from codex.errors import ConfigurationError, NotSupportedError
from codex.mcp import McpHttpServer

PROVIDER = f"model_providers.{_constants.PROVIDER_ID}"


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CODEX_API_KEY", raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def overrides(config: CodexConfig) -> dict[str, Any]:
    resolved = resolve(config)
    keys = [key for key, _ in resolved.options["overrides"]]
    # The last one of a key wins in the engine; tests read the effective value.
    return dict(resolved.options["overrides"]) | {"__order__": keys}


def test_an_explicit_home_is_used_and_not_owned(home: Path) -> None:
    resolved = resolve(CodexConfig(codex_home=str(home)))
    assert resolved.home == home.resolve()
    assert resolved.owns_home is False
    assert resolved.options["codex_home"] == str(home.resolve())
    resolved.cleanup()
    assert home.is_dir()  # a home the caller gave is never removed


def test_codex_home_in_env_is_the_home(home: Path) -> None:
    resolved = resolve(CodexConfig(env={"CODEX_HOME": str(home)}))
    assert resolved.home == home.resolve()
    assert resolved.owns_home is False


def test_without_a_home_a_private_one_is_planned_under_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    resolved = resolve(CodexConfig())
    assert resolved.owns_home is True
    assert resolved.home.parent == tmp_path / "cache" / "codex-embedded" / "homes"


def test_sdk_defaults_apply_when_the_home_sets_nothing(home: Path) -> None:
    effective = overrides(CodexConfig(codex_home=str(home)))
    assert effective["model"] == _constants.DEFAULT_MODEL
    assert effective["features.shell_snapshot"] is False
    for key, value in _constants.HERMETIC_OVERRIDES.items():
        assert effective[key] == value
    assert effective["shell_environment_policy.exclude"] == ["*PASSWORD*", "OPENAI_API_KEY", "CODEX_API_KEY"]


def test_what_the_homes_config_toml_sets_is_left_to_it(home: Path) -> None:
    (home / "config.toml").write_text(
        'model = "gpt-from-home"\n'
        "check_for_update_on_startup = true\n"
        "[features]\n"
        "shell_snapshot = true\n"
        "plugins = true\n"
        "[shell_environment_policy]\n"
        'exclude = ["MINE"]\n'
        "ignore_default_excludes = true\n"
    )
    effective = overrides(CodexConfig(codex_home=str(home)))
    for key in (
        "model",
        "check_for_update_on_startup",
        "features.plugins",
        "features.shell_snapshot",
        "shell_environment_policy.exclude",
        "shell_environment_policy.ignore_default_excludes",
    ):
        assert key not in effective, key
    # The hermetic defaults the home does not set still apply.
    assert effective["features.apps"] is False
    assert effective["analytics.enabled"] is False


def test_the_selected_profile_counts_as_set_by_the_home(home: Path) -> None:
    (home / "config.toml").write_text('profile = "work"\n[profiles.work]\nmodel = "gpt-work"\n')
    assert "model" not in overrides(CodexConfig(codex_home=str(home)))


def test_an_unselected_profile_does_not_count(home: Path) -> None:
    (home / "config.toml").write_text('profile = "work"\n[profiles.other]\nmodel = "gpt-other"\n')
    assert overrides(CodexConfig(codex_home=str(home)))["model"] == _constants.DEFAULT_MODEL


def test_explicit_options_beat_the_home(home: Path) -> None:
    (home / "config.toml").write_text('model = "gpt-from-home"\n[features]\nshell_snapshot = false\n')
    effective = overrides(CodexConfig(codex_home=str(home), model="gpt-explicit", shell_snapshot=True))
    assert effective["model"] == "gpt-explicit"
    assert effective["features.shell_snapshot"] is True


def test_config_overrides_come_last_and_parse_as_toml_literals(home: Path) -> None:
    config = CodexConfig(
        codex_home=str(home),
        model="gpt-explicit",
        config_overrides=("model=gpt-override", "tools.limit = 3", "flag=true", 'names=["a", "b"]'),
    )
    effective = overrides(config)
    assert effective["model"] == "gpt-override"  # a bare word that is not TOML is a string
    assert effective["tools.limit"] == 3
    assert effective["flag"] is True
    assert effective["names"] == ["a", "b"]
    assert effective["__order__"][-4:] == ["model", "tools.limit", "flag", "names"]


@pytest.mark.parametrize("override", ["no-equals-sign", "=value", "  =1"])
def test_a_malformed_override_is_refused(home: Path, override: str) -> None:
    with pytest.raises(ConfigurationError, match="must look like key=value"):
        resolve(CodexConfig(codex_home=str(home), config_overrides=(override,)))


def test_an_invalid_config_toml_is_a_configuration_error(home: Path) -> None:
    (home / "config.toml").write_text("model = \n")
    with pytest.raises(ConfigurationError, match="is not valid TOML"):
        resolve(CodexConfig(codex_home=str(home)))


def test_an_unreadable_config_toml_is_a_configuration_error(home: Path) -> None:
    (home / "config.toml").mkdir()  # reading it fails with an OSError other than "not found"
    with pytest.raises(ConfigurationError, match="cannot read"):
        resolve(CodexConfig(codex_home=str(home)))


# -- the key and the provider -------------------------------------------------------------------


def test_a_base_url_gets_a_provider_of_its_own_with_the_key_in_memory(home: Path) -> None:
    config = CodexConfig(
        codex_home=str(home),
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-explicit",
        request_max_retries=0,
        stream_max_retries=2,
        stream_idle_timeout_ms=5000,
    )
    resolved = resolve(config)
    effective = dict(resolved.options["overrides"])
    assert effective["model_provider"] == _constants.PROVIDER_ID
    assert effective[f"{PROVIDER}.base_url"] == "http://127.0.0.1:9/v1"
    assert effective[f"{PROVIDER}.wire_api"] == "responses"
    assert effective[f"{PROVIDER}.experimental_bearer_token"] == "sk-explicit"
    assert f"{PROVIDER}.requires_openai_auth" not in effective
    assert effective[f"{PROVIDER}.request_max_retries"] == 0
    assert effective[f"{PROVIDER}.stream_max_retries"] == 2
    assert effective[f"{PROVIDER}.stream_idle_timeout_ms"] == 5000
    assert resolved.options["api_key"] is None  # the key travels in the provider, not the login store


def test_a_base_url_without_a_key_falls_back_to_the_login_store(home: Path) -> None:
    effective = overrides(CodexConfig(codex_home=str(home), base_url="http://127.0.0.1:9/v1"))
    assert effective[f"{PROVIDER}.requires_openai_auth"] is True
    assert f"{PROVIDER}.experimental_bearer_token" not in effective


def test_without_a_base_url_the_key_goes_to_the_engines_store(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    resolved = resolve(CodexConfig(codex_home=str(home), model_provider="openai"))
    assert resolved.options["api_key"] == "sk-from-env"
    assert dict(resolved.options["overrides"])["model_provider"] == "openai"


def test_base_url_and_model_provider_together_are_refused(home: Path) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        resolve(CodexConfig(codex_home=str(home), base_url="http://127.0.0.1:9/v1", model_provider="openai"))


def test_provider_tuning_without_a_base_url_is_refused(home: Path) -> None:
    with pytest.raises(ConfigurationError, match="request_max_retries, stream_max_retries tune the provider"):
        resolve(CodexConfig(codex_home=str(home), request_max_retries=1, stream_max_retries=1))


def test_negative_provider_tuning_is_refused(home: Path) -> None:
    with pytest.raises(ConfigurationError, match="stream_idle_timeout_ms must be a non-negative int, got -1"):
        resolve(CodexConfig(codex_home=str(home), base_url="http://127.0.0.1:9/v1", stream_idle_timeout_ms=-1))


def test_key_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-process")
    monkeypatch.setenv("MY_KEY", "sk-named")
    assert CodexConfig(api_key="sk-explicit", api_key_env="MY_KEY").resolved_api_key() == "sk-explicit"
    assert CodexConfig(env={"CODEX_API_KEY": "sk-env-codex"}).resolved_api_key() == "sk-env-codex"
    assert CodexConfig(env={"OPENAI_API_KEY": "sk-env-openai"}).resolved_api_key() == "sk-env-openai"
    assert CodexConfig(api_key_env="MY_KEY").resolved_api_key() == "sk-named"
    assert CodexConfig().resolved_api_key() == "sk-process"


def test_an_unset_api_key_env_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="'CODEX_TEST_UNSET_KEY', which is not set"):
        CodexConfig(api_key_env="CODEX_TEST_UNSET_KEY").resolved_api_key()


def test_repr_never_shows_the_key() -> None:
    assert "sk-secret" not in repr(CodexConfig(api_key="sk-secret"))
    assert "api_key='***'" in repr(CodexConfig(env={"OPENAI_API_KEY": "sk-secret"}))
    assert "api_key=None" in repr(CodexConfig())


# -- what the agent's commands see ------------------------------------------------------------------


def test_the_named_key_variable_and_mcp_token_variables_are_hidden_from_commands(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_KEY", "sk-named")
    server = McpHttpServer(name="docs", url="http://127.0.0.1:9/mcp", bearer_token_env_var="DOCS_TOKEN")
    excluded = overrides(CodexConfig(codex_home=str(home), api_key_env="MY_KEY", mcp_servers=[server]))[
        "shell_environment_policy.exclude"
    ]
    assert excluded[-2:] == ["MY_KEY", "DOCS_TOKEN"]


def test_filters_in_the_home_or_the_overrides_turn_the_exclude_default_off(home: Path) -> None:
    explicit = CodexConfig(codex_home=str(home), config_overrides=('shell_environment_policy.filters=["A"]',))
    assert "shell_environment_policy.exclude" not in overrides(explicit)
    (home / "config.toml").write_text('[shell_environment_policy]\nfilters = ["B"]\n')
    assert "shell_environment_policy.exclude" not in overrides(CodexConfig(codex_home=str(home)))


# -- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"codex_bin": "/usr/bin/codex"}, NotSupportedError, "no codex binary to launch"),
        ({"launch_args_override": ["codex"]}, NotSupportedError, "no subprocess is launched"),
        ({"env": {"PATH": "/bin"}}, NotSupportedError, "cannot get its own"),
        ({"channel_capacity": 16}, ConfigurationError, "at least 1024"),
        ({"helper_path": "/nonexistent/helper"}, ConfigurationError, "helper executable is missing"),
        ({"cwd": "/nonexistent/dir"}, ConfigurationError, "is not a directory"),
        ({"exec_server_url": "http://127.0.0.1:9"}, ConfigurationError, "ws:// or wss://"),
        ({"unload_idle_threads_after_ms": -1}, ConfigurationError, "must be a non-negative int, got -1"),
        ({"unload_idle_threads_after_ms": 1.5}, ConfigurationError, "unload_idle_threads_after_ms"),
    ],
)
def test_options_that_cannot_work_are_refused_before_any_engine_starts(
    home: Path, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        resolve(CodexConfig(codex_home=str(home), **kwargs))


@pytest.mark.parametrize(("given", "sent"), [(" wss://exec.example:443 ", "wss://exec.example:443"), ("none", "none")])
def test_exec_server_url_is_passed_trimmed(home: Path, given: str, sent: str) -> None:
    assert resolve(CodexConfig(codex_home=str(home), exec_server_url=given)).options["exec_server_url"] == sent


def test_no_exec_server_url_means_no_option(home: Path, tmp_path: Path) -> None:
    options = resolve(CodexConfig(codex_home=str(home), cwd=str(tmp_path))).options
    assert "exec_server_url" not in options
    assert options["cwd"] == str(tmp_path.resolve())


#: What the engine keeps on the machine across clients: (variable, option, default file name).
KEPT_ON_THE_MACHINE = [
    ("CODEX_EMBEDDED_DATABASE_TEMPLATES", "database_templates", "databases"),
    ("CODEX_EMBEDDED_OS_DETECTION_CACHE", "os_detection_cache", "os-detection.json"),
]


@pytest.mark.parametrize(("variable", "option", "default"), KEPT_ON_THE_MACHINE)
@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, "{cache}/codex-embedded/{default}"),
        ("~/kept", "{home}/kept"),
        ("  /srv/kept ", "/srv/kept"),
        ("off", None),
        ("", None),
        ("0", None),
    ],
)
def test_where_what_the_engine_keeps_across_clients_is_kept(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    option: str,
    default: str,
    setting: str | None,
    expected: str | None,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    if setting is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, setting)
    options = resolve(CodexConfig(codex_home=str(home))).options
    if expected is None:
        assert option not in options
    else:
        where = expected.format(cache=tmp_path / "cache", home=tmp_path / "user", default=default)
        assert options[option] == where


@pytest.mark.parametrize(("given", "sent"), [(None, None), (0, 0), (250, 250)])
def test_idle_thread_unloading_delay_is_passed_to_the_engine(home: Path, given: int | None, sent: int | None) -> None:
    options = resolve(CodexConfig(codex_home=str(home), unload_idle_threads_after_ms=given)).options
    assert options["thread_unload_delay_ms"] == sent
