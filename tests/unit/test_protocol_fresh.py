"""codex.protocol matches the protocol of the engine that is built in.

When the pinned engine changes, these fail until ``python scripts/generate_models.py``
is rerun and its output committed.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

from codex import _native
from codex.protocol import SCHEMA_SHA256

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "codex" / "protocol"
GENERATED = ("_turn.py", "_items.py", "_server.py", "models.py", "registry.py")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_models", ROOT / "scripts" / "generate_models.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_models_were_generated_from_the_engines_schema() -> None:
    exported = _native.protocol_schema(True)
    assert hashlib.sha256(exported.encode()).hexdigest() == SCHEMA_SHA256, (
        "the engine's protocol changed: run scripts/generate_models.py"
    )


def test_committed_models_equal_a_fresh_generation(tmp_path: Path) -> None:
    _generator().generate(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_text() == (PACKAGE / name).read_text(), (
            f"codex/protocol/{name} is stale or hand-edited: run scripts/generate_models.py"
        )
