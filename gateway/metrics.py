"""Process metrics in the Prometheus text format.

Labels are chosen from fixed sets (route templates, status classes, error
codes): never caller input, never a credential.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from gateway.upstream import UpstreamCall

__all__ = ["Metrics"]

_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.upstream_calls: Counter[tuple[str, str, str]] = Counter()
        self.upstream_retries: Counter[str] = Counter()
        self.upstream_seconds: dict[str, list[int]] = {}
        self.upstream_seconds_sum: dict[str, float] = {}
        self.operations: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.gauges: dict[str, float] = {}

    def observe_upstream(self, call: UpstreamCall) -> None:
        status = "error" if call.status is None else f"{call.status // 100}xx"
        self.upstream_calls[(call.method, call.route, status)] += 1
        if call.attempts > 1:
            self.upstream_retries[call.route] += call.attempts - 1
        buckets = self.upstream_seconds.setdefault(call.route, [0] * (len(_BUCKETS) + 1))
        for i, bound in enumerate(_BUCKETS):
            if call.seconds <= bound:
                buckets[i] += 1
        buckets[-1] += 1
        self.upstream_seconds_sum[call.route] = (
            self.upstream_seconds_sum.get(call.route, 0.0) + call.seconds
        )

    def render(self) -> str:
        lines: list[str] = []
        lines += _family(
            "gateway_upstream_requests_total",
            "counter",
            "Upstream calls by method, route template and status class.",
            (
                (f'method="{m}",route="{r}",status="{s}"', n)
                for (m, r, s), n in sorted(self.upstream_calls.items())
            ),
        )
        lines += _family(
            "gateway_upstream_retries_total",
            "counter",
            "Upstream retries by route template.",
            ((f'route="{r}"', n) for r, n in sorted(self.upstream_retries.items())),
        )
        lines.append("# TYPE gateway_upstream_request_seconds histogram")
        for route, buckets in sorted(self.upstream_seconds.items()):
            for bound, n in zip((*_BUCKETS, "+Inf"), buckets, strict=True):
                lines.append(
                    f'gateway_upstream_request_seconds_bucket{{route="{route}",le="{bound}"}} {n}'
                )
            total = self.upstream_seconds_sum.get(route, 0.0)
            lines.append(f'gateway_upstream_request_seconds_sum{{route="{route}"}} {total:.6f}')
            lines.append(f'gateway_upstream_request_seconds_count{{route="{route}"}} {buckets[-1]}')
        lines += _family(
            "gateway_operations_total",
            "counter",
            "GraphQL operations by type.",
            ((f'type="{t}"', n) for t, n in sorted(self.operations.items())),
        )
        lines += _family(
            "gateway_errors_total",
            "counter",
            "GraphQL errors by extensions.code.",
            ((f'code="{c}"', n) for c, n in sorted(self.errors.items())),
        )
        for name, value in sorted(self.gauges.items()):
            lines += [f"# TYPE {name} gauge", f"{name} {value}"]
        return "\n".join(lines) + "\n"


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]
) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    out += [f"{name}{{{labels}}} {value}" for labels, value in samples]
    return out
