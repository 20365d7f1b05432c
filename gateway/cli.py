"""``session-gateway``: serve the gateway, run the sandbox upstream, export the schema."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn

from gateway.config import (
    DEFAULT_SANDBOX_PORT,
    WORKER_SETTINGS,
    InvalidSetting,
    Knob,
    Settings,
    knobs,
)
from gateway.http.drain import drain_on_signals, grace_seconds
from gateway.http.graphiql import Demo
from gateway.ids import Activity, encode_global_id
from gateway.sandbox.flavors import DEFAULT_FLAVOR, FLAVORS

__all__ = ["main"]


_SERVER_LOG_LEVEL = {"critical": "critical", "error": "error", "warning": "warning"}


def _add_setting_flag(parser: argparse.ArgumentParser, knob: Knob, **options: Any) -> None:
    """A setting's flag: name, help and default come from the settings model.

    Values stay text (``None`` when not given, so the variable applies): the
    model parses flags and variables alike, and names the flag when one is wrong.
    """
    if knob.field.annotation is bool:
        options["action"] = "store_true"
    elif "choices" not in options:
        options["metavar"] = knob.name.upper()
    default = knob.default.replace("`", "")
    options.setdefault("help", f"{knob.description} [{knob.variable}] ({default})")
    parser.add_argument(knob.flag or "", dest=knob.name, default=None, **options)


# The setting behind the one flag both commands take.
_FLAVOR = next(k for k in knobs() if k.name == "sandbox_flavor")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="session-gateway",
        description="GraphQL gateway over the sports video-analysis session API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway")
    for knob in knobs():
        if knob.flag is not None:
            options = {"choices": list(FLAVORS)} if knob.name == _FLAVOR.name else {}
            _add_setting_flag(serve, knob, **options)

    sandbox = sub.add_parser("sandbox", help="run the sandbox upstream alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=DEFAULT_SANDBOX_PORT)
    sandbox.add_argument("--latency-ms", type=float, default=0.0)
    sandbox.add_argument("--processing-delay", type=float, default=5.0)
    _add_setting_flag(
        sandbox,
        _FLAVOR,
        choices=list(FLAVORS),
        help=f"which reading of the contract to serve ({DEFAULT_FLAVOR}): "
        + "; ".join(f"{f.name}: {f.description}" for f in FLAVORS.values()),
    )
    sandbox.add_argument(
        "--validate-contract",
        action="store_true",
        help="check every answer against the contract (tests; needs jsonschema)",
    )

    sub.add_parser("export-schema", help="print the schema's SDL")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "export-schema":
        from schema import build_schema

        sys.stdout.write(build_schema().as_str() + "\n")
        return
    if args.command == "sandbox":
        _run_sandbox(args)
        return
    _serve(args)


def _run_sandbox(args: argparse.Namespace) -> None:
    from gateway.sandbox import SandboxConfig, create_sandbox_app

    config = SandboxConfig(
        flavor=args.sandbox_flavor or DEFAULT_FLAVOR,
        latency_ms=args.latency_ms,
        processing_delay_s=args.processing_delay,
        validate_contract=args.validate_contract,
    )
    uvicorn.run(create_sandbox_app(config), host=args.host, port=args.port, log_level="warning")


def _serve(args: argparse.Namespace) -> None:
    flags = {k.name: getattr(args, k.name) for k in knobs() if k.flag is not None}
    try:
        settings = Settings.from_env(None, **flags)
    except InvalidSetting as exc:
        # The message names the variable or flag; a traceback would bury it.
        sys.exit("\n".join(f"session-gateway: {line}" for line in str(exc).splitlines()))
    if settings.trusted_documents:
        # Checked before any process starts: a worker that can't load it
        # would only be restarted, again and again.
        from schema.trusted import InvalidManifest, TrustedDocuments

        try:
            TrustedDocuments.load(Path(settings.trusted_documents))
        except InvalidManifest as exc:
            sys.exit(f"session-gateway: GATEWAY_TRUSTED_DOCUMENTS: {exc}")
    if settings.sandbox and settings.sandbox_flavor not in FLAVORS:
        sys.exit(f"GATEWAY_SANDBOX_FLAVOR: expected one of {', '.join(FLAVORS)}")
    if settings.sandbox and args.upstream_url is None:
        # Sandbox mode (flag or GATEWAY_SANDBOX) talks to its own sandbox.
        settings = settings.model_copy(
            update={"upstream_url": f"http://127.0.0.1:{settings.sandbox_port}"}
        )
    if settings.workers > 1:
        _serve_workers(settings)
        return
    _configure_logging(settings)
    # uvicorn.run would pick the loop itself; the gateway runs its servers
    # (and the sandbox's) in a loop of its own, so it asks uvicorn which.
    loop_factory = _server_config(None, settings).get_loop_factory()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve_async(settings))


def _configure_logging(settings: Settings) -> None:
    from gateway.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if settings.log_level.lower() != "debug":
        # One line per upstream call is debugging detail, not an event.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    # Below INFO these log every frame and header they carry, and a
    # WebSocket's connection_init frame or a request's headers hold the
    # caller's key: never below INFO, whatever the gateway's own level.
    for name in ("websockets", "httpcore", "hpack"):
        logging.getLogger(name).setLevel(logging.INFO)


def _serve_workers(settings: Settings) -> None:
    """uvicorn's supervisor: N processes accepting on one socket, restarted if they die.

    Settings refuse more than one worker without Redis, or with the sandbox."""
    _configure_logging(settings)
    own_directory = None
    if settings.metrics_multiproc_dir is None:
        # prometheus-client's multiprocess mode: every worker writes its
        # values here, a scrape of any one merges them (gateway/metrics.py).
        # It reads the variable when first imported, so it is set before the
        # workers start.
        own_directory = tempfile.mkdtemp(prefix="session-gateway-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_directory
        settings = settings.model_copy(update={"metrics_multiproc_dir": own_directory})
    # Written for the children, which read it back through Settings.from_parent.
    os.environ[WORKER_SETTINGS] = settings.to_json()
    try:
        # Each worker's app drains on the SIGTERM the supervisor passes on
        # (worker_app): uvicorn's supervisor and servers as they are.
        uvicorn.run(
            "gateway.cli:worker_app",
            factory=True,
            workers=settings.workers,
            **_server_options(settings),
        )
    finally:
        if own_directory is not None:
            shutil.rmtree(own_directory, ignore_errors=True)


def sandbox_demo() -> Demo:
    """The sandbox's demo user (Alice) for GraphiQL: her key and newest sessions."""
    from gateway.sandbox.data import DEMO_KEYS, seed_sessions

    ids = []
    for record in seed_sessions("alice")[:3]:
        activity = Activity.from_label(str(record.activity))
        if activity is not None:
            ids.append(encode_global_id(activity, record.session_id))
    return Demo(DEMO_KEYS["alice"], tuple(ids))


