"""What a second hop costs at one client: direct, a byte relay, a bare proxy, the gateway.

One client, one request at a time, against a sandbox at 20 ms latency; each
round makes the same one-session read four ways, back to back, so the four
medians share the machine's state. The relay (``bench/relay.py``) copies
bytes and parses nothing; the proxy (``bench/proxy.py``) is uvicorn,
Starlette and httpx over aiohttp, with no GraphQL; the gateway is the whole
thing. The gaps between them say what the network, the HTTP stack and the
GraphQL layer each add to the p50 (the target: gateway at most 1.10x
direct).

    .venv/bin/python bench/hop.py [--rounds 400] [--latency-ms 20]

Results also go to ``bench/out/hop.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from common import ALICE, OUT, gateway, machine, print_table, sandbox, write_json
from proxy import PROGRAM as PROXY_PROGRAM
from relay import PROGRAM as RELAY_PROGRAM

from gateway.ids import Activity, encode_global_id
from gateway.sandbox import seed_sessions
from tests.servers import ServerProcess, free_port

WARMUP = 20
QUERY = "query ($id: ID!) { session(id: $id) { title activity createdAt } }"


def _started(program: tuple[str, ...], args: list[str], log: str) -> ServerProcess:
    port = free_port()
    return ServerProcess(
        ["--port", str(port), *args],
        port=port,
        log_path=OUT / log,
        ready_path="/__sandbox__/stats" if program == RELAY_PROGRAM else "/healthz",
        program=program,
    ).start()


async def _rounds(
    ways: dict[str, Callable[[], Awaitable[None]]], rounds: int
) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for i in range(WARMUP + rounds):
        for name, fetch in ways.items():
            started = time.perf_counter()
            await fetch()
            if i >= WARMUP:
                seconds[name].append(time.perf_counter() - started)
    return seconds


async def main_async(args: argparse.Namespace) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    record = next(
        r
        for r in seed_sessions("alice")
        if r.activity == "Vertical Jump" and r.video_state == "ready"
    )
    activity = Activity.from_label(str(record.activity))
    assert activity is not None
    path = f"/jumping/sessions/{record.session_id}/"
    headers = {"Authorization": ALICE, "Accept": "application/json"}
    body = {"query": QUERY, "variables": {"id": encode_global_id(activity, record.session_id)}}
    with sandbox(latency_ms=args.latency_ms, processing_delay=5.0, log="hop-sandbox.log") as up:
        relay = _started(RELAY_PROGRAM, ["--upstream-port", str(up.port)], "hop-relay.log")
        proxy = _started(PROXY_PROGRAM, ["--upstream", up.url], "hop-proxy.log")
        try:
            with gateway(up.url, env={"GATEWAY_LOG_LEVEL": "warning"}, log="hop-gateway.log") as gw:
                async with (
                    httpx.AsyncClient(base_url=up.url) as direct,
                    httpx.AsyncClient(base_url=relay.url) as relayed,
                    httpx.AsyncClient(base_url=proxy.url) as proxied,
                    httpx.AsyncClient(base_url=gw.url) as gatewayed,
                ):

                    async def get(http: httpx.AsyncClient) -> None:
                        response = await http.get(path, headers=headers)
                        response.raise_for_status()
                        response.json()

                    async def graphql() -> None:
                        response = await gatewayed.post("/graphql", json=body, headers=headers)
                        answer = response.json()
                        if answer.get("errors"):
                            raise RuntimeError(answer["errors"])

                    seconds = await _rounds(
                        {
                            "direct": lambda: get(direct),
                            "byte relay": lambda: get(relayed),
                            "bare proxy": lambda: get(proxied),
                            "gateway": graphql,
                        },
                        args.rounds,
                    )
        finally:
            relay.stop()
            proxy.stop()
    direct_p50 = statistics.median(seconds["direct"])
    rows = []
    results = {}
    for name, values in seconds.items():
        p50 = statistics.median(values)
        rows.append(
            [
                name,
                f"{p50 * 1000:.2f}",
                f"{(p50 - direct_p50) * 1000:+.2f}",
                f"{p50 / direct_p50:.3f}x",
            ]
        )
        results[name] = {"p50_ms": p50 * 1000, "ratio": p50 / direct_p50, "n": len(values)}
    print(
        f"\nOne-session read, one client, sandbox latency {args.latency_ms:g} ms, "
        f"{args.rounds} rounds of the four ways back to back:"
    )
    table = print_table(["way", "p50 ms", "added ms", "p50 / direct"], rows)
    path_out = write_json(
        "hop.json",
        {"latency_ms": args.latency_ms, "rounds": args.rounds, "machine": machine(),
         "results": results, "table": table},
    )  # fmt: skip
    print(f"JSON: {path_out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
