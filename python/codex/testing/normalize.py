"""Stable transcripts: SDK values as wire JSON, with run-specific values replaced.

Two runs of the same scenario (or the same scenario through two SDKs) produce
different ids, timestamps, durations and temporary paths. :class:`Normalizer`
replaces them by placeholders so what remains can be compared verbatim:

* ids (``id``, ``threadId``, ``turnId``, ``itemId``, ``callId``, any ``...Id``)
  become ``<id@WHERE>``, named by where they first appear, so references
  between events stay visible (an item's ``turnId`` still equals the turn's ``id``);
* timestamps (``...At``, ``...AtMs``) become ``<timestamp>``, durations (``...Ms`` with
  "duration" or "elapsed" in the key) become ``<duration>``;
* the workspace and engine home paths become ``<workspace>`` / ``<codex_home>``;
* timing lines inside tool output (``Wall time: 0.01 seconds``) and ISO
  timestamps inside text (list cursors, for one) are blanked.

Used by the official-SDK harvester, the contract tests and ``python -m codex parity``.
It works on plain JSON values, so it does not care which SDK produced them.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

JsonValue = Any

_ID_KEY = re.compile(r"(^id$|Id$|_id$|^callId$)")
_TIMESTAMP_KEY = re.compile(r"(At$|AtMs$|_at$|^timestamp$)")
_DURATION_KEY = re.compile(r"(duration|elapsed)", re.IGNORECASE)
_VOLATILE_TEXT = (
    (re.compile(r"Wall time: [0-9.]+ seconds"), "Wall time: <duration> seconds"),
    (re.compile(r"Chunk ID: [0-9a-zA-Z_-]+"), "Chunk ID: <chunk>"),
    (re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]+-[0-9a-f]{8}"), "<home-name>"),
    (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z"), "<timestamp>"),
    # Stored threads: sessions/YYYY/MM/DD/rollout-<local time>-<thread uuid>.jsonl
    (re.compile(r"/[0-9]{4}/[0-9]{2}/[0-9]{2}/"), "/<date>/"),
    (re.compile(r"rollout-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}"), "rollout-<timestamp>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
)


def to_wire(value: Any) -> JsonValue:
    """Any SDK value (pydantic model, dataclass, enum, ...) as plain JSON data.

    ``to_dict()`` (codex-embedded's wire models) wins; other pydantic models are
    dumped by alias with only the fields that were set, which is their wire form.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_wire(value.value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_wire(to_dict())
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return to_wire(model_dump(by_alias=True, exclude_unset=True, mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_wire(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    return repr(value)


def signature(value: Any) -> str | None:
    """What identifies a list element regardless of its position: a notification by
    its method (and item type), an item by its type; None for anything else."""
    if isinstance(value, Mapping):
        method = value.get("method")
        if isinstance(method, str):
            params = value.get("params")
            item = params.get("item") if isinstance(params, Mapping) else None
            kind = item.get("type") if isinstance(item, Mapping) else None
            return f"{method}:{kind}" if isinstance(kind, str) else method
        kind = value.get("type")
        if isinstance(kind, str):
            return kind
    return None


class Normalizer:
    """Replaces run-specific values; one instance per transcript keeps ids consistent.

    An id becomes ``<id@WHERE>``, WHERE being the place it was first seen, spelled
    with list elements named by :func:`signature` and occurrence (``turn/started#1``),
    not by index. So one extra event or field in a transcript renames only the ids
    first seen there, instead of renumbering every id after it.
    """

    def __init__(self, paths: Mapping[str, str] | None = None) -> None:
        # Longest first, so a path inside another one gets its own placeholder.
        self._paths = sorted((paths or {}).items(), key=lambda pair: len(pair[0]), reverse=True)
        self._ids: dict[str, str] = {}

    def id_placeholder(self, value: str, where: str) -> str:
        if value not in self._ids:
            self._ids[value] = f"<id@{where}>"
        return self._ids[value]

    def text(self, value: str) -> str:
        for path, placeholder in self._paths:
            if path:
                value = value.replace(path, placeholder)
        for pattern, replacement in _VOLATILE_TEXT:
            value = pattern.sub(replacement, value)
        return value

    def __call__(self, value: JsonValue) -> JsonValue:
        return self._walk(value, "", "")

    def _walk(self, value: JsonValue, key: str, where: str) -> JsonValue:
        if isinstance(value, Mapping):
            return {str(k): self._walk(v, str(k), f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            seen: dict[str, int] = {}
            out = []
            for index, item in enumerate(value):
                name = signature(item)
                if name is None:
                    label = str(index)
                else:
                    seen[name] = seen.get(name, 0) + 1
                    label = f"{name}#{seen[name]}"
                out.append(self._walk(item, key, f"{where}.{label}" if where else label))
            return out
        if isinstance(value, str):
            if _ID_KEY.search(key) and value:
                return self.id_placeholder(value, where)
            return self.text(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if _TIMESTAMP_KEY.search(key):
                return "<timestamp>"
            if _DURATION_KEY.search(key):
                return "<duration>"
        return value


def collapse_deltas(events: Iterable[Mapping[str, Any]], methods: Iterable[str]) -> list[dict[str, Any]]:
    """Merges runs of consecutive delta notifications of ``methods`` into one.

    For scenarios where how many deltas arrive depends on timing (an interrupt
    mid-stream): the run's texts are joined and replaced by ``<deltas>``.
    """
    wanted = set(methods)
    out: list[dict[str, Any]] = []
    for event in events:
        method = event.get("method")
        if method in wanted and out and out[-1].get("method") == method:
            continue
        event = dict(event)
        if method in wanted:
            params = dict(event.get("params") or {})
            params["delta"] = "<deltas>"
            event["params"] = params
        out.append(event)
    return out
