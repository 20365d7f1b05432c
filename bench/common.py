"""Shared helpers of the benchmark scripts: servers, statistics, tables, output.

The servers are started exactly as a user starts them (``python -m gateway
...``), each in its own process, on free loopback ports, with logs under
``bench/out/``. ``tests/servers.py`` already knows how to do that; the
benchmarks reuse it rather than keep a second copy.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as ``python bench/x.py`` from anywhere: the project's packages are importable.
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from gateway.sandbox import DEMO_KEYS  # noqa: E402
from tests.servers import ServerProcess, free_port  # noqa: E402

__all__ = [
    "ALICE",
    "BOB",
    "OUT",
    "ROOT",
    "fmt_ms",
    "gateway",
    "machine",
    "metric",
    "percentile",
    "print_table",
    "raise_open_files",
    "sandbox",
    "upload",
    "write_json",
]

OUT = ROOT / "bench" / "out"
ALICE = f"API-KEY {DEMO_KEYS['alice']}"
BOB = f"API-KEY {DEMO_KEYS['bob']}"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def fmt_ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    text = "\n".join(
        [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]
    )
    print(text, flush=True)
    return text


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_json(name: str, payload: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def raise_open_files(wanted: int = 65536) -> int:
    """Raise this process's soft RLIMIT_NOFILE (children inherit it); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextmanager
def sandbox(*, latency_ms: float, processing_delay: float, log: str) -> Iterator[ServerProcess]:
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = ServerProcess(
        [
            "sandbox",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
            "--processing-delay",
            str(processing_delay),
        ],
        port=port,
        log_path=OUT / log,
        ready_path="/__sandbox__/stats",
    )
    server.log_path.unlink(missing_ok=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def gateway(
    upstream: str,
    *,
    env: dict[str, str],
    log: str,
    checkout: Path | None = None,
    prelude: str = "",
) -> Iterator[ServerProcess]:
    """A gateway on a free port. ``checkout`` runs another checkout's gateway (an
    A/B against an older commit) with this interpreter and its packages;
    ``prelude`` is Python run in the gateway's process before it starts (a
    profiler, say)."""
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    program: tuple[str, ...] = ("-m", "gateway")
    if checkout is not None or prelude:
        path = f"import sys; sys.path.insert(0, {str(checkout)!r})\n" if checkout else ""
        program = (
            "-c",
            f"{path}{prelude}\n"
            "import runpy; runpy.run_module('gateway', run_name='__main__', alter_sys=True)",
        )
    server = ServerProcess(
        ["serve", "--upstream-url", upstream, "--port", str(port)],
        port=port,
        log_path=OUT / log,
        ready_path="/healthz",
        env=env,
        program=program,
    )
    server.log_path.unlink(missing_ok=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def metric(gateway_url: str, name: str) -> float:
    """One unlabelled sample of the gateway's /metrics (NaN if absent)."""
    text = httpx.get(f"{gateway_url}/metrics", timeout=10).text
    for raw in text.splitlines():
        parts = raw.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    return math.nan


_CLIP = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1024


def upload(http: httpx.Client, key: str, activity: str, name: str) -> str:
    """Upload a tiny video straight to the sandbox, as another client would; its id."""
    form = {"session_name": name}
    if activity == "weightlifting":
        form["exercise_name"] = "snatch"
    response = http.post(
        f"/{activity}/sessions/",
        headers={"Authorization": key},
        data=form,
        files={"video": ("clip.mp4", _CLIP, "video/mp4")},
    )
    response.raise_for_status()
    session_id: str = response.json()["session_id"]
    return session_id


def now() -> float:
    return time.perf_counter()
