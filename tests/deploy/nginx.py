"""Debian's nginx on loopback, configured from deploy/nginx/gateway.conf.template."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from string import Template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "nginx" / "gateway.conf.template"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )


def render(listen: str, upstreams: Sequence[str]) -> str:
    """The template as the nginx image's envsubst would fill it."""
    servers = " ".join(f"server {u} max_fails=1 fail_timeout=10s;" for u in upstreams)
    return Template(TEMPLATE.read_text()).safe_substitute(
        NGINX_LISTEN=listen, GATEWAY_UPSTREAMS=servers
    )


def main_config(prefix: Path, site: str) -> str:
    """A whole nginx.conf around the site config: everything under ``prefix``."""
    return f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


class Nginx:
    def __init__(self, prefix: Path, port: int, upstreams: Sequence[str]) -> None:
        self.prefix = prefix
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        prefix.mkdir(parents=True, exist_ok=True)
        # Workers may run as another user (root's nginx drops to nobody).
        prefix.chmod(0o777)
        self.config = prefix / "nginx.conf"
        self.config.write_text(main_config(prefix, render(f"127.0.0.1:{port}", upstreams)))
        self._proc: subprocess.Popen[bytes] | None = None

    def check(self) -> subprocess.CompletedProcess[str]:
        binary = nginx_binary()
        assert binary is not None
        return subprocess.run(
            [binary, "-t", "-p", str(self.prefix), "-c", str(self.config)],
            capture_output=True,
            text=True,
            check=False,
        )

    def start(self, timeout: float = 10.0) -> Nginx:
        binary = nginx_binary()
        assert binary is not None
        with (self.prefix / "stdout.log").open("ab") as out:
            self._proc = subprocess.Popen(
                [binary, "-p", str(self.prefix), "-c", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.errors()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {self.errors()}")

    def errors(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGQUIT)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
