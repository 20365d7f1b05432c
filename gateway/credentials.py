"""The caller's credential: forwarded verbatim, never shown.

A :class:`Credential` wraps the ``Authorization`` header value the caller sent.
Its ``repr`` and ``str`` are masked, so a stray log line or f-string cannot leak
it. In-process caches key on :attr:`Credential.fingerprint`, a hash salted per
process; names shared between replicas (broker channels and keys) use
:meth:`Credential.shared_id`, keyed with a secret every replica shares.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from urllib.parse import quote, quote_plus

from gateway.errors import Unauthenticated

__all__ = ["MAX_AUTHORIZATION_LENGTH", "Credential", "credential_from_header"]

# Real keys are tens of characters. A longer value is refused before it is
# hashed, held, or sent on: a megabyte "key" would otherwise ride along on
# every upstream call of the operation.
MAX_AUTHORIZATION_LENGTH = 1024

_PRINTABLE = re.compile(r"[\x20-\x7e]+")

# One random salt per process: fingerprints are for in-process keying, and a
# fingerprint in a log must not let anyone test guesses of the key offline.
_SALT = secrets.token_bytes(16)


# The shortest run of a key's characters that :meth:`Credential.redact` masks.
_WINDOW = 8


def _windows(token: str) -> set[str]:
    """Every :data:`_WINDOW`-character run of the key's forms, lower-cased."""
    raw = token.encode()
    forms = {token, quote(token, safe=""), quote_plus(token)}
    for shift in range(3):
        # Base64 of the key inside a longer text depends on its alignment:
        # these are the characters that don't depend on what surrounds it.
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw + b"\0\0\0").decode()
            forms.add(encoded[(shift * 4 + 2) // 3 + 1 : -5])
    return {form[i : i + _WINDOW].lower() for form in forms for i in range(len(form) - _WINDOW + 1)}


class Credential:
    __slots__ = ("_header", "fingerprint")

    def __init__(self, header: str) -> None:
        self._header = header
        self.fingerprint = hmac.new(_SALT, header.encode(), hashlib.sha256).hexdigest()[:16]

    @property
    def authorization(self) -> str:
        """The header value to forward to the upstream, exactly as the caller sent it."""
        return self._header

    def shared_id(self, secret: bytes) -> str:
        """A name for this credential that every replica computes alike (with
        the same secret), for broker channels and keys; not the key itself."""
        return hmac.new(secret, self._header.encode(), hashlib.sha256).hexdigest()[:32]

    def redact(self, text: str) -> str:
        """``text`` with anything that looks like a piece of the key masked: for DEBUG
        logs of the upstream's error text, which is never shown to anyone else.

        Masks every run of :data:`_WINDOW` or more characters of the key, in
        any case, as written, percent-encoded or base64-encoded: so a copy of
        the key that was upper-cased, encoded or truncated is caught as well
        as an exact one.
        """
        _, _, token = self._header.partition(" ")
        token = token.strip() or self._header
        if token and len(token) < _WINDOW:
            # Too short for a window of its own: every copy, in any case.
            text = re.sub(re.escape(token), "[redacted]", text, flags=re.IGNORECASE)
        windows = _windows(token)
        if not windows:
            return text
        masked = bytearray(len(text))
        folded = text.lower()
        for i in range(len(folded) - _WINDOW + 1):
            if folded[i : i + _WINDOW] in windows:
                masked[i : i + _WINDOW] = b"\x01" * _WINDOW
        out: list[str] = []
        for i, char in enumerate(text):
            if not masked[i]:
                out.append(char)
            elif i == 0 or not masked[i - 1]:
                out.append("[redacted]")
        return "".join(out)

    def __repr__(self) -> str:
        return f"Credential(fingerprint={self.fingerprint!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credential) and hmac.compare_digest(
            self.fingerprint, other.fingerprint
        )

    def __hash__(self) -> int:
        return hash(self.fingerprint)


def credential_from_header(value: str | None) -> Credential | None:
    """A credential from an ``Authorization`` value, or ``None`` when there is none.

    Any scheme is accepted and forwarded verbatim: the contract's prose says
    ``API-KEY <key>``, its security scheme says ``Bearer``, and only the
    upstream can tell which one it takes.
    """
    if value is None or not value.strip():
        return None
    if len(value) > MAX_AUTHORIZATION_LENGTH:
        raise Unauthenticated(
            f"The Authorization value is longer than {MAX_AUTHORIZATION_LENGTH} characters."
        )
    if not _PRINTABLE.fullmatch(value):
        # An HTTP header can't carry it to the upstream; say so without
        # echoing any of it.
        raise Unauthenticated("The Authorization value may hold only printable ASCII characters.")
    return _credential(value)


# A caller sends the same header with every request; its fingerprint (an HMAC)
# is computed once. Keyed on the exact header value, so a caller only ever
# gets its own credential back; the keys it holds are held in the process
# for every request anyway.
@functools.lru_cache(maxsize=1024)
def _credential(value: str) -> Credential:
    return Credential(value)
