"""Writes the sync twins of the async API from the async source, between markers.

Many methods of ``AsyncCodex``, ``AsyncThread`` and the login handles differ from their
``Codex``/``Thread`` twins only in ``async``/``await`` and in the names of the async types.
Those are written once, as async code, between source markers::

    # --- sync twin source: AsyncThreadAdminApi ---
    class AsyncThreadAdminApi:
        ...
    # --- end sync twin source ---

and this script writes the sync twin between target markers in the same module (at the same
indentation, so a region may hold whole classes or some methods of one class)::

    # --- generated from AsyncThreadAdminApi by scripts/generate_sync_twins.py; do not edit ---
    class ThreadAdminApi:
        ...
    # --- end generated ---

The transform works on tokens, so comments and formatting survive: ``async`` before
``def``/``with``/``for`` and every ``await`` are dropped, names are renamed by :data:`RENAMES`
(in code, docstrings and comments alike; whole words only), dotted names by
:data:`ATTRIBUTE_RENAMES`, and docstring phrases that must read differently by
:data:`DOC_PHRASES`; a line ``import asyncio`` is dropped. The result is formatted with ruff,
so a fresh run is byte-stable. A name
the tables miss (anything still async after the transform) is an error, not a silent twin
that calls a coroutine without awaiting it.

Usage: ``python scripts/generate_sync_twins.py [--check]``. ``--check`` writes nothing and
exits 1 when a generated region is stale or was edited by hand
(``tests/unit/test_sync_twins_fresh.py`` runs it).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent

#: The modules holding sync twin regions (relative to the repository root).
MODULES = (
    "python/codex/_session.py",
    "python/codex/client.py",
    "python/codex/login.py",
    "python/codex/mcp.py",
    "python/codex/thread_admin.py",
    "python/codex/thread_controls.py",
    "python/codex/threads.py",
)

#: Async name -> sync name, for identifiers and for the same whole words in strings and comments.
RENAMES = {
    "AsyncAccountApi": "AccountApi",
    "AsyncChatgptLoginHandle": "ChatgptLoginHandle",
    "AsyncCodex": "Codex",
    "AsyncDeviceCodeLoginHandle": "DeviceCodeLoginHandle",
    "AsyncIterator": "Iterator",
    "AsyncSession": "Session",
    "AsyncThread": "Thread",
    "AsyncThreadAdminApi": "ThreadAdminApi",
    "AsyncThreadControls": "ThreadControls",
    "AsyncTurnHandle": "TurnHandle",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "_cancel_async": "_cancel",
    "_wait_async": "_wait",
    "call_async": "call",
    "dispatch_async": "dispatch",
    "mcp_status_async": "mcp_status",
    "request_async": "request",
    "run_async": "run",
}

#: Dotted names whose sync twin lives in another module.
ATTRIBUTE_RENAMES = {
    ("asyncio", "sleep"): ("time", "sleep"),
}

#: Docstring phrases that must read differently in the sync twin (strings only).
DOC_PHRASES = {
    "or ``await run()``": "or call ``run()``",
    "``await wait()``": "``wait()``",
    "Waits until": "Blocks until",
}

SOURCE_START = re.compile(r"^(?P<indent> *)# --- sync twin source: (?P<name>.+?) ---$")
SOURCE_END = "# --- end sync twin source ---"
TARGET_START = re.compile(
    r"^(?P<indent> *)# --- generated from (?P<name>.+?) by scripts/generate_sync_twins\.py; do not edit ---$"
)
TARGET_END = "# --- end generated ---"

_ASYNC_KEYWORDS = {"def", "with", "for"}
_WORDS = re.compile(r"\b(" + "|".join(sorted(map(re.escape, RENAMES), key=len, reverse=True)) + r")\b")


class TwinError(Exception):
    """A module's markers or async source cannot be turned into a sync twin."""


