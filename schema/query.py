"""Root query: sessions by id, and the paginated, filterable session list."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, cast

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from gateway.errors import BadRequest, UpstreamBadResponse
from gateway.ids import Activity as ActivityValue
from gateway.listing import (
    DEFAULT_PAGE_SIZE,
    Page,
    PageItem,
    PageRequest,
    SessionFilter,
    fetch_page,
)
from gateway.sessions import SessionRef
from schema.analyses import SESSION_REPORTS, RunningTotals, load_report, running_totals
from schema.context import Ctx, charge_output, upstream_of
from schema.incremental import deferred
from schema.refs import ActivityArg, IdArg, resolve_ref
from schema.types import Activity, Node, Session, session_type

__all__ = ["PageInfo", "Query", "SessionConnection", "SessionEdge"]


# What a session in a list costs the output budget beyond its series: its
# scalar fields, keys and punctuation, about.
_ITEM_BYTES = 512

# Fields answered without the session's details: the id's own parts, and the
# export, which is a call of its own.
_WITHOUT_DETAILS = frozenset({"id", "sessionId", "activity", "__typename", "export"})


_SESSION_CONDITIONS = frozenset({"Node", "Session"})


def _selected_names(info: Ctx, type_name: str) -> set[str]:
    """Field names selected on a session of type ``type_name``, through fragments.

    Read off the operation's syntax tree, one level deep: Strawberry's
    ``info.selected_fields`` would convert the whole subtree, arguments and
    directives included, on every session resolved. A fragment deferred
    (``@defer``) where the answer comes in parts is left out: its fields are
    resolved in a later part, and nothing of them may hold up the first.
    """
    raw = info._raw_info  # graphql-core's own info: the field's nodes, the fragments
    names: set[str] = set()
    conditions = _SESSION_CONDITIONS | {type_name}
    seen: set[str] = set()
    in_parts = info.context.incremental
    # Strawberry's info holds the coerced values (graphql-core's, the pair).
    values: Any = raw.variable_values
    variables: dict[str, Any] = getattr(values, "coerced", values)

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif in_parts and deferred(selection.directives, variables):
                continue
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value in conditions:
                    visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = raw.fragments.get(selection.name.value)
                if fragment is not None and fragment.type_condition.name.value in conditions:
                    visit(fragment.selection_set)

    for node in raw.field_nodes:
        visit(node.selection_set)
    return names


async def _load(info: Ctx, ref: SessionRef) -> Session:
    """The session, once the caller is proven to see it, so that one it can't is
    NOT_FOUND even when only its id was selected.

    Everything the selection reads is requested at once, in one wave: the
    proof is a call the selection needs anyway (the details, or for an
    export-only query the export), and the reports it selects start beside
    it, each failing only its own field.
    """
    charge_output(_ITEM_BYTES)
    session = session_type(ref)
    upstream = upstream_of(info)
    names = _selected_names(info, type(session).__name__)
    reports = {name for name in names if (ref.activity, name) in SESSION_REPORTS}
    for name in reports:
        prefetch = asyncio.ensure_future(
            load_report(ref, info, SESSION_REPORTS[ref.activity, name])
        )
        # Its field awaits it; if the session turns out not to exist, nobody
        # does, and its error must not be reported as never retrieved.
        prefetch.add_done_callback(_retrieve)
    proofs = []
    if "export" in names:
        proofs.append(ref.export(upstream))
    if not proofs or names - _WITHOUT_DETAILS - reports:
        proofs.append(ref.details(upstream))
    if len(proofs) == 1:
        await proofs[0]  # nearly always: no gather (a task and a future) for one
    else:
        await asyncio.gather(*proofs)
    return session


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


@strawberry.type(description="Where a page stands in the whole list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More sessions follow this page.")
    has_previous_page: bool = strawberry.field(description="Sessions come before this page.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge.")


@strawberry.type(description="A session in a list, with its cursor.")
class SessionEdge:
    item: strawberry.Private[PageItem]

    @strawberry.field(description="Pass to `after` or `before` to page from this session.")
    def cursor(self) -> str:
        return self.item.cursor

    @strawberry.field(
        description="The session. Null, with an error, if the upstream sent one it can't type."
    )
    def node(self) -> Session | None:
        activity = ActivityValue.from_label(self.item.summary.get("activity"))
        if activity is None:
            raise UpstreamBadResponse(
                f"Session {self.item.session_id} has an unknown activity "
                f"{str(self.item.summary.get('activity'))[:40]!r}."
            )
        charge_output(_ITEM_BYTES)
        # The caller's own listing says whose session it is and its activity.
        return session_type(
            SessionRef(activity, self.item.session_id, self.item.summary, proven=True)
        )


@strawberry.type(description="A page of sessions (Relay connection), newest first.")
class SessionConnection:
    page: strawberry.Private[Page]

    @strawberry.field(description="The sessions of this page, each with its cursor.")
    def edges(self) -> list[SessionEdge]:
        return [SessionEdge(item=item) for item in self.page.items]

    @strawberry.field(description="The sessions of this page, without cursors.")
    def nodes(self) -> list[Session | None]:
        return [SessionEdge(item=item).node() for item in self.page.items if _typed(item)]

    @strawberry.field(description="Where this page stands.")
    def page_info(self) -> PageInfo:
        items = self.page.items
        return PageInfo(
            has_next_page=self.page.has_next,
            has_previous_page=self.page.has_previous,
            start_cursor=items[0].cursor if items else None,
            end_cursor=items[-1].cursor if items else None,
        )

    @strawberry.field(description="How many sessions match, over all pages.")
    def total_count(self) -> int:
        return self.page.total


def _typed(item: PageItem) -> bool:
    return ActivityValue.from_label(item.summary.get("activity")) is not None


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id (Relay).")
    async def node(self, info: Ctx, id: strawberry.ID) -> Node | None:
        return await _load(info, resolve_ref(id, None))

    @strawberry.field(
        description=(
            "Several objects by global id, fetched concurrently. One that fails is "
            "null, with its error; the others are returned."
        )
    )
    async def nodes(self, info: Ctx, ids: list[strawberry.ID]) -> list[Node | None]:
        limit = info.context.services.settings.max_page_size
        if len(ids) > limit:
            raise BadRequest(f"Ask for at most {limit} ids at once.", field="ids")

        async def one(id: str) -> Node:
            return await _load(info, resolve_ref(id, None))

        # graphql-core awaits list items concurrently and reports a failure at
        # its own index, so one bad id nulls only its own entry; concurrent
        # loads land in one loader batch.
        return cast(list[Node | None], [one(i) for i in ids])

    @strawberry.field(description="One session, by global id or by upstream id and activity.")
    async def session(self, info: Ctx, id: IdArg, activity: ActivityArg = None) -> Session | None:
        return await _load(info, resolve_ref(id, activity))

    @strawberry.field(
        description=(
            "The caller's sessions, newest first, as a Relay connection. Filters "
            "narrow the list; `first`/`after` page forward, `last`/`before` back."
        )
    )
    async def sessions(
        self,
        info: Ctx,
        first: Annotated[
            int | None, strawberry.argument(description=f"Page size (default {DEFAULT_PAGE_SIZE}).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Page after this cursor.")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="Last sessions of the list.")
        ] = None,
        before: Annotated[
            str | None, strawberry.argument(description="Page before this cursor.")
        ] = None,
        activity: Annotated[
            Activity | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only sessions of this sport."),
        ] = None,
        title: Annotated[
            str | None, strawberry.argument(description="Titles containing this, any case.")
        ] = None,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="Created on or after.")
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Created on or before.")] = None,
    ) -> SessionConnection:
        page = await fetch_page(
            upstream_of(info),
            PageRequest(first=first, after=after, last=last, before=before),
            SessionFilter(activity=activity, title=title, date_from=from_, date_to=to),
            max_page_size=info.context.services.settings.max_page_size,
        )
        return SessionConnection(page=page)

    @strawberry.field(
        description=(
            "Totals over all the caller's running sessions: averages, and the newest "
            "session's statistics. Null when the caller has no running session."
        )
    )
    async def running_totals(self, info: Ctx) -> RunningTotals | None:
        return await running_totals(info)
