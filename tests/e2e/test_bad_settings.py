"""``session-gateway serve`` refuses a setting that doesn't parse: before
listening, with the variable (or flag) and the expected type named on stderr,
a non-zero exit and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port

# The installed console script, as a user runs it.
COMMAND = str(Path(sys.executable).with_name("session-gateway"))


def serve(*flags: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [COMMAND, "serve", *flags],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"GATEWAY_GRAPHIQL": "enabled"},
            "GATEWAY_GRAPHIQL: expected a boolean (true/false, 1/0, yes/no or on/off), "
            "got 'enabled'",
        ),
        ({"GATEWAY_MAX_DEPTH": "abc"}, "GATEWAY_MAX_DEPTH: expected an integer, got 'abc'"),
        (
            {"GATEWAY_WATCH_MAX_PER_CREDENTIAL": "1.5"},
            "GATEWAY_WATCH_MAX_PER_CREDENTIAL: expected an integer, got '1.5'",
        ),
        ({"GATEWAY_RETRY_ATTEMPTS": "many"}, "GATEWAY_RETRY_ATTEMPTS: expected an integer"),
    ],
)
def test_a_bad_variable_stops_start_up_naming_it(env: dict[str, str], message: str) -> None:
    done = serve("--port", str(free_port()), env=env)
    assert done.returncode != 0
    assert f"session-gateway: {message}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_port_variable_is_named() -> None:
    done = serve(env={"GATEWAY_PORT": "abc"})
    assert done.returncode != 0
    assert "session-gateway: GATEWAY_PORT: expected an integer, got 'abc'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_flag_is_named_as_the_flag() -> None:
    done = serve("--port", str(free_port()), "--workers", "1.5", env={})
    assert done.returncode != 0
    assert "session-gateway: --workers: expected an integer, got '1.5'" in done.stderr
    assert "Traceback" not in done.stderr
