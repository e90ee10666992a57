"""Defaults in one place."""

from __future__ import annotations

#: The model slug used when none is given; it selects the engine's classic tool
#: set (exec_command, apply_patch, ...), which needs no V8.
DEFAULT_MODEL = "gpt-5.5"
#: Our provider id in the engine's config when a base URL is given explicitly.
PROVIDER_ID = "codex-embedded"
#: The engine drops notifications silently when its queue is full: keep it large.
ENGINE_CHANNEL_CAPACITY = 65_536
#: Events taken from the native queue per call.
EVENT_BATCH = 512
#: How long Ctrl-C waits for the interrupted turn to report completion.
INTERRUPT_GRACE_S = 5.0
#: Settings that keep the engine off the network except for the model provider.
HERMETIC_OVERRIDES: dict[str, object] = {
    "features.plugins": False,
    "features.remote_plugin": False,
    "features.apps": False,
    "analytics.enabled": False,
    "feedback.enabled": False,
    "check_for_update_on_startup": False,
    # Gates only the engine's "shadow skill selection" experiment: six lexical rankers score
    # every skill on every turn and the result feeds telemetry metrics, never the prompt. It
    # was ~9 % of a warm turn's CPU (docs/benchmarks.md).
    "features.skill_search": False,
}
