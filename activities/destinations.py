"""Fleet control of side effects (docs/fleet-control.md): the gate every send passes, and the
activities of the destination workflow.

The gate: before a send, the destination's breaker must admit it (closed, or this export is the
chosen probe); otherwise the activity fails at once with `DestinationUnavailable` (never retried
by Temporal: the workflow waits durably for the destination instead, spending no retry budget).
After the send, a transient failure is counted (enough of them open the breaker, and the send
then waits too), a permanent one is kept for the operator but not counted, a success closes.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError

from activities.errors import destination_unavailable, unexpected
from config.settings import Settings
from domain import destinations as breaker
from domain.activities import ActivityName
from domain.destinations import BreakerSettings, DestinationKind, DestinationState
from domain.failures import ActivityFailure
from observability.metrics import DESTINATION_PROBES, DESTINATION_TRANSITIONS
from store import destinations
from store.db import Connection, Pool
from store.destinations import DestinationRecord
from store.exports import database_now
from workflows.destination import DestinationWorkflow
from workflows.destination_messages import (
    POKE_SIGNAL,
    DestinationInput,
    Turn,
    TurnInput,
    WatchInput,
    destination_workflow_id,
)

PROBE_POLL_S = 2.0  # how often the destination workflow looks at a probe in flight
PAUSED_POLL_S = 5.0  # a paused destination is looked at again this often (or when poked)


def breaker_settings(settings: Settings) -> BreakerSettings:
    """The breaker's settings as configured."""
    return BreakerSettings(
        threshold=settings.breaker_threshold,
        window_s=settings.breaker_window_seconds,
        backoff_initial_s=settings.breaker_backoff_initial_seconds,
        backoff_max_s=settings.breaker_backoff_max_seconds,
        release_per_second=settings.breaker_release_per_second,
    )


@dataclass(frozen=True)
class Target:
    """The destination of one send: whose it is, of what kind, and the export sending."""

    account_id: str
    kind: DestinationKind
    ref_id: str
    export_id: str


async def apply(
    conn: Connection,
    record: DestinationRecord,
    change: breaker.Change,
    now: datetime,
    actor: str = "system",
    data: dict[str, object] | None = None,
) -> None:
    """Write a breaker decision and the destination event it makes, if any (counted)."""
    written = await destinations.record_change(conn, record, change, now, actor, dict(data or {}))
    if written is not None:
        DESTINATION_TRANSITIONS.labels(kind=record.kind.value, event=written).inc()


def send_failure(err: ApplicationError) -> ApplicationError | None:
    """The failure of the send itself behind `err`; None when nothing was sent (the destination
    held the send before it went)."""
    if err.type != ActivityFailure.DESTINATION_UNAVAILABLE:
        return err
    cause = err.__cause__
    return cause if isinstance(cause, ApplicationError) else None


