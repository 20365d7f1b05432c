"""The sandbox's start-up settings."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.sandbox.data import DEFAULT_SEED
from gateway.sandbox.flavors import DEFAULT_FLAVOR


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Initial knobs; `latency_ms`, `processing_delay_s` and `export_frames` can be
    changed at runtime through `POST /__sandbox__/config`.

    `export_frames`, when set, gives every session exactly that many frames (in
    exports and every other per-frame series) so benchmarks can size payloads.
    """

    latency_ms: float = 0.0
    processing_delay_s: float = 5.0
    export_frames: int | None = None
    seed: str = DEFAULT_SEED
    # Which reading of the contract to serve (gateway.sandbox.flavors).
    flavor: str = DEFAULT_FLAVOR
