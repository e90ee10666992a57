"""The ``codex`` logger. ``CODEX_LOG=debug|info|warning`` attaches a stderr handler."""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("codex")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure_from_env() -> None:
    level = _LEVELS.get(os.environ.get("CODEX_LOG", "").strip().lower())
    if level is None or any(getattr(h, "_codex_env_handler", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._codex_env_handler = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)


configure_from_env()
