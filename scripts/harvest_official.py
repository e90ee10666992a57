"""Re-record the official SDK's transcripts of the contract scenarios.

Runs every scenario of ``tests.contract.scenarios`` through the official SDK
(``openai-codex==0.163.0`` and ``openai-codex-cli-bin``, installed in their own
venv) against the testing mock, and writes normalized transcripts to
``tests/fixtures/official/<scenario>.json``. Commit the result.

    .venv/bin/python scripts/harvest_official.py [--official-python PATH] [NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The harvest and its scenarios live with the fixtures they write, in tests/contract (not in the package).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.contract.parity import (
    DEFAULT_FIXTURES,
    DEFAULT_OFFICIAL_PYTHON,
    harvest,
    official_python_available,
)
from tests.contract.scenarios import SCENARIOS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="scenarios to harvest (default: all)")
    parser.add_argument("--official-python", type=Path, default=DEFAULT_OFFICIAL_PYTHON)
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    args = parser.parse_args()
    names = args.names or list(SCENARIOS)
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios: {unknown}")
    if not official_python_available(args.official_python):
        parser.error(f"{args.official_python} cannot import openai_codex: pass --official-python")
    for path in harvest(args.official_python, args.fixtures, names):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
