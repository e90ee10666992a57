"""Composable approval policies.

A :class:`Policy` looks at an :class:`~codex.approvals.ApprovalRequest` and returns
``Allow``, ``Deny`` or ``None`` (no opinion). Called as an approval callback it
turns "no opinion" into a ``Deny``: policies fail closed too. Compose them::

    from codex import policies

    approvals = policies.first_match(
        policies.deny_paths(["~/.ssh", "/etc"]),
        policies.allow_commands(exact=["git status"], prefixes=["pytest", "ls"]),
        policies.read_only(),
    )
    Codex(approval_callback=approvals)

Combinators: :func:`all_of` (every policy must allow; any ``Deny`` wins),
:func:`any_of` (one ``Allow`` suffices; otherwise any ``Deny``), :func:`first_match`
(the first policy with an opinion decides). ``p & q`` is ``all_of(p, q)`` and
``p | q`` is ``any_of(p, q)``.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath

from .approvals import (
    Allow,
    ApprovalRequest,
    CommandApprovalRequest,
    Decision,
    Deny,
    FileChangeApprovalRequest,
    LegacyExecApprovalRequest,
    LegacyPatchApprovalRequest,
    PermissionsApprovalRequest,
)

__all__ = [
    "Policy",
    "all_of",
    "allow_all",
    "allow_commands",
    "any_of",
    "deny_all",
    "deny_paths",
    "first_match",
    "no_opinion",
    "policy",
    "read_only",
]

Opinion = Decision | None

#: Characters that chain, redirect or substitute in a shell script; an allow-list never matches them.
_SHELL_SYNTAX = frozenset(";&|<>`$\n(){}")
_READ_ACTIONS = frozenset({"read", "listFiles", "search"})


class Policy:
    """Decides approval requests; usable directly as an ``approval_callback``."""

    def __init__(self, decide: Callable[[ApprovalRequest], Opinion], name: str) -> None:
        self._decide = decide
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def decide(self, request: ApprovalRequest) -> Opinion:
        """``Allow``, ``Deny``, or ``None`` when this policy has no opinion."""
        return self._decide(request)

    def __call__(self, request: ApprovalRequest) -> Decision:
        opinion = self.decide(request)
        return opinion if opinion is not None else Deny(f"no policy allows this {request.kind} request")

    def __and__(self, other: Policy) -> Policy:
        return all_of(self, other)

    def __or__(self, other: Policy) -> Policy:
        return any_of(self, other)


def policy(function: Callable[[ApprovalRequest], Opinion]) -> Policy:
    """Makes a function ``(request) -> Allow | Deny | None`` a composable policy."""
    return Policy(function, getattr(function, "__name__", "policy"))


# --------------------------------------------------------------------------- constants
def allow_all() -> Policy:
    """Allows every request (the identity of :func:`all_of`)."""
    return Policy(lambda _request: Allow(), "allow_all()")


def deny_all(reason: str = "denied by policy") -> Policy:
    """Denies every request (it dominates :func:`all_of`)."""
    return Policy(lambda _request: Deny(reason), f"deny_all({reason!r})")


def no_opinion() -> Policy:
    """Has no opinion on anything (the identity of :func:`any_of` and :func:`first_match`)."""
    return Policy(lambda _request: None, "no_opinion()")


# --------------------------------------------------------------------------- combinators
def _default_allow(allows: Sequence[Allow]) -> Allow:
    # A specific Allow (for the session, with an amendment...) is kept over the plain one.
    for allow in allows:
        if allow != Allow():
            return allow
    return Allow()


def all_of(*policies: Policy) -> Policy:
    """Allows only when every policy allows; any ``Deny`` wins; otherwise no opinion."""
    members = tuple(policies)

    def decide(request: ApprovalRequest) -> Opinion:
        opinions = [member.decide(request) for member in members]
        for opinion in opinions:
            if isinstance(opinion, Deny):
                return opinion
        allows = [opinion for opinion in opinions if isinstance(opinion, Allow)]
        if len(allows) == len(opinions):
            return _default_allow(allows)
        return None

    return Policy(decide, f"all_of({', '.join(map(repr, members))})")


def any_of(*policies: Policy) -> Policy:
    """Allows when any policy allows; else denies when any denies; otherwise no opinion."""
    members = tuple(policies)

    def decide(request: ApprovalRequest) -> Opinion:
        opinions = [member.decide(request) for member in members]
        allows = [opinion for opinion in opinions if isinstance(opinion, Allow)]
        if allows:
            return _default_allow(allows)
        for opinion in opinions:
            if isinstance(opinion, Deny):
                return opinion
        return None

    return Policy(decide, f"any_of({', '.join(map(repr, members))})")


def first_match(*policies: Policy) -> Policy:
    """The first policy with an opinion decides (order matters)."""
    members = tuple(policies)

    def decide(request: ApprovalRequest) -> Opinion:
        for member in members:
            opinion = member.decide(request)
            if opinion is not None:
                return opinion
        return None

    return Policy(decide, f"first_match({', '.join(map(repr, members))})")


# --------------------------------------------------------------------------- commands
def _words(value: str | Sequence[str]) -> tuple[str, ...]:
    return tuple(shlex.split(value) if isinstance(value, str) else value)


def _command_words(request: ApprovalRequest) -> tuple[str, ...] | None:
    """The words of the command a request would run, or None (not a command, or shell syntax)."""
    if isinstance(request, CommandApprovalRequest):
        script = request.script
        if not script.strip() or _SHELL_SYNTAX & set(script):
            return None
        try:
            return tuple(shlex.split(script))
        except ValueError:
            return None
    if isinstance(request, LegacyExecApprovalRequest):
        return tuple(request.command) or None
    return None


def allow_commands(
    *,
    exact: Iterable[str | Sequence[str]] = (),
    prefixes: Iterable[str | Sequence[str]] = (),
    for_session: bool = False,
) -> Policy:
    """Allows commands equal to one of ``exact`` or starting with one of ``prefixes``.

    Commands are compared word by word (``"git status"`` matches ``git  status`` but
    not ``git statusx``). A script with shell syntax (``;``, ``&&``, ``|``, redirects,
    substitutions) never matches. Other requests: no opinion.
    """
    exact_words = {_words(item) for item in exact}
    prefix_words = [_words(item) for item in prefixes]
    if any(not words for words in exact_words | set(prefix_words)):
        raise ValueError("allow_commands: an empty command would match everything")

    def decide(request: ApprovalRequest) -> Opinion:
        words = _command_words(request)
        if words is None:
            return None
        if words in exact_words or any(words[: len(prefix)] == prefix for prefix in prefix_words):
            return Allow(for_session=for_session)
        return None

    return Policy(decide, f"allow_commands(exact={sorted(exact_words)!r}, prefixes={prefix_words!r})")


# --------------------------------------------------------------------------- paths
def _normal(path: str) -> PurePosixPath:
    return PurePosixPath(os.path.normpath(os.path.expanduser(path)))


def _paths_of(request: ApprovalRequest) -> list[str]:
    """Paths a request would touch, as far as its fields tell."""
    found: list[str] = []
    if isinstance(request, CommandApprovalRequest):
        cwd = request.cwd or ""
        for word in shlex_words(request.script):
            value = word.split("=", 1)[-1]
            if "/" in value or value.startswith("~"):
                absolute = value.startswith(("/", "~")) or not cwd
                found.append(value if absolute else os.path.join(cwd, value))
        if cwd:
            found.append(cwd)
    elif isinstance(request, LegacyExecApprovalRequest):
        found.extend(word for word in request.command if "/" in word)
    elif isinstance(request, FileChangeApprovalRequest):
        if request.grant_root:
            found.append(request.grant_root)
    elif isinstance(request, LegacyPatchApprovalRequest):
        found.extend(request.file_changes)
        if request.grant_root:
            found.append(request.grant_root)
    elif isinstance(request, PermissionsApprovalRequest):
        file_system = request.permissions.get("fileSystem") or {}
        for key in ("read", "write"):
            found.extend(str(path) for path in file_system.get(key) or [])
    return found


def shlex_words(script: str) -> list[str]:
    """Words of a shell script, with redirect targets (``>file``) split off; [] if unparsable."""
    try:
        lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return []


def deny_paths(paths: Iterable[str], *, reason: str | None = None) -> Policy:
    """Denies requests that touch one of ``paths`` or anything below them; else no opinion.

    Paths are taken from a command's words, its working directory, a file change's
    root and a permission request's roots (``~`` is expanded).
    """
    roots = [_normal(path) for path in paths]

    def touches(path: str) -> bool:
        candidate = _normal(path)
        return any(candidate == root or root in candidate.parents for root in roots)

    def decide(request: ApprovalRequest) -> Opinion:
        for path in _paths_of(request):
            if touches(path):
                return Deny(reason or f"{path} is in a denied path")
        return None

    return Policy(decide, f"deny_paths({[str(root) for root in roots]!r})")


# --------------------------------------------------------------------------- read-only
def read_only() -> Policy:
    """Allows commands the engine parsed as reads only (read, list, search); denies writes.

    File changes and permission requests that ask to write are denied, and so is any
    other command; other requests: no opinion.
    """

    def decide(request: ApprovalRequest) -> Opinion:
        if isinstance(request, CommandApprovalRequest):
            actions = request.command_actions or []
            if actions and all(action.get("type") in _READ_ACTIONS for action in actions):
                return Allow()
            return Deny("read-only: this command may write")
        if isinstance(request, (FileChangeApprovalRequest, LegacyPatchApprovalRequest, LegacyExecApprovalRequest)):
            return Deny("read-only: no changes allowed")
        if isinstance(request, PermissionsApprovalRequest):
            file_system = request.permissions.get("fileSystem") or {}
            if file_system.get("write") or request.permissions.get("network"):
                return Deny("read-only: no write or network permissions")
            return None
        return None

    return Policy(decide, "read_only()")
