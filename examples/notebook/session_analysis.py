# %% [markdown]
# # One session's joint angles and metrics
#
# A partner's analysis notebook for the session gateway. It asks the gateway's
# `/graphql` endpoint for one session's summary and export in a single query,
# loads the joint angles, a few keypoints and the headline metrics into pandas,
# and draws two figures with matplotlib: `angles.png` and `metrics.png`.
#
# Its source is `session_analysis.py`, in jupytext's "percent" format, which
# also runs as a script (`python examples/notebook/session_analysis.py --help`);
# `session_analysis.ipynb` is generated from it by `build_notebook.py`.

# %%
import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from gql import Client, GraphQLRequest, gql
from gql.client import SyncClientSession
from gql.transport.httpx import HTTPXTransport
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

# %% [markdown]
# ## Settings
#
# Where the gateway is and your API key: `make run` starts one on the sandbox
# upstream, which accepts the demo key `alice-demo-key`. With `SESSION_ID = None`
# the newest of your sessions is analysed; set a session's global id to pick one.

# %%
GATEWAY_URL = "http://127.0.0.1:8000/graphql"
API_KEY = os.environ.get("SESSION_GATEWAY_KEY", "alice-demo-key")
SESSION_ID: str | None = None
# The left hip's, knee's and ankle's height in the frame (y, 0 at the top).
KEYPOINTS = ["lhipy", "lkney", "lanky"]
OUT_DIR = Path("figures")
# Every figure is FIGSIZE * DPI pixels: 1000 x 500.
FIGSIZE = (10.0, 5.0)
DPI = 100

# %% [markdown]
# ## Query
#
# One request answers the session's summary (title, activity, metrics) and its
# export: the time of each frame in seconds, every joint angle and the chosen
# keypoints, one value per frame (`null` where the analysis has none). Every
# request carries the header `Authorization: API-KEY <key>`; a key the gateway
# does not accept fails with gql's `TransportQueryError`, code `UNAUTHENTICATED`.

# %%
NEWEST_SESSION = gql(
    """
    query NewestSession {
      sessions(first: 1) { edges { node { id } } }
    }
    """
)

SESSION = gql(
    """
    query SessionAnalysis($id: ID!, $keypoints: [String!]) {
      session(id: $id) {
        id
        title
        activity
        createdAt
        metrics { name value avg min max }
        export {
          timestamps
          angles { name values }
          keypoints(names: $keypoints) { name values }
        }
      }
    }
    """
)


def connect(key: str, url: str) -> Client:
    """A gql client for the gateway whose every request carries the API key."""
    transport = HTTPXTransport(url=url, headers={"Authorization": f"API-KEY {key}"}, timeout=30)
    return Client(transport=transport)


def execute(
    session: SyncClientSession, document: GraphQLRequest, **variables: Any
) -> dict[str, Any]:
    """The operation's data; the gateway's errors raise gql's TransportQueryError."""
    result = session.execute(GraphQLRequest(document, variable_values=variables))
    assert isinstance(result, dict)
    return result


def newest_session_id(session: SyncClientSession) -> str:
    """The id of the key's newest session (the gateway lists them newest first)."""
    edges = execute(session, NEWEST_SESSION)["sessions"]["edges"]
    if not edges:
        raise LookupError("this API key has no sessions")
    node_id: str = edges[0]["node"]["id"]
    return node_id


def fetch_session(
    session: SyncClientSession, session_id: str, keypoints: list[str]
) -> dict[str, Any]:
    """The session's summary and export, in one query."""
    data = execute(session, SESSION, id=session_id, keypoints=keypoints)
    found: dict[str, Any] | None = data["session"]
    if found is None:
        raise LookupError(f"no session {session_id!r} for this API key")
    return found


# %% [markdown]
# ## Frames
#
# Three DataFrames: the joint angles and the keypoints, one column per series and
# one row per frame, indexed by time in seconds; and the headline metrics, one
# row per metric. A metric measured several times (a jump session's metrics,
# one value per jump) has no single value: its maximum stands in.


# %%
def series_frame(series: list[dict[str, Any]], timestamps: list[float] | None) -> pd.DataFrame:
    """One column per series (null -> NaN), indexed by time in seconds."""
    columns = {s["name"]: s["values"] for s in series}
    if timestamps is None:  # an export without times: number the frames instead
        return pd.DataFrame(columns, dtype="float64").rename_axis("frame")
    index = pd.Index(timestamps, dtype="float64", name="time_s")
    return pd.DataFrame(columns, index=index, dtype="float64")


def metrics_frame(metrics: list[dict[str, Any]]) -> pd.DataFrame:
    """The headline numbers: each metric's value, or its maximum when it has none."""
    rows = [
        {"name": m["name"], "value": m["value"], "source": "value"}
        if m["value"] is not None
        else {"name": m["name"], "value": m["max"], "source": "max"}
        for m in metrics
        if m["value"] is not None or m["max"] is not None
    ]
    frame = pd.DataFrame(rows, columns=["name", "value", "source"])
    return frame.astype({"value": "float64"}).set_index("name")


