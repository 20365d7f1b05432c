"""JSON responses, serialized with orjson: export bodies carry tens of thousands of floats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import JSONResponse


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(
    status_code: int,
    message: str,
    error_code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ORJSONResponse:
    """The upstream's error shape: `{"error": ..., "error_code"?: ...}`."""
    body = {"error": message}
    if error_code is not None:
        body["error_code"] = error_code
    return ORJSONResponse(body, status_code=status_code, headers=headers)
