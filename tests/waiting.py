"""Wait for an event that only shows as a figure (a sandbox counter, a metric).

Not a clock in a test: there is no "within X s" to pass or fail, only a
generous guard so that a broken server fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

__all__ = ["until", "wait_for"]


async def until(
    predicate: Callable[[], bool | Awaitable[bool]], what: str, guard: float = 60.0
) -> None:
    try:
        async with asyncio.timeout(guard):
            while True:
                result = predicate()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


def wait_for(predicate: Callable[[], bool], what: str, guard: float = 60.0) -> None:
    """``until`` for code outside an event loop (a fixture, say)."""
    deadline = time.monotonic() + guard
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)