def worker_app() -> Any:
    """The app of one ``--workers`` process (an import string for uvicorn)."""
    from gateway.http.app import create_app

    settings = Settings.from_parent()
    _configure_logging(settings)
    app = create_app(settings, demo=sandbox_demo() if settings.sandbox else None)
    freeze_after_startup(app)
    drain_on_signals(app, settings)
    return_large_blocks()
    return app


# glibc's mallopt parameter, and the block size from which freed memory goes
# straight back to the system: request bodies near the 1 MiB bound, their
# decoded text, large answers.
_M_MMAP_THRESHOLD = -3
_RETURNED_BLOCK_BYTES = 512 * 1024


def return_large_blocks() -> None:
    """Large blocks go back to the system when freed, not into the heap.

    glibc raises its mmap threshold to the size of the largest block freed
    (up to 32 MiB), so after the first large request every later body landed
    in the heap, which only shrinks from its top: 300 requests of 1 MB left
    RSS 50 MB up for good; with the threshold fixed, about 25 MB, which
    goes and comes. Elsewhere than glibc, nothing changes.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _RETURNED_BLOCK_BYTES)
    except (OSError, AttributeError):
        pass


# The collector's thresholds in a server (gc.set_threshold): allocations
# before a young collection, and young (then middle) collections before an
# older one is considered.
GC_THRESHOLDS = (20_000, 20, 20)


def freeze_after_startup(app: Any) -> None:
    """Once the app has started, move everything alive into the collector's
    permanent generation (``gc.freeze``).

    The schema, the contract and the modules are some hundred thousand
    objects that live as long as the process. Left in the oldest generation,
    each full collection walked them all: a pause of over 100 ms in the
    middle of whichever requests were running. Frozen, a full collection
    walks only what requests made. Servers only: a test process builds many
    apps and lets them go.

    And the youngest generation is collected every :data:`GC_THRESHOLDS`
    allocations, not every 700: objects that live across a few turns of the
    loop (a request's, a subscriber's while it joins) are gone by then, not
    moved to the oldest generation, where they brought on full collections.
    With 50,000 subscribers those took 0.3 to 0.6 s each, several a minute;
    paired runs at 50,000 (``bench/subscriptions.py``): push p99 1,257 and
    1,184 ms with, 1,399 and 1,865 ms without.
    """
    starting = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with starting(app) as state:
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            yield state

    app.router.lifespan_context = lifespan


def _server_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(app, **_server_options(settings))


def _server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the gateway, one process or ``--workers``."""
    return dict(
        host=settings.host,
        port=settings.port,
        # uvicorn hands its logger to the WebSocket protocol, which logs
        # frames (connection_init holds the key) at debug: cap it.
        log_level=_SERVER_LOG_LEVEL.get(settings.log_level.lower(), "info"),
        # uvloop's loop and transports are C: a one-session read costs about
        # a millisecond less of the gateway's CPU than on asyncio's.
        loop=settings.event_loop,
        # uvicorn's websockets-sansio, with small messages sent uncompressed
        # and a loop turn's frames written together (gateway.http.wsprotocol).
        ws="gateway.http.wsprotocol:GatewayWebSocketProtocol",
        # A WebSocket message holds one operation: the same bound as
        # an HTTP request's body, before anything parses it.
        ws_max_size=settings.max_request_bytes,
        timeout_graceful_shutdown=grace_seconds(settings),
        # uvicorn's default is 5 s, the same as httpx's idle expiry: a client
        # could send its next request just as the gateway closed the connection
        # (seen as ReadErrors under load, when the client's own loop lagged).
        timeout_keep_alive=settings.keep_alive_timeout,
        # The gateway writes its own access log (gateway.logs), with request
        # ids and without query strings, and uvicorn's lines go through the
        # gateway's log format.
        access_log=False,
        log_config=None,
    )


