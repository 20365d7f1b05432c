"""The merge-cost estimate: the pairs graphql-core's field merging compares."""

from __future__ import annotations

from graphql import parse

from schema.bounds import merge_cost


def test_each_pair_of_same_named_leaves_counts_once() -> None:
    assert merge_cost(parse("{ __typename }")) == 0
    assert merge_cost(parse("{ a __typename b }")) == 0
    assert merge_cost(parse("{ __typename __typename __typename }")) == 3
    # Aliases are response names: `x: a` and `x: b` are compared, `a` and `b` are not.
    assert merge_cost(parse("{ x: a x: b y: a }")) == 1


def test_sub_selections_are_merged_and_weigh_more() -> None:
    # Two `s { id }`: one nested pair (10), then their merged `id`s (1).
    assert merge_cost(parse("{ s { id } s { id } }")) == 11
    # Sub-selections merge across places: three `s` give 3 nested pairs and
    # the three `id`s under them 3 leaf pairs.
    assert merge_cost(parse("{ s { id } ... on Q { s { id } } s { id } }")) == 33


def test_fragments_count_where_they_are_spread() -> None:
    document = parse("{ ...A ...B } fragment A on Q { id } fragment B on Q { id }")
    # A and B side by side (10), and their two `id`s (1).
    assert merge_cost(document) == 11
    # A fragment spread twice is one fragment; its fields still meet themselves.
    assert merge_cost(parse("{ ...A ...A } fragment A on Q { id }")) == 1


def test_cycles_and_unknown_fragments_are_left_to_other_rules() -> None:
    assert merge_cost(parse("{ ...A ...Z } fragment A on Q { ...A id }")) == 10


def test_counting_stops_past_the_budget() -> None:
    # Three `s` (3 nested pairs, 30), then the six `id`s under them (15 pairs).
    document = parse("{ s { id id } s { id id } s { id id } }")
    assert merge_cost(document) == 45
    # Past the budget after the `s` pairs: the `id`s are never walked.
    assert merge_cost(document, budget=20) == 30
