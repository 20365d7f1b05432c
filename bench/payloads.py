"""Heavy payloads: a full weightlifting export through the gateway against the REST call.

For 300 and 1,000 frames (the sandbox's ``export_frames`` knob) it measures,
over a bounded number of runs:

* the direct REST call: ``GET /weightlifting/sessions/{id}/export/`` with httpx
  straight to the sandbox;
* the gateway, serving each series as one ``FloatSeries`` value;
* the same schema with every series as a plain ``[Float!]!`` list, which
  graphql-core completes number by number (a gateway process started by this
  script with the scalar swapped for ``list[float]``);
* the floor: a bare proxy on the same stack (uvicorn, Starlette, a pooled
  httpx client) that forwards the REST call's bytes and does nothing else.
  Whatever a gateway does, it pays for this second hop.

Each measurement is the wall time until the whole body is received and
parsed. Every run fetches the export all four ways back to back, so the
machine's slow and fast moments fall on all of them alike and the ratios hold
even where the absolute figures drift. The servers start afresh for each size
and latency, so a gateway's peak memory (``VmHWM`` from ``/proc/<pid>/status``,
read after the runs) is that size's.

    .venv/bin/python bench/payloads.py            # prints the table, writes bench/out/payloads.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402

from gateway.ids import Activity, encode_global_id  # noqa: E402
from gateway.sandbox import DEMO_KEYS, seed_sessions  # noqa: E402
from tests.servers import ServerProcess, free_port  # noqa: E402

OUT = ROOT / "bench" / "out"
KEY = f"API-KEY {DEMO_KEYS['alice']}"
SIZES = (300, 1000)
# Upstream latency of the sandbox (ms). At 0 the ratio shows the gateway's own
# CPU cost against a bare parse; a real upstream is tens of ms away.
LATENCIES = (0.0, 20.0)
WARMUP = 3
RUNS = 40
TARGET_RATIO = 1.5

EXPORT_QUERY = """
query ($id: ID!) { session(id: $id) { export {
  keypoints { name values }
  angles { name values }
  timestamps
  metrics { name value values }
} } }"""


@contextmanager
def _server(
    args: list[str], ready: str, log: Path, program: tuple[str, ...]
) -> Iterator[ServerProcess]:
    """A server process on a free loopback port, stopped on exit; yields it."""
    port = free_port()
    server = ServerProcess(
        [a.replace("{port}", str(port)) for a in args],
        port=port,
        log_path=log,
        ready_path=ready,
        program=program,
    ).start()
    try:
        yield server
    finally:
        server.stop()


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(http: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[float, int, Any]:
    started = time.perf_counter()
    response = http.request(method, url, **kwargs)
    body = orjson.loads(response.content)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, len(response.content), body


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _count_numbers(value: Any) -> int:
    if isinstance(value, list):
        return sum(_count_numbers(v) for v in value)
    if isinstance(value, dict):
        return sum(_count_numbers(v) for v in value.values())
    return 1 if isinstance(value, int | float) and not isinstance(value, bool) else 0


@dataclass
class Row:
    latency_ms: float
    frames: int
    numbers: int
    rest_kb: float
    gateway_kb: float
    rest_ms: float
    proxy_ms: float
    proxy_ratio: float
    gateway_ms: float
    gateway_ratio: float
    list_ms: float
    list_ratio: float
    gateway_peak_mb: float
    list_peak_mb: float


@dataclass
class Target:
    """One way to fetch the export: a request to repeat, and what it answered."""

    method: str
    url: str
    json: Any = None
    samples: list[float] = field(default_factory=list)
    size: int = 0
    body: Any = None

    def fetch(self, http: httpx.Client, keep: bool) -> None:
        elapsed, self.size, self.body = _timed(
            http, self.method, self.url, json=self.json, headers={"Authorization": KEY}
        )
        if isinstance(self.body, dict):
            assert "errors" not in self.body, str(self.body)[:500]
        if keep:
            self.samples.append(elapsed)

    @property
    def median_ms(self) -> float:
        return _median_ms(self.samples)


def _measure(
    sandbox: str, session_id: str, global_id: str, frames: int
) -> tuple[dict[str, Target], dict[str, float]]:
    """Every run fetches the export each way, one after the other, so that the
    machine's ups and downs fall on all of them alike; returns the targets and
    each gateway's peak memory."""
    script = (str(Path(__file__).resolve()),)
    path = f"/weightlifting/sessions/{session_id}/export/"
    payload = {"query": EXPORT_QUERY, "variables": {"id": global_id}}
    with ExitStack() as stack:
        servers = {
            variant: stack.enter_context(
                _server(
                    ["--serve", variant, "--port", "{port}", "--upstream", sandbox],
                    "/healthz",
                    OUT / f"payloads-{variant}-{frames}.log",
                    script,
                )
            )
            for variant in ("proxy", "scalar", "list")
        }
        targets = {
            "rest": Target("GET", sandbox + path),
            "proxy": Target("GET", servers["proxy"].url + path),
            "scalar": Target("POST", servers["scalar"].url + "/graphql", payload),
            "list": Target("POST", servers["list"].url + "/graphql", payload),
        }
        with httpx.Client(timeout=60) as http:
            for run in range(WARMUP + RUNS):
                for target in targets.values():
                    target.fetch(http, keep=run >= WARMUP)
        peaks = {v: _peak_rss_mb(servers[v].pid) for v in ("scalar", "list")}
    return targets, peaks


