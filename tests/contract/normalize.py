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

Used by the official-SDK harvester, the contract tests and ``python -m tests.contract.parity``.
:func:`normalize_backend_requests` does the same for the HTTP/WebSocket requests the engine
sends to the OpenAI backends (headers, paths, body keys), and :func:`compare_backend_requests`
lists how two runs' requests differ.
It works on plain JSON values, so it does not care which SDK produced them.
"""

from __future__ import annotations

import dataclasses
import enum
import json
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


# --------------------------------------------------------------------------- backend requests
#: Headers whose value is JSON text; compared field by field.
_JSON_HEADERS = ("x-codex-turn-metadata",)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: ``name/1.2.3 (Debian 12.0.0; x86_64) xterm (client; 1.2.3)``: the OS and the terminal are the
#: machine's, the names and versions are the client's and stay verbatim.
_USER_AGENT = re.compile(r"^(?P<product>\S+) \((?P<os>[^)]*)\) (?P<terminal>.*?) ?(?P<client>\([^)]*\))?$")
_TIME_FIELD = re.compile(r"(_ms$|_at$|^timestamp$|_unix)")
_WEBSOCKET_METHOD = "WEBSOCKET"


def _backend_text(value: str, known: Iterable[tuple[str, str]]) -> str:
    for secret, placeholder in known:
        value = value.replace(secret, placeholder)
    return _UUID.sub("<uuid>", value)


def _backend_json(value: JsonValue, key: str, known: Iterable[tuple[str, str]]) -> JsonValue:
    if isinstance(value, Mapping):
        return {str(k): _backend_json(v, str(k), known) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_backend_json(item, key, known) for item in value]
    if isinstance(value, str):
        return _backend_text(value, known)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and _TIME_FIELD.search(key):
        return "<timestamp>"
    return value


def normalize_header(name: str, value: str, known: Mapping[str, str] | None = None) -> JsonValue:
    """One request header's value with run- and machine-specific parts replaced.

    ``known`` maps values of this run (the API key, the thread and turn ids, a token) to
    their placeholders (``<key>``, ``<thread>``, ...); any other UUID becomes ``<uuid>``.
    Versions and names stay as sent. JSON headers (the turn metadata) become objects.
    """
    pairs = sorted((known or {}).items(), key=lambda pair: len(pair[0]), reverse=True)
    name = name.lower()
    if name == "host":
        return re.sub(r":[0-9]+$", ":<port>", value)
    if name in ("sec-websocket-key", "content-length"):
        return f"<{name}>"
    if name == "user-agent":
        match = _USER_AGENT.match(value)
        if match:
            client = f" {match['client']}" if match["client"] else ""
            return _backend_text(f"{match['product']} (<os>) <terminal>{client}", pairs)
    if name in _JSON_HEADERS:
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return _backend_json(parsed, "", pairs)
    return _backend_text(value, pairs)


def backend_request_kind(method: str, path: str, headers: Mapping[str, str], body: Any) -> str:
    """What a request to the OpenAI backend is for, the same in every run.

    Model calls (``/responses``) are ``turn`` or ``warm-up`` (a WebSocket ``generate: false``),
    prefixed with the sub-agent that sends them (``guardian warm-up``); anything else is
    ``METHOD path`` without the query.
    """
    bare = path.split("?")[0].rstrip("/")
    if bare.endswith("/responses"):
        warm_up = isinstance(body, Mapping) and body.get("generate") is False
        role = "warm-up" if warm_up else "turn"
        subagent = {k.lower(): v for k, v in headers.items()}.get("x-openai-subagent")
        return f"{subagent} {role}" if subagent else role
    return f"{method} {bare}"


def normalize_backend_request(request: Any, known: Mapping[str, str] | None = None) -> dict[str, JsonValue]:
    """A recorded request (:class:`codex.testing.RecordedRequest` or alike) as a comparable record:
    its kind, transport, method, path, normalized headers and the body's top-level keys."""
    method, path, body = str(request.method), str(request.path), request.body
    headers = {str(k).lower(): str(v) for k, v in request.headers.items()}
    record: dict[str, JsonValue] = {
        "kind": backend_request_kind(method, path, headers, body),
        "transport": "websocket" if method == _WEBSOCKET_METHOD else "http",
        "method": method,
        "path": _backend_text(path, sorted((known or {}).items(), key=lambda p: len(p[0]), reverse=True)),
        "headers": {name: normalize_header(name, value, known) for name, value in sorted(headers.items())},
        "body_keys": sorted(body) if isinstance(body, Mapping) else [],
    }
    if isinstance(body, Mapping):
        metadata = body.get("client_metadata")
        if isinstance(metadata, Mapping):
            record["client_metadata_keys"] = sorted(metadata)
        if isinstance(body.get("model"), str):
            record["model"] = body["model"]
    return record


