"""tests/ci_skips.py: a skip fails the run under CI, and only under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SKIPPING = """
import pytest

def test_passes():
    pass

def test_skips():
    pytest.skip("a missing piece")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    raise AssertionError
"""


def run_pytest(tmp_path: Path, source: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.ci_skips", "-q", "-c", os.devnull, "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("ci", "code"), [(None, 0), ("1", 1), ("true", 1)])
def test_a_skip_fails_the_run_only_under_ci(tmp_path: Path, ci: str | None, code: int) -> None:
    result = run_pytest(tmp_path, SKIPPING, ci)
    assert result.returncode == code, result.stdout + result.stderr
    assert "1 passed, 1 skipped, 1 xfailed" in result.stdout
    if code:
        assert "test_sample.py::test_skips" in result.stdout


def test_an_xfail_alone_is_not_a_skip(tmp_path: Path) -> None:
    source = SKIPPING.replace('    pytest.skip("a missing piece")', "    pass")
    result = run_pytest(tmp_path, source, "1")
    assert result.returncode == 0, result.stdout + result.stderr
