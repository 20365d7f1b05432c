"""Fixtures for the frontend clients of ``examples/clients/`` (npm packages, run by Node.js).

``make test`` installs them (``mk/clients.mk``: ``npm ci`` from the lockfile).
Each script runs against a live gateway on loopback and prints what it saw;
lines starting with ``SUMMARY`` are repeated in pytest's terminal summary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CLIENTS = Path(__file__).resolve().parents[2] / "examples" / "clients"
_SUMMARY: list[str] = []


def _missing(reason: str) -> None:
    # `make test` installs them first: missing there (CI) is a failure.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def run_client(
    script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> str:
    """Run ``examples/clients/<script>`` (``.mjs`` with node, ``.ts`` with tsx); its stdout.

    Fails the test with the script's output when it exits non-zero.
    """
    node = shutil.which("node")
    if node is None:
        _missing("node not found: Node.js 20+ runs the frontend clients")
    if not (CLIENTS / "node_modules" / ".installed").is_file():
        _missing("examples/clients/node_modules missing: run `make clients-npm`")
    assert node is not None
    command = [node, script] if script.endswith(".mjs") else [node, "--import", "tsx", script]
    done = subprocess.run(
        [*command, *args],
        cwd=CLIENTS,
        env={**os.environ, "NODE_NO_WARNINGS": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{output}"
    _SUMMARY.extend(line for line in done.stdout.splitlines() if line.startswith("SUMMARY "))
    return done.stdout


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SUMMARY:
        terminalreporter.section("frontend clients")
        for line in _SUMMARY:
            terminalreporter.write_line(line.removeprefix("SUMMARY "))
