"""What does checking upstream answers against the contract cost?

Three gateways over the same sandbox, alike but for the check's settings: off
(``GATEWAY_CONTRACT_SAMPLE_RATE=0``), the defaults (the first answers of each
route, then one per route every ``GATEWAY_CONTRACT_CHECK_INTERVAL``), and
every 200 body checked (``GATEWAY_CONTRACT_CHECK_INTERVAL=0``). For the
session page (one details call) and the list page (the filter call and the
analyzed-video calls), at concurrency 16, it prints throughput and the
gateway's CPU time per request, runs interleaved so that all see the same
machine, and the median of the rounds. It also times the check alone on each
body.

    .venv/bin/python bench/drift.py [--requests 400] [--rounds 3]

Results also go to ``bench/out/drift.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import orjson
import psutil
from common import ALICE, gateway, machine, print_table, sandbox, write_json

from gateway.ids import Activity, encode_global_id
from gateway.sandbox import seed_sessions
from gateway.upstream.contract import expected_schema
from gateway.upstream.drift import first_mismatch
from gateway.upstream.rawjson import LazyBody

CONCURRENCY = 16
SESSION = next(r for r in seed_sessions("alice") if r.activity == "Vertical Jump")
# The check's settings, by name: off, the defaults, and every answer checked.
CONFIGS = {
    "off": {"GATEWAY_CONTRACT_SAMPLE_RATE": "0"},
    "defaults": {},
    "every answer": {"GATEWAY_CONTRACT_SAMPLE_RATE": "1", "GATEWAY_CONTRACT_CHECK_INTERVAL": "0"},
}
OPERATIONS = {
    "session page": (
        """query ($id: ID!) {
          session(id: $id) { title createdAt angles { name values } metrics { name value values } }
        }""",
        {"id": encode_global_id(Activity.JUMPING, SESSION.session_id)},
    ),
    "list page": (
        "{ sessions(first: 10) { edges { node { title createdAt analyzedVideo { status } } } } }",
        {},
    ),
}


async def _cell(
    url: str, pid: int, query: str, variables: dict[str, Any], n: int
) -> tuple[float, float]:
    """(requests per second, gateway CPU ms per request) for ``n`` requests."""
    proc = psutil.Process(pid)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def one() -> None:
            r = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": ALICE},
            )
            r.raise_for_status()
            if "errors" in r.json():
                raise RuntimeError(r.text[:300])

        for _ in range(20):
            await one()
        issued = 0

        async def worker() -> None:
            nonlocal issued
            while issued < n:
                issued += 1
                await one()

        cpu = sum(proc.cpu_times()[:2])
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
        cpu = sum(proc.cpu_times()[:2]) - cpu
    return n / elapsed, cpu / n * 1000


def _check_cost(upstream: str) -> list[list[str]]:
    rows = []
    for key, path in (
        ("GET /jumping/sessions/{session_id}/", f"/jumping/sessions/{SESSION.session_id}/"),
        ("GET /session-management/sessions/filter/", "/session-management/sessions/filter/"),
        (
            "GET /jumping/sessions/{session_id}/export/",
            f"/jumping/sessions/{SESSION.session_id}/export/",
        ),
    ):
        raw = httpx.get(upstream + path, headers={"Authorization": ALICE}).content
        schema = expected_schema(key)
        assert schema is not None
        lazy = LazyBody.parse(raw)
        # Every member decoded up front, as the check itself reads them all.
        decoded = {name: lazy[name] for name in lazy} if isinstance(lazy, LazyBody) else lazy
        for label, body in (("parsed", orjson.loads(raw)), ("lazy", decoded)):
            assert first_mismatch(body, schema) is None
            n = 200
            t0 = time.perf_counter()
            for _ in range(n):
                first_mismatch(body, schema)
            us = (time.perf_counter() - t0) / n * 1e6
            rows.append([key, f"{len(raw):,} B", label, f"{us:,.0f} µs"])
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()

    results: dict[str, dict[str, list[tuple[float, float]]]] = {
        op: {name: [] for name in CONFIGS} for op in OPERATIONS
    }
    with sandbox(latency_ms=args.latency_ms, processing_delay=5.0, log="drift-sandbox.log") as up:
        env = {"GATEWAY_LOG_LEVEL": "warning"}
        with ExitStack() as stack:
            gateways = {
                name: stack.enter_context(
                    gateway(up.url, env={**env, **settings}, log=f"drift-{name}.log")
                )
                for name, settings in CONFIGS.items()
            }
            for _ in range(args.rounds):
                for op, (query, variables) in OPERATIONS.items():
                    for name, gw in gateways.items():
                        results[op][name].append(
                            await _cell(gw.url, gw.pid, query, variables, args.requests)
                        )
            async with httpx.AsyncClient() as http:
                scraped = {
                    name: (await http.get(f"{gw.url}/metrics")).text
                    for name, gw in gateways.items()
                }
            checks = scraped["every answer"]
            # Bodies checked, per request served (warm-ups included).
            served = args.rounds * len(OPERATIONS) * (args.requests + 20)
            checked = {
                name: sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith("gateway_upstream_contract_checks_total{")
                )
                for name, text in scraped.items()
            }
        check_rows = await asyncio.to_thread(_check_cost, up.url)

    rows = []
    summary: dict[str, Any] = {}
    for op, by_config in results.items():
        for name, cells in by_config.items():
            # Each round's cells ran back to back: their ratio to the same
            # round's unchecked cell is what the machine's load disturbs least.
            pairs = list(zip(by_config["off"], cells, strict=True))
            cost = statistics.median(1 - on[0] / off[0] for off, on in pairs)
            cpu_cost = statistics.median(on[1] / off[1] - 1 for off, on in pairs)
            rps = statistics.median(x[0] for x in cells)
            cpu = statistics.median(x[1] for x in cells)
            rows.append(
                [op, name, f"{rps:.0f}", f"{100 * cost:+.1f} %", f"{cpu:.2f}",
                 f"{100 * cpu_cost:+.1f} %"]
            )  # fmt: skip
            summary.setdefault(op, {})[name] = {
                "rps": rps,
                "cpu_ms": cpu,
                "throughput_cost": cost,
                "cpu_cost": cpu_cost,
                "cells": cells,
            }
    print(
        f"\nconcurrency {CONCURRENCY}, {args.requests} requests a cell, "
        f"median of {args.rounds} rounds (costs: against the same round's unchecked cell)"
    )
    table = print_table(
        ["operation", "check", "req/s", "throughput cost", "CPU ms/req", "CPU cost"], rows
    )
    print(
        "bodies checked per request served: "
        + ", ".join(f"{name} {checked[name] / served:.3f}" for name in CONFIGS)
    )
    print()
    print_table(["route", "body", "as", "one check"], check_rows)
    violations = [
        ln for ln in checks.splitlines() if ln.startswith("gateway_upstream_contract_viol")
    ]
    print(f"\nviolations counted with the sandbox's own bodies: {violations or 'none'}")
    write_json(
        "drift",
        {
            "machine": machine(),
            "results": summary,
            "check": check_rows,
            "checked_per_request": {name: checked[name] / served for name in CONFIGS},
            "table": table,
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
