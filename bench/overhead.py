"""Fan-out under load: the gateway against a client calling REST itself.

Five operations, each done up to three ways against one sandbox upstream with
a fixed latency (20 ms by default), at 1, 16 and 64 concurrent clients:

* through the gateway: one GraphQL POST;
* directly: the same REST calls the gateway makes, issued concurrently over a
  pooled ``httpx.AsyncClient`` (httpx's defaults) and JSON-decoded, as a good
  hand-written client would;
* through a bare proxy (``bench/proxy.py``), for the one-call shapes: the floor
  of any gateway on this stack.

For each cell it prints iterations/s, p50 and p99, upstream calls per
iteration (counted by the sandbox, so every side provably does the same
work), and the CPU time per iteration of the gateway (or proxy) process.
The sweep is one run, so the ratios in a row hold even where the machine's
absolute speed drifts.

    .venv/bin/python bench/overhead.py [--latency-ms 20] [--workers 1] [--quick]

Results also go to ``bench/out/overhead.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil
from common import ALICE, OUT, fmt_ms, gateway, machine, percentile, print_table, write_json
from proxy import PROGRAM as PROXY_PROGRAM

from gateway.ids import Activity, encode_global_id
from gateway.sandbox import seed_sessions
from tests.servers import ServerProcess, free_port

CONCURRENCY = (1, 16, 64)
# Each cell stops at its count or its time budget, whichever comes first.
CELL_BUDGET_S = 8.0
WARMUP = 10
EXPORT_FRAMES = 300

Fetch = Callable[[httpx.AsyncClient], Awaitable[None]]


@dataclass
class Shape:
    name: str
    # What the gateway is asked: one GraphQL document and its variables.
    document: str
    variables: dict[str, Any]
    direct: Fetch
    # The REST path a bare proxy forwards, for one-call shapes.
    proxy_path: str | None = None

    def gateway(self, *, by_id: bool = False) -> Fetch:
        """One GraphQL POST: the document's text, or its id in a trusted manifest."""
        body: dict[str, Any] = {"variables": self.variables}
        if by_id:
            body["documentId"] = f"sha256:{document_id(self.document)}"
        else:
            body["query"] = self.document
        return lambda http: _graphql(http, body)


@dataclass
class Variant:
    """Another gateway measured beside the first one in every cell."""

    name: str
    env: dict[str, str]
    # Send ``documentId`` (the bench's documents are put in a manifest for it).
    by_id: bool = False
    # Run the gateway of another checkout (the same interpreter and packages).
    checkout: Path | None = None

    @classmethod
    def parse(cls, spec: str) -> Variant:
        """``NAME=ITEM,ITEM...``; an item is ``GATEWAY_X=VALUE``, ``documentId`` or
        ``checkout=PATH``."""
        name, _, items = spec.partition("=")
        variant = cls(name, {})
        for item in filter(None, items.split(",")):
            key, _, value = item.partition("=")
            if item == "documentId":
                variant.by_id = True
            elif key == "checkout":
                variant.checkout = Path(value).resolve()
            elif key.startswith("GATEWAY_") and value:
                variant.env[key] = value
            else:
                raise SystemExit(f"--variant {spec!r}: cannot read {item!r}")
        return variant


