"""tests/ci_skips.py: a skip fails the run under CI, and only under CI."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester"]

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


def run_pytest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str, ci: str | None
) -> pytest.RunResult:
    """A pytest run of ``source`` with the plugin, in this process (CI as given)."""
    pytester.makepyfile(test_sample=source)
    monkeypatch.delenv("CI", raising=False)
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    # Without pytest-asyncio: the sample has no coroutine, and its settings are ours.
    return pytester.runpytest_inprocess(
        "-p", "tests.ci_skips", "-p", "no:asyncio", "-q", "-c", os.devnull
    )


@pytest.mark.parametrize(("ci", "code"), [(None, 0), ("1", 1), ("true", 1)])
def test_a_skip_fails_the_run_only_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None, code: int
) -> None:
    result = run_pytest(pytester, monkeypatch, SKIPPING, ci)
    output = result.stdout.str()
    assert result.ret == code, output
    assert "1 passed, 1 skipped, 1 xfailed" in output
    if code:
        assert "test_sample.py::test_skips" in output


def test_an_xfail_alone_is_not_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SKIPPING.replace('    pytest.skip("a missing piece")', "    pass")
    result = run_pytest(pytester, monkeypatch, source, "1")
    assert result.ret == 0, result.stdout.str()
