"""The operations `gateway/sandbox/contract.yaml` documents (`gateway.sandbox.contract`).

Bodies are validated by `gateway.sandbox.validation` (every answer of every
sandbox in the run; deviations named, with their reasons, in
`gateway.sandbox.contract`).
"""

from __future__ import annotations

from gateway.sandbox.contract import contract, operations

__all__ = ["contract", "operations"]
