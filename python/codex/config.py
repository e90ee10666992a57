"""Client configuration: the ``openai_codex.CodexConfig`` fields plus explicit provider settings."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _constants
from ._version import __version__
from .errors import ConfigurationError, NotSupportedError
from .mcp import McpHttpServer, McpStdioServer, mcp_config_overrides

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(slots=True)
class CodexConfig:
    """How a client's embedded engine is set up.

    The first block mirrors ``openai_codex.CodexConfig``. ``codex_bin`` and
    ``launch_args_override`` describe a subprocess and raise
    :class:`~codex.errors.NotSupportedError` here; ``env`` accepts only the
    variables that have an in-process meaning (``OPENAI_API_KEY``,
    ``CODEX_API_KEY``, ``CODEX_HOME``), because one process has one environment.

    The second block is ours: the model provider is configured explicitly
    (``base_url``, ``api_key`` or ``api_key_env``, ``model``) and each client gets
    a private, throw-away ``codex_home`` unless one is given.
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
    shell_snapshot: bool = False
    helper_path: str | os.PathLike[str] | None = None
    channel_capacity: int = _constants.ENGINE_CHANNEL_CAPACITY
    mcp_servers: Sequence[McpStdioServer | McpHttpServer] = ()

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
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        # Same rule as `codex -c`: what is not a TOML literal is a string.
        value = raw.strip()
    return key, value


def _default_homes_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codex-embedded" / "homes"


def _bundled_helper() -> Path:
    return Path(__file__).resolve().parent / "_bin" / "codex-embedded-helper"


@dataclass(slots=True)
class ResolvedConfig:
    """A validated config: engine options plus what the client must clean up."""

    options: dict[str, Any]
    home: Path
    owns_home: bool

    def cleanup(self) -> None:
        if self.owns_home:
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

    home_value = config.codex_home or env.get("CODEX_HOME")
    if home_value is not None:
        home = Path(home_value).expanduser().resolve()
        owns_home = False
    else:
        root = _default_homes_root()
        home = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(4)}"
        owns_home = True
    helper = Path(config.helper_path) if config.helper_path is not None else _bundled_helper()
    if not helper.is_file():
        raise ConfigurationError(
            f"the helper executable is missing at {helper}; reinstall codex-embedded "
            "(or pass helper_path=) — sandboxed commands and apply_patch need it"
        )
    cwd = Path(config.cwd).expanduser().resolve() if config.cwd is not None else None
    if cwd is not None and not cwd.is_dir():
        raise ConfigurationError(f"cwd {cwd} is not a directory")

    overrides: list[tuple[str, Any]] = list(_constants.HERMETIC_OVERRIDES.items())
    overrides.append(("model", config.model or _constants.DEFAULT_MODEL))
    overrides.append(("features.shell_snapshot", bool(config.shell_snapshot)))
    if config.model_provider is not None:
        overrides.append(("model_provider", config.model_provider))
    else:
        prefix = f"model_providers.{_constants.PROVIDER_ID}"
        overrides += [
            ("model_provider", _constants.PROVIDER_ID),
            (f"{prefix}.name", "codex-embedded"),
            (f"{prefix}.base_url", config.base_url or _constants.DEFAULT_BASE_URL),
            (f"{prefix}.wire_api", "responses"),
        ]
        key = config.resolved_api_key()
        if key:
            # Carried in the config, so nothing is read from or written to the environment.
            overrides.append((f"{prefix}.experimental_bearer_token", key))
        else:
            # Without a key the login store is the only credential source: login_api_key(),
            # ChatGPT login, account() and logout() then behave as with openai_codex.
            overrides.append((f"{prefix}.requires_openai_auth", True))
        for name, value in (
            ("request_max_retries", config.request_max_retries),
            ("stream_max_retries", config.stream_max_retries),
            ("stream_idle_timeout_ms", config.stream_idle_timeout_ms),
        ):
            if value is not None:
                if not isinstance(value, int) or value < 0:
                    raise ConfigurationError(f"{name} must be a non-negative int, got {value!r}")
                overrides.append((f"{prefix}.{name}", value))
    overrides += list(mcp_config_overrides(config.mcp_servers).items())
    overrides += [_parse_override(text) for text in config.config_overrides]

    options: dict[str, Any] = {
        "codex_home": str(home),
        "cwd": str(cwd) if cwd is not None else None,
        "helper": str(helper),
        "overrides": overrides,
        "channel_capacity": config.channel_capacity,
        "client_name": config.client_name,
        "client_title": config.client_title,
        "client_version": config.client_version,
        "experimental_api": config.experimental_api,
    }
    return ResolvedConfig(options=options, home=home, owns_home=owns_home)
