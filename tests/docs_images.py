"""The pictures in docs/ are the ones their generators make today.

A test that makes a picture (a page's screenshot, a notebook's figure) writes it
to a temporary folder and compares it with the copy in docs/: the same width and
height, and a file size within a quarter of it (a PNG's bytes move a little with
anti-aliasing and timing; a changed page or figure moves them far more). Under
``make docs-images`` (``SCREENSHOTS=1``) the test writes into docs/ instead.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

__all__ = ["DOCS", "assert_like_docs", "png_size", "publish_or_compare", "regenerating"]

DOCS = Path(__file__).resolve().parents[1] / "docs"
_PNG = b"\x89PNG\r\n\x1a\n"


def regenerating() -> bool:
    """True under ``make docs-images``: pictures go to docs/ itself."""
    return bool(os.environ.get("SCREENSHOTS"))


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == _PNG and head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def publish_or_compare(made: Path, name: str) -> None:
    """Under ``make docs-images`` copy ``made`` to docs/<name>; else compare it with that."""
    if regenerating():
        shutil.copyfile(made, DOCS / name)
    else:
        assert_like_docs(made, name)


def assert_like_docs(made: Path, name: str, tolerance: float = 0.25) -> None:
    """``made`` matches docs/<name>: dimensions equal, size within ``tolerance``."""
    published = DOCS / name
    assert published.is_file(), f"docs/{published.name} is missing: run `make docs-images`"
    assert png_size(made) == png_size(published), (
        f"docs/{published.name} is {png_size(published)}, its generator makes {png_size(made)} "
        "today: run `make docs-images`"
    )
    ratio = made.stat().st_size / published.stat().st_size
    assert 1 - tolerance <= ratio <= 1 + tolerance, (
        f"docs/{published.name}: {published.stat().st_size} bytes, its generator makes "
        f"{made.stat().st_size} today: run `make docs-images`"
    )