def document_id(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _first(label: str, video: str | None = None) -> Any:
    for record in seed_sessions("alice"):
        if record.activity == label and (video is None or record.video_state == video):
            return record
    raise LookupError(label)


def _gid(record: Any) -> str:
    activity = Activity.from_label(str(record.activity))
    assert activity is not None
    return encode_global_id(activity, record.session_id)


async def _graphql(http: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await http.post("/graphql", json=body, headers={"Authorization": ALICE})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        codes = sorted({str(e.get("extensions", {}).get("code")) for e in body["errors"]})
        raise RuntimeError(f"GraphQL errors: {', '.join(codes)}")


async def _rest(http: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None) -> Any:
    response = await http.get(
        path, params=params, headers={"Authorization": ALICE, "Accept": "application/json"}
    )
    response.raise_for_status()
    return response.json()


def shapes() -> list[Shape]:
    jump = _first("Vertical Jump", video="ready")
    run = _first("Running")
    lift = _first("Weightlifting")
    jump_path = f"/jumping/sessions/{jump.session_id}/"
    lift_export = f"/weightlifting/sessions/{lift.session_id}/export/"

    one = "query ($id: ID!) { session(id: $id) { title activity createdAt } }"
    three = """query ($j: ID!, $r: ID!, $w: ID!) {
      j: session(id: $j) { title angles { name values } }
      r: session(id: $r) { title angles { name values } }
      w: session(id: $w) { title angles { name values } }
    }"""
    listing = "{ sessions(first: 10) { edges { node { title angles { name } } } } }"
    page = """query ($id: ID!) { session(id: $id) {
      title createdAt analyzedVideo { status url }
      angles { name values } metrics { name value values }
    } }"""
    export = """query ($id: ID!) { session(id: $id) { export {
      keypoints { name values } angles { name values } timestamps metrics { name value values }
    } } }"""

    async def list_direct(http: httpx.AsyncClient) -> None:
        # The gateway asks for one more than the page to learn whether there
        # is a next one; a hand-written client wanting the same would too.
        body = await _rest(http, "/session-management/sessions/filter/", {"limit": 11})
        page_ids = list(body["sessions"].items())[:10]
        paths = {
            "Vertical Jump": "jumping",
            "Running": "running",
            "Weightlifting": "weightlifting",
        }
        await asyncio.gather(
            *(_rest(http, f"/{paths[s['activity']]}/sessions/{sid}/") for sid, s in page_ids)
        )

    return [
        Shape(
            "one session (1 call)",
            one,
            {"id": _gid(jump)},
            lambda h: _rest(h, jump_path),
            jump_path,
        ),
        Shape(
            "one of each kind (3 calls)",
            three,
            {"j": _gid(jump), "r": _gid(run), "w": _gid(lift)},
            lambda h: asyncio.gather(
                _rest(h, jump_path),
                _rest(h, f"/running/sessions/{run.session_id}/"),
                _rest(h, f"/weightlifting/sessions/{lift.session_id}/"),
            ),
        ),
        Shape(
            "10-session list, angle names (11 calls)",
            listing,
            {},
            list_direct,
        ),
        Shape(
            "session page (1 call)",
            page,
            {"id": _gid(jump)},
            lambda h: _rest(h, jump_path),
            jump_path,
        ),
        Shape(
            f"full export, {EXPORT_FRAMES} frames (1 call)",
            export,
            {"id": _gid(lift)},
            lambda h: _rest(h, lift_export),
            lift_export,
        ),
    ]


@dataclass
class Cell:
    latencies: list[float]
    elapsed: float
    upstream_calls: int
    cpu_s: float
    errors: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def cpu_ms(self) -> float:
        return self.cpu_s / max(1, len(self.latencies)) * 1000


def _cpu(procs: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _tree(pid: int) -> list[psutil.Process]:
    """A server and its workers (``--workers N`` forks them)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


async def run_cell(
    fetch: Fetch,
    http: httpx.AsyncClient,
    control: httpx.AsyncClient,
    procs: list[psutil.Process],
    *,
    concurrency: int,
    count: int,
) -> Cell:
    for _ in range(WARMUP):
        await fetch(http)
    (await control.post("/__sandbox__/reset-stats")).raise_for_status()
    cpu_before = _cpu(procs)
    latencies: list[float] = []
    errors = issued = 0
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    deadline = started + CELL_BUDGET_S

    async def client() -> None:
        nonlocal issued, errors
        while issued < count and time.perf_counter() < deadline:
            issued += 1
            t0 = time.perf_counter()
            try:
                await fetch(http)
            except (httpx.HTTPError, RuntimeError) as exc:
                errors += 1
                kinds[str(exc) or type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = _cpu(procs) - cpu_before
    calls = int((await control.get("/__sandbox__/stats")).json()["total"])
    if kinds:
        print(f"  errors: {dict(kinds)}", file=sys.stderr, flush=True)
    return Cell(latencies, elapsed, calls, cpu, errors)


@contextmanager
def _sandbox(latency_ms: float) -> Iterator[ServerProcess]:
    port = free_port()
    server = ServerProcess(
        ["sandbox", "--port", str(port), "--latency-ms", str(latency_ms)],
        port=port,
        log_path=OUT / "overhead-sandbox.log",
        ready_path="/__sandbox__/stats",
    ).start()
    try:
        httpx.post(
            f"{server.url}/__sandbox__/config", json={"export_frames": EXPORT_FRAMES}
        ).raise_for_status()
        yield server
    finally:
        server.stop()


@contextmanager
def _proxy(upstream: str) -> Iterator[ServerProcess]:
    port = free_port()
    server = ServerProcess(
        ["--port", str(port), "--upstream", upstream],
        port=port,
        log_path=OUT / "overhead-proxy.log",
        ready_path="/healthz",
        program=PROXY_PROGRAM,
    ).start()
    try:
        yield server
    finally:
        server.stop()


async def main_async(args: argparse.Namespace) -> None:
    counts = {1: 40, 16: 200, 64: 400} if args.quick else {1: 150, 16: 800, 64: 1600}
    env = {"GATEWAY_LOG_LEVEL": "warning", "GATEWAY_WORKERS": str(args.workers)}
    env.update(setting.split("=", 1) for setting in args.gateway_env)
    if args.redis_url:
        env["GATEWAY_REDIS_URL"] = args.redis_url
        env["GATEWAY_CREDENTIAL_SECRET"] = "bench-secret-bench-secret-bench-secret"
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    variants = [Variant.parse(spec) for spec in args.variant]
    manifest = OUT / "overhead-manifest.json"
    manifest.write_text(
        json.dumps({document_id(s.document): s.document for s in shapes()}, indent=2) + "\n"
    )
    variant_rows: list[list[Any]] = []
    with ExitStack() as stack:
        up = stack.enter_context(_sandbox(args.latency_ms))
        gw = stack.enter_context(gateway(up.url, env=env, log="overhead-gateway.log"))
        px = stack.enter_context(_proxy(up.url))
        variant_gateways = [
            stack.enter_context(
                gateway(
                    up.url,
                    env={
                        **env,
                        **({"GATEWAY_TRUSTED_DOCUMENTS": str(manifest)} if v.by_id else {}),
                        **v.env,
                    },
                    log=f"overhead-gateway-{v.name}.log",
                    checkout=v.checkout,
                )
            )
            for v in variants
        ]
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        gw_procs, px_procs = _tree(gw.pid), _tree(px.pid)

        async with (
            httpx.AsyncClient(base_url=gw.url, limits=limits, timeout=60) as gw_http,
            httpx.AsyncClient(base_url=up.url, limits=limits, timeout=60) as up_http,
            httpx.AsyncClient(base_url=px.url, limits=limits, timeout=60) as px_http,
            httpx.AsyncClient(base_url=up.url, timeout=60) as control,
        ):
            variant_https = [
                httpx.AsyncClient(base_url=v.url, limits=limits, timeout=60)
                for v in variant_gateways
            ]
            for shape in shapes():
                if args.shape and not any(key in shape.name for key in args.shape):
                    continue
                for concurrency in args.concurrency or CONCURRENCY:
                    count = counts[concurrency]
                    # The first gateway and its variants, in an order that turns
                    # from cell to cell, so that none always runs first.
                    runs: list[tuple[Fetch, httpx.AsyncClient, list[psutil.Process]]] = [
                        (shape.gateway(), gw_http, gw_procs),
                        *(
                            (shape.gateway(by_id=v.by_id), http, _tree(server.pid))
                            for v, server, http in zip(
                                variants, variant_gateways, variant_https, strict=True
                            )
                        ),
                    ]
                    turn = len(rows) % len(runs)
                    cells: dict[int, Cell] = {}
                    for i in [*range(turn, len(runs)), *range(turn)]:
                        fetch, http, procs = runs[i]
                        cells[i] = await run_cell(
                            fetch, http, control, procs, concurrency=concurrency, count=count
                        )
                    g, others = cells[0], [cells[i] for i in range(1, len(runs))]
                    d = await run_cell(
                        shape.direct, up_http, control, [],
                        concurrency=concurrency, count=count,
                    )  # fmt: skip
                    p: Cell | None = None
                    if shape.proxy_path is not None:
                        path = shape.proxy_path

                        async def via_proxy(http: httpx.AsyncClient, path: str = path) -> None:
                            await _rest(http, path)

                        p = await run_cell(
                            via_proxy, px_http, control, px_procs,
                            concurrency=concurrency, count=count,
                        )  # fmt: skip
                    row = _row(shape.name, concurrency, g, d, p)
                    rows.append(row)
                    print("  ".join(str(c) for c in row), file=sys.stderr, flush=True)
                    if variants:
                        variant_rows.append(_variant_row(shape.name, concurrency, g, others))
                    results.append(
                        {
                            "shape": shape.name,
                            "concurrency": concurrency,
                            "gateway": _summary(g),
                            "direct": _summary(d),
                            "proxy": _summary(p) if p else None,
                            "variants": {
                                v.name: _summary(o) for v, o in zip(variants, others, strict=True)
                            },
                        }
                    )
            for http in variant_https:
                await http.aclose()
        rss = sum(proc.memory_info().rss for proc in gw_procs)
    load_after = os.getloadavg()
    print()
    print(
        f"Fan-out sweep: sandbox latency {args.latency_ms:g} ms per call, gateway workers "
        f"{args.workers}; {psutil.cpu_count()} CPUs shared by load generator, gateway, proxy "
        f"and sandbox; 1-min load average {load_before[0]:.1f} before, {load_after[0]:.1f} after."
    )
    headers = [
        "shape",
        "c",
        "gw it/s",
        "direct it/s",
        "gw/direct",
        "gw p50/p99 ms",
        "direct p50/p99 ms",
        "p50 ratio",
        "gw CPU ms/op",
        "proxy it/s",
        "proxy p50 ms",
        "proxy CPU ms/op",
        "calls gw/direct",
        "errors",
    ]
    table = print_table(headers, rows)
    if variants:
        print()
        print(
            "Variants: the same requests through other gateways, each cell run beside the "
            "first gateway's, in an order that turns (CPU per operation, ratio to the first; p50)."
        )
        print_table(
            ["shape", "c", "gw CPU ms/op", "gw p50 ms"]
            + [f"{v.name} CPU ms/op" for v in variants]
            + [f"{v.name} p50 ms" for v in variants],
            variant_rows,
        )
    print(f"Gateway RSS at the end: {rss / 2**20:.0f} MiB.")
    path = write_json(
        "overhead.json",
        {
            "latency_ms": args.latency_ms,
            "workers": args.workers,
            "machine": machine(),
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "results": results,
            "table": table,
        },
    )
    print(f"JSON: {path}")


def _row(name: str, concurrency: int, g: Cell, d: Cell, p: Cell | None) -> list[Any]:
    g50, g99 = percentile(g.latencies, 50), percentile(g.latencies, 99)
    d50, d99 = percentile(d.latencies, 50), percentile(d.latencies, 99)
    return [
        name,
        concurrency,
        f"{g.rate:.0f}",
        f"{d.rate:.0f}",
        f"{g.rate / d.rate:.2f}x",
        f"{fmt_ms(g50)} / {fmt_ms(g99)}",
        f"{fmt_ms(d50)} / {fmt_ms(d99)}",
        f"{g50 / d50:.2f}x",
        f"{g.cpu_ms():.2f}",
        f"{p.rate:.0f}" if p else "-",
        fmt_ms(percentile(p.latencies, 50)) if p else "-",
        f"{p.cpu_ms():.2f}" if p else "-",
        f"{g.upstream_calls / max(1, len(g.latencies)):.1f}"
        f"/{d.upstream_calls / max(1, len(d.latencies)):.1f}",
        g.errors + d.errors + (p.errors if p else 0),
    ]


def _variant_row(name: str, concurrency: int, g: Cell, others: list[Cell]) -> list[Any]:
    base = g.cpu_ms()
    return [
        name,
        concurrency,
        f"{base:.2f}",
        fmt_ms(percentile(g.latencies, 50)),
        *(f"{o.cpu_ms():.2f} ({o.cpu_ms() / base:.2f}x)" for o in others),
        *(fmt_ms(percentile(o.latencies, 50)) for o in others),
    ]


def _summary(cell: Cell) -> dict[str, Any]:
    lat = cell.latencies
    return {
        "n": len(lat),
        "per_s": cell.rate,
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "elapsed_s": cell.elapsed,
        "upstream_calls": cell.upstream_calls,
        "cpu_ms_per_op": cell.cpu_ms(),
        "errors": cell.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis-url", help="needed by --workers > 1")
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument(
        "--gateway-env", action="append", default=[], metavar="GATEWAY_X=VALUE",
        help="a setting for the gateway (repeatable), e.g. GATEWAY_RATE_LIMIT_CALLS_PER_SECOND",
    )  # fmt: skip
    parser.add_argument(
        "--variant", action="append", default=[], metavar="NAME=ITEM,...",
        help="another gateway measured beside the first in every cell (repeatable); items: "
        "GATEWAY_X=VALUE settings, documentId (requests name the bench's documents in a "
        "manifest), checkout=PATH (another checkout's gateway)",
    )  # fmt: skip
    parser.add_argument(
        "--concurrency", type=int, action="append", choices=CONCURRENCY,
        help="only this concurrency (repeatable); all three by default",
    )  # fmt: skip
    parser.add_argument(
        "--shape", action="append",
        help="only shapes whose name contains this text (repeatable)",
    )  # fmt: skip
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
