"""The settings table of ``docs/configuration.md``, rendered from the settings model.

``make settings-doc`` runs ``python -m gateway.settings_doc docs/configuration.md``,
which rewrites the table between the two marker comments; ``--check`` only
says whether it would change anything. A unit test fails when the page's
table is not what the model renders, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.config import knobs

__all__ = ["BEGIN", "END", "render_table", "replace_table"]

BEGIN = "<!-- settings-table: generated from gateway/config.py by `make settings-doc` -->"
END = "<!-- /settings-table -->"


def render_table() -> str:
    """One row per setting, in the model's order."""
    rows = [
        "| flag | environment | default | meaning |",
        "|---|---|---|---|",
    ]
    for knob in knobs():
        flag = f"`{knob.flag}`" if knob.flag else ""
        meaning = knob.description.replace("|", "\\|")
        rows.append(f"| {flag} | `{knob.variable}` | {knob.default} | {meaning} |")
    return "\n".join(rows) + "\n"


def replace_table(text: str) -> str:
    """``text`` with the table between the markers rendered anew."""
    try:
        head, rest = text.split(BEGIN + "\n", 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise ValueError(f"the markers {BEGIN!r} and {END!r} are missing") from None
    return f"{head}{BEGIN}\n\n{render_table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the Markdown file holding the markers")
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = parser.parse_args(argv)
    text = args.path.read_text()
    updated = replace_table(text)
    if args.check:
        if updated != text:
            print(f"{args.path}: the settings table is stale: run `make settings-doc`")
            return 1
        return 0
    if updated != text:
        args.path.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
