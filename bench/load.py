"""A sustained mixed load: do errors appear or memory grow?

16 clients for 60 seconds against one gateway and a sandbox upstream at 20 ms
latency, each looping over the README's operations: the session page, several
sessions by id, the filtered list, the jumping and running reports, an
``updateSession`` mutation, and a subscription over ``graphql-transport-ws``
to a session whose video is ready (one event, then complete). It counts
operations and errors by kind and samples the gateway's resident memory every
five seconds; growth is measured from the end of the warm-up (15 s).

    .venv/bin/python bench/load.py [--seconds 60] [--clients 16] [--workers 1]

Results also go to ``bench/out/load.json``. Not a test: a script that prints.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
from common import ALICE, gateway, machine, print_table, sandbox, write_json
from websockets.asyncio.client import connect

from gateway.ids import Activity, encode_global_id
from gateway.sandbox import seed_sessions

WARMUP_S = 15.0
SAMPLE_EVERY_S = 5.0


def _gid(label: str, video: str | None = None) -> str:
    for record in seed_sessions("alice"):
        if record.activity == label and (video is None or record.video_state == video):
            activity = Activity.from_label(label)
            assert activity is not None
            return encode_global_id(activity, record.session_id)
    raise LookupError(label)


def operations() -> dict[str, tuple[str, dict[str, Any]]]:
    lift, jump, run = _gid("Weightlifting"), _gid("Vertical Jump"), _gid("Running")
    return {
        "session page": (
            """query SessionPage($id: ID!) { session(id: $id) {
              title createdAt analyzedVideo { status url }
              ... on WeightliftingSession {
                exercise metrics(names: ["max_bar_speed"]) { name value }
                liftAnalysis(language: RU) { name url language }
                recommendations { name text language }
              }
              export { angles(names: ["lkne_angle", "rkne_angle"],
                              frames: { start: 0, end: 100 }) { name values } }
            } }""",
            {"id": lift},
        ),
        "nodes": (
            "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Session { title activity } } }",
            {"ids": [lift, jump, run]},
        ),
        "list": (
            """{ sessions(last: 5, activity: RUNNING, from: "2025-01-01") {
              totalCount pageInfo { hasPreviousPage startCursor }
              edges { cursor node { title
                ... on RunningSession { calculatedMetrics { name avg min max } } } }
            } }""",
            {},
        ),
        "reports": (
            """query ($jump: ID!, $run: ID!) {
              jump: session(id: $jump) { ... on JumpingSession {
                endFrames summary { ratings { name text } }
                jumpAnalysis { minFrame maxFrame phases { name videoFrame imageUrl } } } }
              run: session(id: $run) { ... on RunningSession {
                gaitAnalysis { peakTime phases { name videoFrame } }
                reportComments { name en ru } } }
              runningTotals { averages { name values } lastSessionCreatedAt }
            }""",
            {"jump": jump, "run": run},
        ),
        "updateSession": (
            """mutation ($id: ID!, $title: String!) {
              updateSession(id: $id, title: $title) { title } }""",
            {"id": jump, "title": "Load test"},
        ),
    }


SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { status url } }"


async def subscribe_once(ws_url: str, session: str) -> None:
    """One graphql-transport-ws subscription to a ready video: READY, then complete."""
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": ALICE}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"id": session}},
                }
            )
        )
        statuses = []
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if message["type"] == "next":
                if message["payload"].get("errors"):
                    raise RuntimeError(message["payload"]["errors"])
                statuses.append(message["payload"]["data"]["analyzedVideo"]["status"])
            elif message["type"] == "complete":
                break
            elif message["type"] == "error":
                raise RuntimeError(message["payload"])
        if statuses != ["READY"]:
            raise RuntimeError(f"unexpected events {statuses}")


async def main_async(args: argparse.Namespace) -> None:
    env = {"GATEWAY_LOG_LEVEL": "warning", "GATEWAY_WORKERS": str(args.workers)}
    if args.redis_url:
        env["GATEWAY_REDIS_URL"] = args.redis_url
        env["GATEWAY_CREDENTIAL_SECRET"] = "bench-secret-bench-secret-bench-secret"
    ops = operations()
    kinds = [*ops, "subscription"]
    ready = _gid("Vertical Jump", video="ready")
    done: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    first_error: dict[str, str] = {}
    samples: list[tuple[float, float]] = []
    with (
        sandbox(latency_ms=20, processing_delay=3600, log="load-sandbox.log") as up,
        gateway(up.url, env=env, log="load-gateway.log") as gw,
    ):
        root = psutil.Process(gw.pid)

        def rss_mib() -> float:
            procs = [root, *root.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs) / 2**20

        started = time.monotonic()
        stop = started + args.seconds
        ws_url = gw.url.replace("http://", "ws://") + "/graphql"
        async with httpx.AsyncClient(base_url=gw.url, timeout=60) as http:

            async def client(n: int) -> None:
                i = n
                while time.monotonic() < stop:
                    kind = kinds[i % len(kinds)]
                    i += 1
                    try:
                        if kind == "subscription":
                            await subscribe_once(ws_url, ready)
                        else:
                            query, variables = ops[kind]
                            response = await http.post(
                                "/graphql",
                                json={"query": query, "variables": variables},
                                headers={"Authorization": ALICE},
                            )
                            body = response.json()
                            if response.status_code != 200 or body.get("errors"):
                                raise RuntimeError(str(body)[:300])
                        done[kind] += 1
                    except Exception as exc:
                        errors[kind] += 1
                        first_error.setdefault(kind, f"{type(exc).__name__}: {exc}"[:300])

            async def sampler() -> None:
                while time.monotonic() < stop:
                    samples.append((time.monotonic() - started, rss_mib()))
                    await asyncio.sleep(SAMPLE_EVERY_S)
                samples.append((time.monotonic() - started, rss_mib()))

            await asyncio.gather(sampler(), *(client(n) for n in range(args.clients)))
        elapsed = time.monotonic() - started
    after_warmup = [rss for t, rss in samples if t >= WARMUP_S]
    base, peak, last = after_warmup[0], max(after_warmup), after_warmup[-1]
    rows = [[k, done[k], f"{done[k] / elapsed:.1f}", errors[k]] for k in kinds]
    total = sum(done.values())
    rows.append(["all", total, f"{total / elapsed:.1f}", sum(errors.values())])
    print(
        f"\n{args.clients} clients for {elapsed:.0f} s, gateway workers {args.workers}, "
        "sandbox latency 20 ms"
    )
    table = print_table(["operation", "done", "per s", "errors"], rows)
    growth = (last - base) / base * 100
    print(
        f"Gateway RSS (MiB) after the {WARMUP_S:.0f} s warm-up: {base:.0f} at first, "
        f"{peak:.0f} at peak, {last:.0f} at the end ({growth:+.1f}%)."
    )
    for kind, message in first_error.items():
        print(f"first {kind} error: {message}")
    write_json(
        "load.json",
        {
            "machine": machine(),
            "seconds": elapsed,
            "clients": args.clients,
            "workers": args.workers,
            "done": dict(done),
            "errors": dict(errors),
            "rss_samples_mib": samples,
            "rss_growth_percent": growth,
            "table": table,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis-url", help="needed by --workers > 1")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
