"""The operations `gateway/sandbox/contract.yaml` documents (read by `gateway.contract`).

Bodies are validated by `gateway.sandbox.validation` (every answer of every
sandbox in the run, deviations named there with their reasons).
"""

from __future__ import annotations

from gateway.contract import contract, operations

__all__ = ["contract", "operations"]
