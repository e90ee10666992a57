"""Client configuration: the ``openai_codex.CodexConfig`` fields plus explicit provider settings."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _constants, _validate
from ._version import __version__
from .errors import ConfigurationError, NotSupportedError
from .mcp import McpHttpServer, McpStdioServer, mcp_config_overrides


def _load_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads``, imported on first use: a client with no ``config.toml`` and no
    overrides need not pay its ~3 ms at ``import codex``. Bad TOML raises ValueError (its
    TOMLDecodeError)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib.loads(text)


@dataclass(slots=True)
class CodexConfig:
    """How a client's embedded engine is set up.

    The first block mirrors ``openai_codex.CodexConfig``. ``codex_bin`` and
    ``launch_args_override`` describe a subprocess and raise
    :class:`~codex.errors.NotSupportedError` here; ``env`` accepts only the
    variables that have an in-process meaning (``OPENAI_API_KEY``,
    ``CODEX_API_KEY``, ``CODEX_HOME``), because one process has one environment.

    The second block is ours. Without ``base_url`` turns go where the engine itself
    sends them: the provider the home's ``config.toml`` selects, else the built-in
    OpenAI provider (platform API with a key, ChatGPT backend with a ChatGPT login);
    ``base_url`` makes a provider of the client's own. Explicit options win over
    ``config.toml``, which wins over the SDK's defaults (docs/providers.md). Each
    client gets a private, throw-away ``codex_home`` unless one is given.
    """

    codex_bin: str | None = None
    launch_args_override: tuple[str, ...] | None = None
    config_overrides: tuple[str, ...] = ()
    cwd: str | None = None
    env: dict[str, str] | None = field(default=None, repr=False)
    client_name: str = "codex_embedded"
    client_title: str = "Codex Embedded Python SDK"
    client_version: str = __version__
    experimental_api: bool = True

    codex_home: str | os.PathLike[str] | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str | None = None
    model: str | None = None
    model_provider: str | None = None
    request_max_retries: int | None = None
    stream_max_retries: int | None = None
    stream_idle_timeout_ms: int | None = None
    shell_snapshot: bool | None = None
    helper_path: str | os.PathLike[str] | None = None
    channel_capacity: int = _constants.ENGINE_CHANNEL_CAPACITY
    mcp_servers: Sequence[McpStdioServer | McpHttpServer] = ()
    exec_server_url: str | None = None
    #: How long a thread stays loaded in the engine once it has no subscriber (after
    #: ``Thread.unsubscribe()``) and no running turn; None keeps the engine's 30 minutes.
    #: A client that starts and drops many threads gets their memory back sooner; an unloaded
    #: thread comes back with ``thread_resume``.
    unload_idle_threads_after_ms: int | None = None

    def __post_init__(self) -> None:
        # Wrong types fail here, typed, not later as a TypeError deep inside the client.
        _validate.check_fields(self)
        _validate.check_base_url(self.base_url)

    def resolved_api_key(self) -> str | None:
        """The key the client will send: api_key, env=, api_key_env, then OPENAI_API_KEY."""
        if self.api_key is not None:
            return self.api_key
        env = self.env or {}
        for name in ("CODEX_API_KEY", "OPENAI_API_KEY"):
            if name in env:
                return env[name]
        if self.api_key_env is not None:
            value = os.environ.get(self.api_key_env)
            if value is None:
                raise ConfigurationError(f"api_key_env names {self.api_key_env!r}, which is not set")
            return value
        return os.environ.get("OPENAI_API_KEY")

    def __repr__(self) -> str:
        key = "None" if self.api_key is None and not self.env else "'***'"
        return (
            f"CodexConfig(codex_home={self.codex_home!r}, base_url={self.base_url!r}, "
            f"model={self.model!r}, api_key={key}, cwd={self.cwd!r})"
        )


_ENV_ALLOWED = {"OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_HOME"}


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigurationError(f"config override {text!r} must look like key=value")
    try:
        value = _load_toml(f"value = {raw}")["value"]
    except ValueError:
        # Same rule as `codex -c`: what is not a TOML literal is a string.
        value = raw.strip()
    return key, value


def default_homes_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codex-embedded" / "homes"


#: Where pre-migrated copies of a fresh home's databases are kept ("off" or empty: nowhere).
DATABASE_TEMPLATES_ENV = "CODEX_EMBEDDED_DATABASE_TEMPLATES"


def database_templates_dir() -> Path | None:
    """Where the engine keeps the pre-migrated databases it copies into each fresh home.

    The first client of an engine build migrates its home's SQLite databases and then makes
    a copy in the background, once; every later fresh home starts from that copy instead of
    running the migrations again (~20-30 ms of each client's start). None when turned off.
    """
    return _cache_location(DATABASE_TEMPLATES_ENV, "databases")


#: Where the engine keeps its OS detection across processes ("off" or empty: nowhere).
OS_DETECTION_CACHE_ENV = "CODEX_EMBEDDED_OS_DETECTION_CACHE"


def os_detection_cache() -> Path | None:
    """The file where the engine keeps the OS detection behind its User-Agent.

    Detecting the OS runs ``lsb_release`` and ``getconf`` (~6.6 ms of CPU in processes, once per
    process, at its first client's start); a
    later process whose release files, programs, ``PATH`` and boot are the same uses the kept
    answer (for a day at most). None when turned off.
    """
    return _cache_location(OS_DETECTION_CACHE_ENV, "os-detection.json")


#: Where the engine keeps its helper executable's check across processes ("off" or empty: nowhere).
HELPER_CHECK_CACHE_ENV = "CODEX_EMBEDDED_HELPER_CHECK_CACHE"


def helper_check_cache() -> Path | None:
    """The file where the engine keeps which helper executable answered its check.

    Each client's start runs the helper once to make sure it is the codex-embedded helper
    (~2 ms of CPU in a process); a later client that finds the same file (path, inode, size,
    mtime) skips it. None when turned off.
    """
    return _cache_location(HELPER_CHECK_CACHE_ENV, "helper-check")


def _cache_location(variable: str, default_name: str) -> Path | None:
    chosen = os.environ.get(variable)
    if chosen is not None:
        chosen = chosen.strip()
        return None if chosen.lower() in ("", "off", "0", "false", "no") else Path(chosen).expanduser()
    return default_homes_root().parent / default_name


def bundled_helper() -> Path:
    return Path(__file__).resolve().parent / "_bin" / "codex-embedded-helper"


@dataclass(slots=True)
class ResolvedConfig:
    """A validated config: engine options plus what the client must clean up."""

    options: dict[str, Any]
    home: Path
    owns_home: bool
    #: The process that resolved (and so created) the home. A child forked from it
    #: inherits the client but not the home: the parent may still be using it.
    owner_pid: int = field(default_factory=os.getpid)

    def cleanup(self) -> None:
        if self.owns_home and os.getpid() == self.owner_pid:
            import shutil  # here: with its archive modules ~3 ms of ``import codex``

            shutil.rmtree(self.home, ignore_errors=True)


def resolve(config: CodexConfig) -> ResolvedConfig:
    """Validates ``config`` and builds the engine options (no engine is started)."""
    if config.codex_bin is not None:
        raise NotSupportedError(
            "codex_bin has no meaning in codex-embedded: the engine runs inside this "
            "process, there is no codex binary to launch (see docs/compatibility.md)"
        )
    if config.launch_args_override is not None:
        raise NotSupportedError("launch_args_override has no meaning in codex-embedded: no subprocess is launched")
    env = dict(config.env or {})
    unknown = sorted(set(env) - _ENV_ALLOWED)
    if unknown:
        raise NotSupportedError(
            f"env={unknown!r}: an in-process engine shares this process's environment and "
            "cannot get its own; use CodexConfig fields (api_key, codex_home, base_url) instead"
        )
    if config.channel_capacity < 1024:
        raise ConfigurationError("channel_capacity must be at least 1024 (the engine drops events when full)")
    unload_after = config.unload_idle_threads_after_ms
    if unload_after is not None and unload_after < 0:
        raise ConfigurationError(f"unload_idle_threads_after_ms must be a non-negative int, got {unload_after!r}")

    home_value = config.codex_home or env.get("CODEX_HOME")
    if home_value is not None:
        home = Path(home_value).expanduser().resolve()
        owns_home = False
    else:
        root = default_homes_root()
        home = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(4)}"
        owns_home = True
    helper = Path(config.helper_path) if config.helper_path is not None else bundled_helper()
    if not helper.is_file():
        raise ConfigurationError(
            f"the helper executable is missing at {helper}; reinstall codex-embedded "
            "(or pass helper_path=) — sandboxed commands and apply_patch need it"
        )
    cwd = Path(config.cwd).expanduser().resolve() if config.cwd is not None else None
    if cwd is not None and not cwd.is_dir():
        raise ConfigurationError(f"cwd {cwd} is not a directory")

    user_config = _UserConfig.load(home)
    # Precedence: config_overrides > explicit options > the home's config.toml > SDK defaults.
    overrides: list[tuple[str, Any]] = [
        (key, value) for key, value in _constants.HERMETIC_OVERRIDES.items() if not user_config.sets(key)
    ]
    if config.model is not None:
        overrides.append(("model", config.model))
    elif not user_config.sets("model"):
        overrides.append(("model", _constants.DEFAULT_MODEL))
    if config.shell_snapshot is not None:
        overrides.append(("features.shell_snapshot", bool(config.shell_snapshot)))
    elif not user_config.sets("features.shell_snapshot"):
        overrides.append(("features.shell_snapshot", False))
    key = config.resolved_api_key()
    engine_api_key: str | None = None
    if config.base_url is not None:
        if config.model_provider is not None:
            raise ConfigurationError(
                "pass base_url= (a provider of the client's own) or model_provider= (a provider "
                "your config.toml defines, or a built-in one such as 'openai'), not both"
            )
        overrides += _custom_provider_overrides(config, key)
    else:
        _refuse_custom_provider_options(config)
        if config.model_provider is not None:
            overrides.append(("model_provider", config.model_provider))
        # Otherwise the provider is the one the home's config.toml selects, or the engine's
        # built-in OpenAI provider, which reads its key from the login store: the key is put
        # in the engine's in-memory store for this home (nothing reaches auth.json or the
        # environment); without one, a stored login (API key or ChatGPT) is used.
        engine_api_key = key or None
    overrides += list(mcp_config_overrides(config.mcp_servers).items())
    explicit = [_parse_override(text) for text in config.config_overrides]
    overrides += _shell_environment_defaults(config, user_config, [key for key, _ in explicit])
    overrides += explicit

    options: dict[str, Any] = {
        "codex_home": str(home),
        "cwd": str(cwd) if cwd is not None else None,
        "helper": str(helper),
        "overrides": overrides,
        "api_key": engine_api_key,
        "channel_capacity": config.channel_capacity,
        "client_name": config.client_name,
        "client_title": config.client_title,
        "client_version": config.client_version,
        "experimental_api": config.experimental_api,
        "thread_unload_delay_ms": config.unload_idle_threads_after_ms,
    }
    templates = database_templates_dir()
    if templates is not None:
        options["database_templates"] = str(templates)
    os_detection = os_detection_cache()
    if os_detection is not None:
        options["os_detection_cache"] = str(os_detection)
    helper_check = helper_check_cache()
    if helper_check is not None:
        options["helper_check_cache"] = str(helper_check)
    if config.exec_server_url is not None:
        url = config.exec_server_url.strip() if isinstance(config.exec_server_url, str) else ""
        if not (url.lower().startswith(("ws://", "wss://")) or url.lower() == "none"):
            raise ConfigurationError(
                "exec_server_url must be the ws:// or wss:// URL of an exec server, or 'none' to "
                f"disable command execution; got {config.exec_server_url!r}"
            )
        options["exec_server_url"] = url
    return ResolvedConfig(options=options, home=home, owns_home=owns_home)


_SHELL_ENV = "shell_environment_policy"
#: Names hidden from the agent's commands besides the engine's own *KEY*, *SECRET*, *TOKEN*.
_SHELL_ENV_EXCLUDES = ("*PASSWORD*", "OPENAI_API_KEY", "CODEX_API_KEY")


def _shell_environment_defaults(
    config: CodexConfig, user_config: _UserConfig, explicit_keys: Sequence[str]
) -> list[tuple[str, Any]]:
    """Keeps credentials out of the environment of the agent's commands.

    The engine's default passes the whole process environment on. Ours applies its
    default excludes (names containing KEY, SECRET or TOKEN) and also hides
    PASSWORD-like names and the variable that holds the client's key. A key the
    home's ``config.toml`` sets is left to it; ``config_overrides`` come later and win.
    """

    def chosen(key: str) -> bool:
        return user_config.sets(f"{_SHELL_ENV}.{key}")

    defaults: list[tuple[str, Any]] = []
    if not chosen("ignore_default_excludes"):
        defaults.append((f"{_SHELL_ENV}.ignore_default_excludes", False))
    # The engine refuses `exclude` next to `filters`: those who use filters choose their own.
    uses_filters = chosen("filters") or any(
        key == _SHELL_ENV or key.startswith(f"{_SHELL_ENV}.filters") for key in explicit_keys
    )
    if not chosen("exclude") and not uses_filters:
        names = list(_SHELL_ENV_EXCLUDES)
        if config.api_key_env is not None:
            names.append(config.api_key_env)
        for server in config.mcp_servers:
            token_var = getattr(server, "bearer_token_env_var", None)
            if token_var:
                names.append(token_var)
        defaults.append((f"{_SHELL_ENV}.exclude", list(dict.fromkeys(names))))
    return defaults


def _custom_provider_overrides(config: CodexConfig, key: str | None) -> list[tuple[str, Any]]:
    """Our own provider entry, for an explicit ``base_url`` (a gateway, a mock, Azure)."""
    prefix = f"model_providers.{_constants.PROVIDER_ID}"
    overrides: list[tuple[str, Any]] = [
        ("model_provider", _constants.PROVIDER_ID),
        (f"{prefix}.name", "codex-embedded"),
        (f"{prefix}.base_url", config.base_url),
        (f"{prefix}.wire_api", "responses"),
    ]
    if key:
        # Carried in the config, so nothing is read from or written to the environment.
        overrides.append((f"{prefix}.experimental_bearer_token", key))
    else:
        # Without a key the login store is the only credential source: login_api_key(),
        # ChatGPT login, account() and logout() then behave as with openai_codex.
        overrides.append((f"{prefix}.requires_openai_auth", True))
    for name, value in _provider_tuning(config):
        overrides.append((f"{prefix}.{name}", value))
    return overrides


def _provider_tuning(config: CodexConfig) -> list[tuple[str, int]]:
    tuning: list[tuple[str, int]] = []
    for name, value in (
        ("request_max_retries", config.request_max_retries),
        ("stream_max_retries", config.stream_max_retries),
        ("stream_idle_timeout_ms", config.stream_idle_timeout_ms),
    ):
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigurationError(f"{name} must be a non-negative int, got {value!r}")
            tuning.append((name, value))
    return tuning


def _refuse_custom_provider_options(config: CodexConfig) -> None:
    tuned = [name for name, _ in _provider_tuning(config)]
    if tuned:
        raise ConfigurationError(
            f"{', '.join(tuned)} tune the provider that base_url= configures; the built-in OpenAI "
            "provider (no base_url) cannot be tuned — pass base_url='https://api.openai.com/v1' "
            "to use them, or set them on your own provider in config.toml"
        )


@dataclass(frozen=True, slots=True)
class _UserConfig:
    """The dotted keys a home's ``config.toml`` sets (its active profile included)."""

    keys: frozenset[str]

    @classmethod
    def load(cls, home: Path) -> _UserConfig:
        path = home / "config.toml"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(frozenset())
        except OSError as exc:
            raise ConfigurationError(f"cannot read {path}: {exc}") from exc
        try:
            table = _load_toml(text)
        except ValueError as exc:
            raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc
        keys = set(_dotted_keys(table))
        profile = table.get("profile")
        profiles = table.get("profiles")
        if isinstance(profile, str) and isinstance(profiles, dict) and isinstance(profiles.get(profile), dict):
            keys |= set(_dotted_keys(profiles[profile]))
        return cls(frozenset(keys))

    def sets(self, dotted: str) -> bool:
        return dotted in self.keys


def _dotted_keys(table: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, value in table.items():
        dotted = f"{prefix}{name}"
        keys.append(dotted)
        if isinstance(value, dict):
            keys += _dotted_keys(value, f"{dotted}.")
    return keys
