"""The top-level ``schema`` package must be this project's: refuse to start when another shadows it.

``schema`` is also the import name of an unrelated PyPI distribution (a single
module, ``schema.py``). Installed into the same ``site-packages`` as this
project, ours wins: Python's path finder takes a package directory before a
module of the same name in one directory. Found *earlier* on ``sys.path``
(``PYTHONPATH``, the user site, or ``site-packages`` ahead of an editable
install), the other one would be imported instead, and the first sign would be
an obscure ``ImportError`` somewhere in start-up. :func:`check_schema_package`,
run when ``gateway`` is imported, says what happened instead.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["SchemaShadowed", "check_schema_package"]


class SchemaShadowed(ImportError):
    """Another top-level ``schema`` comes before the gateway's own."""


def check_schema_package() -> None:
    """Raise :class:`SchemaShadowed` unless ``import schema`` finds the package
    installed beside ``gateway`` (in a wheel install and a checkout alike).

    Only looks the package up (``find_spec``): nothing is imported.
    """
    ours = Path(__file__).resolve().parent.parent / "schema" / "__init__.py"
    spec = importlib.util.find_spec("schema")
    found = spec.origin if spec is not None else None
    if found is not None and Path(found).resolve() == ours:
        return
    raise SchemaShadowed(
        f"`import schema` finds {found or 'nothing'}, not the gateway's own schema package"
        f" ({ours}). Another distribution with a top-level `schema` (PyPI's `schema`) comes"
        " first on sys.path: uninstall it (pip uninstall schema) or use a virtual"
        " environment of the gateway's own."
    )
