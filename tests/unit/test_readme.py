"""The README and the pages of docs/: every GraphQL block is valid against the
schema, every link between them leads somewhere, and the README stays a front
door."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from graphql import parse, validate

from schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
QUERIES = DOCS / "queries.md"


def _blocks(page: Path) -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", page.read_text(), re.S)


def _curl_operations(page: Path) -> list[str]:
    out = []
    for match in re.finditer(r"-F operations='(.*?)'", page.read_text()):
        out.append(json.loads(match.group(1))["query"])
    for match in re.finditer(r"-d '(\{.*?\})'", page.read_text(), re.S):
        out.append(json.loads(match.group(1))["query"])
    return out


DOCUMENTS = [
    pytest.param(document, id=f"{page.relative_to(ROOT)}:{n}")
    for page in PAGES
    for n, document in enumerate(_blocks(page) + _curl_operations(page))
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documented_operation_is_valid(document: str) -> None:
    schema = build_schema()._schema
    errors = validate(schema, parse(document))
    assert errors == [], [e.message for e in errors]


def test_the_operations_page_has_operations() -> None:
    assert len(_blocks(QUERIES)) >= 10
    assert _curl_operations(QUERIES), "the upload example is missing"


def test_readme_is_a_front_door() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    assert "make run" in text and "make test" in text
    assert _blocks(README) and _curl_operations(README), "one query, runnable"
    answer = re.search(r"```json\n(.*?)```", text, re.S)
    assert answer and "data" in json.loads(answer.group(1))


def test_readme_points_at_every_docs_page() -> None:
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)", README.read_text()))
    assert linked == {page.name for page in DOCS.glob("*.md")}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_somewhere(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{page.name}: {target}"


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