class Region(NamedTuple):
    name: str
    indent: str
    start: int  # index of the start marker line
    end: int  # index of the end marker line


def _regions(lines: list[str], start: re.Pattern[str], end: str, where: str) -> dict[str, Region]:
    found: dict[str, Region] = {}
    opened: tuple[str, str, int] | None = None
    for index, line in enumerate(lines):
        text = line.rstrip("\n")
        match = start.match(text)
        if match:
            if opened is not None:
                raise TwinError(f"{where}:{index + 1}: region {match['name']!r} opens inside {opened[0]!r}")
            opened = (match["name"], match["indent"], index)
        elif text.strip() == end:
            if opened is None:
                raise TwinError(f"{where}:{index + 1}: {end!r} closes no region")
            name, indent, first = opened
            if text != indent + end:
                raise TwinError(f"{where}:{index + 1}: {end!r} is not indented like its start marker")
            if name in found:
                raise TwinError(f"{where}:{first + 1}: two regions are named {name!r}")
            found[name] = Region(name, indent, first, index)
            opened = None
    if opened is not None:
        raise TwinError(f"{where}:{opened[2] + 1}: region {opened[0]!r} is never closed")
    return found


def _next(tokens: list[tokenize.TokenInfo], index: int) -> int | None:
    """The index of the first token after ``index`` that is code (not a comment or line break)."""
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    for later in range(index + 1, len(tokens)):
        if tokens[later].type not in skip:
            return later
    return None


def _rename_words(text: str) -> str:
    return _WORDS.sub(lambda match: RENAMES[match[1]], text)


def to_sync(source: str) -> str:
    """The sync twin of async ``source`` (unformatted; positions of untouched code are kept)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(position: tuple[int, int]) -> int:
        return line_starts[position[0] - 1] + position[1]

    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) offsets into source
    for index, token in enumerate(tokens):
        following_index = _next(tokens, index)
        following = tokens[following_index] if following_index is not None else None
        if token.type == tokenize.NAME:
            drop_async = token.string == "async" and following is not None and following.string in _ASYNC_KEYWORDS
            if token.string == "import" and following is not None and following.string == "asyncio":
                # The async source imports asyncio where it uses it; its twin uses none of it.
                line_end = tokens[following_index + 1] if following_index is not None else None
                if line_end is not None and line_end.type == tokenize.NEWLINE:
                    line = token.start[0]
                    blank_after = tokens[following_index + 2].type == tokenize.NL  # as ruff leaves it
                    edits.append((line_starts[line - 1], line_starts[line + 1 if blank_after else line], ""))
                    continue
            if drop_async or token.string == "await":
                if following is None or following.start[0] != token.start[0]:
                    raise TwinError(f"line {token.start[0]}: {token.string!r} must be followed by code on its line")
                edits.append((offset(token.start), offset(following.start), ""))
            elif token.string in RENAMES:
                edits.append((offset(token.start), offset(token.end), RENAMES[token.string]))
            elif following_index is not None and tokens[following_index].string == ".":
                attribute_index = _next(tokens, following_index)
                attribute = tokens[attribute_index] if attribute_index is not None else None
                if attribute is not None and (token.string, attribute.string) in ATTRIBUTE_RENAMES:
                    module, name = ATTRIBUTE_RENAMES[(token.string, attribute.string)]
                    edits.append((offset(token.start), offset(token.end), module))
                    edits.append((offset(attribute.start), offset(attribute.end), name))
        elif token.type in (tokenize.STRING, tokenize.COMMENT):
            text = token.string
            if token.type == tokenize.STRING:
                for phrase, replacement in DOC_PHRASES.items():
                    text = text.replace(phrase, replacement)
            text = _rename_words(text)
            if text != token.string:
                edits.append((offset(token.start), offset(token.end), text))
    for start, end, replacement in sorted(edits, reverse=True):
        source = source[:start] + replacement + source[end:]
    return source


def _still_async(code: str, where: str) -> None:
    """Raises when the transformed code still awaits or names something async."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.AsyncFunctionDef, ast.AsyncFor, ast.AsyncWith, ast.Await)):
            raise TwinError(f"{where}: line {node.lineno} is still async after the transform")
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.alias)):
            name = node.name
        if name is not None and (name.startswith("Async") or name.endswith("_async") or name == "asyncio"):
            raise TwinError(f"{where}: {name!r} has no sync name: add it to RENAMES in scripts/generate_sync_twins.py")


