"""Entry point for the official SDK's interpreter: run the contract scenarios there.

Started by ``harvest`` in ``tests/contract/parity.py`` as ``OFFICIAL_PYTHON this_file --sdk official``.
That interpreter has ``openai_codex`` but none of codex-embedded's dependencies
beyond pydantic, so only ``codex.testing`` (the mock Responses API the scenarios
script) is loaded from the package: ``codex`` is registered as a bare namespace
and its ``__init__`` (the embedded engine and everything it pulls in) is never run.
The scenarios themselves are repository tooling beside this file.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bare_codex_package() -> None:
    package = types.ModuleType("codex")
    package.__path__ = [str(ROOT / "python" / "codex")]
    sys.modules["codex"] = package


if __name__ == "__main__":
    _bare_codex_package()
    sys.path.insert(0, str(ROOT))  # for tests.contract.scenarios
    from tests.contract.scenarios import main

    sys.exit(main())
