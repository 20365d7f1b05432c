"""Fixtures for the frontend clients of ``examples/clients/`` (npm packages, run by Node.js).

``make test`` installs them (``mk/clients.mk``: ``npm ci`` from the lockfile).
Each script runs against a live gateway on loopback and prints what it saw;
lines starting with ``SUMMARY`` are repeated in pytest's terminal summary, and
so is the client x feature table that tests/frontend/test_clients.py fills.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
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
    script: str,
    *args: str,
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> str:
    """Run ``examples/clients/<script>`` (``.mjs`` with node, ``.ts`` with tsx, a
    package's binary from ``node_modules/.bin``); its stdout. ``on_line`` sees each
    line as it comes (to act when the script says it waits).

    Fails the test with the script's output when it exits non-zero.
    """
    node = shutil.which("node")
    if node is None:
        _missing("node not found: Node.js 20+ runs the frontend clients")
    if not (CLIENTS / "node_modules" / ".installed").is_file():
        _missing("examples/clients/node_modules missing: run `make clients-npm`")
    assert node is not None
    if script.endswith(".mjs"):
        command = [node, script]
    elif script.endswith(".ts"):
        command = [node, "--import", "tsx", script]
    else:
        command = [str(CLIENTS / "node_modules" / ".bin" / script)]
    lines: list[str] = []
    with subprocess.Popen(
        [*command, *args],
        cwd=CLIENTS,
        env={**os.environ, "NODE_NO_WARNINGS": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line)
    output = "".join(lines)
    assert process.returncode == 0, f"{script} exited {process.returncode}:\n{output}"
    _SUMMARY.extend(line.rstrip() for line in lines if line.startswith("SUMMARY "))
    return output


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SUMMARY:
        terminalreporter.section("frontend clients")
        for line in _SUMMARY:
            terminalreporter.write_line(line.removeprefix("SUMMARY "))
