"""``python -m codex``: the demo (one real turn against the built-in mock)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from . import exec_cli, manifest, verify
from .client import Codex
from .events import (
    AgentMessageDeltaNotification,
    CommandExecutionThreadItem,
    FileChangeThreadItem,
    ItemCompletedNotification,
)
from .fleet import cli as fleet_cli
from .sandbox import Sandbox
from .testing import MockResponsesServer, responses

DEMO_COMMAND = "printf 'hello from the sandbox\\n' > greeting.txt && cat greeting.txt"
DEMO_FILE = "NOTES.md"
DEMO_ANSWER = [
    "I ran a command ",
    "in the sandbox, ",
    "wrote greeting.txt, ",
    f"and added {DEMO_FILE} ",
    "with a patch. ",
    "All of it ran inside this Python process.",
]


PARITY_COMMAND = "python -m tests.contract.parity"
# The comparison reads the official SDK's transcripts and the allow-list under tests/, which
# an installed package does not have; the tool lives with them in the repository.
PARITY_MOVED = (
    "`parity` compares with the official SDK's transcripts stored in the codex-embedded repository;\n"
    f"run it from a clone: {PARITY_COMMAND} [--no-harvest] [SCENARIO ...]\n"
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def run_demo(out: _Writer) -> int:
    """One agent turn: a shell command, a file patch, then streamed text."""
    with MockResponsesServer() as mock, tempfile.TemporaryDirectory(prefix="codex-demo-") as tmp:
        workspace = Path(tmp)
        mock.enqueue(
            responses.exec_command(DEMO_COMMAND, login=False),
            responses.apply_patch(responses.add_file_patch(DEMO_FILE, "# Notes\nWritten by the demo agent.")),
            responses.streamed_text(DEMO_ANSWER),
        )
        out.line(f"mock Responses API: {mock.base_url}   workspace: {workspace}")
        timings: list[tuple[str, float]] = []

        started = time.perf_counter()
        with Codex(base_url=mock.base_url, api_key="sk-demo-not-a-real-key", cwd=str(workspace)) as codex:
            timings.append(("engine start", time.perf_counter() - started))

            mark = time.perf_counter()
            thread = codex.thread_start(sandbox=Sandbox.workspace_write)
            timings.append(("thread start", time.perf_counter() - mark))

            mark = time.perf_counter()
            turn = thread.turn("Say hello from a sandboxed shell, then write some notes.")
            first_delta: float | None = None
            out.line("\nagent> ", end="")
            for event in turn.stream():
                payload = event.payload
                if isinstance(payload, AgentMessageDeltaNotification):
                    if first_delta is None:
                        first_delta = time.perf_counter() - mark
                    out.line(payload.delta, end="")
                elif isinstance(payload, ItemCompletedNotification):
                    item = payload.item.root
                    if isinstance(item, CommandExecutionThreadItem):
                        output = (item.aggregated_output or "").strip()
                        out.line(f"[shell] $ {item.command}\n[shell] exit {item.exit_code}: {output}")
                        out.line("agent> ", end="")
                    elif isinstance(item, FileChangeThreadItem):
                        for change in item.changes:
                            out.line(f"[patch] {item.status.value}: {change.path}")
                        out.line("agent> ", end="")
            result = turn.run()
            timings.append(("turn (3 model calls)", time.perf_counter() - mark))
            if first_delta is not None:
                timings.append(("  first text delta", first_delta))

            mark = time.perf_counter()
        timings.append(("close", time.perf_counter() - mark))

        out.line("\n")
        patched = workspace / DEMO_FILE
        greeting = workspace / "greeting.txt"
        out.line(f"status: {result.status.value}; final response: {result.final_response!r}")
        out.line(f"{greeting.name}: {greeting.read_text().strip()!r}" if greeting.exists() else "greeting.txt missing!")
        out.line(f"{patched.name}: {patched.read_text()!r}" if patched.exists() else f"{DEMO_FILE} missing!")
        out.line(f"model requests served by the mock: {len(mock.response_requests)}")
        out.line("\ntimings:")
        for name, seconds in timings:
            out.line(f"  {name:<24}{_ms(seconds)}")
        ok = result.status.value == "completed" and patched.exists() and greeting.exists()
        return 0 if ok else 1


class _Writer:
    def line(self, text: str, end: str = "\n") -> None:
        sys.stdout.write(text + end)
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codex", description="codex-embedded command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run one real agent turn against the built-in mock (no network, no key)")
    parity_help = f"compare with the official SDK: a repository tool, `{PARITY_COMMAND}` in a clone"
    commands.add_parser("parity", help=parity_help)
    tools = commands.add_parser("tools", help="tool manifests: `tools validate FILE...`")
    manifest.add_arguments(tools)
    fleet = commands.add_parser("fleet", help="many agent tasks at once: `fleet run TASKS.jsonl --out results.jsonl`")
    fleet_cli.add_arguments(fleet)
    exec_cli.add_arguments(commands.add_parser("exec", help='one agent turn from the command line: `exec "PROMPT"`'))
    verify.add_arguments(
        commands.add_parser("verify", help="check the installed engine, helper, sandbox and home; exit 1 on a problem")
    )
    # What parse_args does, except that `parity` takes the tool's own arguments before it says where it went.
    args, unknown = parser.parse_known_args(argv)
    if args.command == "parity":
        sys.stderr.write(PARITY_MOVED)
        return 2
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "demo":
        return run_demo(_Writer())
    if args.command == "tools":
        return manifest.run_command(args)
    if args.command == "exec":
        return exec_cli.run_command(args)
    if args.command == "verify":
        return verify.run_command(args)
    if args.command == "fleet":
        return fleet_cli.run_command(args)
    parser.error(f"unknown command {args.command}")
    return 2
