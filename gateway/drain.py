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

A second signal skips what is left of the delay.
"""

from __future__ import annotations

import logging
import time
from types import FrameType

import uvicorn

__all__ = ["Drain", "DrainingServer"]

log = logging.getLogger("gateway")


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


class DrainingServer(uvicorn.Server):
    """uvicorn's server, turning not-ready before it stops listening."""

    def __init__(self, config: uvicorn.Config, drain: Drain, delay: float) -> None:
        super().__init__(config)
        self._drain = drain
        self._delay = delay
        self._stop_at: float | None = None
        self._announced = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._stop_at is None and self._delay > 0:
            # First signal: not ready from now on, stop listening later
            # (on_tick checks). Only a flag and a number here: this runs as
            # a signal handler.
            self._drain.start()
            self._stop_at = time.monotonic() + self._delay
            self._captured_signals.append(sig)
            return
        self._drain.start()
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._stop_at is not None and time.monotonic() >= self._stop_at:
            self.should_exit = True
        if self._drain.draining and not self._announced:
            self._announced = True
            log.info(
                "shutting down: not ready; in-flight requests get %.1f s once it stops listening",
                self.config.timeout_graceful_shutdown or 0.0,
            )
        return await super().on_tick(counter)
