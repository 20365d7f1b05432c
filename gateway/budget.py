"""The output budget: how large one operation's answer may grow.

The call budget (:class:`gateway.loaders.ResourceLoader`) caps upstream
calls, not output: ten aliases of `nodes(36 ids) { export { keypoints } }`
make 36 calls and a 138 MB answer. An :class:`OutputBudget` is charged, per
operation, the estimated size of every heavy part (each numeric series: its
upstream bytes when passed through, else about 8 bytes a number; each list
item) *before* that part is built, so an answer past the bound stops growing
at the field that would cross it, with ``LIMIT_EXCEEDED``, instead of being
built whole and then refused.
"""

from __future__ import annotations

from gateway.errors import LimitExceeded
from gateway.normalize import Numbers
from gateway.upstream.rawjson import RawNumbers

__all__ = ["BYTES_PER_NUMBER", "OutputBudget", "numbers_bytes"]

# A number as JSON, with its comma: "0.1234," and the like.
BYTES_PER_NUMBER = 8


def numbers_bytes(values: Numbers | None) -> int:
    """About how many bytes ``values`` take in the answer (exactly, for raw ones)."""
    if values is None:
        return 4
    if isinstance(values, RawNumbers):
        return len(values.raw)
    return 2 + BYTES_PER_NUMBER * len(values)


class OutputBudget:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0

    def charge(self, nbytes: int) -> None:
        """Count ``nbytes`` more of the answer; ``LimitExceeded`` past the bound."""
        self.used += nbytes
        if self.used > self.max_bytes:
            raise LimitExceeded(
                f"This operation's answer would be larger than {self.max_bytes} bytes; "
                "select fewer sessions, series (`names`) or frames (`frames`)."
            )
