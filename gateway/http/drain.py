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

A second signal skips what is left of the delay. With ``--workers``, the
supervisor passes SIGTERM on to each worker, and each drains the same way
(:class:`DrainingProcess`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import FrameType

import uvicorn
from uvicorn.supervisors.multiprocess import Process

__all__ = ["Drain", "DrainingProcess", "DrainingServer", "worker_drain"]

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
    """uvicorn's server, turning not-ready before it stops listening.

    ``drain`` is the app's :class:`Drain`, or how to find it once the app is
    loaded (a worker's app is built inside the server, after this)."""

    def __init__(
        self, config: uvicorn.Config, drain: Drain | Callable[[], Drain], delay: float
    ) -> None:
        super().__init__(config)
        self._find_drain = drain if callable(drain) else (lambda: drain)
        self._delay = delay
        self._stop_at: float | None = None
        self._announced = False

    @property
    def _drain(self) -> Drain:
        return self._find_drain()

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


# The app of this worker process registers its Drain here (gateway.cli's
# worker_app), for the worker's DrainingServer to find. Until it does, a
# stand-in records a signal that came first: a worker told to stop while its
# app was still loading must come up not ready.
_worker: list[Drain] = []
_early = Drain()


def worker_drain(drain: Drain | None = None) -> Drain:
    """Register this worker's Drain (with an argument), or find it (without:
    before the app is loaded, the stand-in whose start is passed on)."""
    if drain is not None:
        _worker[:] = [drain]
        # After registering: a signal from here on finds this Drain itself.
        if _early.started is not None and drain.started is None:
            drain.started = _early.started
    return _worker[0] if _worker else _early


class DrainingProcess(Process):
    """A ``--workers`` child whose server drains as a single process does.

    Built in the supervisor, pickled into the child; its server is made in
    the child, on first use, with the delay the child's settings give. The
    child's main thread (which runs the server) and its health-check thread
    (which reports whether it started) both ask for it: one lock, so that
    both see the same server."""

    @property
    def server(self) -> uvicorn.Server:
        with _server_lock:
            if self._server is None:
                from gateway.config import Settings

                delay = Settings.from_parent().drain_delay
                self._server = DrainingServer(self.config, worker_drain, delay)
            return self._server


_server_lock = threading.Lock()
