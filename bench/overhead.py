"""What does the gateway cost a client? (issue 2)

Three representative operations, each done two ways against the same sandbox
upstream with a fixed latency:

* through the gateway: one GraphQL POST;
* directly: the same REST calls the gateway makes, issued concurrently over a
  pooled ``httpx.AsyncClient`` and JSON-decoded, as a good hand-written client
  would.

For each operation, at concurrency 1 and 16, it prints the median and p99 of
the end-to-end latency, the gateway/direct ratio, the upstream calls per
request (checked from the sandbox's counters, so both sides provably do the
same work) and the gateway process's CPU time per request.

    .venv/bin/python bench/overhead.py [--latency-ms 20] [--quick]

Results also go to ``bench/out/overhead.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
from common import (
    ALICE,
    fmt_ms,
    gateway,
    machine,
    percentile,
    print_table,
    sandbox,
    write_json,
)

from gateway.model import Activity, encode_global_id
from gateway.sandbox import seed_sessions

# Each cell stops at its request count or its time budget, whichever first.
CELL_BUDGET_S = 10.0
WARMUP = 20


@dataclass
class Operation:
    name: str
    via_gateway: Callable[[httpx.AsyncClient], Awaitable[None]]
    direct: Callable[[httpx.AsyncClient], Awaitable[None]]


def _first(user: str, label: str, video: str | None = None) -> Any:
    for record in seed_sessions(user):
        if record.activity == label and (video is None or record.video_state == video):
            return record
    raise LookupError(label)


def _gid(record: Any) -> str:
    activity = Activity.from_label(str(record.activity))
    assert activity is not None
    return encode_global_id(activity, record.session_id)


async def _graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> None:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": ALICE},
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")


async def _rest(http: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None) -> Any:
    response = await http.get(
        path, params=params, headers={"Authorization": ALICE, "Accept": "application/json"}
    )
    response.raise_for_status()
    return response.json()


def operations() -> list[Operation]:
    jump = _first("alice", "Vertical Jump")
    run = _first("alice", "Running")
    lift = _first("alice", "Weightlifting")

    session_query = """
    query ($id: ID!) {
      session(id: $id) { title createdAt angles { name values } metrics { name value values } }
    }"""
    list_query = """
    { sessions(first: 10) { edges { node { title createdAt analyzedVideo { status } } } } }"""
    three_query = """
    query ($j: ID!, $r: ID!, $w: ID!) {
      j: session(id: $j) { title angles { name values } }
      r: session(id: $r) { title angles { name values } }
      w: session(id: $w) { title angles { name values } }
    }"""
    three_vars = {"j": _gid(jump), "r": _gid(run), "w": _gid(lift)}

    async def session_gw(http: httpx.AsyncClient) -> None:
        await _graphql(http, session_query, {"id": _gid(jump)})

    async def session_direct(http: httpx.AsyncClient) -> None:
        await _rest(http, f"/jumping/sessions/{jump.session_id}/")

    async def list_gw(http: httpx.AsyncClient) -> None:
        await _graphql(http, list_query, {})

    async def list_direct(http: httpx.AsyncClient) -> None:
        # The gateway asks for one more than the page, to learn whether there
        # is a next page; a hand-written client wanting the same would too.
        body = await _rest(http, "/session-management/sessions/filter/", {"limit": 11})
        page = list(body["sessions"].items())[:10]
        # A listed session without an analyzed-video URL may be processing or
        # failed: only the analyzed-video endpoint tells, so ask it (as the
        # gateway does), all at once.
        await asyncio.gather(
            *(
                _rest(
                    http,
                    f"/session-management/sessions/{sid}/analyzed-video/",
                    {
                        "is_jump": str(s["activity"] == "Vertical Jump").lower(),
                        "is_weight": str(s["activity"] == "Weightlifting").lower(),
                    },
                )
                for sid, s in page
                if not s.get("analyzed_video_url")
            )
        )

    async def three_gw(http: httpx.AsyncClient) -> None:
        await _graphql(http, three_query, three_vars)

    async def three_direct(http: httpx.AsyncClient) -> None:
        await asyncio.gather(
            _rest(http, f"/jumping/sessions/{jump.session_id}/"),
            _rest(http, f"/running/sessions/{run.session_id}/"),
            _rest(http, f"/weightlifting/sessions/{lift.session_id}/"),
        )

    return [
        Operation("session page (1 call)", session_gw, session_direct),
        Operation("list page (1+1 calls)", list_gw, list_direct),
        Operation("3 sessions (3 calls)", three_gw, three_direct),
    ]


@dataclass
class Cell:
    latencies: list[float]
    elapsed: float
    upstream_calls: int
    gateway_cpu_s: float


async def run_cell(
    fn: Callable[[httpx.AsyncClient], Awaitable[None]],
    http: httpx.AsyncClient,
    *,
    concurrency: int,
    count: int,
    sandbox_url: str,
    gateway_proc: psutil.Process,
) -> Cell:
    for _ in range(WARMUP):
        await fn(http)
    async with httpx.AsyncClient(base_url=sandbox_url) as control:
        (await control.post("/__sandbox__/reset-stats")).raise_for_status()
    cpu_before = sum(gateway_proc.cpu_times()[:2])
    latencies: list[float] = []
    issued = 0
    started = time.perf_counter()
    deadline = started + CELL_BUDGET_S

    async def worker() -> None:
        nonlocal issued
        while issued < count and time.perf_counter() < deadline:
            issued += 1
            t0 = time.perf_counter()
            await fn(http)
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = sum(gateway_proc.cpu_times()[:2]) - cpu_before
    async with httpx.AsyncClient(base_url=sandbox_url) as control:
        calls = int((await control.get("/__sandbox__/stats")).json()["total"])
    return Cell(latencies, elapsed, calls, cpu)


async def main_async(args: argparse.Namespace) -> None:
    counts = {1: 30, 16: 100} if args.quick else {1: 150, 16: 600}
    env = {"GATEWAY_LOG_LEVEL": "warning"}
    load_before = os.getloadavg()
    results: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    with (
        sandbox(
            latency_ms=args.latency_ms, processing_delay=3600, log="overhead-sandbox.log"
        ) as up,
        gateway(up.url, env=env, log="overhead-gateway.log") as gw,
    ):
        gateway_proc = psutil.Process(gw.pid)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with (
            httpx.AsyncClient(base_url=gw.url, limits=limits, timeout=30) as gw_http,
            httpx.AsyncClient(base_url=up.url, limits=limits, timeout=30) as up_http,
        ):
            for op in operations():
                for concurrency, count in counts.items():
                    cells: dict[str, Cell] = {}
                    for mode, fn, http in (
                        ("gateway", op.via_gateway, gw_http),
                        ("direct", op.direct, up_http),
                    ):
                        cells[mode] = await run_cell(
                            fn,
                            http,
                            concurrency=concurrency,
                            count=count,
                            sandbox_url=up.url,
                            gateway_proc=gateway_proc,
                        )
                    g, d = cells["gateway"], cells["direct"]
                    g50, g99 = percentile(g.latencies, 50), percentile(g.latencies, 99)
                    d50, d99 = percentile(d.latencies, 50), percentile(d.latencies, 99)
                    n = len(g.latencies)
                    calls_g = g.upstream_calls / n
                    calls_d = d.upstream_calls / len(d.latencies)
                    cpu_ms = g.gateway_cpu_s / n * 1000
                    row = [
                        op.name,
                        concurrency,
                        f"{n}/{len(d.latencies)}",
                        fmt_ms(g50),
                        fmt_ms(g99),
                        fmt_ms(d50),
                        fmt_ms(d99),
                        f"{g50 / d50:.2f}x",
                        f"{g99 / d99:.2f}x",
                        f"+{(g50 - d50) * 1000:.1f}",
                        f"{calls_g:.2f}/{calls_d:.2f}",
                        f"{cpu_ms:.2f}",
                        f"{n / g.elapsed:.0f}/{len(d.latencies) / d.elapsed:.0f}",
                    ]
                    rows.append(row)
                    print("  ".join(str(c) for c in row), file=sys.stderr, flush=True)
                    results.append(
                        {
                            "operation": op.name,
                            "concurrency": concurrency,
                            "gateway": _summary(g),
                            "direct": _summary(d),
                            "ratio_p50": g50 / d50,
                            "ratio_p99": g99 / d99,
                            "gateway_cpu_ms_per_request": cpu_ms,
                        }
                    )
        gateway_mem = gateway_proc.memory_info().rss
    load_after = os.getloadavg()
    print()
    print(
        f"Gateway overhead: sandbox latency {args.latency_ms:g} ms per upstream call; "
        f"{psutil.cpu_count()} CPUs shared by load generator, gateway and sandbox; "
        f"1-min load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        "(anything above ~1 means other processes competed for the CPUs)."
    )
    headers = [
        "operation",
        "conc",
        "n gw/dir",
        "gw p50",
        "gw p99",
        "dir p50",
        "dir p99",
        "p50 ratio",
        "p99 ratio",
        "p50 +ms",
        "calls gw/dir",
        "gw CPU ms/req",
        "req/s gw/dir",
    ]
    table = print_table(headers, rows)
    print(
        "Latencies in ms. 'calls' = upstream calls per request seen by the sandbox. "
        "'gw CPU' = user+system CPU time of the gateway process per request "
        f"(gateway RSS at the end: {gateway_mem / 2**20:.0f} MiB)."
    )
    path = write_json(
        "overhead.json",
        {
            "latency_ms": args.latency_ms,
            "machine": machine(),
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "results": results,
            "table": table,
        },
    )
    print(f"JSON: {path}")


def _summary(cell: Cell) -> dict[str, Any]:
    lat = cell.latencies
    return {
        "n": len(lat),
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000 if lat else math.nan,
        "max_ms": max(lat) * 1000 if lat else math.nan,
        "elapsed_s": cell.elapsed,
        "upstream_calls": cell.upstream_calls,
        "gateway_cpu_s": cell.gateway_cpu_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
