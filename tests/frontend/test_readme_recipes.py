"""The "Using it from a frontend" recipes of docs/clients.md are the code the tests run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from gateway.config import Settings
from gateway.http.cors import OriginPolicy

from .conftest import CLIENTS

CLIENTS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
SECTION = CLIENTS_PAGE.read_text().split("## Using it from a frontend", 1)[1].split("\n## ", 1)[0]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def test_typescript_recipes_are_excerpts_of_the_tested_examples() -> None:
    blocks = re.findall(r"```ts\n(.*?)```", SECTION, re.S)
    assert len(blocks) >= 3
    sources = {p.name: _lines(p.read_text()) for p in CLIENTS.glob("*.ts")}
    for block in blocks:
        wanted = _lines(block)
        found = [
            name
            for name, lines in sources.items()
            if any(lines[i : i + len(wanted)] == wanted for i in range(len(lines)))
        ]
        assert found, f"not in examples/clients/*.ts:\n{block}"


def test_cors_recipe_parses_as_the_gateway_reads_it() -> None:
    flag = re.search(r"session-gateway serve --cors-origins (\S+)", SECTION)
    env = re.search(r"GATEWAY_CORS_ORIGINS=(\S+)", SECTION)
    assert flag and env
    raw = shlex.split(flag.group(1))[0]
    settings = Settings.from_env({"GATEWAY_CORS_ORIGINS": shlex.split(env.group(1))[0]})
    policy = OriginPolicy.of(settings.cors_origins, sandbox=False)
    assert policy == OriginPolicy.of(raw.split(","), sandbox=False)
    assert policy.allows("https://app.example.com") and policy.allows("http://localhost:5173")
    assert not policy.allows("https://elsewhere.example")
