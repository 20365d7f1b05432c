"""Many subscribers, few sessions: what does readiness push cost?

One fresh gateway process per row; N subscribers (1,000 and 5,000) of
``analyzedVideo`` over 100 sessions uploaded to the sandbox (50 per demo key,
so each session has N/100 subscribers), spread over WebSocket connections of
50 subscriptions each (graphql-transport-ws). Nothing becomes ready by itself
(the sandbox's processing delay is an hour); once every subscription has its
first event (PROCESSING), the script waits a few seconds to measure the idle
polling rate, then forces the sessions READY at random times over ~10 s
through ``POST /__sandbox__/sessions/{id}/ready``, noting when each was
forced, and stamps every READY event on receipt. It reports:

* the gateway's peak memory: its RSS high-water mark (``VmHWM``), next to its
  RSS before the subscribers came;
* upstream polls per second (the sandbox's count of
  ``GET /session-management/sessions/{session_id}/analyzed-video/``, idle and
  over the whole run; ``gateway_readiness_polls_total`` agrees);
* push latency: receipt of READY minus the moment the session was forced,
  p50 / p99 / max over all N subscribers.

The gateway polls with GATEWAY_WATCH_START=0.5, GATEWAY_WATCH_FACTOR=1.5,
GATEWAY_WATCH_CAP=1.0, so once a watch has backed off, a session is polled
once a second: push latency is bounded below by that interval (uniform over
[0, 1 s] plus the upstream's latency, so about 0.5 s median). The gateway
allows 1,000 subscriptions per API key; a row with more than that per key
raises the bound with GATEWAY_WATCH_MAX_SUBSCRIPTIONS_PER_CREDENTIAL, and
says so.

With ``--replicas 2`` the row runs two gateways sharing a Redis (started
here, Debian's redis-server), the connections alternating between them; its
memory and CPU are the two processes' sums, and the sandbox's poll count
shows whether each session is still polled once across both. ``--profile``
profiles the gateway while the READY events go out; ``--heap`` traces its
memory; ``--checkout DIR`` runs another checkout's gateway (an A/B).

    .venv/bin/python bench/subscriptions.py [--n 1000 5000] [--latency-ms 20]
        [--replicas 2] [--profile] [--heap] [--checkout DIR]

Results also go to ``bench/out/subscriptions.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import secrets
import sys
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpuprofile
import httpx
import psutil
from common import (
    ALICE,
    BOB,
    OUT,
    fmt_ms,
    gateway,
    machine,
    metric,
    percentile,
    print_table,
    raise_open_files,
    sandbox,
    upload,
    write_json,
)
from heap import PRELUDE as heap_prelude
from heap import breakdown as heap_breakdown
from heap import take as take_heap
from websockets.asyncio.client import ClientConnection, connect

from gateway.ids import Activity, encode_global_id
from tests.servers import RedisServer, free_port

SUBSCRIPTION = "subscription ($id: ID!) { analyzedVideo(id: $id) { id sessionId status url } }"
VIDEO_ROUTE = "GET /session-management/sessions/{session_id}/analyzed-video/"
SESSIONS = 100
# Paced subscribing: this many connections opening at once, each waiting for
# its 50 first events before the next one opens.
PACED_CONNECTIONS = 4
PER_CONNECTION = 50
PER_KEY_DEFAULT = 1000  # WatchPolicy.max_subscriptions_per_credential
READY_SPREAD_S = 10.0
IDLE_WINDOW_S = 5.0
# Fairness: a query every PROBE_EVERY_S while idle and while the READY events
# go out; one that needs no upstream call, so its latency is the event loop's.
PROBE_EVERY_S = 0.05
PROBE_QUERY = "{ __typename }"


class Prober:
    """Times a small query over HTTP, again and again, until stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.latencies, self.failures = [], 0
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        return self.latencies

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            while True:
                sent = time.monotonic()
                try:
                    response = await http.post(
                        "/graphql",
                        json={"query": PROBE_QUERY},
                        headers={"Authorization": ALICE},
                    )
                    if response.status_code == 200:
                        self.latencies.append(time.monotonic() - sent)
                    else:
                        self.failures += 1
                except httpx.HTTPError:
                    self.failures += 1
                await asyncio.sleep(PROBE_EVERY_S)


