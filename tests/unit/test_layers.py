"""Dependencies point one way, and the folders show it.

From the bottom: settings, errors, ids and the other foundations at
``gateway/``'s top; ``gateway/upstream/`` (the REST client and its contract)
above them; the domain (sessions, listing, loaders, writes, uploads),
``gateway/broker/`` and ``gateway/watchers/`` above that; ``schema/`` above
those; ``gateway/http/`` on top, the only place Starlette and the schema meet;
``gateway/cli.py`` starts it all. The sandbox is a separate upstream: it
shares only the contract with the gateway, and only the CLI starts it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FOUNDATION = {
    "gateway",
    "gateway.config",
    "gateway.errors",
    "gateway.ids",
    "gateway.credentials",
    "gateway.logs",
    "gateway.tracing",
    "gateway.schema_guard",
    "gateway.settings_doc",
    "gateway.shared_redis",
}
DOMAIN = {
    # The process's metrics name upstream calls, operations and subscriptions.
    "gateway.metrics",
    "gateway.budget",
    "gateway.localized",
    "gateway.ratelimit",
    "gateway.sessions",
    "gateway.listing",
    "gateway.loaders",
    "gateway.writes",
    "gateway.uploads",
    "gateway.normalize",
    "gateway.services",
}


def _layer(module: str) -> int:
    """0 foundation, 1 upstream, 2 domain, 3 schema, 4 http, 5 the entry point."""
    if module in FOUNDATION:
        return 0
    if module.startswith("gateway.upstream"):
        return 1
    if module in DOMAIN or module.startswith(("gateway.broker", "gateway.watchers")):
        return 2
    if module == "schema" or module.startswith("schema."):
        return 3
    if module.startswith("gateway.http"):
        return 4
    if module in ("gateway.cli", "gateway.__main__"):
        return 5
    raise AssertionError(f"{module}: in no layer; place it in tests/unit/test_layers.py")


def _modules() -> Iterator[tuple[str, Path]]:
    for folder in ("gateway", "schema"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every project module ``path`` imports (functions' own imports too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from gateway import errors` imports the module gateway.errors.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.split(".")[0] in ("gateway", "schema"):
                yield node.lineno, name


def _known(module: str, modules: set[str]) -> str | None:
    """The project module ``module`` names (a module, or a name in one)."""
    while module and module not in modules:
        module = module.rpartition(".")[0]
    return module or None


def wrong_way_imports() -> list[str]:
    modules = dict(_modules())
    found: list[str] = []
    for name, path in modules.items():
        for line, imported in _imports(path):
            target = _known(imported, set(modules))
            if target is None or target == name:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {target}"
            sandbox_side = name.startswith("gateway.sandbox")
            if target.startswith("gateway.sandbox"):
                if not sandbox_side and name != "gateway.cli":
                    found.append(f"{where}: only the CLI starts the sandbox")
                continue
            if sandbox_side:
                if target != "gateway.upstream.contract":
                    found.append(f"{where}: the sandbox shares only the contract")
                continue
            if _layer(target) > _layer(name):
                found.append(f"{where}: a lower layer imports a higher one")
    return list(dict.fromkeys(found))


def test_no_import_runs_the_wrong_way() -> None:
    assert wrong_way_imports() == []


def test_the_check_sees_a_wrong_way_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same walk over a copy of one module that reaches up into the edge.
    copy = tmp_path / "gateway" / "upstream"
    copy.mkdir(parents=True)
    (tmp_path / "schema").mkdir()
    (copy / "client.py").write_text("from gateway.http.view import GatewayGraphQL\n")
    (tmp_path / "gateway" / "http").mkdir()
    (tmp_path / "gateway" / "http" / "view.py").write_text("import gateway.sandbox.data\n")
    (tmp_path / "gateway" / "sandbox").mkdir()
    (tmp_path / "gateway" / "sandbox" / "data.py").write_text("from gateway import errors\n")
    (tmp_path / "gateway" / "errors.py").write_text("")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    found = wrong_way_imports()
    assert [line.split(": ", 1)[1] for line in found] == [
        "only the CLI starts the sandbox",
        "the sandbox shares only the contract",
        "a lower layer imports a higher one",
    ], found
