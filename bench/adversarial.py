"""Worst-case validation time over a generated corpus of hostile documents.

Each family grows one dimension of a document until the gateway's bounds
refuse it, and a little past that. Every document is parsed and validated
exactly as the gateway does it, with the real schema and rules and the
default :class:`~gateway.config.Settings`: the size bound on the text,
comments and white space included, then graphql-core's parser under the
token limit (both ``schema.documents``), the operation bounds
(``schema.bounds.bound_errors``, checked first), then, for a document within
them, graphql-core's specified rules and Strawberry's own. Each text is new
(a salt in it), as an attacker's would be: no cache helps. Times are CPU
times of this process, the least of three runs of each text (the machine is
shared; wall times under load say more about the neighbours than about the
gateway). Documents of more than ``schema.bounds.INLINE_FIELDS`` fields are
validated off the event loop by the gateway: their time is CPU, not a stall.

    fragment fan-out    each fragment spreads the next one twice (2**n fields)
    deep nesting        introspection's `ofType { ofType { ... } }`, and nested inline fragments
    wide aliases        `a0: __typename a1: __typename ...`
    many directives     `__typename @skip(if: false) @skip(if: false) ...`
    long variable lists `query ($v0: Int, $v1: Int, ...)`
    repeated fields     `{ __typename __typename ... }`, `{ session { id } session { id } ... }`
                        and fragments spread side by side: quadratic in graphql-core's
                        OverlappingFieldsCanBeMerged, bounded by the merge-cost estimate
    comment padding     `{ __typename } #xxxx...` and `{ __typename }` followed by white
                        space, up to 1 MB: the token bound does not see either

It prints the maximum (and median) milliseconds per family, the largest
document, and how the documents ended (valid, or refused with which code).
The target is at most 10 ms per document in every family.

    .venv/bin/python bench/adversarial.py [--repeat 5]   # writes bench/out/adversarial.json
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import count

from common import machine, print_table, write_json
from graphql import GraphQLError, GraphQLSchema, specified_rules
from strawberry.schema.schema import validate_document

from gateway.config import Settings
from gateway.errors import GatewayError
from schema import build_schema
from schema.bounds import OperationLimits, bound_errors
from schema.documents import Documents
from schema.extensions import code_for_input

_salt = count()


def fan_out(levels: int) -> str:
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ s{next(_salt)}: __typename }}"


def deep_introspection(depth: int) -> str:
    inner = "name"
    for _ in range(depth):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ s{next(_salt)}: name fields {{ type {{ {inner} }} }} }} }} }}"


def deep_inline_fragments(depth: int) -> str:
    inner = f"s{next(_salt)}: __typename"
    for _ in range(depth):
        inner = f"... on Query {{ {inner} }}"
    return f"{{ {inner} }}"


def wide_aliases(width: int) -> str:
    salt = next(_salt)
    return "{ " + " ".join(f"a{i}_{salt}: __typename" for i in range(width)) + " }"


def many_directives(n: int) -> str:
    return f"{{ s{next(_salt)}: __typename " + "@skip(if: false) " * n + "}"


def long_variable_lists(n: int) -> str:
    variables = ", ".join(f"$v{i}: Int" for i in range(n))
    return f"query Q{next(_salt)}({variables}) {{ __typename }}"


def repeated_fields(n: int) -> str:
    return f"{{ s{next(_salt)}: __typename " + "__typename " * n + "}"


def repeated_nested_fields(n: int) -> str:
    return f"{{ s{next(_salt)}: __typename " + 'node(id: "x") { id } ' * n + "}"


def fragments_side_by_side(n: int) -> str:
    salt = next(_salt)
    spreads = " ".join(f"...F{i}_{salt}" for i in range(n))
    fragments = " ".join(f"fragment F{i}_{salt} on Query {{ __typename }}" for i in range(n))
    return f"{{ {spreads} }} {fragments}"


def comment_padded(n: int) -> str:
    return f"{{ s{next(_salt)}: __typename }} #" + "x" * n


def space_padded(n: int) -> str:
    return f"{{ s{next(_salt)}: __typename }}" + " " * n


FAMILIES: dict[str, list[Callable[[], str]]] = {
    "fragment fan-out": [lambda n=n: fan_out(n) for n in (4, 8, 12, 16, 20, 30, 40, 60, 100)],
    "deep nesting": [
        *(lambda n=n: deep_introspection(n) for n in (2, 5, 10, 20, 50, 100, 200)),
        *(lambda n=n: deep_inline_fragments(n) for n in (10, 50, 100, 200, 400)),
    ],
    "wide aliases": [lambda n=n: wide_aliases(n) for n in (10, 30, 31, 100, 300, 600, 1000)],
    "many directives": [lambda n=n: many_directives(n) for n in (10, 50, 100, 200, 300, 1000)],
    "long variable lists": [
        lambda n=n: long_variable_lists(n) for n in (10, 50, 100, 101, 200, 400, 600, 2000)
    ],
    "repeated fields": [
        *(lambda n=n: repeated_fields(n) for n in (10, 50, 100, 200, 400, 999)),
        *(lambda n=n: repeated_nested_fields(n) for n in (10, 20, 30, 40, 80, 140)),
        *(lambda n=n: fragments_side_by_side(n) for n in (10, 20, 30, 40, 80)),
    ],
    "comment padding": [
        *(lambda n=n: comment_padded(n) for n in (1_000, 16_000, 32_000, 100_000, 1_000_000)),
        *(lambda n=n: space_padded(n) for n in (1_000, 32_000, 1_000_000)),
    ],
}


def check(schema: GraphQLSchema, limits: OperationLimits, text: str, documents: Documents) -> str:
    """Parse and validate as the gateway does; the outcome ("valid" or an error code)."""
    try:
        document = documents.parse(text)
    except GraphQLError as exc:
        return code_for_input(exc)
    except GatewayError as exc:
        return exc.code
    errors = bound_errors(document, limits) or validate_document(
        schema, document, tuple(specified_rules)
    )
    return code_for_input(errors[0]) if errors else "valid"


def run(repeat: int) -> Iterator[dict[str, object]]:
    settings = Settings()
    schema = build_schema(settings)._schema
    limits = OperationLimits.from_settings(settings)
    # Each text is new, as an attacker's would be: nothing is kept for reuse.
    documents = Documents(
        max_chars=settings.max_query_chars,
        max_cached_chars=settings.max_cached_query_chars,
        max_tokens=settings.max_tokens,
        max_bytes=0,
    )
    check(schema, limits, "{ __typename }", documents)  # warm up
    for family, makers in FAMILIES.items():
        times: list[float] = []
        outcomes: Counter[str] = Counter()
        largest = 0
        worst = ""
        for make in makers:
            for _ in range(repeat):
                text = make()
                largest = max(largest, len(text))
                # The least of three runs of the same text: its cost, with the
                # neighbours' interference (and the odd GC pass) filtered out.
                runs = []
                for _ in range(3):
                    # As timeit does: the collector off while timing, so that a
                    # cycle collection another document's garbage set up isn't
                    # charged to this one.
                    gc.collect()
                    gc.disable()
                    try:
                        started = time.process_time()
                        outcome = check(schema, limits, text, documents)
                        runs.append(time.process_time() - started)
                    finally:
                        gc.enable()
                if not times or min(runs) > max(times):
                    worst = f"{len(text):,} B {outcome}: {text[:40]}..."
                times.append(min(runs))
                outcomes[outcome] += 1
        yield {
            "family": family,
            "documents": len(times),
            "largest_bytes": largest,
            "max_ms": max(times) * 1000,
            "median_ms": statistics.median(times) * 1000,
            "outcomes": dict(outcomes),
            "worst": worst,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="documents per size (each new)")
    args = parser.parse_args()
    results = list(run(args.repeat))
    print_table(
        ["family", "documents", "largest", "max ms", "median ms", "outcomes"],
        [
            [
                r["family"],
                r["documents"],
                f"{r['largest_bytes']:,} B",
                f"{r['max_ms']:.2f}",
                f"{r['median_ms']:.2f}",
                ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items())),  # type: ignore[attr-defined]
            ]
            for r in results
        ],
    )
    for r in results:
        print(f"  worst {r['family']}: {r['worst']}")
    worst = max(float(r["max_ms"]) for r in results)  # type: ignore[arg-type]
    print(f"\nworst document: {worst:.2f} ms CPU (target: 10 ms); load average {os.getloadavg()}")
    write_json(
        "adversarial.json", {"machine": machine(), "repeat": args.repeat, "families": results}
    )


if __name__ == "__main__":
    main()
