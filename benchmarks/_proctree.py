"""Process-tree measurements from /proc, and the engine build profile of ours.

Run as a script, this is the sampler a benchmark worker starts (before importing an SDK):

    python _proctree.py ROOT_PID

It follows ROOT_PID and all its descendants, itself excluded, and answers one JSON line per
command line on stdin:

- ``mark``: the tree's current RSS, its peak since the previous command, its CPU time, and
  sampling (every 5 ms) on until the next command;
- ``hold``: the same, then sampling paused (no CPU spent here while a CPU measure runs);
- ``quit``: the peak over the whole run, then exit.

Doing the /proc scans in a separate process keeps them out of the measured tree's CPU time
and off the measured Python process's GIL. The samples still share the machine's cores with the
tree: a scan of all of /proc costs ~1 ms of CPU, so between two full scans (every 100 ms, and
at each command) a sample reads only the processes already known to be in the tree (~20 µs for
ours, one process). A process born in between is found by the next full scan.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Snapshot:
    rss_kb: int
    cpu_s: float
    pids: int


@dataclass(frozen=True)
class ProcStat:
    ppid: int
    cpu_ticks: int
    rss_kb: int


def read_stat(pid: int) -> ProcStat | None:
    """One process's parent, CPU ticks (its own and its reaped children's) and RSS; None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            # Fields after the command name, which may contain spaces and parentheses:
            # [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime, [21] rss.
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return ProcStat(int(fields[1]), sum(int(value) for value in fields[11:15]), int(fields[21]) * PAGE_KB)


def snapshot_of(stats: dict[int, ProcStat]) -> Snapshot:
    """RSS and CPU time (user + system) summed over ``stats``. CPU time includes each process's
    reaped children (cutime + cstime), so a child that exited during the measure still counts."""
    return Snapshot(
        rss_kb=sum(stat.rss_kb for stat in stats.values()),
        cpu_s=sum(stat.cpu_ticks for stat in stats.values()) / CLOCK_TICKS,
        pids=len(stats),
    )


def tree_stats(root: int, exclude: int | None = None) -> dict[int, ProcStat]:
    """``root`` and all its descendants, from a scan of all of /proc; ``exclude`` and its
    descendants left out."""
    stats = {pid: stat for pid in map(int, filter(str.isdigit, os.listdir("/proc"))) if (stat := read_stat(pid))}
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, stat in stats.items():
            if stat.ppid in tree and pid not in tree and pid != exclude:
                tree.add(pid)
                changed = True
    tree.discard(exclude if exclude is not None else -1)
    return {pid: stats[pid] for pid in tree if pid in stats}


#: Seconds between two samples, and samples between two full scans of /proc.
SAMPLE_INTERVAL_S = 0.005
FULL_SCAN_EVERY = 20


class Sampler:
    def __init__(self, root: int) -> None:
        self.root = root
        self.me = os.getpid()
        self.lock = threading.Lock()
        self.peak_kb = 0
        self.overall_peak_kb = 0
        self.members: set[int] = {root}
        self.sampling = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def snapshot(self, *, full: bool = True) -> Snapshot:
        """The tree's RSS and CPU: with ``full``, from a scan of all of /proc (which finds new
        descendants), else from the members the last full scan found."""
        if full:
            stats = tree_stats(self.root, exclude=self.me)
        else:
            stats = {pid: stat for pid in self.members if (stat := read_stat(pid))}
        snap = snapshot_of(stats)
        with self.lock:
            if full:
                self.members = set(stats)
            self.peak_kb = max(self.peak_kb, snap.rss_kb)
            self.overall_peak_kb = max(self.overall_peak_kb, snap.rss_kb)
        return snap

    def _run(self) -> None:
        samples = 0
        while True:
            self.sampling.wait()
            self.snapshot(full=samples % FULL_SCAN_EVERY == 0)
            samples += 1
            time.sleep(SAMPLE_INTERVAL_S)

    def command(self, name: str) -> dict[str, float]:
        snap = self.snapshot()
        with self.lock:
            reply = {
                "rss_mb": snap.rss_kb / 1024,
                "peak_mb": self.peak_kb / 1024,
                "cpu_s": snap.cpu_s,
                "pids": snap.pids,
                "overall_peak_mb": self.overall_peak_kb / 1024,
            }
            self.peak_kb = snap.rss_kb
        if name == "mark":
            self.sampling.set()
        else:
            self.sampling.clear()
        return reply


def elf_sections(path: Path) -> set[str]:
    """Section names of a 64-bit little-endian ELF file (empty if it is something else)."""
    with path.open("rb") as handle:
        header = handle.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            return set()
        shoff = int.from_bytes(header[0x28:0x30], "little")
        entsize = int.from_bytes(header[0x3A:0x3C], "little")
        count = int.from_bytes(header[0x3C:0x3E], "little")
        names_index = int.from_bytes(header[0x3E:0x40], "little")
        handle.seek(shoff)
        table = handle.read(entsize * count)

        def field(index: int, offset: int, size: int) -> int:
            start = index * entsize + offset
            return int.from_bytes(table[start : start + size], "little")

        handle.seek(field(names_index, 0x18, 8))
        names = handle.read(field(names_index, 0x20, 8))
    sections = set()
    for index in range(count):
        start = field(index, 0, 4)
        sections.add(names[start : names.index(b"\0", start)].decode(errors="replace"))
    return sections


def engine_build_profile(label: str | None = None) -> dict[str, str]:
    """The cargo profile ``codex._native`` was built with, as far as the file tells.

    The extension records no profile name, so it is inferred from its ELF sections: ``dev``
    (not stripped, no debug info), ``profiling`` (not stripped, line tables), ``release``
    (stripped; ``wheel`` and ``dist`` are release with opt-level "s", without and with LTO,
    indistinguishable here: an installed wheel is reported as ``dist``, the profile
    scripts/build_wheel.sh builds by default, an editable install as ``release``).
    ``label`` (``--profile-label``) overrides the inference.
    """
    import importlib.util

    spec = importlib.util.find_spec("codex._native")
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    info = {"extension": str(origin) if origin else "not found"}
    inferred = "unknown"
    if origin is not None and origin.exists():
        info["extension_mb"] = f"{origin.stat().st_size / 1e6:.1f}"
        sections = elf_sections(origin)
        editable = "site-packages" not in origin.parts
        if ".symtab" not in sections:
            inferred = "release" if editable else "dist"
        elif any(name.startswith(".debug_line") for name in sections):
            inferred = "profiling"
        else:
            inferred = "dev"
    info["inferred"] = inferred
    info["profile"] = label or inferred
    info["source"] = "--profile-label" if label else "ELF sections of the extension"
    return info


def main() -> None:
    sampler = Sampler(int(sys.argv[1]))
    for line in sys.stdin:
        name = line.strip()
        if name == "quit":
            print(json.dumps({"overall_peak_mb": sampler.command("hold")["overall_peak_mb"]}), flush=True)
            return
        print(json.dumps(sampler.command(name)), flush=True)


if __name__ == "__main__":
    main()
