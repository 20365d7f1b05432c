"""Build session_analysis.ipynb from session_analysis.py (jupytext's "percent" format).

    python examples/notebook/build_notebook.py          # (re)write the .ipynb
    python examples/notebook/build_notebook.py --check  # exit 1 if it is out of date

Cells start at `# %%` lines; `# %% [markdown]` starts a markdown cell, whose
`# ` comment prefixes are dropped. Code cells are the script's lines as they
are, with no outputs. The JSON is nbformat 4 with sorted keys, cell ids from
their position and a trailing newline, so the same script always gives the
same bytes. Needs nothing but the standard library.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "session_analysis.py"
NOTEBOOK = HERE / "session_analysis.ipynb"

_MARKER = re.compile(r"^# %%(?P<rest>.*)$")

METADATA: dict[str, Any] = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


@dataclass(frozen=True)
class Cell:
    kind: str  # "code" or "markdown"
    text: str  # the cell's source, without its marker or surrounding blank lines


def _trim(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines)


def _uncomment(lines: list[str], number: int) -> list[str]:
    """A markdown cell's lines without their `# ` (or a bare `#`)."""
    text = []
    for offset, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            raise ValueError(f"line {number + offset}: a markdown cell's lines start with '#'")
        text.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return text


def parse_cells(script: str) -> list[Cell]:
    """The script's cells, in order; text before the first marker is a code cell."""
    cells: list[Cell] = []
    kind, start = "code", 1
    body: list[str] = []
    lines = script.splitlines()

    def close() -> None:
        text = _trim(_uncomment(body, start) if kind == "markdown" else body)
        if text:
            cells.append(Cell(kind, text))

    for number, line in enumerate(lines, start=1):
        marker = _MARKER.match(line)
        if marker is None:
            body.append(line)
            continue
        close()
        kind = "markdown" if "[markdown]" in marker["rest"] else "code"
        start, body = number + 1, []
    close()
    return cells


def _source(text: str) -> list[str]:
    """nbformat's multi-line string: one item per line, each but the last with its newline."""
    return text.splitlines(keepends=True)


def _cell_json(index: int, cell: Cell) -> dict[str, Any]:
    common = {"id": f"cell-{index:02d}", "metadata": {}, "source": _source(cell.text)}
    if cell.kind == "markdown":
        return {"cell_type": "markdown", **common}
    return {"cell_type": "code", "execution_count": None, "outputs": [], **common}


def notebook_json(script: str) -> str:
    """The notebook's JSON text for a percent-format script."""
    notebook = {
        "cells": [_cell_json(i, cell) for i, cell in enumerate(parse_cells(script))],
        "metadata": METADATA,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the .ipynb is current")
    args = parser.parse_args(argv)
    wanted = notebook_json(SCRIPT.read_text(encoding="utf-8"))
    current = NOTEBOOK.read_text(encoding="utf-8") if NOTEBOOK.exists() else None
    if args.check:
        if current != wanted:
            print(f"{NOTEBOOK.name} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        NOTEBOOK.write_text(wanted, encoding="utf-8")
        print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
