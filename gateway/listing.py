"""Cursor pagination over the session-management filter endpoint (``endpoints.FILTER``).

The upstream pages with ``start_after_id`` / ``end_before_id`` and ``limit``,
but (its contract says) only when no filter is set. So there are two modes:

* unfiltered: a cursor names a session id, and each page is one upstream call
  asking for one item more than the page, to learn whether another page exists;
* filtered: the upstream ignores paging, so the gateway asks for the first
  ``offset + page + 1`` matches (bounded by ``max_scan``) and slices; a cursor
  names an offset.

``last`` without ``before`` needs the tail of the list, which the upstream can
only give by sending everything: that is done up to ``max_scan`` sessions.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.errors import BadRequest, NotFound
from gateway.ids import Activity, b64_decode, b64_encode, is_session_id
from gateway.loaders import ResourceLoader
from gateway.normalize import json_object
from gateway.upstream.client import UpstreamRequest
from gateway.upstream.endpoints import FILTER

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Page",
    "PageItem",
    "PageRequest",
    "SessionFilter",
    "fetch_page",
]

# Sessions in a page that asks for neither `first` nor `last`.
DEFAULT_PAGE_SIZE = 10
MAX_SCAN = 1000
MAX_TITLE_FILTER = 200


@dataclass(frozen=True, slots=True)
class SessionFilter:
    activity: Activity | None = None
    title: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.activity, self.title, self.date_from, self.date_to))

    def params(self) -> dict[str, str | int | bool]:
        out: dict[str, str | int | bool] = {}
        if self.activity is not None:
            out["activity"] = self.activity.label
        if self.title is not None:
            out["title"] = self.title
        if self.date_from is not None:
            out["start_date"] = self.date_from.strftime("%d/%m/%Y")
        if self.date_to is not None:
            out["end_date"] = self.date_to.strftime("%d/%m/%Y")
        return out


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class PageItem:
    session_id: str
    cursor: str
    summary: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[PageItem]
    has_next: bool
    has_previous: bool
    total: int


def _encode(kind: str, value: str) -> str:
    return b64_encode(f"{kind}:{value}")


def _decode(cursor: str, kind: str, name: str) -> str:
    try:
        got, _, value = b64_decode(cursor).partition(":")
    except (ValueError, UnicodeError, binascii.Error):
        got, value = "", ""
    if got != kind or not value or (kind == "id" and not is_session_id(value)):
        hint = " (cursors from a filtered list only work with the same filters)"
        raise BadRequest(f"`{name}` is not a cursor of this list{hint}.", field=name)
    return value


async def fetch_page(
    upstream: ResourceLoader,
    request: PageRequest,
    filters: SessionFilter,
    *,
    max_page_size: int,
) -> Page:
    _validate(request, max_page_size)
    _validate_filters(filters)
    if filters.active:
        return await _filtered(upstream, request, filters)
    return await _by_id(upstream, request)


def _validate_filters(filters: SessionFilter) -> None:
    if filters.title is not None and len(filters.title) > MAX_TITLE_FILTER:
        raise BadRequest(
            f"`title` filters by at most {MAX_TITLE_FILTER} characters.", field="title"
        )


def _validate(request: PageRequest, max_page_size: int) -> None:
    if request.first is not None and request.last is not None:
        raise BadRequest("Pass `first` or `last`, not both.", field="first")
    if request.last is not None and request.after is not None:
        # The upstream pages one way at a time: a window between two cursors
        # is not something it can answer in one call.
        raise BadRequest("`after` goes with `first`.", field="after")
    for name in ("first", "last"):
        size = getattr(request, name)
        if size is not None and not 0 <= size <= max_page_size:
            raise BadRequest(f"`{name}` must be between 0 and {max_page_size}.", field=name)


async def _call(
    upstream: ResourceLoader, params: dict[str, str | int | bool]
) -> tuple[list[tuple[str, Mapping[str, Any]]], int]:
    try:
        body = await upstream.call(UpstreamRequest.to(FILTER, params=params))
    except NotFound:
        # The upstream answers 404 for "no sessions match": an empty page.
        return [], 0
    except BadRequest as exc:
        # A well-formed cursor naming a session the upstream doesn't list (it
        # was deleted, or belongs to someone else): name the argument at fault.
        for param, name in (("start_after_id", "after"), ("end_before_id", "before")):
            if param in params:
                raise BadRequest(
                    f"`{name}` names a session that is not in this list (any more).",
                    field=name,
                ) from exc
        raise
    body = json_object(body, "The session list is not a JSON object.")
    sessions = json_object(
        body.get("sessions") or {}, "The session list's `sessions` is not an object."
    )
    items = [(str(k), v if isinstance(v, Mapping) else {}) for k, v in sessions.items()]
    count = body.get("query_count")
    total = count if isinstance(count, int) and not isinstance(count, bool) else len(items)
    return items, total


async def _by_id(upstream: ResourceLoader, request: PageRequest) -> Page:
    def page(
        items: list[tuple[str, Mapping[str, Any]]], has_next: bool, has_prev: bool, total: int
    ) -> Page:
        return Page(
            [PageItem(sid, _encode("id", sid), s) for sid, s in items], has_next, has_prev, total
        )

    if request.last is not None:
        n = request.last
        if request.before is not None:
            before = _decode(request.before, "id", "before")
            items, total = await _call(upstream, {"end_before_id": before, "limit": n + 1})
            has_prev = len(items) > n
            return page(_tail(items, n), True, has_prev, total)
        items, total = await _call(upstream, {"limit": MAX_SCAN})
        _check_scan(items, total)
        return page(_tail(items, n), False, len(items) > n, total)

    n = request.first if request.first is not None else DEFAULT_PAGE_SIZE
    params: dict[str, str | int | bool] = {"limit": n + 1}
    if request.after is not None:
        params["start_after_id"] = _decode(request.after, "id", "after")
    if request.before is not None:
        raise BadRequest("`before` goes with `last`.", field="before")
    items, total = await _call(upstream, params)
    return page(items[:n], len(items) > n, request.after is not None, total)


async def _filtered(upstream: ResourceLoader, request: PageRequest, filters: SessionFilter) -> Page:
    def page(items: list[tuple[str, Mapping[str, Any]]], start: int, stop: int, total: int) -> Page:
        chosen = items[start:stop]
        return Page(
            [PageItem(sid, _encode("at", str(start + i)), s) for i, (sid, s) in enumerate(chosen)],
            has_next=stop < max(total, len(items)),
            has_previous=start > 0,
            total=total,
        )

    params = filters.params()
    if request.last is not None:
        n = request.last
        if request.before is not None:
            end = _offset(request.before, "before")
            items, total = await _call(upstream, {**params, "limit": max(end, 1)})
            end = min(end, len(items))
            return page(items, max(0, end - n), end, total)
        items, total = await _call(upstream, {**params, "limit": MAX_SCAN})
        _check_scan(items, total)
        return page(items, max(0, len(items) - n), len(items), total)

    n = request.first if request.first is not None else DEFAULT_PAGE_SIZE
    start = _offset(request.after, "after") + 1 if request.after is not None else 0
    if request.before is not None:
        raise BadRequest("`before` goes with `last`.", field="before")
    if start + n + 1 > MAX_SCAN:
        raise BadRequest(
            f"A filtered list can be paged through its first {MAX_SCAN} sessions; "
            "narrow the filters.",
            field="after",
        )
    items, total = await _call(upstream, {**params, "limit": start + n + 1})
    return page(items, start, min(start + n, len(items)), max(total, len(items)))


def _offset(cursor: str, name: str) -> int:
    value = _decode(cursor, "at", name)
    # Offsets past the scan bound can't come from this gateway.
    if not re.fullmatch(r"[0-9]{1,6}", value) or int(value) > MAX_SCAN:
        raise BadRequest(f"`{name}` is not a cursor of this list.", field=name)
    return int(value)


def _check_scan(items: list[Any], total: int) -> None:
    if total > len(items) >= MAX_SCAN:
        raise BadRequest(
            f"`last` without `before` works on lists of up to {MAX_SCAN} sessions; "
            "page forward with `first` instead, or narrow the filters.",
            field="last",
        )


def _tail(items: list[Any], n: int) -> list[Any]:
    # Not ``items[-n:]``: that is everything for n == 0, and a plain
    # ``items[len(items) - n:]`` wraps around when the list is shorter than n.
    return items[max(0, len(items) - n) :] if n else []
