"""The security parts on their own: redaction, signed broker messages, off-loop validation."""

from __future__ import annotations

import asyncio
import base64
import threading
from typing import Any
from urllib.parse import quote

import pytest
from graphql import get_introspection_query

import schema.bounds
from gateway.broker import MemoryBroker
from gateway.broker.signed import SignedBroker
from gateway.credentials import Credential
from schema import build_schema

KEY = "k3y-0123456789abcdefXYZ"


@pytest.mark.parametrize(
    "echo",
    [
        KEY,
        KEY.upper(),
        KEY.lower(),
        quote(f"API-KEY {KEY}", safe=""),
        base64.b64encode(f"API-KEY {KEY}".encode()).decode(),
        base64.urlsafe_b64encode(f"xy{KEY}".encode()).decode(),
        KEY[:10],
        KEY[-9:],
    ],
)
def test_redaction_masks_any_form_of_the_key(echo: str) -> None:
    redacted = Credential(f"API-KEY {KEY}").redact(f"bad key <{echo}> here")
    assert "[redacted]" in redacted
    assert echo not in redacted and "0123" not in redacted
    assert redacted.startswith("bad key <") and redacted.endswith("> here")


def test_redaction_leaves_other_text_alone() -> None:
    text = "Session 0f0796654075eca16bba2c937d086f05 not found"
    assert Credential(f"API-KEY {KEY}").redact(text) == text


async def _first(broker: SignedBroker, channel: str, *sends: tuple[str, bytes]) -> bytes:
    async with broker.subscribe(channel) as subscription:
        inner = broker._inner
        for target, raw in sends:
            await inner.publish(target, raw)
        async for message in subscription:
            return message
    raise AssertionError("no message")


async def test_signed_broker_drops_forged_and_replayed_messages() -> None:
    broker = SignedBroker(MemoryBroker(), b"s" * 32)
    other = SignedBroker(MemoryBroker(), b"t" * 32)
    genuine_elsewhere = broker._seal(b"gateway-message-v1\0", "other-channel", b"moved")
    good = broker._seal(b"gateway-message-v1\0", "c", b"ok")
    got = await asyncio.wait_for(
        _first(
            broker,
            "c",
            ("c", b"forged"),
            ("c", other._seal(b"gateway-message-v1\0", "c", b"other secret")),
            ("c", genuine_elsewhere),  # a genuine message replayed on another channel
            ("c", good),
        ),
        2,
    )
    assert got == b"ok"
    assert broker.rejected == 3


async def test_signed_broker_states() -> None:
    inner = MemoryBroker()
    broker = SignedBroker(inner, b"s" * 32)
    await broker.set_state("k", b"state", 10)
    assert await broker.get_state("k") == b"state"
    await inner.set_state("k", b"forged", 10)
    assert await broker.get_state("k") is None
    # A state can't pass for a message, nor be moved to another key.
    sealed = await inner.get_state("k")
    await inner.set_state("k2", broker._seal(b"gateway-state-v1\0", "k", b"moved"), 10)
    assert await broker.get_state("k2") is None
    assert sealed == b"forged" and broker.rejected == 2


async def test_large_documents_are_validated_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[int] = []
    real = schema.bounds.validate_document

    def recording(*args: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(schema.bounds, "validate_document", recording)
    gateway_schema = build_schema()
    small = "{ " + "__typename " * 10 + "}"
    # GraphiQL's introspection query: over 200 fields once spread.
    large = get_introspection_query()
    for document in (small, large):
        result = await gateway_schema.execute(document)
        assert result.errors is None and result.data is not None
    loop_thread = threading.get_ident()
    assert threads[0] == loop_thread
    assert threads[1] != loop_thread
