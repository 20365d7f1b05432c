"""The proxy bounds slow clients: the rendered nginx config, read offline.

uvicorn has no timeout on reading a request's headers: a client sending them a
byte at a time holds its connection for as long as it likes. nginx in front
closes it (``client_header_timeout``), and closes a body that stops arriving
(``client_body_timeout``) no later than the gateway would (``GATEWAY_BODY_TIMEOUT``).
"""

from __future__ import annotations

import re

import pytest

from gateway.config import Settings
from tests.deploy.nginx import render

# What a probe found: 200 connections trickling their headers, all still open after 30 s.
PROBE_SECONDS = 30


def _server_block() -> str:
    text = render("127.0.0.1:8080", ["127.0.0.1:8000"])
    start = text.index("server {")
    return text[start:]


def _seconds(directive: str) -> float:
    found = re.findall(rf"^\s*{directive}\s+(\d+)(ms|s|m)?\s*;", _server_block(), re.MULTILINE)
    assert len(found) == 1, f"{directive} is set once in the server block: {found}"
    value, unit = found[0]
    return float(value) * {"ms": 0.001, "": 1.0, "s": 1.0, "m": 60.0}[unit]


@pytest.mark.parametrize("directive", ["client_header_timeout", "client_body_timeout"])
def test_nginx_closes_slow_clients(directive: str) -> None:
    seconds = _seconds(directive)
    assert 0 < seconds < PROBE_SECONDS


def test_nginx_gives_up_on_a_stalled_body_no_later_than_the_gateway() -> None:
    assert _seconds("client_body_timeout") <= Settings().body_timeout
