"""Where a server's CPU goes over a window: cProfile in the gateway's process.

:data:`PRELUDE` (run in the gateway's process before the gateway, by
``common.gateway(prelude=...)``) turns cProfile on at the first SIGUSR2 and
off at the next, then writes the profile to ``$BENCH_CPU_PROFILE``.
:func:`toggle` sends the signal (and, the second time, waits for the file);
:func:`summary` lists the functions by their own time.

cProfile slows Python calls, so the figures are each function's share of the
window, not its cost; compare shares within one profile.
"""

from __future__ import annotations

import os
import pstats
import signal
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["PRELUDE", "summary", "toggle"]

PRELUDE = """
import cProfile, os, signal
_bench_profile = [None]
def _bench_toggle(signum, frame):
    if _bench_profile[0] is None:
        _bench_profile[0] = cProfile.Profile()
        _bench_profile[0].enable()
        return
    _bench_profile[0].disable()
    path = os.environ["BENCH_CPU_PROFILE"]
    _bench_profile[0].dump_stats(path + ".part")
    os.replace(path + ".part", path)
    _bench_profile[0] = None
signal.signal(signal.SIGUSR2, _bench_toggle)
"""


def toggle(pid: int, path: Path | None = None, timeout: float = 60.0) -> None:
    """Start profiling ``pid`` or, given the profile's ``path``, stop and wait for it."""
    if path is not None:
        path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR2)
    if path is None:
        return
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no profile from {pid} in {timeout:.0f} s")
        time.sleep(0.1)


def summary(path: Path, top: int = 30) -> list[tuple[str, float, float, int]]:
    """(function, share of own time, share with callees, calls), by own time."""
    stats = pstats.Stats(str(path))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values()) or 1.0
    rows = []
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in entries.items():
        where = filename.rsplit("/site-packages/", 1)[-1].replace(f"{ROOT}/", "")
        rows.append((f"{where}:{line}({name})", own / total, cumulative / total, calls))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:top]
