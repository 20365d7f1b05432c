"""Plot push latency as a CDF per N into docs/push-latency.png.

    .venv/bin/python bench/plot_push.py after=bench/out/subscriptions.json \\
        [before=bench/out/subscriptions-before.json]

Each argument is LABEL=PATH, a JSON written by bench/subscriptions.py; every
row of it (one N) is one curve, solid for the first file, dashed for the next.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
FIGURE = ROOT / "docs" / "push-latency.png"
STYLES = ("-", "--", ":")


def main(arguments: list[str]) -> None:
    if not arguments:
        raise SystemExit(__doc__)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    colors: dict[int, str] = {}
    for index, argument in enumerate(arguments):
        label, _, path = argument.partition("=")
        rows = json.loads(Path(path).read_text())["rows"]
        for row in rows:
            cdf = row.get("push_cdf_ms") or []
            if not cdf:
                continue
            color = colors.setdefault(row["n"], f"C{len(colors)}")
            ax.plot(
                cdf,
                range(len(cdf)),
                STYLES[index % len(STYLES)],
                color=color,
                label=f"{label}, N={row['n']:,}",
            )
    cap_ms = 1000
    ax.axvline(cap_ms, color="grey", linewidth=0.8)
    ax.text(cap_ms, 2, " poll cap (1 s)", color="grey", fontsize=8)
    ax.set_xlabel("push latency: READY at the client after the upstream turned (ms)")
    ax.set_ylabel("subscribers (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Readiness push, 100 sessions, one gateway process")
    fig.tight_layout()
    fig.savefig(FIGURE, dpi=110)
    print(f"wrote {FIGURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
