"""A faithful stand-in of the upstream session REST API, served by Starlette.

It serves the paths of `contract.yaml` (extracted from the upstream's OpenAPI
file) with deterministic seeded sessions for two demo users, simulated video
processing and the contract's quirks, so the gateway runs with no account and
no network. `/__sandbox__/` adds counters and knobs for tests and benchmarks
(see `gateway.sandbox.control`).
"""

from gateway.sandbox.app import create_sandbox_app
from gateway.sandbox.config import SandboxConfig
from gateway.sandbox.data import DEMO_KEYS, seed_sessions

__all__ = ["DEMO_KEYS", "SandboxConfig", "create_sandbox_app", "seed_sessions"]
