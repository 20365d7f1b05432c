"""Validate sandbox bodies against the response schemas of `gateway/sandbox/contract.yaml`.

The contract's schemas are OpenAPI 3.0: JSON Schema plus `nullable`, minus
`type` lists. Where the contract's own examples (and a real upstream) disagree
with its schemas, a test names the property and its replacement schema as a
`Deviation`; validation then checks both that the body conforms to the relaxed
schema and that the strict schema fails nowhere else, so the sandbox cannot
drift from the contract anywhere that was not deliberately allowed.
"""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]

# The contract, its schemas and its known deviations live with the gateway,
# whose live drift check (gateway/drift.py) uses the same table.
from gateway.contract import (
    CONTRACT_PATH,
    NUMBER,
    NUMBER_OR_NUMBERS,
    NUMBERS,
    STATS,
    Deviation,
    contract,
    operations,
    relax,
    response_schema,
    to_json_schema,
)

__all__ = [
    "CONTRACT_PATH",
    "NUMBER",
    "NUMBERS",
    "NUMBER_OR_NUMBERS",
    "STATS",
    "Deviation",
    "assert_conforms",
    "contract",
    "operations",
    "relax",
    "response_schema",
    "to_json_schema",
]


def assert_conforms(
    body: Any, key: str, status: int = 200, deviations: tuple[Deviation, ...] = ()
) -> None:
    strict = response_schema(key, status)
    validator = jsonschema.Draft4Validator(relax(strict, deviations))
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(body)]
    assert not errors, f"{key} body does not match the contract:\n" + "\n".join(errors[:10])
    allowed = [d.path for d in deviations]
    for error in jsonschema.Draft4Validator(strict).iter_errors(body):
        where = tuple(str(p) for p in error.absolute_path)
        assert any(where[: len(p)] == p for p in allowed), (
            f"{key}: strict schema fails outside the allowed deviations at {where}: "
            f"{error.message[:200]}"
        )
