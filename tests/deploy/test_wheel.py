"""The wheel holds what an install serves (GraphiQL's assets, the dashboard) and no tests.

Built offline from the files the Dockerfile copies, with the venv's own
setuptools, then unpacked as pip would install it: the dashboard's route and
GraphiQL's assets answer from there, and a co-installed PyPI `schema` module
in the same directory does not shadow the gateway's `schema` package.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "gateway" / "static"
# What the Dockerfile copies before `pip install .`
SOURCES = ("pyproject.toml", "README.md", "gateway", "schema")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (STATIC / "graphiql" / "graphiql.js").is_file():
        pytest.fail("GraphiQL's assets are not built: run `make graphiql-assets` (make test does)")
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = root / "dist"
    offline = ("--no-deps", "--no-build-isolation", "--no-index")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            *offline,
            "--wheel-dir",
            str(out),
            str(src),
        ],
        check=True,
        timeout=300,
        cwd=root,
    )
    (built,) = out.glob("session_gateway-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_graphiql_and_the_dashboard(wheel: Path) -> None:
    names = _names(wheel)
    for path in sorted(STATIC.rglob("*")):
        # Hidden files (make's `.built` stamp) are not package data.
        if path.is_file() and not any(part.startswith(".") for part in path.parts):
            assert path.relative_to(REPO).as_posix() in names, path
    for name in (
        "gateway/static/graphiql/graphiql.js",
        "gateway/static/graphiql/graphiql.css",
        "gateway/static/graphiql/graphql-ws.js",
        "gateway/static/dashboard/index.html",
        "gateway/static/dashboard/dashboard.js",
        "gateway/static/dashboard/dashboard.css",
        "gateway/upstream/contract.yaml",
        "schema/schema.graphql",
        "schema/__init__.py",
    ):
        assert name in names, name


def test_the_wheel_holds_no_tests(wheel: Path) -> None:
    names = _names(wheel)
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"gateway", "schema"}
    assert not [n for n in names if "/tests/" in n or n.startswith("tests/")]
    assert not [n for n in names if Path(n).name.startswith(("test_", "conftest"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_declares_what_the_code_imports(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(meta).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
    names = {r.split("<")[0].split(">")[0].split("=")[0].split("[")[0].strip() for r in requires}
    assert {"strawberry-graphql", "graphql-core", "cross-web"} <= names
    # Bounded above: schema/execution.py overrides Strawberry's and graphql-core's internals.
    for name in ("strawberry-graphql", "graphql-core"):
        (spec,) = [r for r in requires if r.startswith(name)]
        assert "<" in spec, spec


_INSTALLED = """
import asyncio, importlib.util, json, pathlib, sys
import httpx
from starlette.applications import Starlette
import gateway
from gateway.http.examples import example_routes
from gateway.http.graphiql import Demo, graphiql_routes

site = pathlib.Path(sys.argv[1])
spec = importlib.util.find_spec("schema")
app = Starlette(routes=[*graphiql_routes(sandbox=True, demo=Demo("k")), *example_routes()])

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        paths = ("/examples/dashboard", "/examples/dashboard/dashboard.js",
                 "/examples/dashboard/dashboard.css", "/examples/session",
                 "/examples/session/session.js", "/examples/session/session.css",
                 "/static/graphiql/graphiql.js", "/static/graphiql/uplot.js",
                 "/static/graphiql/uplot.css")
        return {p: (await client.get(p)).status_code for p in paths}

print(json.dumps({
    "gateway": str(pathlib.Path(gateway.__file__).resolve().relative_to(site)),
    "schema": str(pathlib.Path(spec.origin).resolve().relative_to(site)),
    "status": asyncio.run(main()),
}))
"""


def test_an_installed_wheel_serves_the_dashboard(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    # PyPI's `schema` is one module; installed beside ours, ours is still found.
    (site / "schema.py").write_text("raise SystemExit('the other schema was imported')\n")
    result = subprocess.run(
        [sys.executable, "-c", _INSTALLED, str(site.resolve())],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["gateway"] == "gateway/__init__.py"
    assert found["schema"] == "schema/__init__.py"
    assert set(found["status"].values()) == {200}, found["status"]
