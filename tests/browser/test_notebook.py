"""examples/notebook/: the partner's analysis script and its notebook, against
the real sandbox gateway (no browser)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from gql.transport.exceptions import TransportQueryError
from matplotlib.image import imread

from tests.docs_images import png_size, publish_or_compare
from tests.servers import HTTP

from .conftest import ALICE, REPO, SandboxGateway

NOTEBOOK_DIR = REPO / "examples" / "notebook"
SCRIPT = NOTEBOOK_DIR / "session_analysis.py"
NOTEBOOK = NOTEBOOK_DIR / "session_analysis.ipynb"
FIGURES = ["angles.png", "metrics.png"]


def load_module(path: Path) -> Iterator[ModuleType]:
    name = f"example_notebook_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


@pytest.fixture(scope="module")
def analysis_script() -> Iterator[ModuleType]:
    yield from load_module(SCRIPT)


@pytest.fixture(scope="module")
def builder() -> Iterator[ModuleType]:
    yield from load_module(NOTEBOOK_DIR / "build_notebook.py")


def endpoint(gateway: SandboxGateway) -> str:
    return f"{gateway.url}/graphql"


def assert_real_figure(path: Path, script: ModuleType) -> None:
    width, height = script.FIGSIZE
    assert png_size(path) == (round(width * script.DPI), round(height * script.DPI))
    assert path.stat().st_size > 10_000, f"{path.name} is nearly empty"
    pixels = imread(path)
    colors = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
    assert len(colors) > 10, f"{path.name} has {len(colors)} colors: blank"


def test_main_writes_both_figures(
    analysis_script: ModuleType, sandbox_gateway: SandboxGateway, tmp_path: Path
) -> None:
    paths = analysis_script.main(ALICE, endpoint(sandbox_gateway), tmp_path / "first")
    assert [p.name for p in paths] == FIGURES
    for path in paths:
        assert path.parent == tmp_path / "first"
        assert_real_figure(path, analysis_script)

    # The same data again: the same pixels' worth of PNG.
    again = analysis_script.main(ALICE, endpoint(sandbox_gateway), tmp_path / "second")
    for first, second in zip(paths, again, strict=True):
        assert png_size(first) == png_size(second)
        ratio = second.stat().st_size / first.stat().st_size
        assert 0.99 <= ratio <= 1.01, (first.name, ratio)
    # The figures in docs/clients.md are these (``make docs-images`` copies them there).
    for path in paths:
        publish_or_compare(path, f"notebook-{path.name}")


def test_frames_hold_every_frame_of_the_export(
    analysis_script: ModuleType, sandbox_gateway: SandboxGateway
) -> None:
    analysis = analysis_script.load(ALICE, endpoint(sandbox_gateway))
    session_id = analysis.session["id"]
    body = HTTP.post(
        endpoint(sandbox_gateway),
        json={
            "query": "query($id: ID!) { session(id: $id) { export { timestamps } } }",
            "variables": {"id": session_id},
        },
        headers={"Authorization": f"API-KEY {ALICE}"},
    ).json()
    assert "errors" not in body, body
    timestamps = body["data"]["session"]["export"]["timestamps"]
    assert len(timestamps) > 10

    for frame in (analysis.angles, analysis.keypoints):
        assert len(frame) == len(timestamps)
        assert frame.index.name == "time_s"
        assert frame.index.tolist() == timestamps
    assert len(analysis.angles.columns) > 0
    assert analysis.angles.notna().to_numpy().any()
    assert list(analysis.keypoints.columns) == analysis_script.KEYPOINTS
    assert len(analysis.metrics) > 0
    assert analysis.metrics["value"].notna().all()


def test_the_newest_session_is_the_default(
    analysis_script: ModuleType, sandbox_gateway: SandboxGateway
) -> None:
    body = HTTP.post(
        endpoint(sandbox_gateway),
        json={"query": "{ sessions(first: 1) { edges { node { id title } } } }"},
        headers={"Authorization": f"API-KEY {ALICE}"},
    ).json()
    newest = body["data"]["sessions"]["edges"][0]["node"]
    analysis = analysis_script.load(ALICE, endpoint(sandbox_gateway))
    assert analysis.session["id"] == newest["id"]
    assert analysis.title == (newest["title"] or newest["id"])


def test_an_unknown_key_is_refused(
    analysis_script: ModuleType, sandbox_gateway: SandboxGateway, tmp_path: Path
) -> None:
    with pytest.raises(TransportQueryError) as refused:
        analysis_script.main("not-a-key", endpoint(sandbox_gateway), tmp_path)
    errors: list[dict[str, Any]] = refused.value.errors or []
    assert errors, refused.value
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "API key" in errors[0]["message"]
    assert list(tmp_path.iterdir()) == []  # no figures


def test_the_notebook_is_built_from_the_script(builder: ModuleType) -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    committed = NOTEBOOK.read_text(encoding="utf-8")
    assert committed == builder.notebook_json(script), (
        "session_analysis.ipynb differs from session_analysis.py: "
        "run `python examples/notebook/build_notebook.py`"
    )

    notebook = json.loads(committed)
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    cells = notebook["cells"]
    assert [c["cell_type"] for c in cells[:2]] == ["markdown", "code"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    for cell in cells:
        assert "# %%" not in "".join(cell["source"])
    # The code cells are the script's code: every line, in order, nothing else.
    code_lines = [line for c in code for line in "".join(c["source"]).splitlines()]
    markdown = {i for i, c in enumerate(cells) if c["cell_type"] == "markdown"}
    script_code: list[str] = []
    in_markdown = False
    for line in script.splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
        elif not in_markdown:
            script_code.append(line)
    assert [x for x in code_lines if x.strip()] == [x for x in script_code if x.strip()]
    # ... and the markdown cells its comments, without their "# ".
    first = "".join(cells[min(markdown)]["source"])
    assert first.startswith("# One session's")  # a heading, once "# " is dropped
    assert not any(line.startswith("# ") for line in first.splitlines()[1:])


def test_the_builder_splits_cells(builder: ModuleType) -> None:
    script = "\n".join(
        [
            "# %% [markdown]",
            "# # Title",
            "#",
            "# Some *text*.",
            "",
            "# %%",
            "x = 1",
            "",
            "",
            "# %%",
            "def f() -> int:",
            "    # a comment stays",
            "    return x",
            "",
        ]
    )
    cells = builder.parse_cells(script)
    assert [(c.kind, c.text) for c in cells] == [
        ("markdown", "# Title\n\nSome *text*."),
        ("code", "x = 1"),
        ("code", "def f() -> int:\n    # a comment stays\n    return x"),
    ]
    text = builder.notebook_json(script)
    assert text.endswith("}\n") and text == builder.notebook_json(script)
    sources = [c["source"] for c in json.loads(text)["cells"]]
    assert sources[0] == ["# Title\n", "\n", "Some *text*."]
    with pytest.raises(ValueError, match="line 2"):
        builder.parse_cells("# %% [markdown]\nnot a comment\n")


def test_the_notebook_runs_top_to_bottom(
    sandbox_gateway: SandboxGateway,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its cells in a kernel's order: the last one runs with the settings cell's values."""
    monkeypatch.setitem(sys.modules, "ipykernel", ModuleType("ipykernel"))
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        exec(compile(source, "<cell>", "exec"), namespace)
        if "GATEWAY_URL =" in source:  # the analyst edits the settings cell
            namespace.update(GATEWAY_URL=endpoint(sandbox_gateway), API_KEY=ALICE, OUT_DIR=tmp_path)
    assert namespace["figures"] == [tmp_path / name for name in FIGURES]
    assert "Joint angles (degrees):" in capsys.readouterr().out
