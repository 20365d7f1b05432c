"""The committed SDL is what the code builds: partners diff it, clients generate from it."""

from __future__ import annotations

from pathlib import Path

from schema import build_schema

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SDL.read_text() == build_schema().as_str() + "\n", (
        "schema/schema.graphql is out of date: run `make schema` and commit it"
    )


def test_every_type_and_field_is_described() -> None:
    schema = build_schema()._schema
    missing = []
    for name, gql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not gql_type.description and name not in {"Query", "Mutation", "Subscription"}:
            missing.append(name)
        for field_name, field in getattr(gql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []
