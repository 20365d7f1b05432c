"""`sessions` pagination against the upstream's cursors, both ways, with and without filters.

A walk over every page must know the whole list: these tests run, like every
module marked inprocess, on their own sandbox and gateway apps, which no other
module's uploads reach.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gateway.sandbox.data import SessionRecord
from tests.conftest import GraphQLClient, seeded
from tests.ids import cursor
from tests.servers import SandboxControl

pytestmark = pytest.mark.inprocess

FILTER = "GET /session-management/sessions/filter/"

PAGE = """
query ($first: Int, $after: String, $last: Int, $before: String,
       $activity: Activity, $title: String, $from: Date, $to: Date) {
  sessions(first: $first, after: $after, last: $last, before: $before,
           activity: $activity, title: $title, from: $from, to: $to) {
    totalCount
    edges { cursor node { sessionId } }
    nodes { sessionId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


ALICE = seeded("alice")


def ids(records: list[SessionRecord]) -> list[str]:
    return [r.session_id for r in records]


async def page(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    body = await gql.execute(PAGE, variables)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["sessions"]
    edge_ids = [e["node"]["sessionId"] for e in connection["edges"]]
    assert [n["sessionId"] for n in connection["nodes"]] == edge_ids
    # The documented cursor format (tests/ids.py), independently of the gateway's code.
    if not any(variables.get(f) for f in ("activity", "title", "from", "to")):
        assert [e["cursor"] for e in connection["edges"]] == [cursor("id", i) for i in edge_ids]
    info = connection["pageInfo"]
    if edge_ids:
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
    else:
        assert info["startCursor"] is None and info["endCursor"] is None
    return connection


def page_ids(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["sessionId"] for e in connection["edges"]]


async def walk_forward(
    gql: GraphQLClient, size: int, expected_total: int, **filters: Any
) -> list[str]:
    seen: list[str] = []
    after = None
    for number in range(100):
        connection = await page(gql, first=size, after=after, **filters)
        info = connection["pageInfo"]
        assert connection["totalCount"] == expected_total
        assert info["hasPreviousPage"] is (number > 0)
        seen += page_ids(connection)
        if not info["hasNextPage"]:
            assert len(seen) == expected_total
            return seen
        assert len(page_ids(connection)) == size
        after = info["endCursor"]
    raise AssertionError("the walk did not end")


async def walk_backward(
    gql: GraphQLClient, size: int, expected_total: int, **filters: Any
) -> list[str]:
    seen: list[str] = []
    before = None
    for number in range(100):
        connection = await page(gql, last=size, before=before, **filters)
        info = connection["pageInfo"]
        assert connection["totalCount"] == expected_total
        assert info["hasNextPage"] is (number > 0)
        seen = page_ids(connection) + seen
        if not info["hasPreviousPage"]:
            assert len(seen) == expected_total
            return seen
        assert len(page_ids(connection)) == size
        before = info["startCursor"]
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize("size", [1, 7, 36, 50])
async def test_unfiltered_walks_cover_the_list_in_order_both_ways(
    gql: GraphQLClient, sandbox: SandboxControl, size: int
) -> None:
    expected = ids(ALICE)
    assert await walk_forward(gql, size, len(expected)) == expected
    pages = -(-len(expected) // size)
    # One upstream call per page: the cursor maps onto start_after_id.
    assert sandbox.calls(FILTER) == pages
    assert sandbox.calls() == pages
    assert await walk_backward(gql, size, len(expected)) == expected


async def test_pages_in_the_middle_have_both_neighbours(gql: GraphQLClient) -> None:
    expected = ids(ALICE)
    first = await page(gql, first=5)
    second = await page(gql, first=5, after=first["pageInfo"]["endCursor"])
    assert page_ids(second) == expected[5:10]
    assert second["pageInfo"]["hasPreviousPage"] and second["pageInfo"]["hasNextPage"]
    # Going back from the second page's start gives the first page again.
    back = await page(gql, last=5, before=second["pageInfo"]["startCursor"])
    assert page_ids(back) == expected[:5]
    assert back["pageInfo"]["hasPreviousPage"] is False
    assert back["pageInfo"]["hasNextPage"] is True


async def test_after_the_last_and_before_the_first_are_empty(gql: GraphQLClient) -> None:
    everything = await page(gql, first=50)
    end = everything["pageInfo"]["endCursor"]
    after_end = await page(gql, first=5, after=end)
    assert page_ids(after_end) == []
    assert after_end["pageInfo"]["hasNextPage"] is False
    assert after_end["pageInfo"]["hasPreviousPage"] is True

    start = everything["pageInfo"]["startCursor"]
    before_start = await page(gql, last=5, before=start)
    assert page_ids(before_start) == []
    assert before_start["pageInfo"]["hasPreviousPage"] is False
    assert before_start["pageInfo"]["hasNextPage"] is True


FILTERS: list[tuple[dict[str, Any], list[SessionRecord]]] = [
    ({"activity": "RUNNING"}, [r for r in ALICE if r.activity == "Running"]),
    ({"activity": "JUMPING"}, [r for r in ALICE if r.activity == "Vertical Jump"]),
    ({"title": "RUN"}, [r for r in ALICE if "run" in r.title.lower()]),
    (
        {"from": "2025-02-01", "to": "2025-02-20"},
        [r for r in ALICE if date(2025, 2, 1) <= r.created_at.date() <= date(2025, 2, 20)],
    ),
    (
        {"activity": "WEIGHTLIFTING", "from": "2025-01-15"},
        [
            r
            for r in ALICE
            if r.activity == "Weightlifting" and r.created_at.date() >= date(2025, 1, 15)
        ],
    ),
]


@pytest.mark.parametrize(("filters", "records"), FILTERS)
@pytest.mark.parametrize("size", [1, 4])
async def test_filtered_walks_cover_the_matches_in_order_both_ways(
    gql: GraphQLClient, filters: dict[str, Any], records: list[SessionRecord], size: int
) -> None:
    expected = ids(records)
    assert len(expected) > size, "the filter should match several pages"
    assert await walk_forward(gql, size, len(expected), **filters) == expected
    assert await walk_backward(gql, size, len(expected), **filters) == expected


async def test_no_match_is_an_empty_connection(gql: GraphQLClient, sandbox: SandboxControl) -> None:
    for variables in ({"title": "no such title"}, {"title": "no such title", "last": 3}):
        connection = await page(gql, **variables)
        assert connection["totalCount"] == 0
        assert connection["edges"] == []
        assert connection["pageInfo"] == {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        }
    assert sandbox.calls(FILTER) == 2


async def test_first_zero_counts_without_items(gql: GraphQLClient) -> None:
    connection = await page(gql, first=0)
    assert connection["edges"] == []
    assert connection["totalCount"] == len(ALICE)
    assert connection["pageInfo"]["hasNextPage"] is True


def error_of(body: dict[str, Any]) -> tuple[str, str | None]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("field")


async def test_bad_cursors_and_sizes_are_bad_requests(
    gql: GraphQLClient, sandbox: SandboxControl
) -> None:
    unfiltered = (await page(gql, first=2))["pageInfo"]["endCursor"]
    filtered = (await page(gql, first=2, activity="RUNNING"))["pageInfo"]["endCursor"]
    sandbox.reset()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"first": 3, "after": "not a cursor"}, "after"),
        ({"last": 3, "before": "bm9wZQ"}, "before"),
        # A cursor of the unfiltered list used with a filter, and the other way.
        ({"first": 3, "after": unfiltered, "activity": "RUNNING"}, "after"),
        ({"first": 3, "after": filtered}, "after"),
        ({"first": 3, "last": 3}, "first"),
        ({"first": 101}, "first"),
        ({"last": -1}, "last"),
        ({"first": 3, "before": unfiltered}, "before"),
        ({"last": 3, "after": unfiltered}, "after"),
    ]
    for variables, field in cases:
        body = await gql.execute(PAGE, variables)
        assert error_of(body) == ("BAD_REQUEST", field), (variables, body)
        assert body["data"] is None
    # Refused before any upstream call.
    assert sandbox.calls() == 0


async def test_a_well_formed_cursor_the_upstream_does_not_know(gql: GraphQLClient) -> None:
    unknown = cursor("id", "f" * 32)
    for variables, field in (
        ({"first": 3, "after": unknown}, "after"),
        ({"last": 3, "before": unknown}, "before"),
    ):
        body = await gql.execute(PAGE, variables)
        assert error_of(body) == ("BAD_REQUEST", field), body
