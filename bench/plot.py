"""Plot the benchmarks' last results (bench/out/*.json) into docs/benchmarks.png.

    .venv/bin/python bench/plot.py     # or: make bench-plot

Reads what bench/overhead.py, bench/payloads.py and bench/subscriptions.py
wrote; a benchmark that has not been run is left out of the figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FIGURE = ROOT / "docs" / "benchmarks.png"


def _load(name: str) -> dict[str, Any] | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _overhead(ax: Any, data: dict[str, Any]) -> None:
    results = data["results"]
    short = {"one": "1 session", "one of": "3 kinds", "10-session": "list of 10", "session": "page"}
    short["full"] = "export"

    def label(shape: str) -> str:
        key = "one of" if shape.startswith("one of") else shape.split()[0]
        return short.get(key, shape[:10])

    labels = [f"{label(r['shape'])}\nc={r['concurrency']}" for r in results]
    xs = range(len(results))
    width = 0.38
    ax.bar(
        [x - width / 2 for x in xs],
        [r["direct"]["per_s"] for r in results],
        width,
        label="direct REST (httpx)",
    )
    ax.bar(
        [x + width / 2 for x in xs],
        [r["gateway"]["per_s"] for r in results],
        width,
        label="through the gateway",
    )
    for x, r in zip(xs, results, strict=True):
        ax.annotate(
            f"{r['gateway']['per_s'] / r['direct']['per_s']:.2f}x",
            (x + width / 2, r["gateway"]["per_s"]),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.set_xticks(list(xs), labels, fontsize=6, rotation=45)
    ax.set_ylabel("operations per second")
    ax.set_title(f"Fan-out sweep (upstream latency {data['latency_ms']:.0f} ms)")
    ax.legend(fontsize=8)


def _payloads(ax: Any, data: dict[str, Any]) -> None:
    rows = data["rows"]
    labels = [f"{r['frames']} frames\n{r.get('latency_ms', 0):.0f} ms" for r in rows]
    xs = range(len(rows))
    series = [
        ("rest_ms", "direct REST"),
        ("proxy_ms", "bare proxy (floor)"),
        ("gateway_ms", "gateway, FloatSeries"),
        ("list_ms", "gateway, [Float!]!"),
    ]
    series = [(key, label) for key, label in series if all(key in r for r in rows)]
    width = 0.8 / len(series)
    offsets = {key: (i - (len(series) - 1) / 2) * width for i, (key, _) in enumerate(series)}
    for key, label in series:
        ax.bar([x + offsets[key] for x in xs], [r[key] for r in rows], width, label=label)
    for x, r in zip(xs, rows, strict=True):
        ax.annotate(
            f"{r['gateway_ratio']:.2f}x",
            (x + offsets["gateway_ms"], r["gateway_ms"]),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylabel("median latency (ms)")
    ax.set_yscale("log")
    ax.set_title("Full weightlifting export (log scale)")
    ax.legend(fontsize=8)


def _subscriptions(ax: Any, data: dict[str, Any]) -> None:
    rows = data["rows"]
    labels = [f"N={r['n']}" for r in rows]
    xs = range(len(rows))
    width = 0.38
    ax.bar(
        [x - width / 2 for x in xs], [r["push_p50_s"] * 1000 for r in rows], width, label="push p50"
    )
    ax.bar(
        [x + width / 2 for x in xs], [r["push_p99_s"] * 1000 for r in rows], width, label="push p99"
    )
    ax.set_xticks(list(xs), labels)
    ax.set_ylabel("readiness to client (ms)")
    twin = ax.twinx()
    twin.plot(list(xs), [r["vmhwm_mib"] for r in rows], "ko-", label="peak RSS (MiB)")
    twin.set_ylabel("gateway peak RSS (MiB)")
    ax.set_title("Subscriptions over 100 sessions")
    ax.legend(loc="upper left", fontsize=8)
    twin.legend(loc="lower right", fontsize=8)


def main() -> None:
    panels = [
        (name, draw, data)
        for name, draw in (
            ("overhead", _overhead),
            ("payloads", _payloads),
            ("subscriptions", _subscriptions),
        )
        if (data := _load(name)) is not None
    ]
    if not panels:
        raise SystemExit("no results in bench/out/: run the benchmarks first")
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8))
    for ax, (_, draw, data) in zip(axes if len(panels) > 1 else [axes], panels, strict=True):
        draw(ax, data)
    fig.tight_layout()
    FIGURE.parent.mkdir(exist_ok=True)
    fig.savefig(FIGURE, dpi=110)
    print(f"wrote {FIGURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
