"""Graceful shutdown: stop being ready, let requests finish, then exit.

On the first SIGTERM (or Ctrl-C):

1. ``/readyz`` answers 503 at once (:class:`Drain`), so a load balancer or
   Kubernetes stops sending new work;
2. for ``drain_delay`` seconds new requests are still served, for the
   load balancers that only notice at their next probe;
3. uvicorn then stops listening, closes WebSockets with 1012 (service
   restart: clients reconnect elsewhere) and waits up to ``drain_seconds``
   for in-flight HTTP requests to finish;
4. the app's lifespan ends (watchers stop and release their leases) and the
   process exits.

A second signal skips what is left of the delay. The served app does this
itself (:func:`drain_on_signals`): while it runs, its handler stands in front
of the one the server installed, and passes each signal on to it when the
server is to stop. So a single process and each ``--workers`` child (to which
uvicorn's supervisor passes SIGTERM on) drain the same way, on uvicorn's own
``Server`` and supervisor, neither subclassed nor patched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from starlette.applications import Starlette

from gateway.config import Settings

__all__ = ["Drain", "drain_on_signals", "grace_seconds"]

log = logging.getLogger(__name__)

# uvicorn's own: what it stops on.
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# How often the delay's end is looked for (uvicorn's own tick).
_TICK = 0.1

_Handler = Callable[[int, FrameType | None], Any] | int | None


class Drain:
    """Whether this process is going away; ``/readyz`` reads it."""

    def __init__(self) -> None:
        self.started: float | None = None

    @property
    def draining(self) -> bool:
        return self.started is not None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()


def grace_seconds(settings: Settings) -> int:
    """How long uvicorn lets in-flight requests finish once it stops listening
    (its ``timeout_graceful_shutdown``: whole seconds, at least one)."""
    return max(1, round(settings.drain_seconds))


def drain_on_signals(app: Starlette, settings: Settings) -> None:
    """Make the served ``app`` drain on SIGTERM and SIGINT, from its start-up
    to its shutdown (a server's app only: signals go to the main thread)."""
    starting = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Any]:
        signals = _DrainingSignals(app.state.drain, settings)
        signals.install()
        watch = asyncio.create_task(signals.watch())
        try:
            async with starting(app) as state:
                yield state
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            signals.uninstall()

    app.router.lifespan_context = lifespan


class _DrainingSignals:
    def __init__(self, drain: Drain, settings: Settings) -> None:
        self._drain = drain
        self._delay = settings.drain_delay
        self._grace = grace_seconds(settings)
        self._previous: dict[int, _Handler] = {}
        self._stop_at: float | None = None
        self._held: int | None = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in _SIGNALS}

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            # Unless another handler has stood in front of this one since.
            if signal.getsignal(sig) == self._handle:
                # None: not installed from Python, so not ours to put back.
                signal.signal(sig, signal.SIG_DFL if previous is None else previous)
        self._previous = {}

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: only a flag and a number here; watch() logs.
        self._drain.start()
        if self._stop_at is None and self._delay > 0:
            # First signal: not ready from now on, stop listening later.
            self._stop_at = time.monotonic() + self._delay
            self._held = sig
            return
        self._held = None  # the server stops now: nothing left to pass on later
        self._pass_on(sig, frame)

    def _pass_on(self, sig: int, frame: FrameType | None) -> None:
        """To the handler that was there before: the server's, which stops it."""
        previous = self._previous.get(sig, signal.SIG_DFL)
        if callable(previous):
            previous(sig, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    async def watch(self) -> None:
        announced = False
        while True:
            await asyncio.sleep(_TICK)
            if self._drain.draining and not announced:
                announced = True
                log.info(
                    "shutting down: not ready; in-flight requests get %.1f s "
                    "once it stops listening",
                    self._grace,
                )
            held = self._held
            if held is not None and self._stop_at is not None:
                if time.monotonic() >= self._stop_at:
                    self._held = None
                    self._pass_on(held, None)
