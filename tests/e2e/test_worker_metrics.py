"""Metrics in prometheus-client's multiprocess mode: what several worker
processes write, one exposition reads (each worker is a process of its own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prometheus_client.multiprocess import mark_process_dead

from tests.unit.test_metrics import families_of

WORKER = """
import sys
from gateway.metrics import Metrics
from gateway.upstream.client import UpstreamCall
metrics = Metrics(sys.argv[1])
metrics.observe_error("NOT_FOUND")
metrics.observe_upstream(UpstreamCall("GET", "/r/", 200, 0.02, 1))
metrics.watchers_active.set(int(sys.argv[2]))
if sys.argv[3] == "render":
    sys.stdout.write(metrics.render().decode())
"""


def test_workers_share_one_exposition_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(Path.cwd())}
    run = [sys.executable, "-c", WORKER, str(tmp_path)]
    # Two workers side by side; the second then exits.
    first = subprocess.Popen([*run, "3", "quiet"], env=env)
    dead = subprocess.Popen([*run, "5", "quiet"], env=env)
    assert first.wait() == 0
    assert dead.wait() == 0
    # What a supervisor does when a worker exits: its live gauges go.
    mark_process_dead(dead.pid, str(tmp_path))
    out = subprocess.run([*run, "4", "render"], env=env, check=True, capture_output=True, text=True)
    families = families_of(out.stdout)
    assert families["gateway_errors"][("gateway_errors_total", (("code", "NOT_FOUND"),))] == 3.0
    seconds = families["gateway_upstream_request_seconds"]
    count = seconds[
        ("gateway_upstream_request_seconds_count", (("route", "/r/"), ("status", "2xx")))
    ]
    assert count == 3.0
    # livesum: the workers' watchers added up, less the one marked dead (the
    # first one exited without being marked, so its 3 still count).
    watchers = families["gateway_readiness_watchers"]
    assert sum(watchers.values()) == 3.0 + 4.0
