"""The shapes the per-session analysis and report bodies share.

Each report is a small JSON document. Several hold texts or image URLs keyed
by name and language (``{"hip_height": {"en": url, "ru": url}}``); a caller
asks for one language and gets it, or a fallback when that one is missing.
Everything here is total, like :mod:`gateway.normalize`: odd input is
skipped, never raised on, so one bad entry can't fail a report.

The report endpoints themselves are in :mod:`gateway.upstream.endpoints`; some are
POSTs that the contract documents as reads ("retrieve or generate"), loaded
like GETs, once per operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.normalize import to_float, to_text

__all__ = [
    "LANGUAGES",
    "Localized",
    "localized",
    "to_int",
    "translations",
]

# The languages the upstream writes reports in, in fallback order.
LANGUAGES = ("en", "ru")


@dataclass(frozen=True, slots=True)
class Localized:
    """One named text or URL in the language served, which may be a fallback."""

    name: str
    value: str
    language: str


def translations(value: Any) -> dict[str, str]:
    """``{"en": ..., "ru": ...}`` with the non-empty strings only."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if to_text(v) is not None}


def localized(raw: Any, language: str) -> list[Localized]:
    """One entry per name of ``{name: {language: text}}``, in ``language`` if it has it,
    else English, else any language it has; names with no text at all are left out."""
    if not isinstance(raw, Mapping):
        return []
    out: list[Localized] = []
    for name, value in raw.items():
        texts = translations(value)
        if not texts:
            # Some bodies give one string where others give translations.
            single = to_text(value)
            if single is not None:
                out.append(Localized(str(name), single, LANGUAGES[0]))
            continue
        for choice in (language, *LANGUAGES, *texts):
            if choice in texts:
                out.append(Localized(str(name), texts[choice], choice))
                break
    return out


def to_int(value: Any) -> int | None:
    """An int from a number or numeric string ("25"), else ``None``."""
    number = to_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)
