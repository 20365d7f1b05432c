"""Every GraphQL block in the README is valid against the schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from graphql import parse, validate

from schema import build_schema

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)


def _curl_operations() -> list[str]:
    out = []
    for match in re.finditer(r"-F operations='(.*?)'", README.read_text()):
        out.append(json.loads(match.group(1))["query"])
    return out


@pytest.mark.parametrize("document", BLOCKS + _curl_operations())
def test_readme_operation_is_valid(document: str) -> None:
    schema = build_schema()._schema
    errors = validate(schema, parse(document))
    assert errors == [], [e.message for e in errors]


def test_readme_has_operations() -> None:
    assert len(BLOCKS) >= 10
