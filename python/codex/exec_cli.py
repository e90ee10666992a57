"""``python -m codex exec "PROMPT"``: one turn from the command line, like ``codex exec``.

Text streams to stdout as the model writes it; commands and patches get a progress line
on stderr. ``--json`` prints every engine notification as one JSON line instead. The key
comes from ``OPENAI_API_KEY``; without it, from the login store of ``$CODEX_HOME`` (or
``~/.codex``), which then is the engine's home, as it is for the official CLI.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .client import Codex
from .events import (
    AgentMessageDeltaNotification,
    CommandExecutionThreadItem,
    FileChangeThreadItem,
    ItemCompletedNotification,
    ItemStartedNotification,
)
from .sandbox import Sandbox

SANDBOXES = {"read-only": Sandbox.read_only, "workspace-write": Sandbox.workspace_write}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what the agent should do")
    parser.add_argument("--json", action="store_true", help="print every engine notification as a JSON line")
    parser.add_argument("--model", help="model name (default: the engine's)")
    parser.add_argument("--cd", default=None, help="working directory of the agent (default: the current one)")
    parser.add_argument("--sandbox", choices=sorted(SANDBOXES), default="workspace-write")
    parser.add_argument("--base-url", default=None, help="a Responses API other than OpenAI's (a gateway, a mock)")


def login_home() -> Path | None:
    home = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
    return home if (home / "auth.json").is_file() else None


def run_command(args: argparse.Namespace) -> int:
    codex_home: str | None = None
    if not os.environ.get("OPENAI_API_KEY"):
        home = login_home()
        if home is None:
            print("no key: set OPENAI_API_KEY or log in with the codex CLI (~/.codex/auth.json)", file=sys.stderr)
            return 2
        codex_home = str(home)
    cwd = str(Path(args.cd or os.getcwd()).resolve())
    with Codex(base_url=args.base_url, model=args.model, codex_home=codex_home, cwd=cwd) as codex:
        thread = codex.thread_start(sandbox=SANDBOXES[args.sandbox])
        turn = thread.turn(args.prompt)
        for event in turn.stream():
            if args.json:
                sys.stdout.write(event.to_json() + "\n")
                sys.stdout.flush()
                continue
            _progress(event.payload)
        result = turn.run()
    if not args.json:
        sys.stdout.write("\n")
    if result.status.value != "completed":
        print(f"turn {result.status.value}", file=sys.stderr)
        return 1
    return 0


def _progress(payload: object) -> None:
    if isinstance(payload, AgentMessageDeltaNotification):
        sys.stdout.write(payload.delta)
        sys.stdout.flush()
    elif isinstance(payload, ItemStartedNotification) and isinstance(payload.item.root, CommandExecutionThreadItem):
        print(f"[exec] $ {payload.item.root.command}", file=sys.stderr)
    elif isinstance(payload, ItemCompletedNotification):
        item = payload.item.root
        if isinstance(item, CommandExecutionThreadItem):
            print(f"[exec] exit {item.exit_code}", file=sys.stderr)
        elif isinstance(item, FileChangeThreadItem):
            for change in item.changes:
                print(f"[patch] {item.status.value}: {change.path}", file=sys.stderr)