def normalize_backend_requests(requests: Iterable[Any], known: Mapping[str, str] | None = None) -> list[JsonValue]:
    """Every request of a run, normalized, in a stable order: by kind, then as they arrived
    (a sub-agent's warm-up and the main thread's race each other)."""
    records = [normalize_backend_request(request, known) for request in requests]
    return sorted(records, key=lambda record: str(record["kind"]))


@dataclasses.dataclass(frozen=True)
class RequestDifference:
    """One way our requests differ from the official ones; ``key`` is what allow-lists match."""

    key: str
    official: Any = None
    ours: Any = None

    def describe(self) -> str:
        return f"{self.key} (official: {json.dumps(self.official)}, ours: {json.dumps(self.ours)})"


def compare_backend_requests(official: list[JsonValue], ours: list[JsonValue]) -> list[RequestDifference]:
    """Differences between two runs' normalized requests, paired by kind and occurrence.

    Keys look like ``turn: header version changed``, ``turn: header x-codex-turn-metadata.model
    missing`` (the official sends it, ours not), ``warm-up: body key tools extra`` (ours only),
    ``guardian warm-up: request missing``.
    """

    def grouped(records: list[JsonValue]) -> dict[str, list[JsonValue]]:
        groups: dict[str, list[JsonValue]] = {}
        for record in records:
            groups.setdefault(str(record["kind"]), []).append(record)
        return groups

    left, right = grouped(official), grouped(ours)
    found: list[RequestDifference] = []
    for kind in sorted(set(left) | set(right)):
        theirs, mine = left.get(kind, []), right.get(kind, [])
        for index in range(max(len(theirs), len(mine))):
            label = kind if index == 0 else f"{kind}#{index + 1}"
            if index >= len(mine):
                found.append(RequestDifference(f"{label}: request missing", official=theirs[index]["path"]))
                continue
            if index >= len(theirs):
                found.append(RequestDifference(f"{label}: request extra", ours=mine[index]["path"]))
                continue
            found += _request_differences(label, theirs[index], mine[index])
    return found


def _request_differences(label: str, official: Mapping[str, Any], ours: Mapping[str, Any]) -> list[RequestDifference]:
    found: list[RequestDifference] = []
    for field in ("transport", "method", "path"):
        if official.get(field) != ours.get(field):
            found.append(RequestDifference(f"{label}: {field} changed", official.get(field), ours.get(field)))
    found += _value_differences(f"{label}: header", official.get("headers", {}), ours.get("headers", {}))
    for field, name in (("body_keys", "body key"), ("client_metadata_keys", "client_metadata key")):
        theirs, mine = set(official.get(field, [])), set(ours.get(field, []))
        found += [RequestDifference(f"{label}: {name} {key} missing", official=key) for key in sorted(theirs - mine)]
        found += [RequestDifference(f"{label}: {name} {key} extra", ours=key) for key in sorted(mine - theirs)]
    return found


def _value_differences(prefix: str, official: Any, ours: Any) -> list[RequestDifference]:
    if not (isinstance(official, Mapping) and isinstance(ours, Mapping)):
        if official == ours:
            return []
        return [RequestDifference(f"{prefix} changed", official, ours)]
    found: list[RequestDifference] = []
    for key in sorted(set(official) | set(ours)):
        where = f"{prefix} {key}" if prefix.endswith("header") else f"{prefix}.{key}"
        if key not in ours:
            found.append(RequestDifference(f"{where} missing", official=official[key]))
        elif key not in official:
            found.append(RequestDifference(f"{where} extra", ours=ours[key]))
        else:
            found += _value_differences(where, official[key], ours[key])
    return found
