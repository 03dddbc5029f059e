"""Read an export: inspect (the projection, the event log and the workflow's live state), the
list of exports and the event log (CONTRACT §9.4, §12)."""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.context import Runtime
from services.exports.live import live_state
from services.exports.views import event_view, export_view, summary_view
from store import execution, exports
from store.records import ExportRecord


@dataclass(frozen=True)
class ExportList:
    """A page of export summaries; `last` is the last row when another page may follow."""

    data: list[dict[str, Any]]
    last: ExportRecord | None


@dataclass(frozen=True)
class EventList:
    """A page of events; `next_after` is the seq to continue from, if more may follow."""

    data: list[dict[str, Any]]
    next_after: int | None


async def inspect(rt: Runtime, account_id: str, export_id: str) -> dict[str, Any]:
    """The export as it stands: plan, approval, package, artifacts, submission, events, workflow."""
    async with rt.pool.acquire() as conn:
        export = await exports.get_export(conn, account_id, export_id)
    return await view_of(rt, export)


async def view_of(rt: Runtime, export: ExportRecord) -> dict[str, Any]:
    """Inspect of a loaded export: the database reads and the workflow query run together."""
    client = await rt.temporal.client_or_none()
    stored, live = await asyncio.gather(_stored(rt, export.id), live_state(client, export))
    return export_view(export, **stored, workflow=live.workflow, live=live.state)


async def _stored(rt: Runtime, export_id: str) -> dict[str, Any]:
    async with rt.pool.acquire() as conn:
        package = await execution.package_of_export(conn, export_id)
        return {
            "package": package,
            "artifacts": await execution.artifacts_of(conn, package.id) if package else [],
            "submission": await execution.submission_of(conn, export_id),
            "notifications": await execution.notifications_of(conn, export_id),
            "events": await exports.latest_events(conn, export_id),
        }


async def list_exports(
    rt: Runtime,
    account_id: str,
    *,
    status: str | None,
    readiness: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> ExportList:
    """Exports of the account in creation order, filtered by status and readiness."""
    async with rt.pool.acquire() as conn:
        rows = await exports.list_exports(conn, account_id, status, readiness, after, limit)
    return ExportList([summary_view(r) for r in rows], rows[-1] if len(rows) == limit else None)


async def list_events(
    rt: Runtime, account_id: str, export_id: str, *, after: int, limit: int
) -> EventList:
    """Events of the export after `after` (a seq), in order."""
    async with rt.pool.acquire() as conn:
        await exports.get_export(conn, account_id, export_id)
        rows = await exports.list_events(conn, export_id, after, limit)
    return EventList([event_view(r) for r in rows], rows[-1].seq if len(rows) == limit else None)
