"""Read an export: inspect (the projection, the event log and the workflow's live state), the
list of exports and the event log (CONTRACT §9.4, §12)."""

import asyncio
from dataclasses import dataclass
from datetime import datetime

from domain.destinations import WaitingFor
from domain.review_work import ChangeRequest, ReviewHolder
from services.context import Context
from services.exports.live import live_state, projected_state
from services.exports.views import event_view, export_view, summary_view
from services.models.broker import AmendmentView, BrokerView
from services.models.exports import EventPage, ExportSummary, ExportView
from store import amendments, destinations, execution, exports, review_work
from store.db import Connection
from store.records import (
    ArtifactRecord,
    EventRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
)


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


@dataclass(frozen=True)
class _Stored:
    """What execution produced, as the database holds it."""

    package: PackageRecord | None
    artifacts: list[ArtifactRecord]
    submission: SubmissionRecord | None
    notifications: list[NotificationRecord]
    events: list[EventRecord]
    broker: BrokerView | None = None
    waiting_for: WaitingFor | None = None
    holder: ReviewHolder | None = None
    changes_requested: ChangeRequest | None = None


async def inspect(ctx: Context, export_id: str, *, live: bool = False) -> ExportView:
    """The export as it stands: plan, approval, package, artifacts, submission, events, workflow;
    from the projection and the event log, and with `live` the workflow's own state as well."""
    async with ctx.connect() as conn:
        export = await exports.get_export(conn, ctx.account_id, export_id)
    return await view_of(ctx, export, live=live)


async def view_of(ctx: Context, export: ExportRecord, *, live: bool = True) -> ExportView:
    """Inspect of a loaded export; with `live`, the database reads and the workflow's bounded
    `state` query run together, else the projection alone answers (no call to Temporal)."""
    if live:
        client = await ctx.temporal.client_or_none()
        stored, state = await asyncio.gather(_stored(ctx, export), live_state(client, export))
    else:
        stored, state = await _stored(ctx, export), projected_state(export)
    return export_view(
        export,
        package=stored.package,
        artifacts=stored.artifacts,
        submission=stored.submission,
        notifications=stored.notifications,
        events=stored.events,
        workflow=state.workflow,
        approval=state.approval,
        attention=state.attention,
        live=state.live,
        broker=stored.broker,
        waiting_for=stored.waiting_for,
        holder=stored.holder,
        changes_requested=stored.changes_requested,
    )


async def _stored(ctx: Context, export: ExportRecord) -> _Stored:
    export_id = export.id
    # its own pooled connection: it may run beside the workflow query
    async with ctx.runtime.pool.acquire() as conn:
        package = await execution.package_of_export(conn, export_id)
        return _Stored(
            package=package,
            artifacts=await execution.artifacts_of(conn, package.id) if package else [],
            submission=await execution.submission_of(conn, export_id),
            notifications=await execution.notifications_of(conn, export_id),
            events=await exports.latest_events(conn, export_id),
            broker=await _broker(conn, export),
            waiting_for=await _waiting_for(conn, export),
            holder=await review_work.holder_of(conn, export_id),
            changes_requested=await review_work.last_change_request(conn, export_id),
        )


async def _waiting_for(conn: Connection, export: ExportRecord) -> WaitingFor | None:
    """What the export waits for, with the destination's state as it is now (the export wrote
    the state it met when it began to wait)."""
    waiting = export.waiting_for
    if waiting is None:
        return None
    record = await destinations.get(conn, export.account_id, waiting.destination)
    if record is None:
        return waiting
    return waiting.model_copy(
        update={"state": record.breaker.state, "since": record.breaker.since or waiting.since}
    )


async def _broker(conn: Connection, export: ExportRecord) -> BrokerView | None:
    """The broker's side as the workflow last wrote it, with the submission's amendments."""
    if export.broker_side is None:
        return None
    rows = await amendments.amendments_of(conn, export.id)
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
            for a in rows
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
