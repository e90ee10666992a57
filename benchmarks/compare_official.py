"""Side by side: the official SDK (subprocess engine) and codex-embedded (in-process engine).

Both run the same workload against the same loopback mock, in the same run, each in
fresh worker processes; the table shows medians over --runs and the ratio ours/official.

    .venv/bin/python benchmarks/compare_official.py [--runs 3] [--official-python PATH]

The official side needs ``openai-codex==0.163.0`` and ``openai-codex-cli-bin==0.163.0``;
``--setup-official`` creates a venv for them under ~/.cache/codex-embedded/official-venv.
Build ours optimized first: ``CODEX_EMBEDDED_PROFILE=release bash scripts/install.sh``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from codex.testing import MockResponsesServer, RecordedRequest, ScriptedResponse, responses

HERE = Path(__file__).resolve().parent
OFFICIAL_VENV = Path.home() / ".cache" / "codex-embedded" / "official-venv"
STREAM_DELTAS = 2_000

METRICS = [
    ("client_ready_ms", "client ready (fresh home)", "ms", "lower"),
    ("thread_start_ms", "thread start", "ms", "lower"),
    ("plain_turn_ms", "one plain turn", "ms", "lower"),
    ("deltas_per_s", f"{STREAM_DELTAS} deltas: deltas/s reaching Python", "/s", "higher"),
    ("peak_rss_total_mb", "peak RSS, all processes", "MB", "lower"),
    ("concurrent_threads_ms", "16 concurrent turns (threads)", "ms", "lower"),
    ("concurrent_asyncio_ms", "16 concurrent turns (asyncio)", "ms", "lower"),
]


def responder(request: RecordedRequest) -> ScriptedResponse:
    if "stream" in request.input_texts():
        return responses.streamed_text([f"d{i} " for i in range(STREAM_DELTAS)])
    return responses.text("ok")


def setup_official() -> Path:
    python = OFFICIAL_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OFFICIAL_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "openai-codex==0.163.0", "openai-codex-cli-bin==0.163.0"],
        check=True,
    )
    return python


def run_worker(python: str, impl: str, base_url: str) -> dict[str, Any]:
    home_root = Path(tempfile.mkdtemp(prefix=f"bench-{impl}-", dir=Path.home() / ".cache" / "codex-embedded"))
    try:
        done = subprocess.run(
            [python, str(HERE / "_worker.py"), impl, base_url, str(home_root)],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{impl} worker failed:\n{exc.stderr[-4000:]}") from exc
    finally:
        shutil.rmtree(home_root, ignore_errors=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--official-python", default=str(OFFICIAL_VENV / "bin" / "python"))
    parser.add_argument("--setup-official", action="store_true")
    args = parser.parse_args()
    official_python = str(setup_official()) if args.setup_official else args.official_python
    if not Path(official_python).exists():
        parser.error(f"{official_python} not found: pass --setup-official or --official-python")

    samples: dict[str, list[dict[str, Any]]] = {"official": [], "ours": []}
    with MockResponsesServer(responder=responder) as mock:
        for _ in range(args.runs):
            # Alternate so drift on the machine hits both sides alike.
            samples["official"].append(run_worker(official_python, "official", mock.base_url))
            samples["ours"].append(run_worker(sys.executable, "ours", mock.base_url))

    for impl, runs in samples.items():
        for run in runs:
            if run["deltas_received"] != STREAM_DELTAS:
                print(f"warning: {impl} received {run['deltas_received']} of {STREAM_DELTAS} deltas")

    print(f"\nmedian of {args.runs} runs each; ratio = ours / official\n")
    print("| metric | official 0.163 | codex-embedded | ratio | better |")
    print("|---|---:|---:|---:|---|")
    for key, label, unit, better in METRICS:
        official = statistics.median(run[key] for run in samples["official"])
        ours = statistics.median(run[key] for run in samples["ours"])
        ratio = ours / official if official else float("nan")
        print(f"| {label} | {official:,.1f} {unit} | {ours:,.1f} {unit} | {ratio:.2f}x | {better} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
