"""A raw byte relay: the cost of a second hop without any HTTP code.

Each client connection gets its own connection to the upstream, and bytes are
copied both ways as they come (uvloop, no parsing). ``bench/hop.py`` puts it
beside the bare proxy and the gateway: what the relay adds is the network and
the scheduler; what the proxy adds on top is its HTTP stack's CPU.

    .venv/bin/python bench/relay.py --port 9001 --upstream-port 8765
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import uvloop

__all__ = ["PROGRAM"]

# How ServerProcess (which prefixes the interpreter) starts this script.
PROGRAM = (str(Path(__file__).resolve()),)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def _serve(port: int, upstream_port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(
            _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
        )

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    args = parser.parse_args()
    uvloop.run(_serve(args.port, args.upstream_port))


if __name__ == "__main__":
    main()
