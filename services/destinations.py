"""The destinations of an account and their breakers (docs/fleet-control.md): the list, one with
its events, and the operator's pause and resume.

Pause and resume are the domain's decisions (`domain.destinations.pause`, `resume`) written with
the event they make, on the caller's transaction, the destination's row locked meanwhile; a
decision that changes nothing (pausing a paused destination, resuming one that is not paused)
writes nothing. After a resume the destination's workflow is poked (signal-with-start) so that
the exports waiting for it go at once; that is best effort: without Temporal the resume still
holds, and each waiting export looks again by itself within `workflows.destination_wait.RECHECK`.
The poke may leave before the transaction commits: the workflow's turn locks the same row, so it
reads the destination once the resume is committed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import destinations as breaker
from domain.destinations import DestinationKind, parse_destination_id
from observability.metrics import DESTINATION_TRANSITIONS
from services.context import Context
from services.models.fleet import (
    DestinationDetail,
    DestinationEvent,
    DestinationFailure,
    DestinationList,
    DestinationView,
    PauseRequest,
)
from services.temporal import bounded
from store import destinations, fleet
from store.db import Connection, Queries
from store.destinations import DestinationRecord
from store.errors import NotFound
from store.exports import database_now
from store.fleet import Owner
from workflows.destination import DestinationWorkflow
from workflows.destination_messages import POKE_SIGNAL, DestinationInput, destination_workflow_id

log = logging.getLogger("entrygo.destinations")
RECENT_FAILURES = 5
RECENT_EVENTS = 50
# how the 404 names what is missing, by kind
RESOURCE = {
    DestinationKind.BROKER: "broker",
    DestinationKind.WAREHOUSE: "warehouse",
    DestinationKind.WEBHOOK: "webhookEndpoint",
}


@dataclass(frozen=True)
class DestinationRef:
    """A destination named by what it belongs to: `broker`/`br_…`."""

    kind: DestinationKind
    ref_id: str


def _view(
    owner: Owner,
    record: DestinationRecord | None,
    failures: list[DestinationFailure],
    waiting: int,
) -> DestinationView:
    b = record.breaker if record is not None else breaker.Breaker()
    return DestinationView(
        destination_id=breaker.destination_id(owner.kind, owner.ref_id),
        kind=owner.kind,
        ref_id=owner.ref_id,
        name=owner.name,
        state=b.state,
        since=b.since,
        next_probe_at=b.next_probe_at,
        paused_reason=b.paused_reason,
        paused_by=b.paused_by,
        last_error=record.last_error if record is not None else None,
        recent_failures=failures,
        waiting_exports=waiting,
    )


async def _failures(conn: Queries, ident: str) -> list[DestinationFailure]:
    return [
        DestinationFailure(
            at=f.at,
            export_id=f.export_id,
            error_class=f.error_class,
            message=f.message,
            transient=f.transient,
        )
        for f in await destinations.recent_failures(conn, ident, RECENT_FAILURES)
    ]


async def _one(conn: Queries, account_id: str, owner: Owner) -> DestinationView:
    ident = breaker.destination_id(owner.kind, owner.ref_id)
    record = await destinations.get(conn, account_id, ident)
    failures = await _failures(conn, ident) if record is not None else []
    waiting = (await destinations.waiting_counts(conn, account_id)).get(ident, 0)
    return _view(owner, record, failures, waiting)


async def _owner(conn: Queries, account_id: str, ref: DestinationRef) -> Owner:
    found = await fleet.owner(conn, account_id, ref.kind, ref.ref_id)
    if found is None:
        raise NotFound(RESOURCE[ref.kind])
    return found


async def list_destinations(ctx: Context) -> DestinationList:
    """Every broker, warehouse and webhook endpoint of the account as a destination (CLOSED
    when no send to it ever failed)."""
    async with ctx.connect() as conn:
        owners = await fleet.owners(conn, ctx.account_id)
        records = {r.id: r for r in await destinations.list_for_account(conn, ctx.account_id)}
        waiting = await destinations.waiting_counts(conn, ctx.account_id)
        views = []
        for owner in owners:
            ident = breaker.destination_id(owner.kind, owner.ref_id)
            record = records.get(ident)
            failures = await _failures(conn, ident) if record is not None else []
            views.append(_view(owner, record, failures, waiting.get(ident, 0)))
    return DestinationList(data=views)


async def get_destination(ctx: Context, destination_id: str) -> DestinationDetail:
    """One destination with its recent events, oldest first (404 for an id that is not one of
    the account's destinations)."""
    try:
        kind, ref_id = parse_destination_id(destination_id)
    except ValueError as exc:
        raise NotFound("destination") from exc
    async with ctx.connect() as conn:
        owner = await fleet.owner(conn, ctx.account_id, kind, ref_id)
        if owner is None:
            raise NotFound("destination")
        view = await _one(conn, ctx.account_id, owner)
        events = await destinations.events_of(conn, view.destination_id, RECENT_EVENTS)
    return DestinationDetail(
        **view.model_dump(),
        events=[
            DestinationEvent(
                id=e["id"],
                type=e["type"],
                occurred_at=e["occurred_at"],
                actor=e["actor"],
                data=e["data"],
            )
            for e in events
        ],
    )


async def pause_destination(
    ctx: Context, ref: DestinationRef, body: PauseRequest
) -> DestinationView:
    """Hold every send to the destination, with a reason (`DESTINATION_PAUSED`); pausing a
    paused destination changes nothing."""
    async with ctx.transaction() as conn:
        owner = await _owner(conn, ctx.account_id, ref)
        record = await destinations.lock(conn, ctx.account_id, ref.kind, ref.ref_id)
        now = await database_now(conn)
        change = breaker.pause(record.breaker, body.reason, ctx.actor, now)
        if change.event is not None:
            data = {"reason": body.reason, "label": ctx.label}
            await _record(conn, record, change, now, ctx.actor, data)
        return await _one(conn, ctx.account_id, owner)


async def resume_destination(ctx: Context, ref: DestinationRef) -> DestinationView:
    """Let sends go again: CLOSED with a clean slate (`DESTINATION_RESUMED`), and the exports
    waiting for it released. It ends a pause, and it closes an open breaker at once (the
    operator knows the destination is back before the next probe would); resuming a closed
    destination changes nothing."""
    async with ctx.transaction() as conn:
        owner = await _owner(conn, ctx.account_id, ref)
        # no row yet: CLOSED, nothing to resume and nothing to write
        record = await destinations.lock_by_id(conn, breaker.destination_id(ref.kind, ref.ref_id))
        if record is None:
            return await _one(conn, ctx.account_id, owner)
        now = await database_now(conn)
        change = breaker.resume(record.breaker, now)
        if change.event is not None:
            data = {
                "label": ctx.label,
                "from": record.breaker.state.value,
                "pausedReason": record.breaker.paused_reason,
            }
            await _record(conn, record, change, now, ctx.actor, data)
        view = await _one(conn, ctx.account_id, owner)
    if change.event is not None:
        await _poke(ctx, record.id)
    return view


async def _record(
    conn: Connection,
    record: DestinationRecord,
    change: breaker.Change,
    now: datetime,
    actor: str,
    data: dict[str, Any],
) -> None:
    """An operator's decision written with its event, and counted."""
    written = await destinations.record_change(conn, record, change, now, actor, data)
    if written is not None:
        DESTINATION_TRANSITIONS.labels(kind=record.kind.value, event=written).inc()


async def _poke(ctx: Context, ident: str) -> None:
    """Start the destination's workflow unless it runs, and poke it: it releases the exports
    waiting for the destination. Best effort (see the module's docstring)."""
    seconds = ctx.settings.temporal_call_timeout_seconds
    client = await ctx.temporal.client_or_none(seconds)
    if client is None:
        log.warning("could not poke the workflow of %s: Temporal is unreachable", ident)
        return
    try:
        await bounded(
            client.start_workflow(
                DestinationWorkflow.run,
                DestinationInput(destination=ident),
                id=destination_workflow_id(ident),
                task_queue=ctx.settings.task_queue,
                start_signal=POKE_SIGNAL,
            ),
            seconds,
        )
    except Exception:
        log.warning("could not poke the workflow of %s", ident, exc_info=True)