def run_bench() -> list[Row]:
    OUT.mkdir(parents=True, exist_ok=True)
    record = next(r for r in seed_sessions("alice") if r.activity == "Weightlifting")
    global_id = encode_global_id(Activity.WEIGHTLIFTING, record.session_id)
    rows: list[Row] = []
    sandbox_args = ["sandbox", "--port", "{port}"]
    with _server(
        sandbox_args, "/__sandbox__/stats", OUT / "payloads-sandbox.log", ("-m", "gateway")
    ) as sandbox_server:
        sandbox = sandbox_server.url
        for latency, frames in [(lat, f) for lat in LATENCIES for f in SIZES]:
            httpx.post(
                f"{sandbox}/__sandbox__/config",
                json={"export_frames": frames, "latency_ms": latency},
            )
            t, peaks = _measure(sandbox, record.session_id, global_id, frames)
            rest, proxy, scalar, listed = t["rest"], t["proxy"], t["scalar"], t["list"]
            # Both schemas answer the same data; the proxy, the REST body.
            assert scalar.body == listed.body and proxy.body == rest.body
            exported = scalar.body["data"]["session"]["export"]
            assert len(exported["timestamps"]) == frames
            rows.append(
                Row(
                    latency_ms=latency,
                    frames=frames,
                    numbers=_count_numbers(rest.body),
                    rest_kb=rest.size / 1024,
                    gateway_kb=scalar.size / 1024,
                    rest_ms=rest.median_ms,
                    proxy_ms=proxy.median_ms,
                    proxy_ratio=proxy.median_ms / rest.median_ms,
                    gateway_ms=scalar.median_ms,
                    gateway_ratio=scalar.median_ms / rest.median_ms,
                    list_ms=listed.median_ms,
                    list_ratio=listed.median_ms / rest.median_ms,
                    gateway_peak_mb=peaks["scalar"],
                    list_peak_mb=peaks["list"],
                )
            )
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'latency':>7} {'frames':>6} {'numbers':>8} {'REST KB':>8} {'GQL KB':>7} "
        f"{'REST ms':>8} {'proxy ms':>8} {'ratio':>6} {'gateway ms':>10} {'ratio':>6} "
        f"{'[Float!]! ms':>12} {'ratio':>6} {'gateway MB':>10} {'[Float!]! MB':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.latency_ms:>5.0f}ms {r.frames:>6} {r.numbers:>8} "
            f"{r.rest_kb:>8.0f} {r.gateway_kb:>7.0f} "
            f"{r.rest_ms:>8.1f} {r.proxy_ms:>8.1f} {r.proxy_ratio:>6.2f} "
            f"{r.gateway_ms:>10.1f} {r.gateway_ratio:>6.2f} "
            f"{r.list_ms:>12.1f} {r.list_ratio:>6.2f} {r.gateway_peak_mb:>10.1f} "
            f"{r.list_peak_mb:>12.1f}"
        )
    print(
        f"\nmedians of {RUNS} runs after {WARMUP} warm-up; ratio = over the direct REST call; "
        "proxy = a bare byte-forwarding proxy on the same stack (the floor of any gateway); "
        "MB = the gateway process's peak RSS (VmHWM)."
    )
    for last in (r for r in rows if r.frames == max(SIZES)):
        verdict = "meets" if last.gateway_ratio < TARGET_RATIO else "MISSES"
        print(
            f"at {last.frames} frames and {last.latency_ms:.0f} ms upstream latency the gateway "
            f"is {last.gateway_ratio:.2f}x the REST call (the bare proxy {last.proxy_ratio:.2f}x): "
            f"{verdict} the < {TARGET_RATIO}x target"
        )


