"""The caller's credential: forwarded verbatim, never shown, keyed without being revealed."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from gateway.credentials import Credential, credential_from_header
from gateway.errors import BadRequest, Unauthenticated
from schema.context import GatewayContext

HEADER = "API-KEY sk-live-0123456789"


@pytest.mark.parametrize("value", [None, "", "   ", "\t"])
def test_no_value_is_no_credential(value: str | None) -> None:
    assert credential_from_header(value) is None


@pytest.mark.parametrize(
    "value", ["API-KEY ключ", "API-KEY a\nb", "API-KEY a\rb", "API-KEY \x7f", "API-KEY é"]
)
def test_what_a_header_cannot_carry_is_refused_without_echo(value: str) -> None:
    with pytest.raises(Unauthenticated) as info:
        credential_from_header(value)
    assert value.split(" ", 1)[1] not in str(info.value)


@pytest.mark.parametrize("value", ["API-KEY k", "Bearer abc.def", "  API-KEY  spaced  ", "~"])
def test_any_printable_value_is_forwarded_verbatim(value: str) -> None:
    credential = credential_from_header(value)
    assert credential is not None
    assert credential.authorization == value


def test_repr_and_str_never_show_the_key() -> None:
    credential = Credential(HEADER)
    for text in (repr(credential), str(credential), f"{credential}", f"{credential!r}"):
        assert "sk-live" not in text and "0123456789" not in text
        assert text == f"Credential(fingerprint={credential.fingerprint!r})"


def test_fingerprints_tell_keys_apart_in_process() -> None:
    one, same, other = Credential(HEADER), Credential(HEADER), Credential(HEADER + "0")
    assert len(one.fingerprint) == 16 and int(one.fingerprint, 16) >= 0
    assert one.fingerprint == same.fingerprint != other.fingerprint
    assert one == same and one != other and one != HEADER
    assert hash(one) == hash(same)
    assert len({one, same, other}) == 2
    # Salted: not the plain hash of the header (a log can't be checked offline).
    assert one.fingerprint != hashlib.sha256(HEADER.encode()).hexdigest()[:16]


def test_shared_ids_are_keyed_hashes_every_replica_computes_alike() -> None:
    credential = Credential(HEADER)
    secret = b"shared-by-every-replica"
    expected = hmac.new(secret, HEADER.encode(), hashlib.sha256).hexdigest()[:32]
    assert credential.shared_id(secret) == expected
    assert Credential(HEADER).shared_id(secret) == expected  # another "replica"
    assert credential.shared_id(b"another secret") != expected
    assert Credential("API-KEY bob").shared_id(secret) != expected
    assert "sk-live" not in expected


def test_redact_removes_every_copy_of_the_key() -> None:
    credential = Credential(HEADER)
    text = f"bad header {HEADER}; key sk-live-0123456789 again SK-LIVE-0123456789"
    redacted = credential.redact(text)
    assert "0123456789" not in redacted.lower()
    assert redacted.startswith("bad header API-KEY [redacted]")
    assert redacted.count("[redacted]") == 3


def test_redact_masks_short_keys_wholesale() -> None:
    # Only DEBUG logs see redacted text: masking too much is safe, too little is not.
    credential = Credential("API-KEY abc")
    assert "abc" not in credential.redact("abcdef API-KEY abc")
    assert "nospace" not in Credential("nospace").redact("nospace here")


def test_redact_takes_everything_after_the_scheme_as_the_key() -> None:
    credential = Credential("API-KEY two part key")
    assert "two part key" not in credential.redact("got two part key")


class _Upgrade:
    def __init__(self, header: str | None) -> None:
        self.headers = {"authorization": header} if header else {}


def test_a_connections_credential_is_read_once_per_connection_init_payload() -> None:
    """Every operation and subscription event of a WebSocket asks for it: the same
    object while the payload is the same, read anew when it changes, and a
    refusal is never remembered."""
    none: Any = None
    context = GatewayContext(request=_Upgrade(None), services=none)  # type: ignore[arg-type]
    assert context.credential() is None  # before connection_init
    context.connection_params = {"Authorization": HEADER}
    first = context.credential()
    assert first is not None and first.authorization == HEADER
    assert context.credential() is first
    context.connection_params = {"headers": {"authorization": "API-KEY other"}}
    other = context.credential()
    assert other is not None and other.authorization == "API-KEY other"
    # The upgrade's header and the payload disagree: refused, every time.
    clash = GatewayContext(request=_Upgrade("API-KEY header"), services=none)  # type: ignore[arg-type]
    clash.connection_params = {"Authorization": HEADER}
    for _ in range(2):
        with pytest.raises(BadRequest):
            clash.credential()
