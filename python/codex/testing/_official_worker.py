"""Entry point for the official SDK's interpreter: run the contract scenarios there.

Started by ``harvest`` in ``tests/contract/parity.py`` as ``OFFICIAL_PYTHON this_file --sdk official``.
That interpreter has ``openai_codex`` but none of codex-embedded's dependencies
beyond pydantic, so only ``codex.testing`` is loaded: the ``codex`` package is
registered as a bare namespace and its ``__init__`` (the embedded engine and
everything it pulls in) is never run.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path


def _bare_codex_package() -> None:
    package = types.ModuleType("codex")
    package.__path__ = [str(Path(__file__).resolve().parents[1])]
    sys.modules["codex"] = package


if __name__ == "__main__":
    _bare_codex_package()
    from codex.testing.scenarios import main

    sys.exit(main())
