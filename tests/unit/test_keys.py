"""A wrong key costs one upstream call (gateway.upstream.keys)."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.credentials import Credential
from gateway.errors import Forbidden, Unauthenticated, UpstreamUnavailable
from gateway.upstream.keys import KeyGate
from tests.asgi import CountingUpstream
from tests.conftest import global_id, seeded
from tests.unit.conftest import gateway_client

WRONG = Credential("API-KEY not-a-key-anyone-has")
RIGHT = Credential("API-KEY alice-demo-key")


class Upstream:
    """Answers each call after a pause, as ``answer`` says."""

    def __init__(self, answer: Exception | None = None) -> None:
        self.answer = answer
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self) -> str:
        self.calls += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if self.answer is not None:
                raise self.answer
            return "ok"
        finally:
            self.in_flight -= 1


def _status(error: Exception, status: int) -> Exception:
    error.upstream_status = status  # type: ignore[attr-defined]
    return error


async def _many(gate: KeyGate, key: Credential, upstream: Upstream, n: int = 20) -> list[Any]:
    return await asyncio.gather(
        *(gate.call(key, upstream) for _ in range(n)), return_exceptions=True
    )


async def test_a_wrong_key_makes_one_call_then_none_for_a_while() -> None:
    clock = [100.0]
    gate = KeyGate(refused_ttl=5.0, clock=lambda: clock[0])
    upstream = Upstream(_status(Unauthenticated(), 401))
    answers = await _many(gate, WRONG, upstream)
    assert upstream.calls == 1
    assert all(isinstance(a, Unauthenticated) and a.upstream_status == 401 for a in answers)
    await _many(gate, WRONG, upstream)
    assert upstream.calls == 1  # remembered
    clock[0] += 5.1
    await _many(gate, WRONG, upstream)
    assert upstream.calls == 2  # asked again once the verdict expired


async def test_a_confirmed_key_calls_at_once_and_a_new_one_after_its_first_answer() -> None:
    gate = KeyGate(refused_ttl=5.0)
    upstream = Upstream()
    assert await _many(gate, RIGHT, upstream) == ["ok"] * 20
    # The first went alone; the others then all at once.
    assert upstream.calls == 20 and upstream.most_in_flight == 19
    upstream.most_in_flight = 0
    await _many(gate, RIGHT, upstream)
    assert upstream.most_in_flight == 20


async def test_a_forbidden_action_does_not_refuse_the_key() -> None:
    gate = KeyGate(refused_ttl=5.0)
    forbidden = Upstream(_status(Forbidden(), 403))
    await _many(gate, RIGHT, forbidden, n=3)
    assert forbidden.calls == 3  # the key passed: 403 is about the action
    allowed = Upstream()
    assert await _many(gate, RIGHT, allowed, n=3) == ["ok"] * 3


async def test_no_answer_is_no_verdict_and_a_revoked_key_is_refused() -> None:
    gate = KeyGate(refused_ttl=5.0)
    down = Upstream(UpstreamUnavailable())
    await _many(gate, RIGHT, down, n=5)
    assert down.calls == 5  # nothing learned: the rest went once the first failed
    await _many(gate, RIGHT, Upstream())
    revoked = Upstream(_status(Unauthenticated(), 401))
    await _many(gate, RIGHT, revoked, n=5)
    await _many(gate, RIGHT, revoked, n=5)
    assert revoked.calls == 5  # confirmed calls went at once; then refused


async def test_three_aliases_of_twenty_ids_with_a_wrong_key_make_at_most_one_call() -> None:
    ids = [global_id(r) for r in seeded("alice")][:20]
    query = " ".join(f"a{i}: nodes(ids: $ids) {{ id }}" for i in range(3))
    body = {"query": f"query ($ids: [ID!]!) {{ {query} }}", "variables": {"ids": ids}}
    upstream = CountingUpstream()
    async with gateway_client(transport=upstream) as client:
        for key in (WRONG, WRONG, RIGHT):
            headers = {"Authorization": key.authorization}
            before = upstream.calls
            answer = (await client.post("/graphql", json=body, headers=headers)).json()
            codes = {e["extensions"]["code"] for e in answer.get("errors", [])}
            if key is WRONG:
                assert codes == {"UNAUTHENTICATED"}, answer
            else:
                assert not codes and len(answer["data"]["a0"]) == len(ids)
            calls = upstream.calls - before
            assert calls <= (1 if key is WRONG else len(ids)), calls
            if key is WRONG and before > 0:
                assert calls == 0  # the same wrong key within the window
