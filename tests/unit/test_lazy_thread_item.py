"""``ThreadItem`` loads the item kinds a plain turn does not stream the first time it sees one.

A model that embeds the union validates it by its tag while those kinds are not loaded
(``LazyTaggedUnion``), and must give what the generated union gives: the same classes,
the same fallback, the same wire JSON and the same JSON schema. Each check about what a
fresh process loads runs in a subprocess, as this test process has long loaded everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from pydantic import ValidationError

from codex.protocol import models

BASE = {"threadId": "t", "turnId": "u", "startedAtMs": 1}
COMMAND = {
    "type": "commandExecution",
    "id": "c",
    "command": "ls",
    "cwd": "/",
    "status": "inProgress",
    "commandActions": [],
}
MESSAGE = {"type": "agentMessage", "id": "m", "text": "hi"}


def _fresh(code: str, *args: str) -> Any:
    """Runs ``code`` in a fresh interpreter; it prints one JSON value."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LAZY_PARSE = """
    import json, sys
    from codex import protocol

    def loaded():
        return "codex.protocol._items" in sys.modules

    turn = protocol.turn_models()
    started = turn.ItemStartedNotification
    base = {"threadId": "t", "turnId": "u", "startedAtMs": 1}
    seen = {}
    message = {"type": "agentMessage", "id": "m", "text": "hi"}
    message = started.model_validate_json(json.dumps({**base, "item": message}))
    user = started.model_validate({**base, "item": {"type": "userMessage", "id": "u", "content": []}})
    # An agent message without its text: no kind takes it, so the fallback keeps it whole.
    broken = started.model_validate({**base, "item": {"type": "agentMessage", "id": "m"}})
    seen["common"] = [type(n.item.root).__name__ for n in (message, user, broken)]
    seen["wire"] = [n.to_dict()["item"] for n in (message, broken)]
    seen["loaded_after_common"] = loaded()
    command = started.model_validate_json(json.dumps({**base, "item": json.loads(sys.argv[1])}))
    seen["rare"] = [type(command.item).__name__, type(command.item.root).__module__, type(command.item.root).__name__]
    seen["rare_wire"] = command.to_dict()["item"]
    seen["loaded_after_rare"] = loaded()
    newer = started.model_validate({**base, "item": {"type": "aNewerKind", "id": "n", "extra": 1}})
    seen["newer"] = [type(newer.item.root).__name__, newer.to_dict()["item"]]
    print(json.dumps(seen))