async def _serve_async(settings: Settings) -> None:
    from gateway.http.app import create_app

    app = create_app(settings, demo=sandbox_demo() if settings.sandbox else None)
    freeze_after_startup(app)
    drain_on_signals(app, settings)
    return_large_blocks()
    servers = [uvicorn.Server(_server_config(app, settings))]
    if settings.sandbox:
        from gateway.sandbox import DEMO_KEYS, SandboxConfig, create_sandbox_app

        sandbox = create_sandbox_app(
            SandboxConfig(
                processing_delay_s=settings.sandbox_processing_delay,
                flavor=settings.sandbox_flavor,
                validate_contract=settings.sandbox_validate_contract,
            )
        )
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    sandbox, host="127.0.0.1", port=settings.sandbox_port, log_level="warning"
                )
            )
        )
        base = f"http://{settings.host}:{settings.port}"
        url = f"{base}/graphql"
        print(
            f"\n  GraphiQL:      {url}\n"
            f"  Dashboard:     {base}/examples/dashboard\n"
            f"  Session page:  {base}/examples/session (one session drawn: ?id=<id>)\n"
            f"  Sandbox API:   {settings.upstream_url}\n"
            f"  Demo API keys: {DEMO_KEYS['alice']} (Alice), {DEMO_KEYS['bob']} (Bob)\n"
            f"  Try:  curl -s {url} -H 'Authorization: API-KEY {DEMO_KEYS['alice']}' "
            "-H 'Content-Type: application/json' "
            '-d \'{"query": "{ sessions(first: 3) { edges { node { title activity } } } }"}\'\n',
            flush=True,
        )
    await asyncio.gather(*(s.serve() for s in servers))
