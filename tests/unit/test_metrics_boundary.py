"""gateway/metrics.py owns its state: other modules use prometheus-client's metric objects only."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `metrics._x`, `self._metrics._x`, `services.metrics._x`: a private attribute of Metrics.
_PRIVATE = re.compile(r"metrics\._[a-z]")


def test_no_module_reaches_into_metrics_private_state() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("gateway", "schema")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "metrics.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _PRIVATE.search(line)
    ]
    assert offenders == []


def test_the_text_format_is_prometheus_clients() -> None:
    source = (ROOT / "gateway" / "metrics.py").read_text(encoding="utf-8")
    assert "generate_latest" in source
    assert "# TYPE" not in source and "# HELP" not in source
