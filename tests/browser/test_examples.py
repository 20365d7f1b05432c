"""examples/python_gql.py against the real sandbox gateway (no browser)."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from graphql import parse, validate

from gateway.sandbox import seed_sessions
from schema import build_schema

from .conftest import ALICE, REPO, SandboxGateway


def load_example(name: str) -> ModuleType:
    path = REPO / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_gql_example_follows_videos_to_ready(sandbox_gateway: SandboxGateway) -> None:
    example = load_example("python_gql")
    control = sandbox_gateway.control
    watched = [s.session_id for s in seed_sessions("alice")[:2]]
    for session_id in watched:
        control.set_video(session_id, "processing")

    lines: list[str] = []

    def record(*values: object) -> None:
        # The example's print: once it has shown every watched session as
        # PROCESSING, the videos flip (the event itself, not a timer's guess).
        lines.append(" ".join(str(v) for v in values))
        flipped = any(line.startswith("flipped") for line in lines)
        if not flipped and all(f"{s}: PROCESSING" in lines for s in watched):
            lines.append("flipped")
            # every PROCESSING video of the first page, or the example waits on
            # (the sandbox gateway here never finishes one by itself)
            for session in seed_sessions("alice")[:20]:
                control.set_video(session.session_id, "ready")

    example.print = record  # type: ignore[attr-defined]
    coro = example.main(ALICE, f"{sandbox_gateway.url}/graphql")
    asyncio.run(asyncio.wait_for(coro, timeout=60))
    out = "\n".join(lines)
    for session_id in watched:
        assert f"{session_id}: PROCESSING" in out
        assert f"{session_id}: READY https://" in out


# The GraphQL documents the JavaScript examples send: `const NAME = /* GraphQL */ `...``,
# with `${NAME}` standing for another such constant (a shared fragment).
_JS_DOCUMENT = re.compile(r"const (\w+) = /\* GraphQL \*/ `(.*?)`", re.S)
_INTERPOLATION = re.compile(r"\$\{(\w+)\}")
# (The npm clients' examples run as written: tests/frontend/test_clients.py.)
# Each page's script -> the operations it must send (fragments are not operations).
JS_EXAMPLES = {
    "dashboard/dashboard.js": {"DashboardSessions", "DashboardVideos"},
    "session/session.js": {"SessionPage", "SessionExportSlice", "NewestSession", "SessionVideo"},
}
# The example pages ship in the package (served at /examples/<name>); the rest
# of the examples live in examples/.
PAGES = Path(REPO) / "gateway" / "static"


def javascript_documents(source: str) -> dict[str, str]:
    constants = dict(_JS_DOCUMENT.findall(source))
    return {
        name: _INTERPOLATION.sub(lambda m: constants[m.group(1)], text)
        for name, text in constants.items()
    }


@pytest.mark.parametrize("name", sorted(JS_EXAMPLES))
def test_javascript_examples_send_valid_operations(name: str) -> None:
    """Not just present: every operation they send is valid against the schema."""
    documents = javascript_documents((PAGES / name).read_text())
    schema = build_schema()._schema
    operations: set[str] = set()
    for text in documents.values():
        document = parse(text)
        errors = validate(schema, document)
        if (
            any(d.kind == "fragment_definition" for d in document.definitions)
            and len(document.definitions) == 1
        ):
            continue  # a fragment on its own is checked where an operation spreads it
        assert errors == [], [e.message for e in errors]
        operations |= {
            d.name.value for d in document.definitions if getattr(d, "operation", None) and d.name
        }
    assert operations == JS_EXAMPLES[name]
    assert (PAGES / name).parent.joinpath("index.html").is_file()


def test_examples_are_present() -> None:
    for name in ("dashboard/index.html", "dashboard/dashboard.js", "session/index.html"):
        assert (PAGES / name).is_file()
    for name in ("python_gql.py", "clients/apollo-client.ts"):
        assert (Path(REPO) / "examples" / name).is_file()
