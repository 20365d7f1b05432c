"""`import schema` is the gateway's package, and anything else shadowing it stops start-up."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import gateway
from gateway.schema_guard import check_schema_package

ROOT = Path(__file__).resolve().parents[2]


def _python(
    code: str, cwd: Path, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_schema_resolves_to_our_package_in_this_environment() -> None:
    spec = importlib.util.find_spec("schema")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).resolve() == ROOT / "schema" / "__init__.py"
    assert Path(gateway.__file__).resolve().parent.parent == ROOT
    check_schema_package()


def test_another_schema_first_on_the_path_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text("def validate(x): return x\n")
    result = _python("import gateway.http.app", cwd=tmp_path, pythonpath=tmp_path)
    assert result.returncode != 0
    assert "SchemaShadowed" in result.stderr
    assert "not the gateway's own schema package" in result.stderr
    assert "pip uninstall schema" in result.stderr


def test_a_package_directory_wins_over_a_module_in_the_same_directory(tmp_path: Path) -> None:
    """Why a co-install in one site-packages is safe: PyPI's `schema` is a module."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "__init__.py").write_text("OURS = True\n")
    (tmp_path / "schema.py").write_text("OURS = False\n")
    result = _python("import schema; print(schema.OURS)", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