"""


def test_a_plain_turns_kinds_validate_without_loading_the_others_which_load_on_first_sight() -> None:
    seen = _fresh(LAZY_PARSE, json.dumps(COMMAND))
    assert seen["common"] == ["AgentMessageThreadItem", "UserMessageThreadItem", "UnrecognizedThreadItem"]
    assert seen["wire"] == [MESSAGE, {"type": "agentMessage", "id": "m"}]
    assert seen["loaded_after_common"] is False
    assert seen["rare"] == ["ThreadItem", "codex.protocol._items", "CommandExecutionThreadItem"]
    assert seen["rare_wire"] == COMMAND
    assert seen["loaded_after_rare"] is True
    assert seen["newer"] == ["UnrecognizedThreadItem", {"type": "aNewerKind", "id": "n", "extra": 1}]


def test_the_same_items_validate_alike_through_the_generated_union() -> None:
    started = models.ItemStartedNotification
    assert models.ThreadItem.variants_loaded()
    for item, kind in (
        (MESSAGE, models.AgentMessageThreadItem),
        (COMMAND, models.CommandExecutionThreadItem),
        ({"type": "agentMessage", "id": "m"}, models.UnrecognizedThreadItem),
        ({"type": "aNewerKind", "id": "n"}, models.UnrecognizedThreadItem),
    ):
        parsed = started.model_validate({**BASE, "item": item}).item.root
        assert type(parsed) is kind
        assert parsed.to_dict() == item


def test_a_value_no_variant_takes_fails_with_its_location_either_way() -> None:
    code = """
        import json, sys
        from codex import protocol
        turn = protocol.turn_models()
        if sys.argv[1] == "full":
            protocol.models.ThreadItem
        try:
            turn.ItemStartedNotification.model_validate({"threadId": "t", "turnId": "u", "startedAtMs": 1,
                                                         "item": {"type": "agentMessage"}})
        except Exception as error:
            print(json.dumps([type(error).__name__, sorted({e["loc"][0] for e in error.errors()}),
                              "codex.protocol._items" in sys.modules]))
    """
    assert _fresh(code, "lazy") == ["ValidationError", ["item"], False]
    assert _fresh(code, "full")[:2] == ["ValidationError", ["item"]]


def test_instances_pass_through_a_lazily_built_validator() -> None:
    seen = _fresh(
        """
        import json, sys
        from codex import protocol
        turn = protocol.turn_models()
        started = turn.ItemStartedNotification
        base = {"threadId": "t", "turnId": "u", "startedAtMs": 1}
        message = turn.AgentMessageThreadItem(type="agentMessage", id="m", text="hi")
        a = started.model_validate({**base, "item": message})
        lazy = "codex.protocol._items" not in sys.modules
        b = started.model_validate({**base, "item": a.item})
        print(json.dumps([a.item.root is message, b.item is a.item, lazy]))
        """
    )
    assert seen == [True, True, True]


def test_the_json_schema_is_the_generated_unions_either_way() -> None:
    code = """
        import json, sys
        from codex import protocol
        turn = protocol.turn_models()
        if sys.argv[1] == "lazy":
            turn.ItemStartedNotification.model_rebuild()
            turn.TurnCompletedNotification.model_rebuild()
            assert "codex.protocol._items" not in sys.modules
        else:
            protocol.models.ThreadItem
        print(json.dumps([turn.ItemStartedNotification.model_json_schema(),
                          turn.TurnCompletedNotification.model_json_schema(mode="serialization")]))
    """
    lazy, full = _fresh(code, "lazy"), _fresh(code, "full")
    assert lazy == full
    assert lazy[0]["properties"]["item"] == {"$ref": "#/$defs/ThreadItem"}
    assert "CommandExecutionThreadItem" in lazy[0]["$defs"]


def test_what_a_program_looks_up_is_the_complete_union() -> None:
    seen = _fresh(
        """
        import json, typing
        import codex
        item = codex.ThreadItem  # a public name: the union with every kind, at once
        annotation = item.model_fields["root"].annotation
        names = set()
        def walk(tp):
            if isinstance(tp, type):
                names.add(tp.__name__)
            for arg in typing.get_args(tp):
                walk(arg)
        walk(annotation)
        direct = item.model_validate({"type": "commandExecution", "id": "c", "command": "ls", "cwd": "/",
                                      "status": "inProgress", "commandActions": []})
        print(json.dumps([item.variants_loaded(), sorted(names), type(direct.root).__name__]))
        """
    )
    loaded, names, direct = seen
    assert loaded is True
    assert {"CommandExecutionThreadItem", "AgentMessageThreadItem", "UnrecognizedThreadItem"} <= set(names)
    assert not any("ForwardRef" in name for name in names)
    assert direct == "CommandExecutionThreadItem"


def test_the_union_validates_by_itself_before_its_kinds_are_loaded() -> None:
    # Its own validator needs every kind: asking for it loads them.
    seen = _fresh(
        """
        import json, sys
        from codex import protocol
        union = protocol.turn_models().ThreadItem
        before = union.variants_loaded()
        item = union.model_validate({"type": "plan", "id": "p", "text": "do it"})
        print(json.dumps([before, type(item.root).__name__, union.variants_loaded(), item.to_dict()]))
        """
    )
    assert seen == [False, "PlanThreadItem", True, {"type": "plan", "id": "p", "text": "do it"}]


@pytest.mark.parametrize("value", ["not an item", 3, None])
def test_a_value_that_is_no_item_at_all_is_rejected(value: object) -> None:
    with pytest.raises(ValidationError):
        models.ItemStartedNotification.model_validate({**BASE, "item": value})


def test_threads_that_meet_a_rare_kind_together_all_get_it() -> None:
    seen = _fresh(
        """
        import json, sys, threading
        from codex import protocol
        turn = protocol.turn_models()
        started = turn.ItemStartedNotification
        started.model_rebuild()  # the lazy validator, built before any rare kind is loaded
        base = {"threadId": "t", "turnId": "u", "startedAtMs": 1}
        item = json.loads(sys.argv[1])
        barrier = threading.Barrier(8)
        kinds, errors = [], []

        def meet() -> None:
            barrier.wait()
            try:
                kinds.append(type(started.model_validate({**base, "item": item}).item.root).__name__)
            except Exception as error:
                errors.append(repr(error))

        workers = [threading.Thread(target=meet) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        print(json.dumps([sorted(set(kinds)), len(kinds), errors, turn.ThreadItem.variants_loaded()]))
        """,
        json.dumps(COMMAND),
    )
    assert seen == [["CommandExecutionThreadItem"], 8, [], True]
