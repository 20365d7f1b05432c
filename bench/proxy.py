"""The floor of any gateway on this stack: a bare proxy that forwards a GET's bytes.

uvicorn, Starlette and the gateway's own upstream transport
(:class:`gateway.upstream.transport.PooledTransport` under an ``httpx.AsyncClient``),
and nothing else: no parsing, no GraphQL. Whatever the gateway does on top
of a second hop, this process shows what the hop alone costs.

    .venv/bin/python bench/proxy.py --port 9000 --upstream http://127.0.0.1:8765
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from gateway.upstream.transport import PooledTransport  # noqa: E402

__all__ = ["PROGRAM", "serve_proxy"]

# How ServerProcess (which prefixes the interpreter) starts this script.
PROGRAM = (str(Path(__file__).resolve()),)


def serve_proxy(port: int, upstream: str) -> None:
    state: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        transport = PooledTransport(max_connections=100)
        async with httpx.AsyncClient(base_url=upstream, transport=transport) as client:
            state["client"] = client
            yield

    async def forward(request: Request) -> Response:
        answer = await state["client"].get(
            request.url.path,
            params=request.query_params,
            headers={"Authorization": request.headers["authorization"]},
        )
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    routes = [Route("/healthz", healthz), Route("/{path:path}", forward)]
    app = Starlette(routes=routes, lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    serve_proxy(args.port, args.upstream)


if __name__ == "__main__":
    main()