def serve(variant: str, port: int, upstream: str) -> None:
    """Run a gateway; ``list`` swaps the FloatSeries scalar for plain ``[Float!]!`` lists."""
    if variant == "proxy":
        serve_proxy(port, upstream)
        return
    if variant == "list":
        _swap_series_for_lists()
    import uvicorn

    from gateway.config import Settings
    from gateway.http.app import create_app

    settings = Settings(upstream_url=upstream, port=port, graphiql=False, log_level="warning")
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def serve_proxy(port: int, upstream: str) -> None:
    """The floor: forward a GET's bytes to the upstream and back, nothing else."""
    from contextlib import asynccontextmanager

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        async with httpx.AsyncClient(base_url=upstream) as client:
            state["client"] = client
            yield

    async def forward(request: Request) -> Response:
        answer = await state["client"].get(
            request.url.path, headers={"Authorization": request.headers["authorization"]}
        )
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    routes = [Route("/healthz", healthz), Route("/{path:path}", forward)]
    app = Starlette(routes=routes, lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _swap_series_for_lists() -> None:
    """Make every ``FloatSeries`` a plain ``[Float!]!`` list, before the schema is imported.

    The schema modules bind ``FloatSeries`` when they are imported, so
    ``schema.scalars`` is loaded first, by hand, with the name rebound to
    ``list[float]`` (``FloatSeries(values)`` becomes a list copy); then the
    scalar map, which would turn ``list[float]`` back into the scalar, is
    given a key nothing uses. Nothing else in the schema changes.
    """
    import importlib.util
    from typing import NewType

    spec = importlib.util.spec_from_file_location("schema.scalars", ROOT / "schema" / "scalars.py")
    assert spec is not None and spec.loader is not None
    scalars = importlib.util.module_from_spec(spec)
    sys.modules["schema.scalars"] = scalars
    spec.loader.exec_module(scalars)
    scalars.FloatSeries = list[float]  # type: ignore[attr-defined]
    import schema

    schema.FloatSeries = NewType("Unused", list)  # type: ignore[attr-defined,assignment]
    sdl = schema.build_schema().as_str()
    assert "values: [Float!]!" in sdl and "values: FloatSeries" not in sdl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", choices=("scalar", "list", "proxy"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.upstream)
        return
    started = time.monotonic()
    rows = run_bench()
    print_table(rows)
    out = OUT / "payloads.json"
    out.write_text(
        json.dumps(
            {
                "runs": RUNS,
                "warmup": WARMUP,
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
