"""Read an export: inspect (the projection, the event log and the workflow's live state), the
list of exports and the event log (CONTRACT §9.4, §12)."""

import asyncio
from dataclasses import dataclass
from datetime import datetime

from domain.destinations import WaitingFor
from services.context import Context
from services.exports.live import Live, live_state, projected_state
from services.exports.views import event_view, export_view, summary_view
from services.models.broker import AmendmentView, BrokerView
from services.models.exports import EventPage, ExportSummary, ExportView
from store import exports, inspection
from store.amendments import AmendmentRecord
from store.records import ExportRecord


@dataclass(frozen=True)
class ExportQuery:
    """A page of the account's exports, filtered by status and readiness."""

    status: str | None
    readiness: str | None
    after: tuple[datetime, str] | None
    limit: int


@dataclass(frozen=True)
class EventQuery:
    """A page of an export's events after a seq."""

    export_id: str
    after: int
    limit: int


@dataclass(frozen=True)
class ExportList:
    """A page of export summaries; `last` is the last row when another page may follow."""

    data: list[ExportSummary]
    last: ExportRecord | None


async def inspect(ctx: Context, export_id: str, *, live: bool = False) -> ExportView:
    """The export as it stands: plan, approval, package, artifacts, submission, events, workflow;
    from the projection and the event log, and with `live` the workflow's own state as well."""
    async with ctx.connect() as conn:
        found = await inspection.inspected(conn, ctx.account_id, export_id)
    if live:
        return _view(found, await live_state(await ctx.temporal.client_or_none(), found.export))
    return _view(found, projected_state(found.export))


async def view_of(ctx: Context, export: ExportRecord, *, live: bool = True) -> ExportView:
    """Inspect of a loaded export; with `live`, the database read and the workflow's bounded
    `state` query run together, else the projection alone answers (no call to Temporal)."""
    if live:
        client = await ctx.temporal.client_or_none()
        found, state = await asyncio.gather(_parts(ctx, export), live_state(client, export))
    else:
        found, state = await _parts(ctx, export), projected_state(export)
    return _view(found, state)


async def _parts(ctx: Context, export: ExportRecord) -> inspection.Inspected:
    # its own pooled connection: it may run beside the workflow query
    async with ctx.runtime.pool.acquire() as conn:
        return await inspection.beside(conn, export)


def _view(found: inspection.Inspected, state: Live) -> ExportView:
    export = found.export
    return export_view(
        export,
        package=found.package,
        artifacts=found.artifacts,
        submission=found.submission,
        notifications=found.notifications,
        events=found.events,
        workflow=state.workflow,
        approval=state.approval,
        attention=state.attention,
        live=state.live,
        broker=_broker(export, found.amendments),
        waiting_for=_waiting_for(export, found.destination),
        holder=found.holder,
        changes_requested=found.changes_requested,
    )


def _waiting_for(
    export: ExportRecord, destination: inspection.DestinationNow | None
) -> WaitingFor | None:
    """What the export waits for, with the destination's state as it is now (the export wrote
    the state it met when it began to wait)."""
    waiting = export.waiting_for
    if waiting is None or destination is None:
        return waiting
    return waiting.model_copy(
        update={"state": destination.state, "since": destination.since or waiting.since}
    )


def _broker(export: ExportRecord, amendments: list[AmendmentRecord]) -> BrokerView | None:
    """The broker's side as the workflow last wrote it, with the submission's amendments."""
    if export.broker_side is None:
        return None
    return BrokerView.of(
        export.broker_side,
        [
            AmendmentView(
                number=a.number,
                status=a.status,
                plan_hash=a.plan_hash,
                customs_package_id=a.customs_package_id,
                request_id=a.request_id,
                attempts=a.attempts,
                sent_at=a.sent_at,
            )
            for a in amendments
        ],
    )


async def list_exports(ctx: Context, query: ExportQuery) -> ExportList:
    """Exports of the account in creation order, filtered by status and readiness."""
    async with ctx.connect() as conn:
        rows = await exports.list_exports(
            conn, ctx.account_id, query.status, query.readiness, query.after, query.limit
        )
    last = rows[-1] if len(rows) == query.limit else None
    return ExportList([summary_view(r) for r in rows], last)


async def list_events(ctx: Context, query: EventQuery) -> EventPage:
    """Events of the export after `after` (a seq), in order."""
    async with ctx.connect() as conn:
        await exports.get_export(conn, ctx.account_id, query.export_id)
        rows = await exports.list_events(conn, query.export_id, query.after, query.limit)
    next_after = rows[-1].seq if len(rows) == query.limit else None
    return EventPage(data=[event_view(r) for r in rows], next_after=next_after)
