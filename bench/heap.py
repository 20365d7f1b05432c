"""Where a server's memory goes: tracemalloc in the gateway's process, read here.

:data:`PRELUDE` (run in the gateway's process before the gateway, by
``common.gateway(prelude=...)``) starts tracemalloc when the process first
gets SIGUSR1, and dumps a snapshot to ``$BENCH_HEAP_SNAPSHOT`` at each
SIGUSR1. :func:`take` asks for one and waits for it; :func:`breakdown` sums
what is still allocated by kind (the innermost frame's package, with
asyncio's tasks named apart) and by line.
"""

from __future__ import annotations

import linecache
import os
import re
import signal
import time
import tracemalloc
from collections import Counter
from pathlib import Path

__all__ = ["PRELUDE", "breakdown", "take"]

FRAMES = 24

PRELUDE = f"""
import os, signal, tracemalloc
def _bench_heap(signum, frame):
    # The first signal starts tracing (the start-up's imports would be slow
    # traced); each later one dumps what is allocated since and still alive.
    path = os.environ["BENCH_HEAP_SNAPSHOT"]
    if not tracemalloc.is_tracing():
        tracemalloc.start({FRAMES})
    tracemalloc.take_snapshot().dump(path + ".part")
    os.replace(path + ".part", path)
signal.signal(signal.SIGUSR1, _bench_heap)
"""

# The innermost frame's file, by the first of these it contains.
KINDS = (
    ("asyncio/tasks.py", "asyncio tasks"),
    ("asyncio/", "asyncio (futures, handles, queues)"),
    ("/strawberry/", "Strawberry (per-operation state, WebSocket protocol)"),
    ("/graphql/", "graphql-core (execution, results)"),
    ("/websockets/", "WebSocket stack (websockets: frames, buffers)"),
    ("/uvicorn/", "uvicorn (connections, buffers)"),
    ("/starlette/", "Starlette"),
    ("/gateway/watchers/", "the gateway's watches"),
    ("/gateway/broker/", "the gateway's event broker"),
    ("/schema/", "the gateway's schema (resolvers, subscription)"),
    ("/gateway/", "the gateway, other"),
    ("/json/", "json"),
    ("contextvars", "contexts"),
)


def take(pid: int, path: Path, timeout: float = 120.0) -> tracemalloc.Snapshot:
    """Ask process ``pid`` (started with :data:`PRELUDE`) for a snapshot."""
    path.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no heap snapshot from {pid} in {timeout:.0f} s")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(str(path))


def _kind(filename: str, lineno: int) -> str:
    line = linecache.getline(filename, lineno)
    if "create_task(" in line or "ensure_future(" in line:
        return "asyncio tasks"
    for needle, kind in KINDS:
        if needle in filename:
            return kind
    if "/site-packages/" in filename:
        return filename.rsplit("/site-packages/", 1)[-1].split("/", 1)[0]
    # The standard library (weak sets, context managers...), by module.
    return Path(filename).stem


def breakdown(
    snapshot: tracemalloc.Snapshot, baseline: tracemalloc.Snapshot | None = None
) -> tuple[Counter[str], Counter[str]]:
    """Bytes by kind and by innermost line (``file:line``), less ``baseline``'s."""
    by_kind: Counter[str] = Counter()
    by_line: Counter[str] = Counter()
    stats = (
        snapshot.compare_to(baseline, "traceback")
        if baseline is not None
        else snapshot.statistics("traceback")
    )
    for stat in stats:
        size = stat.size_diff if isinstance(stat, tracemalloc.StatisticDiff) else stat.size
        frame = stat.traceback[-1]  # the innermost: who allocated
        by_kind[_kind(frame.filename, frame.lineno)] += size
        short = re.sub(r"^.*/(site-packages|lib/python3\.\d+)/", "", frame.filename)
        short = short.replace(str(Path.cwd()) + "/", "")
        by_line[f"{short}:{frame.lineno}"] += size
    return by_kind, by_line
