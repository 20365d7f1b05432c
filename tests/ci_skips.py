"""Under CI a skipped test is a failed run: a skip there hides a missing piece
(redis-server, Chromium, an introspection that broke) behind a green result.

Registered from ``tests/conftest.py``. Outside CI skips stay skips, so a
laptop without Chromium can still run the rest.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["SkippedUnderCI"]


class SkippedUnderCI:
    def __init__(self) -> None:
        self.skipped: list[str] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # xfail is reported as skipped with `wasxfail`: an expected failure, not a skip.
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped.append(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.skipped and os.environ.get("CI") and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.skipped and os.environ.get("CI"):
            terminalreporter.section("skipped under CI (a failure)", red=True)
            for nodeid in self.skipped:
                terminalreporter.write_line(nodeid)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SkippedUnderCI(), "skipped-under-ci")