class DestinationGate:
    """Admits sends and records how each went."""

    def __init__(self, pool: Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = breaker_settings(settings)

    @asynccontextmanager
    async def sending(self, target: Target) -> AsyncIterator[None]:
        """Admit the send (or fail with `DestinationUnavailable`), then record its outcome."""
        async with self.pool.acquire() as conn, conn.transaction():
            record = await destinations.lock(conn, target.account_id, target.kind, target.ref_id)
        admission = breaker.admit(record.breaker, target.export_id)
        if not admission.admitted:
            raise destination_unavailable(record.id, record.breaker)
        try:
            yield
        except ApplicationError as err:
            await self._failed(target, record.id, err, admission.probe)
            raise
        except Exception as exc:  # unexpected: counted like a transient failure
            await self._failed(target, record.id, unexpected(exc), admission.probe)
            raise
        await self._succeeded(target, admission.probe)

    async def _failed(self, target: Target, ident: str, err: ApplicationError, probe: bool) -> None:
        transient = not err.non_retryable
        async with self.pool.acquire() as conn, conn.transaction():
            record = await destinations.lock(conn, target.account_id, target.kind, target.ref_id)
            now = await database_now(conn)
            await destinations.add_failure(
                conn,
                ident,
                export_id=target.export_id,
                error_class=err.type or "Error",
                message=err.message,
                transient=transient,
                now=now,
            )
            if not transient:
                if probe:  # a refusal still answers the probe: the destination is reachable
                    await apply(conn, record, breaker.on_success(record.breaker, now), now)
                return
            change = breaker.on_failure(record.breaker, now, self.settings)
            await apply(conn, record, change, now, data={"error": err.message[:300]})
        if probe:
            DESTINATION_PROBES.labels(kind=target.kind.value, outcome="failed").inc()
        if not breaker.admit(change.breaker, target.export_id).admitted:
            # the breaker is open now: this send waits for it rather than retrying against it
            raise destination_unavailable(ident, change.breaker) from err

    async def _succeeded(self, target: Target, probe: bool) -> None:
        ident = breaker.destination_id(target.kind, target.ref_id)
        async with self.pool.acquire() as conn:
            if not probe and await destinations.settled(conn, ident):
                return  # closed with nothing counted: a success changes nothing (no lock)
        async with self.pool.acquire() as conn, conn.transaction():
            record = await destinations.lock(conn, target.account_id, target.kind, target.ref_id)
            now = await database_now(conn)
            change = breaker.on_success(record.breaker, now)
            if change.breaker != record.breaker:
                await apply(conn, record, change, now)
        if probe:
            DESTINATION_PROBES.labels(kind=target.kind.value, outcome="succeeded").inc()


class DestinationActivities:
    """The activities an export waiting for a destination, and the destination's workflow, call."""

    def __init__(self, pool: Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = breaker_settings(settings)

    @activity.defn(name=ActivityName.WATCH_DESTINATION)
    async def watch_destination(self, inp: WatchInput) -> None:
        """Make sure the destination's workflow runs (on this worker's task queue), and poke
        it (a new export waits)."""
        await watch(inp.destination, activity.info().task_queue)

    @activity.defn(name=ActivityName.DESTINATION_TURN)
    async def destination_turn(self, inp: TurnInput) -> Turn:
        """One turn of the destination's workflow (see workflows/destination.py)."""
        async with self.pool.acquire() as conn, conn.transaction():
            record = await destinations.lock_by_id(conn, inp.destination)
            if record is None:
                return _turn(DestinationState.CLOSED, ("", ""), done=True)
            now = await database_now(conn)
            return await self._turn(conn, record, inp, now)

    async def _turn(
        self, conn: Connection, record: DestinationRecord, inp: TurnInput, now: datetime
    ) -> Turn:
        b = record.breaker
        cursor = (inp.cursor_since or "", inp.cursor_export or "")
        if breaker.releases(b):
            batch = await destinations.waiting_exports(
                conn, record.id, cursor, self.settings.release_per_second
            )
            if not batch:
                return _turn(b.state, cursor, done=True)
            last = (batch[-1].since, batch[-1].export_id)
            return _turn(b.state, last, signal=[w.workflow_id for w in batch], wait=1.0)
        waiting = await destinations.waiting_exports(conn, record.id, None, 1)
        if not waiting:
            return _turn(b.state, cursor, done=True)
        if b.state == DestinationState.PAUSED:
            return _turn(b.state, cursor, wait=PAUSED_POLL_S)
        probe = waiting[0]
        change = breaker.choose_probe(b, probe.export_id, now, self.settings)
        if change is not None:
            await apply(conn, record, change, now)
            DESTINATION_PROBES.labels(kind=record.kind.value, outcome="started").inc()
            return _turn(
                change.breaker.state, cursor, signal=[probe.workflow_id], wait=PROBE_POLL_S
            )
        if b.state == DestinationState.HALF_OPEN:
            return _turn(b.state, cursor, wait=PROBE_POLL_S)
        assert b.next_probe_at is not None  # an open breaker knows when it probes
        return _turn(b.state, cursor, wait=max((b.next_probe_at - now).total_seconds(), 0.05))


def _turn(
    state: DestinationState,
    cursor: tuple[str, str],
    *,
    signal: list[str] | None = None,
    wait: float = 0.0,
    done: bool = False,
) -> Turn:
    return Turn(
        state=state,
        signal=signal or [],
        cursor_since=cursor[0] or None,
        cursor_export=cursor[1] or None,
        wait_seconds=wait,
        done=done,
    )


async def watch(destination: str, task_queue: str) -> WorkflowHandle[DestinationWorkflow, str]:
    """Start the destination's workflow unless it runs, and poke it (signal-with-start)."""
    client = activity.client()
    return await client.start_workflow(
        DestinationWorkflow.run,
        DestinationInput(destination=destination),
        id=destination_workflow_id(destination),
        task_queue=task_queue,
        start_signal=POKE_SIGNAL,
    )
