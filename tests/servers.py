"""Real servers on loopback for end-to-end tests: the sandbox upstream and the gateway.

Each runs as its own process, started the way a user starts it
(``python -m gateway ...``), on a free port, with its output in a log file
that tests can read (e.g. to prove a key never reaches a log).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "HTTP",
    "SSL_CONTEXT",
    "STARTS",
    "SandboxControl",
    "ServerProcess",
    "all_ready",
    "free_port",
]

# The servers speak plain HTTP on loopback, yet an httpx client loads the CA
# bundle into an SSL context of its own unless handed one: 30 to 60 ms per
# client, paid by every test that made one. One context for the run, and one
# client for its calls that don't run in an event loop.
SSL_CONTEXT = httpx.create_ssl_context()
HTTP = httpx.Client(verify=SSL_CONTEXT, timeout=30)

# Each server process a run started and the seconds until it was ready, for
# the run's summary: a new one should be worth its start.
STARTS: list[float] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(
        self,
        args: Sequence[str],
        *,
        port: int,
        log_path: Path,
        ready_path: str,
        env: dict[str, str] | None = None,
        program: Sequence[str] = ("-m", "gateway"),
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        # What Python runs: the gateway's CLI unless told otherwise (a bench script).
        self._args = [sys.executable, *program, *args]
        self._ready_path = ready_path
        self._env = {**os.environ, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None
        # Where this run's output starts in the log (tests may share a log).
        self._log_start = 0
        self._launched = 0.0

    def start(self, timeout: float = 30.0) -> ServerProcess:
        return self.launch().ready(timeout)

    def launch(self) -> ServerProcess:
        """The process, started; :meth:`ready` waits for it to serve (servers that
        don't need each other start side by side: see :func:`all_ready`)."""
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            # The child keeps its own copy of the descriptor.
            self._proc = subprocess.Popen(
                self._args, stdout=log, stderr=subprocess.STDOUT, env=self._env
            )
        self._launched = time.monotonic()
        return self

    def ready(self, timeout: float = 30.0) -> ServerProcess:
        assert self._proc is not None, "launch() first"
        deadline = self._launched + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if HTTP.get(self.url + self._ready_path, timeout=1.0).status_code < 500:
                    STARTS.append(time.monotonic() - self._launched)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(sig)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        return self._proc.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def own_log(self) -> str:
        """What this run wrote to the log, not an earlier run's lines."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")


def all_ready(*servers: ServerProcess) -> None:
    """Wait for launched servers, stopping them all if one fails to start."""
    try:
        for server in servers:
            server.ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise


class SandboxControl:
    """The sandbox's ``/__sandbox__/`` surface: counters and knobs."""

    def __init__(self, url: str) -> None:
        self.url = url

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = HTTP.get(f"{self.url}/__sandbox__/stats").json()
        return result

    def reset(self) -> None:
        HTTP.post(f"{self.url}/__sandbox__/reset-stats").raise_for_status()

    def reset_sessions(self) -> None:
        HTTP.post(f"{self.url}/__sandbox__/reset-sessions").raise_for_status()

    def configure(self, **knobs: Any) -> None:
        HTTP.post(f"{self.url}/__sandbox__/config", json=knobs).raise_for_status()

    def set_video(self, session_id: str, state: str) -> None:
        HTTP.post(f"{self.url}/__sandbox__/sessions/{session_id}/{state}").raise_for_status()

    def calls(self, route: str | None = None) -> int:
        stats = self.stats()
        if route is None:
            return int(stats["total"])
        return int(stats["routes"].get(route, 0))

    def client(self, **options: Any) -> httpx.AsyncClient:
        """A client on the sandbox, as a partner would call it without the gateway."""
        return httpx.AsyncClient(base_url=self.url, verify=SSL_CONTEXT, **options)


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> RedisServer:
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
