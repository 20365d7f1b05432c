"""Fault injection: what a failing upstream costs the callers and the upstream.

One sandbox (``strict`` flavor) and one gateway, real processes on loopback.
For each rate of random 503s set through the sandbox's control surface
(``POST /__sandbox__/config {"fail_rate": {"rate": r, "seed": 1}}``), 300
sequential GraphQL reads (``sessions(first: 3) { totalCount }``: one upstream
call when healthy; sequential, so singleflight doesn't merge them) report:

* the share that succeeded;
* upstream calls per read (the sandbox's request counter / 300);
* how many reads the circuit breaker failed fast (``retryAfter`` present).

Then, on a fresh gateway: the time from the upstream failing wholly to the
first fast failure (breaker open), and from the upstream recovering to the
first read that succeeds again (reads every 100 ms).

    .venv/bin/python bench/faults.py [--reads 300] [--breaker-ttl 5]

Results also go to ``bench/out/faults.json``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from common import ALICE, gateway, machine, print_table, sandbox, write_json

QUERY = "{ sessions(first: 3) { totalCount } }"


def read(http: httpx.Client) -> tuple[bool, bool]:
    """One read: (succeeded, failed fast by the breaker)."""
    body = http.post("/graphql", json={"query": QUERY}, headers={"Authorization": ALICE}).json()
    errors = body.get("errors") or []
    fast = any("retryAfter" in e.get("extensions", {}) for e in errors)
    return not errors, fast


def configure(upstream: str, rate: float) -> None:
    spec = {"rate": rate, "seed": 1} if rate > 0 else None
    httpx.post(f"{upstream}/__sandbox__/config", json={"fail_rate": spec}).raise_for_status()


def calls(upstream: str) -> int:
    return int(httpx.get(f"{upstream}/__sandbox__/stats").json()["total"])


def rates(upstream: str, gateway_url: str, reads: int) -> list[dict[str, Any]]:
    rows = []
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        for rate in (0.0, 0.3, 0.6, 1.0):
            configure(upstream, rate)
            httpx.post(f"{upstream}/__sandbox__/reset-stats").raise_for_status()
            ok = fast = 0
            for _ in range(reads):
                succeeded, failed_fast = read(http)
                ok += succeeded
                fast += failed_fast
            rows.append(
                {
                    "rate": rate,
                    "succeeded": ok / reads,
                    "calls_per_read": calls(upstream) / reads,
                    "failed_fast": fast,
                }
            )
            configure(upstream, 0.0)
            # Let an open breaker close before the next rate starts.
            while not read(http)[0]:
                time.sleep(0.2)
    return rows


def outage(upstream: str, gateway_url: str) -> dict[str, float]:
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        assert read(http)[0]
        configure(upstream, 1.0)
        down = time.perf_counter()
        reads_to_open = 0
        while True:
            reads_to_open += 1
            if read(http)[1]:
                break
        opened = time.perf_counter() - down
        configure(upstream, 0.0)
        up = time.perf_counter()
        while not read(http)[0]:
            time.sleep(0.1)
        recovered = time.perf_counter() - up
    return {
        "seconds_to_open": opened,
        "reads_to_open": reads_to_open,
        "seconds_to_recover": recovered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--breaker-ttl", type=float, default=5.0)
    args = parser.parse_args()
    env = {"GATEWAY_LOG_LEVEL": "warning", "GATEWAY_BREAKER_TTL": str(args.breaker_ttl)}
    with sandbox(latency_ms=0, processing_delay=5.0, log="faults-sandbox.log") as upstream:
        with gateway(upstream.url, env=env, log="faults-gateway.log") as gw:
            rows = rates(upstream.url, gw.url, args.reads)
        with gateway(upstream.url, env=env, log="faults-gateway-2.log") as gw:
            times = outage(upstream.url, gw.url)
    print_table(
        ["503 rate", "succeeded", "upstream calls/read", "failed fast"],
        [
            (
                f"{r['rate']:.0%}",
                f"{r['succeeded']:.1%}",
                f"{r['calls_per_read']:.2f}",
                r["failed_fast"],
            )
            for r in rows
        ],
    )
    print(
        f"\nupstream down -> breaker open: {times['seconds_to_open']:.2f} s "
        f"({times['reads_to_open']:.0f} reads); upstream back -> reads succeed: "
        f"{times['seconds_to_recover']:.2f} s (breaker ttl {args.breaker_ttl:g} s)"
    )
    write_json(
        "faults.json",
        {"machine": machine(), "reads": args.reads, "rates": rows, "outage": times},
    )


if __name__ == "__main__":
    main()
