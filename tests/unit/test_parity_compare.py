"""The transcript normalizer and comparer (pure functions; the e2e proof is tests/contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.contract.normalize import Normalizer, collapse_deltas
from tests.contract.parity import AllowListError, compare_transcripts, judge, load_allow_list


def _transcript(events: list[dict[str, Any]], result: dict[str, Any] | None = None) -> dict[str, Any]:
    turns: list[dict[str, Any]] = [{"events": events}]
    modes: dict[str, Any] = {"stream": {"turns": turns, "files": {}, "requests": {"model_calls": 1}}}
    if result is not None:
        modes["run"] = {"turns": [{"result": result}], "files": {}, "requests": {"model_calls": 1}}
    return {"scenario": "s", "modes": modes}


def _event(method: str, **params: Any) -> dict[str, Any]:
    return {"method": method, "payload_type": "Model", "params": params}


def test_ids_keep_their_cross_references() -> None:
    normalize = Normalizer({"/tmp/ws": "<workspace>"})
    value = normalize(
        [
            {"turn": {"id": "t-9", "startedAt": 17, "durationMs": 5}},
            {"turnId": "t-9", "item": {"id": "i-1", "cwd": "/tmp/ws/sub"}, "completedAtMs": 18},
        ]
    )
    assert value == [
        {"turn": {"id": "<id@0.turn.id>", "startedAt": "<timestamp>", "durationMs": "<duration>"}},
        {
            "turnId": "<id@0.turn.id>",
            "item": {"id": "<id@1.item.id>", "cwd": "<workspace>/sub"},
            "completedAtMs": "<timestamp>",
        },
    ]


def test_an_extra_event_renames_only_its_own_ids() -> None:
    def events(*extra: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            _event("turn/started", turn={"id": "t1"}),
            *extra,
            _event("item/completed", turnId="t1", item={"type": "agentMessage", "id": "m1"}),
        ]

    plain = Normalizer()(events())
    with_extra = Normalizer()(events(_event("item/completed", turnId="t1", item={"type": "reasoning", "id": "r1"})))
    assert with_extra[0] == plain[0]
    assert with_extra[2] == plain[1]
    assert plain[1]["params"]["item"]["id"] == "<id@item/completed:agentMessage#1.params.item.id>"


def test_volatile_tool_output_is_blanked() -> None:
    text = "Chunk ID: a1b2\nWall time: 0.0123 seconds\nProcess exited with code 0\n"
    assert Normalizer().text(text) == "Chunk ID: <chunk>\nWall time: <duration> seconds\nProcess exited with code 0\n"


def test_collapse_deltas_merges_runs_only() -> None:
    delta = _event("item/agentMessage/delta", delta="x")
    done = _event("turn/completed")
    collapsed = collapse_deltas([delta, delta, done, delta], ["item/agentMessage/delta"])
    assert [e["method"] for e in collapsed] == ["item/agentMessage/delta", "turn/completed", "item/agentMessage/delta"]
    assert collapsed[0]["params"]["delta"] == "<deltas>"


def test_identical_transcripts_have_no_differences() -> None:
    transcript = _transcript([_event("turn/started", turn={"id": "<id:1>"})], {"final_response": "hi"})
    assert compare_transcripts(transcript, transcript) == []


def test_extra_missing_and_changed_are_reported_with_keys() -> None:
    official = _transcript(
        [_event("turn/started", turn={"id": "<id:1>", "rootTurnId": "<id:1>"}), _event("turn/completed")],
        {"final_response": "hi"},
    )
    ours = _transcript(
        [
            _event("thread/status/changed"),
            _event("turn/started", turn={"id": "<id:1>"}),
            _event("turn/completed", extra=1),
        ],
        {"final_response": "bye"},
    )
    keys = sorted(d.key for d in compare_transcripts(official, ours))
    assert keys == [
        "event thread/status/changed extra",
        "event turn/completed params.extra extra",
        "event turn/started params.turn.rootTurnId missing",
        "result final_response changed",
    ]


def test_a_missing_mode_is_a_difference() -> None:
    official = _transcript([], {"final_response": "hi"})
    ours = _transcript([])
    (difference,) = compare_transcripts(official, ours)
    assert (difference.mode, difference.subject, difference.kind) == ("run", "mode", "missing")


def test_allow_list_judges_and_counts_use(tmp_path: Path) -> None:
    path = tmp_path / "allowed.txt"
    path.write_text(
        "# comment\n"
        "* | event turn/started params.turn.rootTurnId missing | newer engine field\n"
        "other | result * changed | never used\n"
    )
    allow_list = load_allow_list(path)
    official = _transcript([_event("turn/started", turn={"id": "a", "rootTurnId": "a"})], {"final_response": "x"})
    ours = _transcript([_event("turn/started", turn={"id": "a"})], {"final_response": "y"})
    report = judge("s", compare_transcripts(official, ours), allow_list)
    assert report.status == "differs"
    assert [d.key for d in report.differences] == ["result final_response changed"]
    assert [entry.line for _, entry in report.allowed] == [2]
    assert [entry.used for entry in allow_list] == [1, 0]


def test_malformed_allow_list_line_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "allowed.txt"
    path.write_text("* | no reason given\n")
    with pytest.raises(AllowListError, match=r"allowed\.txt:1"):
        load_allow_list(path)