def _reindent(lines: list[str], old: str, new: str) -> list[str]:
    out = []
    for line in lines:
        if line.strip() and not line.startswith(old):
            raise TwinError(f"a line of the source region is indented less than its marker: {line!r}")
        out.append(new + line[len(old) :] if line.strip() else "\n")
    return out


def _ruff_format(text: str, path: Path) -> str:
    # The ruff of this interpreter's environment (the pinned one), else the one on PATH.
    ruff = [sys.executable, "-m", "ruff"] if importlib.util.find_spec("ruff") else [shutil.which("ruff") or "ruff"]
    done = subprocess.run(
        [*ruff, "format", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise TwinError(f"ruff format failed on {path}: {done.stderr.strip()}")
    return done.stdout


def generate_text(text: str, path: Path) -> str:
    """``text`` (a module's source) with every generated region rewritten from its async source."""
    lines = text.splitlines(keepends=True)
    where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    sources = _regions(lines, SOURCE_START, SOURCE_END, where)
    targets = _regions(lines, TARGET_START, TARGET_END, where)
    if not sources:
        raise TwinError(f"{where}: no '# --- sync twin source: ... ---' region")
    if set(sources) != set(targets):
        missing = sorted(set(sources) ^ set(targets))
        raise TwinError(f"{where}: source and generated regions do not pair up: {missing}")
    replacements: dict[str, list[str]] = {}
    for name, source in sources.items():
        body = "".join(_reindent(lines[source.start + 1 : source.end], source.indent, ""))
        sync = to_sync(body)
        _still_async(sync, f"{where}: region {name!r}")
        replacements[name] = _reindent(sync.splitlines(keepends=True), "", targets[name].indent)
    candidate = _splice(lines, targets, replacements)
    # Format the whole module (the regions' context decides blank lines), then keep only the regions.
    formatted = _ruff_format("".join(candidate), path).splitlines(keepends=True)
    formatted_targets = _regions(formatted, TARGET_START, TARGET_END, f"{where} (formatted)")
    regions = {name: formatted[region.start + 1 : region.end] for name, region in formatted_targets.items()}
    return "".join(_splice(lines, targets, regions))


def _splice(lines: list[str], targets: dict[str, Region], bodies: dict[str, list[str]]) -> list[str]:
    out = list(lines)
    for region in sorted(targets.values(), key=lambda region: region.start, reverse=True):
        out[region.start + 1 : region.end] = bodies[region.name]
    return out


def stale_modules(modules: tuple[str, ...] = MODULES) -> list[str]:
    """The modules whose generated regions differ from a fresh generation."""
    return [module for module in modules if _fresh(ROOT / module) != (ROOT / module).read_text()]


def _fresh(path: Path) -> str:
    return generate_text(path.read_text(), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a region is stale")
    parser.add_argument("modules", nargs="*", default=MODULES, help="modules to process (default: all listed)")
    args = parser.parse_args(argv)
    modules = tuple(args.modules)
    try:
        if args.check:
            stale = stale_modules(modules)
            for module in stale:
                print(f"{module}: sync twins are stale or hand-edited: run scripts/generate_sync_twins.py")
            return 1 if stale else 0
        for module in modules:
            path = ROOT / module
            fresh = _fresh(path)
            if fresh != path.read_text():
                path.write_text(fresh)
                print(f"wrote {module}")
    except TwinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
