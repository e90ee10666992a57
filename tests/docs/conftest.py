"""Counts the docs examples run and not run, so a not-run marker is never a silent skip."""

from __future__ import annotations

import pytest

from .test_examples import EXAMPLES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in counts:
        for report in terminalreporter.stats.get(outcome, []):
            if "test_docs_example_runs[" in getattr(report, "nodeid", ""):
                counts[outcome] += 1
    if not any(counts.values()):
        return
    marked = [(example, example.not_run) for example in EXAMPLES if example.not_run is not None]
    terminalreporter.section("docs examples")
    terminalreporter.write_line(
        f"{len(EXAMPLES)} python blocks in README.md and docs/*.md: {counts['passed']} ran, "
        f"{counts['failed']} failed, {counts['skipped']} not run ({len(marked)} marked not-run)"
    )
    for example, reason in marked:
        terminalreporter.write_line(f"  not run: {example.path.name}:{example.start_line}: {reason}")
