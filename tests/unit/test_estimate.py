"""The answer's size estimated before execution, over the real schema."""

from __future__ import annotations

import functools

import pytest
from graphql import GraphQLSchema, parse

from gateway.budget import BYTES_PER_NUMBER
from gateway.config import Settings
from gateway.listing import DEFAULT_PAGE_SIZE
from schema import build_schema
from schema.estimate import (
    ASSUMED_FRAMES,
    ASSUMED_SERIES,
    estimate_bytes,
)

SERIES = "keypoints { name values }"
ONE_SERIES = BYTES_PER_NUMBER * ASSUMED_FRAMES


@functools.cache
def graphql_schema() -> GraphQLSchema:
    return build_schema(Settings())._schema


def estimate(
    query: str, variables: dict[str, object] | None = None, name: str | None = None
) -> int:
    return estimate_bytes(graphql_schema(), parse(query), name, variables)


def export(arguments: str = "") -> str:
    return f'{{ session(id: "x") {{ export {{ keypoints{arguments} {{ name values }} }} }} }}'


def test_an_export_is_its_series_times_the_assumed_frames() -> None:
    full = estimate(export())
    assert ASSUMED_SERIES * ONE_SERIES <= full < ASSUMED_SERIES * ONE_SERIES * 1.1


def test_names_and_frames_narrow_it() -> None:
    assert estimate(export('(names: ["lknex", "rknex"])')) < 3 * ONE_SERIES
    one_hundred = estimate(export('(names: ["lknex"], frames: {start: 100, end: 200})'))
    assert BYTES_PER_NUMBER * 100 <= one_hundred < BYTES_PER_NUMBER * 100 + 1000
    # More frames than assumed, when asked for: the range is what counts.
    many = estimate(export('(names: ["lknex"], frames: {start: 0, end: 5000})'))
    assert many > BYTES_PER_NUMBER * 5000


def test_lists_multiply_by_what_their_arguments_say() -> None:
    one = estimate(export())
    ids = ", ".join(f'"s{i}"' for i in range(36))
    nodes = f"{{ nodes(ids: [{ids}]) {{ ... on Session {{ export {{ {SERIES} }} }} }} }}"
    assert estimate(nodes) == pytest.approx(36 * one, rel=0.01)
    by_variable = "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Session { id } } }"
    assert estimate(by_variable, {"ids": ["a"] * 50}) > 10 * estimate(by_variable, {"ids": ["a"]})


def test_a_connection_pages_its_edges_and_nodes() -> None:
    page = "{ sessions%s { edges { node { id } } } }"
    default = estimate(page % "")
    assert estimate(page % "(first: 100)") == pytest.approx(
        default * 100 / DEFAULT_PAGE_SIZE, rel=0.05
    )
    assert estimate(page % "(last: 1)") < default


def test_the_chosen_operation_is_estimated() -> None:
    document = f"query Small {{ __typename }} query Big {export()}"
    assert estimate(document, name="Small") < 100
    assert estimate(document, name="Big") > ONE_SERIES
    assert estimate(document, name="Missing") == 0


def test_fragments_count_where_spread() -> None:
    spread = (
        '{ a: session(id: "x") { ...E } b: session(id: "y") { ...E } }'
        f" fragment E on Session {{ export {{ {SERIES} }} }}"
    )
    assert estimate(spread) == pytest.approx(2 * estimate(export()), rel=0.01)