@dataclass
class Analysis:
    """One session, as frames."""

    session: dict[str, Any]
    angles: pd.DataFrame
    keypoints: pd.DataFrame
    metrics: pd.DataFrame

    @property
    def title(self) -> str:
        title: str = self.session["title"] or self.session["id"]
        return title


def load(
    key: str, url: str, session_id: str | None = None, keypoints: list[str] | None = None
) -> Analysis:
    """Query the session (the newest when no id is given) and build its frames."""
    with connect(key, url) as client:
        chosen = session_id or newest_session_id(client)
        found = fetch_session(client, chosen, KEYPOINTS if keypoints is None else keypoints)
    export = found["export"]
    return Analysis(
        session=found,
        angles=series_frame(export["angles"], export["timestamps"]),
        keypoints=series_frame(export["keypoints"], export["timestamps"]),
        metrics=metrics_frame(found["metrics"]),
    )


def summarize(analysis: Analysis) -> str:
    """A short, describe()-style text of the three frames."""
    s, angles = analysis.session, analysis.angles
    span = f"{angles.index.max():.1f} s" if angles.index.name == "time_s" else "frames"
    stats = ["mean", "std", "min", "max"]
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        return "\n\n".join(
            [
                f"{analysis.title} ({s['activity']}, {s['createdAt']}): "
                f"{len(angles)} frames over {span}",
                f"Joint angles (degrees):\n{angles.describe().T[stats].round(1)}",
                f"Keypoints:\n{analysis.keypoints.describe().T[stats].round(3)}",
                f"Headline metrics:\n{analysis.metrics}",
            ]
        )


# %% [markdown]
# ## Plots
#
# Figure 1 draws every joint angle over time. Figure 2 compares the headline
# metrics as horizontal bars; they come in different units and sizes (seconds
# to watts), so the axis is a symmetric log scale and each bar is labelled with
# its value. Figures are drawn with matplotlib's Agg backend at a fixed size,
# so each PNG is always FIGSIZE * DPI pixels.


# %%
def new_figure() -> Figure:
    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # rendered by Agg, whatever pyplot's backend is
    return figure


def plot_angles(angles: pd.DataFrame, title: str) -> Figure:
    figure = new_figure()
    ax = figure.subplots()
    for name in angles.columns:
        ax.plot(angles.index, angles[name], label=name, linewidth=1)
    ax.set_xlabel("time (s)" if angles.index.name == "time_s" else "frame")
    ax.set_ylabel("angle (degrees)")
    ax.set_title(f"{title}: joint angles")
    ax.grid(alpha=0.3)
    if len(angles.columns):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return figure


def plot_metrics(metrics: pd.DataFrame, title: str) -> Figure:
    figure = new_figure()
    ax = figure.subplots()
    labels = [
        f"{name} (max)" if source == "max" else str(name)
        for name, source in zip(metrics.index, metrics["source"], strict=True)
    ]
    positions = range(len(metrics))
    bars = ax.barh(positions, metrics["value"], color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:.4g}" for v in metrics["value"]], padding=3, fontsize="small")
    ax.set_yticks(positions, labels, fontsize="small")
    ax.invert_yaxis()  # the first metric on top
    ax.set_xscale("symlog", linthresh=1.0)
    if len(metrics):  # a decade more on either side of the bars, for their labels
        low, high = metrics["value"].min(), metrics["value"].max()
        ax.set_xlim(min(low, 0.0) * 10, max(high, 1.0) * 10)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("value (symmetric log scale; each metric in its own unit)")
    ax.set_title(f"{title}: headline metrics")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)  # the grid behind the bars
    return figure


def save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software" text chunk: the same data gives the same bytes.
    figure.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


# %% [markdown]
# ## Run
#
# `main` runs the steps above: query, frames, summary, figures. In Jupyter the
# last cell runs it with the settings above; as a script, with its flags
# (`--url`, `--key`, `--out`, `--id`), whose defaults are those settings.


# %%
def main(key: str, url: str, out_dir: Path, session_id: str | None = None) -> list[Path]:
    """Analyse one session (the newest when no id is given); answer the figures' paths."""
    analysis = load(key, url, session_id)
    print(summarize(analysis))
    return [
        save(plot_angles(analysis.angles, analysis.title), out_dir / "angles.png"),
        save(plot_metrics(analysis.metrics, analysis.title), out_dir / "metrics.png"),
    ]


def cli(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description="Plot one session's joint angles and metrics.")
    parser.add_argument("--url", default=GATEWAY_URL, help="the gateway's /graphql endpoint")
    parser.add_argument(
        "--key", default=API_KEY, help="API key (default: $SESSION_GATEWAY_KEY or the demo key)"
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder for the PNG files")
    parser.add_argument("--id", default=SESSION_ID, help="a session's global id (default: newest)")
    args = parser.parse_args(argv)
    paths = main(args.key, args.url, args.out, args.id)
    for path in paths:
        print(f"wrote {path}")
    return paths


if __name__ == "__main__":
    # In Jupyter the kernel's own arguments are not ours: run with the settings above.
    figures = cli([] if "ipykernel" in sys.modules else None)
