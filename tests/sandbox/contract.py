"""The operations `gateway/sandbox/contract.yaml` documents.

Bodies are validated by `gateway.sandbox.validation` (every answer of every
sandbox in the run, deviations named there with their reasons).
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

from gateway.sandbox.validation import CONTRACT_PATH


@functools.cache
def contract() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    return loaded


def operations() -> set[str]:
    """Every `METHOD /template` the contract documents."""
    return {
        f"{method.upper()} {path}"
        for path, item in contract()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }
