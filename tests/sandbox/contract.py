"""The operations `gateway/upstream/contract.yaml` documents (`gateway.upstream.contract`).

Bodies are validated by `gateway.sandbox.validation` (every answer of every
sandbox in the run; deviations named, with their reasons, in
`gateway.upstream.contract`).
"""

from __future__ import annotations

from gateway.upstream.contract import contract, operations

__all__ = ["contract", "operations"]
