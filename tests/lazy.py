"""A lazy body with every member decoded at once: what tests compare against a full parse.

The gateway itself never decodes a body whole (fields read members as they
need them), so this lives with the tests.
"""

from __future__ import annotations

from typing import Any

from gateway.upstream.rawjson import LazyBody

__all__ = ["decode_lazy"]


def decode_lazy(body: bytes) -> Any:
    """Every member of :meth:`LazyBody.parse`'s answer decoded at once (as a dict).

    Raises ``ValueError`` when ``body`` is not JSON, as ``orjson.loads`` does.
    """
    parsed = LazyBody.parse(body)
    return {key: parsed[key] for key in parsed} if isinstance(parsed, LazyBody) else parsed
