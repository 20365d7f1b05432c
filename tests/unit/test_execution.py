"""The fast completion of plain-data objects answers exactly what graphql-core would."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import schema.execution as execution
from schema.series import Series
from tests.ids import global_id_of
from tests.unit.conftest import gateway_client, run
from tests.unit.test_rawjson import ODD_EXPORT

QUERY = """
query ($id: ID!, $yes: Boolean!, $no: Boolean!) { session(id: $id) { export {
  keypoints { __typename name ...values label: name again: name @include(if: $yes) }
  cut: keypoints(names: ["plain"], frames: {start: 1}) { values name @skip(if: $no) }
  angles { ... on Series { values kind: __typename } hidden: name @include(if: $no) }
  metrics { name value values avg min max ...stats }
} } }
fragment values on Series { values }
fragment stats on Metric { lowest: min highest: max }
"""


async def _answer(monkeypatch: pytest.MonkeyPatch, fast: bool) -> tuple[dict[str, Any], int]:
    calls = 0
    complete = execution._complete

    def counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return complete(*args)

    monkeypatch.setattr(execution, "_complete", counted)
    if not fast:
        monkeypatch.setattr(execution, "PLAIN_DATA_TYPES", frozenset())

    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=ODD_EXPORT)

    gid = global_id_of("weightlifting", "s1")
    async with gateway_client(transport=httpx.MockTransport(upstream)) as client:
        body = await run(client, QUERY, id=gid, yes=True, no=False)
    monkeypatch.undo()
    return body, calls


async def test_same_answer_as_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, fast_calls = await _answer(monkeypatch, fast=True)
    general, general_calls = await _answer(monkeypatch, fast=False)
    assert "errors" not in fast, fast
    assert fast == general
    # Every Series and Metric object went the fast way, and none did without it.
    export = fast["data"]["session"]["export"]
    objects = sum(len(export[k]) for k in ("keypoints", "cut", "angles", "metrics"))
    assert (fast_calls, general_calls) == (objects, 0)
    first = export["keypoints"][0]
    assert list(first) == ["__typename", "name", "values", "label", "again"]
    assert export["angles"][0] == {"values": [10, 20, 30], "kind": "Series"}
    assert export["cut"] == [{"values": [-1, 2.25, 0], "name": "plain"}]


def test_what_the_fast_path_leaves_to_the_general_one() -> None:
    from schema import build_schema

    series_type = build_schema()._schema.type_map["Series"]
    assert isinstance(series_type, execution.GraphQLObjectType)
    steps = [("name", "name", str, True), ("values", "values", lambda v: v, True)]
    plan = execution._Plan(Series, steps)
    ok = Series(name="a", values=[1.0])  # type: ignore[arg-type]
    assert execution._complete(plan, series_type, ok) == {"name": "a", "values": [1.0]}
    # A null in a non-null field: the general path raises the proper error.
    assert execution._complete(plan, series_type, Series(name=None, values=[1.0])) is None  # type: ignore[arg-type]
    # Not the type the plan was made for.
    assert execution._complete(plan, series_type, object()) is None

    def broken(value: Any) -> Any:
        raise ValueError("no")

    failing = execution._Plan(Series, [("values", "values", broken, True)])
    assert execution._complete(failing, series_type, ok) is None


def test_plain_data_types_have_only_plain_fields() -> None:
    """The fast path reads attributes: a resolver, a permission or a field
    extension added to one of these types later would be skipped by it."""
    from strawberry.types.base import get_object_definition

    from schema import build_schema

    type_map = build_schema()._schema.type_map
    for name in execution.PLAIN_DATA_TYPES:
        definition = get_object_definition(
            type_map[name].extensions["strawberry-definition"].origin, strict=True
        )
        for field in definition.fields:
            assert field.base_resolver is None, (name, field.python_name)
            assert not field.permission_classes and not field.extensions, (name, field.python_name)
            assert not field.arguments, (name, field.python_name)
