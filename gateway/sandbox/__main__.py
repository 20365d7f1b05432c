"""Run the sandbox alone: `python -m gateway.sandbox --port 8001`."""

from __future__ import annotations

import argparse

import uvicorn

from gateway.sandbox import SandboxConfig, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--processing-delay", type=float, default=5.0)
    parser.add_argument("--export-frames", type=int, default=None)
    args = parser.parse_args(argv)
    config = SandboxConfig(
        latency_ms=args.latency_ms,
        processing_delay_s=args.processing_delay,
        export_frames=args.export_frames,
    )
    uvicorn.run(create_sandbox_app(config), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