SUBSCRIBE_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 30.0
WATCH_ENV = {
    "GATEWAY_WATCH_START": "0.5",
    "GATEWAY_WATCH_FACTOR": "1.5",
    "GATEWAY_WATCH_CAP": "1.0",
}
ACTIVITIES = (Activity.JUMPING, Activity.RUNNING, Activity.WEIGHTLIFTING)


@dataclass
class Sub:
    session_id: str
    sent_at: float = 0.0
    first_at: float | None = None
    ready_at: float | None = None
    statuses: list[str] = field(default_factory=list)
    completed: bool = False
    error: str | None = None


class Connection:
    """One WebSocket with many subscriptions; stamps each message on receipt."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.subs: dict[str, Sub] = {}
        self.first_events = 0
        self.all_first = asyncio.Event()
        self.finished = 0
        self.all_finished = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def subscribe(self, ids: list[tuple[str, str]]) -> None:
        for (session_id, global_id), op in zip(ids, itertools.count(1), strict=False):
            op_id = str(op)
            self.subs[op_id] = Sub(session_id, sent_at=time.monotonic())
            await self.ws.send(
                json.dumps(
                    {
                        "id": op_id,
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIPTION, "variables": {"id": global_id}},
                    }
                )
            )

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.monotonic()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await self.ws.send('{"type":"pong"}')
                    continue
                sub = self.subs.get(message.get("id", ""))
                if sub is None:
                    continue
                if kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self._finish(sub, f"errors: {payload['errors']}")
                        continue
                    status = payload["data"]["analyzedVideo"]["status"]
                    sub.statuses.append(status)
                    if sub.first_at is None:
                        sub.first_at = now
                        self.first_events += 1
                        if self.first_events == len(self.subs):
                            self.all_first.set()
                    if status == "READY" and sub.ready_at is None:
                        sub.ready_at = now
                elif kind == "error":
                    self._finish(sub, f"error: {message.get('payload')}")
                elif kind == "complete":
                    self._finish(sub, None)
        except Exception as exc:  # the socket closed under us: every open sub failed
            for sub in self.subs.values():
                if not sub.completed:
                    self._finish(sub, f"connection lost: {type(exc).__name__}: {exc}")

    def _finish(self, sub: Sub, error: str | None) -> None:
        if sub.completed:
            return
        sub.completed = True
        sub.error = error
        if sub.first_at is None:
            # An error before the first event still counts as "answered".
            self.first_events += 1
            if self.first_events == len(self.subs):
                self.all_first.set()
        self.finished += 1
        if self.finished == len(self.subs):
            self.all_finished.set()

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def open_connection(url: str, key: str) -> Connection:
    ws = await connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=30,
        max_queue=None,
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": key}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    return Connection(ws)


class MemorySampler:
    """The RSS of processes, summed, every ``period`` seconds (each one's VmHWM is
    the kernel's exact peak)."""

    def __init__(self, pids: list[int], period: float = 0.25) -> None:
        self.procs = [psutil.Process(pid) for pid in pids]
        self.period = period
        self.samples: list[tuple[float, int]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            rss = sum(proc.memory_info().rss for proc in self.procs)
            self.samples.append((time.monotonic(), rss))
            await asyncio.sleep(self.period)

    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    async def stop(self) -> None:
        self.task.cancel()


def vm_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process, in bytes."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) * 1024
    return out


def upload_sessions(sandbox_url: str, tag: str) -> list[tuple[str, str, str]]:
    """SESSIONS new sessions, half per demo key: (key, session id, global id)."""
    out = []
    with httpx.Client(base_url=sandbox_url, timeout=30) as http:
        for i in range(SESSIONS):
            key = ALICE if i % 2 == 0 else BOB
            activity = ACTIVITIES[i % len(ACTIVITIES)]
            session_id = upload(http, key, activity.path, f"bench {tag} #{i}")
            out.append((key, session_id, encode_global_id(activity, session_id)))
    return out


async def run_row(
    n: int,
    sandbox_url: str,
    rng: random.Random,
    *,
    burst: bool,
    heap: bool = False,
    profile: bool = False,
    checkout: Path | None = None,
    replicas: int = 1,
) -> dict[str, Any]:
    assert n % PER_CONNECTION == 0 and (n // PER_CONNECTION) % 2 == 0
    assert replicas == 1 or not (heap or profile), "--heap and --profile look at one gateway"
    sessions = upload_sessions(sandbox_url, f"n{n}")
    by_key = {key: [(sid, gid) for k, sid, gid in sessions if k == key] for key in (ALICE, BOB)}
    per_key = n // 2
    # Every connection comes from this one address, with two keys, like
    # clients behind one proxy: no per-address or per-key connection bound.
    env = {
        "GATEWAY_LOG_LEVEL": "warning",
        "GATEWAY_WS_MAX_PER_ADDRESS": "0",
        "GATEWAY_WS_MAX_PER_KEY": "0",
        **WATCH_ENV,
    }
    notes = []
    if per_key > PER_KEY_DEFAULT:
        env["GATEWAY_WATCH_MAX_SUBSCRIPTIONS_PER_CREDENTIAL"] = str(per_key)
        notes.append(
            f"N={n}: {per_key} subscriptions per API key exceed the default bound of "
            f"{PER_KEY_DEFAULT}; ran with GATEWAY_WATCH_MAX_SUBSCRIPTIONS_PER_CREDENTIAL={per_key}"
        )
    control = httpx.AsyncClient(base_url=sandbox_url, timeout=30)
    log_name = f"subscriptions-gateway-{n}"
    snapshot_path = OUT / f"subscriptions-heap-{n}.snapshot"
    if heap:
        env["BENCH_HEAP_SNAPSHOT"] = str(snapshot_path)
    profile_path = OUT / f"subscriptions-push-{n}.prof"
    if profile:
        env["BENCH_CPU_PROFILE"] = str(profile_path)
    prelude = (heap_prelude if heap else "") + (cpuprofile.PRELUDE if profile else "")
    with ExitStack() as servers:
        if replicas > 1:
            # Replicas share events, stored states and pollers' leases through Redis.
            redis = RedisServer(free_port(), OUT / "subscriptions-redis.log").start()
            servers.callback(redis.stop)
            env["GATEWAY_REDIS_URL"] = redis.url
            env["GATEWAY_CREDENTIAL_SECRET"] = secrets.token_hex(32)
        gws = [
            servers.enter_context(
                gateway(
                    sandbox_url,
                    env=env,
                    log=f"{log_name}-{i}.log" if replicas > 1 else f"{log_name}.log",
                    prelude=prelude,
                    checkout=checkout,
                )
            )
            for i in range(replicas)
        ]
        gw = gws[0]  # the one the probe asks (and --heap, --profile look at)
        procs = [psutil.Process(g.pid) for g in gws]

        def gw_cpu() -> float:
            return sum(sum(p.cpu_times()[:2]) for p in procs)

        def gw_memory(field: str) -> int:
            return sum(vm_status(g.pid)[field] for g in gws)

        def gw_metric(name: str) -> float:
            return sum(metric(g.url, name) for g in gws)

        await asyncio.sleep(0.5)
        rss_idle = gw_memory("VmRSS")
        heap_idle = await asyncio.to_thread(take_heap, gw.pid, snapshot_path) if heap else None
        cpu_start = gw_cpu()
        sampler = MemorySampler([g.pid for g in gws])
        (await control.post("/__sandbox__/reset-stats")).raise_for_status()

        # Subscribe: n/50 connections, alternating keys; each connection holds
        # one subscription to each of its key's 50 sessions. Paced (default):
        # PACED_CONNECTIONS at a time, each slot freed once all of a connection's
        # 50 have had their first event. Burst: 10 connections opening at once
        # without waiting.
        started = time.monotonic()
        gate = asyncio.Semaphore(10 if burst else PACED_CONNECTIONS)

        async def one(i: int) -> Connection:
            key = ALICE if i % 2 == 0 else BOB
            async with gate:
                # Both keys on every replica (the key alternates with i): each
                # session is watched on both, and polled once across them.
                conn = await open_connection(gws[(i // 2) % replicas].url, key)
                await conn.subscribe(by_key[key])
                if not burst:
                    remaining = started + SUBSCRIBE_TIMEOUT_S - time.monotonic()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(conn.all_first.wait(), max(remaining, 0.1))
                return conn

        conns = await asyncio.gather(*(one(i) for i in range(n // PER_CONNECTION)))
        subs = [s for c in conns for s in c.subs.values()]
        try:
            await asyncio.wait_for(
                asyncio.gather(*(c.all_first.wait() for c in conns)), SUBSCRIBE_TIMEOUT_S
            )
        except TimeoutError:
            pass
        subscribed_in = time.monotonic() - started
        have_first = sum(1 for s in subs if s.first_at is not None)
        early_errors = [s.error for s in subs if s.error]
        rss_subscribed = gw_memory("VmRSS")
        watchers = gw_metric("gateway_readiness_watchers")
        heap_rows: dict[str, Any] = {}
        if heap_idle is not None:
            snapshot = await asyncio.to_thread(take_heap, gw.pid, snapshot_path)
            # Allocated since tracing started (idle), and still alive.
            by_kind, by_line = heap_breakdown(snapshot)
            heap_rows = {
                "kib_per_subscription_by_kind": {
                    k: round(v / n / 1024, 2) for k, v in by_kind.most_common()
                },
                "kib_per_subscription_by_line": {
                    k: round(v / n / 1024, 3) for k, v in by_line.most_common(25)
                },
                "traced_kib_per_subscription": round(sum(by_kind.values()) / n / 1024, 2),
            }

        # Idle: every watch polls at its capped interval; nothing changes.
        await asyncio.sleep(1.5)  # let the watches back off to the cap
        idle_polls_before = int(
            (await control.get("/__sandbox__/stats")).json()["routes"].get(VIDEO_ROUTE, 0)
        )
        idle_started = time.monotonic()
        idle_cpu_before = gw_cpu()
        prober = Prober(gw.url)
        prober.start()
        await asyncio.sleep(IDLE_WINDOW_S)
        probe_idle = await prober.stop()
        idle_cpu = gw_cpu() - idle_cpu_before
        idle_polls = (
            int((await control.get("/__sandbox__/stats")).json()["routes"].get(VIDEO_ROUTE, 0))
            - idle_polls_before
        )
        idle_rate = idle_polls / (time.monotonic() - idle_started)

        # Force each session READY at a random moment over READY_SPREAD_S.
        offsets = sorted((rng.uniform(0, READY_SPREAD_S), sid) for _, sid, _ in sessions)
        forced_at: dict[str, float] = {}
        push_cpu_before = gw_cpu()
        bench_cpu_before = sum(os.times()[:2])
        if profile:
            cpuprofile.toggle(gw.pid)
        prober.start()
        t0 = time.monotonic()
        for offset, sid in offsets:
            delay = t0 + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            forced_at[sid] = time.monotonic()
            (await control.post(f"/__sandbox__/sessions/{sid}/ready")).raise_for_status()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(c.all_finished.wait() for c in conns)), DRAIN_TIMEOUT_S
            )
        except TimeoutError:
            pass
        ended = time.monotonic()
        push_cpu = gw_cpu() - push_cpu_before
        bench_push_cpu = sum(os.times()[:2]) - bench_cpu_before
        if profile:
            await asyncio.to_thread(cpuprofile.toggle, gw.pid, profile_path)
        probe_failures = prober.failures
        probe_push = await prober.stop()
        stats = (await control.get("/__sandbox__/stats")).json()
        polls_total = gw_metric("gateway_readiness_polls_total")
        cpu = gw_cpu() - cpu_start
        hwm = gw_memory("VmHWM")
        await sampler.stop()

        first_waits = [s.first_at - s.sent_at for s in subs if s.first_at is not None]
        latencies = [s.ready_at - forced_at[s.session_id] for s in subs if s.ready_at is not None]
        errors = [s.error for s in subs if s.error]
        not_completed = sum(1 for s in subs if not s.completed)
        odd = [
            s.statuses
            for s in subs
            if s.statuses[:1] != ["PROCESSING"] or s.statuses[-1:] != ["READY"]
        ]

        for conn in conns:
            await conn.close()
        # After every client left, the gateway should hold no watch.
        deadline = time.monotonic() + 10
        watchers_after = gw_metric("gateway_readiness_watchers")
        while watchers_after and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            watchers_after = gw_metric("gateway_readiness_watchers")
        rss_after = gw_memory("VmRSS")
        log_text = "".join(g.log() for g in gws)
    await control.aclose()

    duration = ended - started
    video_polls = int(stats["routes"].get(VIDEO_ROUTE, 0))
    result = {
        "n": n,
        "replicas": replicas,
        "connections": len(conns),
        "subscriptions_per_key": per_key,
        "env": {k: v for k, v in env.items() if k != "GATEWAY_CREDENTIAL_SECRET"},
        "notes": notes,
        "subscribed_in_s": subscribed_in,
        "first_events": have_first,
        "first_event_p50_s": percentile(first_waits, 50),
        "first_event_p99_s": percentile(first_waits, 99),
        # Per connection, in opening order: its slowest wait for a first event.
        "first_event_max_by_connection_s": [
            round(
                max((s.first_at - s.sent_at for s in c.subs.values() if s.first_at), default=-1), 3
            )
            for c in conns
        ],
        "early_errors": early_errors[:5],
        "rss_idle_mib": rss_idle / 2**20,
        "rss_subscribed_mib": rss_subscribed / 2**20,
        "vmhwm_mib": hwm / 2**20,
        "rss_sampled_peak_mib": sampler.peak() / 2**20,
        "rss_after_close_mib": rss_after / 2**20,
        "kib_per_subscription": (rss_subscribed - rss_idle) / n / 1024,
        **heap_rows,
        "watchers_while_subscribed": watchers,
        "watchers_after_close": watchers_after,
        "run_duration_s": duration,
        "upstream_video_polls": video_polls,
        "upstream_polls_per_s": video_polls / duration,
        "idle_polls_per_s": idle_rate,
        "idle_gateway_cpu_share": idle_cpu / IDLE_WINDOW_S,
        "mode": "burst" if burst else "paced",
        "upstream_calls_by_route": stats["routes"],
        "gateway_readiness_polls_total": polls_total,
        "gateway_cpu_s": cpu,
        # From the first session forced READY to the last READY received: the
        # events' execution, encoding and sending, plus the polls meanwhile.
        "push_cpu_s": push_cpu,
        # This script's own CPU over the same window (its subscribers reading,
        # the probe), as a share of one core.
        "bench_push_cpu_s": bench_push_cpu,
        "bench_push_cpu_share": bench_push_cpu / (ended - t0),
        # With --profile, cProfile slows the gateway: its CPU and latency
        # figures are not comparable with a run without it.
        "cpu_profile": str(profile_path) if profile else None,
        "push_cpu_us_per_ready_event": push_cpu / len(latencies) * 1e6 if latencies else math.nan,
        # The same less what the idle window's polling cost over that time: the
        # events' own cost (execution, encoding, sending).
        "push_cpu_above_idle_us_per_event": (
            (push_cpu - idle_cpu / IDLE_WINDOW_S * (ended - t0)) / len(latencies) * 1e6
            if latencies
            else math.nan
        ),
        "checkout": str(checkout) if checkout else None,
        # A query's latency (no upstream call) while idle, and while the READY
        # events go out: what the burst costs everyone else on the process.
        "probe_idle_p50_s": percentile(probe_idle, 50),
        "probe_idle_p99_s": percentile(probe_idle, 99),
        "probe_push_p50_s": percentile(probe_push, 50),
        "probe_push_p99_s": percentile(probe_push, 99),
        "probe_push_max_s": max(probe_push) if probe_push else math.nan,
        "probe_push_count": len(probe_push),
        "probe_failures": probe_failures,
        "ready_received": len(latencies),
        "not_completed": not_completed,
        "errors": len(errors),
        "error_samples": errors[:5],
        "unexpected_status_sequences": [list(x) for x in odd[:5]],
        "unexpected_status_sequence_count": len(odd),
        "push_p50_s": percentile(latencies, 50),
        "push_p90_s": percentile(latencies, 90),
        "push_p99_s": percentile(latencies, 99),
        "push_max_s": max(latencies) if latencies else math.nan,
        "push_min_s": min(latencies) if latencies else math.nan,
        # For the CDF plot (bench/plot_push.py): push latency at each percentile.
        "push_cdf_ms": [round(percentile(latencies, q) * 1000, 1) for q in range(101)]
        if latencies
        else [],
        "log_errors": [
            line for line in log_text.splitlines() if "ERROR" in line or "Traceback" in line
        ][:10],
    }
    print(
        json.dumps(
            {k: v for k, v in result.items() if k != "upstream_calls_by_route"}, default=str
        ),
        file=sys.stderr,
        flush=True,
    )
    return result


async def main_async(args: argparse.Namespace) -> None:
    nofile = raise_open_files()
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    rows = []
    with sandbox(
        latency_ms=args.latency_ms, processing_delay=3600, log="subscriptions-sandbox.log"
    ) as up:
        for n in args.n:
            rows.append(
                await run_row(
                    n,
                    up.url,
                    rng,
                    burst=args.burst,
                    heap=args.heap,
                    profile=args.profile,
                    replicas=args.replicas,
                    checkout=args.checkout,
                )
            )
    load_after = os.getloadavg()

    print()
    print(
        f"Readiness push: {SESSIONS} sessions (50 per demo key), {PER_CONNECTION} subscriptions "
        f"per WebSocket, sandbox latency {args.latency_ms:g} ms, sessions forced READY at "
        f"random over {READY_SPREAD_S:g} s; subscribing "
        + (
            "in a burst (10 connections at a time, 50 subscribes each)."
            if args.burst
            else f"paced ({PACED_CONNECTIONS} connections at a time, each slot freed after "
            "the connection's 50 first events)."
        )
    )
    print(
        "Gateway polling: "
        + " ".join(f"{k}={v}" for k, v in WATCH_ENV.items())
        + " (push latency is bounded below by the 1 s poll interval)."
    )
    for row in rows:
        for note in row["notes"]:
            print(f"Note: {note}.")
    headers = [
        "N",
        "conns",
        "subscribe s",
        "1st evt p50/p99 ms",
        "RSS idle MiB",
        "RSS subscribed",
        "VmHWM MiB",
        "KiB/sub",
        "polls/s idle",
        "gw CPU idle",
        "polls/s run",
        "gw polls",
        "push p50 ms",
        "push p99 ms",
        "push max ms",
        "READY rcvd",
        "errors",
        "gw CPU s",
        "push CPU µs/event",
        "above idle",
        "query p99 idle/push ms",
        "bench CPU",
    ]
    table = print_table(
        headers,
        [
            [
                f"{r['n']} on {r['replicas']}" if r["replicas"] > 1 else r["n"],
                r["connections"],
                f"{r['subscribed_in_s']:.1f}",
                f"{fmt_ms(r['first_event_p50_s'])}/{fmt_ms(r['first_event_p99_s'])}",
                f"{r['rss_idle_mib']:.0f}",
                f"{r['rss_subscribed_mib']:.0f}",
                f"{r['vmhwm_mib']:.0f}",
                f"{r['kib_per_subscription']:.1f}",
                f"{r['idle_polls_per_s']:.0f}",
                f"{r['idle_gateway_cpu_share']:.0%}",
                f"{r['upstream_polls_per_s']:.0f}",
                f"{r['gateway_readiness_polls_total']:.0f}",
                fmt_ms(r["push_p50_s"]),
                fmt_ms(r["push_p99_s"]),
                fmt_ms(r["push_max_s"]),
                f"{r['ready_received']}/{r['n']}",
                r["errors"] + r["not_completed"],
                f"{r['gateway_cpu_s']:.1f}",
                f"{r['push_cpu_us_per_ready_event']:.0f}",
                f"{r['push_cpu_above_idle_us_per_event']:.0f}",
                f"{fmt_ms(r['probe_idle_p99_s'])}/{fmt_ms(r['probe_push_p99_s'])}",
                f"{r['bench_push_cpu_share']:.0%}",
            ]
            for r in rows
        ],
    )
    print(
        "'polls/s' count the sandbox's analyzed-video calls: 'idle' over a "
        f"{IDLE_WINDOW_S:g} s window with nothing changing, 'run' from the first subscription "
        "to the last completion; 'gw polls' is gateway_readiness_polls_total. "
        "Push latency = READY receipt at the client - moment the session was forced ready. "
        f"1-min load average {load_before[0]:.1f} before, {load_after[0]:.1f} after."
    )
    for row in rows:
        if "kib_per_subscription_by_kind" in row:
            print(
                f"\nN={row['n']}: memory still allocated once subscribed, less the idle "
                f"gateway's (tracemalloc, KiB per subscription; "
                f"{row['traced_kib_per_subscription']} traced in all):"
            )
            print_table(["kind", "KiB/sub"], list(row["kib_per_subscription_by_kind"].items()))
            print_table(["line", "KiB/sub"], list(row["kib_per_subscription_by_line"].items()))
    for row in rows:
        if row["cpu_profile"]:
            print(
                f"\nN={row['n']}: the gateway's time while READY went out (cProfile, shares; "
                "this row's CPU and latency are slowed by it):"
            )
            print_table(
                ["function", "own", "with callees", "calls"],
                [
                    [name, f"{own:.1%}", f"{cumulative:.1%}", calls]
                    for name, own, cumulative, calls in cpuprofile.summary(Path(row["cpu_profile"]))
                ],
            )
    for row in rows:
        if row["errors"] or row["not_completed"] or row["log_errors"]:
            print(f"N={row['n']} problems: {row['error_samples']} {row['log_errors']}")
    path = write_json(
        "subscriptions-burst.json" if args.burst else "subscriptions.json",
        {
            "machine": machine(),
            "latency_ms": args.latency_ms,
            "watch_env": WATCH_ENV,
            "open_files_limit": nofile,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "bench_process_cpu_s": sum(os.times()[:2]),
            "rows": rows,
            "table": table,
        },
    )
    print(f"JSON: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--heap", action="store_true",
        help="trace the gateway's allocations (tracemalloc, slow) and print where the "
        "memory of the subscriptions goes",
    )  # fmt: skip
    parser.add_argument(
        "--profile", action="store_true",
        help="profile the gateway (cProfile) while the READY events go out, and print "
        "where its time went",
    )  # fmt: skip
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="gateways sharing one Redis, the connections split between them",
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        help="run another checkout's gateway (an A/B against an older commit)",
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="open 10 connections at a time without waiting for first events (a reconnect storm)",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
