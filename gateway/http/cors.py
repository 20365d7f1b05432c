"""Which web origins may call the gateway: CORS for HTTP, the same list for WebSockets.

Browsers enforce CORS on ``fetch``, but not on a WebSocket handshake: any page
can open a socket and send a key it holds. So one :class:`OriginPolicy` feeds
Starlette's ``CORSMiddleware`` and is asked again on every upgrade that
carries an ``Origin``. Requests without one (servers, CLIs) are not browsers
and are never refused here; same-origin pages never need to be listed.

An entry is ``*``, an origin (``https://app.example.com``), or an origin
with any port (``http://localhost:*``, what a dev server needs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

__all__ = ["ALLOWED_HEADERS", "SANDBOX_ORIGINS", "OriginPolicy", "parse_origins"]

# Loopback dev servers (Vite, webpack) on any port: sandbox mode only.
SANDBOX_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")

# What a preflight may ask for beyond the CORS-safelisted ones: the key,
# a JSON body, and the headers Apollo's links add (CSRF-prevention marker of
# uploads, operation name, client awareness).
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
    "Apollographql-Client-Name",
    "Apollographql-Client-Version",
    "X-Request-ID",
)

_ORIGIN = re.compile(r"^(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:(\d{1,5}|\*))?$")


def parse_origins(origins: Iterable[str]) -> tuple[str, ...]:
    """Origins checked and written as browsers send them; ``ValueError`` names a bad one."""
    parsed: list[str] = []
    for raw in origins:
        origin = raw.strip().rstrip("/").lower()
        if origin != "*" and not _ORIGIN.match(origin):
            raise ValueError(
                f"{raw!r} is not an origin: expected '*', 'https://host[:port]' or 'http://host:*'"
            )
        parsed.append(
            origin if origin == "*" or origin.endswith(":*") else _normalize(origin) or origin
        )
    return tuple(parsed)


@dataclass(frozen=True)
class OriginPolicy:
    """The allowed cross-origin callers. Empty: same-origin only."""

    origins: tuple[str, ...] = ()

    @classmethod
    def of(cls, origins: Iterable[str], *, sandbox: bool) -> OriginPolicy:
        listed = parse_origins(origins)
        return cls(listed + tuple(o for o in SANDBOX_ORIGINS if sandbox and o not in listed))

    @property
    def any(self) -> bool:
        return "*" in self.origins

    @property
    def exact(self) -> list[str]:
        return [o for o in self.origins if o != "*" and not o.endswith(":*")]

    @property
    def regex(self) -> str | None:
        """One regex for the any-port entries, as ``CORSMiddleware`` takes it."""
        wildcard = [
            re.escape(o[: -len(":*")]) + r"(:\d{1,5})?" for o in self.origins if o.endswith(":*")
        ]
        return "^(" + "|".join(wildcard) + ")$" if wildcard else None

    def allows(self, origin: str) -> bool:
        if self.any:
            return True
        normalized = _normalize(origin)
        if normalized is None:
            return False
        if normalized in self.exact:
            return True
        pattern = self.regex
        return pattern is not None and re.fullmatch(pattern, normalized) is not None

    def middleware(self) -> Middleware:
        return Middleware(
            CORSMiddleware,
            allow_origins=["*"] if self.any else self.exact,
            allow_origin_regex=None if self.any else self.regex,
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            # The key travels in a header, never in a cookie: no credentials mode.
            allow_credentials=False,
            max_age=600,
        )


def _normalize(origin: str) -> str | None:
    """The origin as browsers send it: lowercase, no default port, no path."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 80 if parts.scheme == "http" else 443
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")
