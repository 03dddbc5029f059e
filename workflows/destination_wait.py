"""A send that its destination holds waits for it, durably (docs/fleet-control.md).

Every side effect of the export runs through `admitted`. When the activity answers
`DestinationUnavailable` (the destination's breaker is open, or it is paused; nothing was sent),
the export records what it waits for (inspect's `waitingFor`, and `WAITING_FOR_DESTINATION` once
per wait), makes sure the destination's workflow watches it, and waits for that workflow's signal
(released, or chosen to probe) or, at the latest, `RECHECK`; then it runs the activity again, as
a new activity with its whole retry budget: waiting spends none of it and makes no attempt.

Histories recorded before fleet control never hold a `DestinationUnavailable`, so they replay
through the same commands they recorded.
"""

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.ledger import Ledger
from workflows.policies import (
    LEDGER_RETRY,
    LEDGER_TIMEOUT,
    LOCAL_RETRY_THRESHOLD,
    SIDE_EFFECT_RETRY,
    STEP_HEARTBEAT_TIMEOUT,
    STEP_TIMEOUT,
)
from workflows.state import ExportState, event

with workflow.unsafe.imports_passed_through():
    from domain.activities import ActivityName
    from domain.destinations import DestinationState, WaitingFor
    from domain.failures import ActivityFailure
    from workflows.destination_messages import WatchInput

T = TypeVar("T")
# a waiting export looks again this long after it began to wait, signal or not (longer than the
# breaker's longest backoff, so a release normally comes first)
RECHECK = timedelta(minutes=15)


class Closing(Exception):
    """A cancel was taken while the send waited: stop waiting, the run loop closes the export."""


def side_effect(export: ExportState, activity: str, arg: Any) -> Awaitable[Any]:
    """One run of a side effect's activity, with the export's whole retry budget."""
    return workflow.execute_activity(
        activity,
        arg,
        start_to_close_timeout=STEP_TIMEOUT,
        heartbeat_timeout=STEP_HEARTBEAT_TIMEOUT,
        schedule_to_close_timeout=timedelta(seconds=export.inp.retry_budget_seconds),
        retry_policy=SIDE_EFFECT_RETRY,
    )


def local_step(export: ExportState, activity: str, arg: Any) -> Awaitable[Any]:
    """One run of a step that writes only our database, as a local activity: it runs in the
    worker running the workflow task, with the same retry budget. A worker that dies in it is
    noticed by the workflow task's timeout, and the next worker runs it again (each such step is
    idempotent: docs/decisions.md)."""
    return workflow.execute_local_activity(
        activity,
        arg,
        start_to_close_timeout=STEP_TIMEOUT,
        schedule_to_close_timeout=timedelta(seconds=export.inp.retry_budget_seconds),
        retry_policy=SIDE_EFFECT_RETRY,
        local_retry_threshold=LOCAL_RETRY_THRESHOLD,
    )


def held_by(err: ActivityError) -> WaitingFor | None:
    """The destination that held the send, if that is why the activity failed."""
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        return None
    if cause.type != ActivityFailure.DESTINATION_UNAVAILABLE or not cause.details:
        return None
    detail = cause.details[0]
    since = detail.get("since")
    return WaitingFor(
        destination=detail["destination"],
        state=DestinationState(detail["state"]),
        since=datetime.fromisoformat(since) if since else None,
        waiting_since=workflow.now(),
    )


async def admitted(export: ExportState, ledger: Ledger, run: Callable[[], Awaitable[T]]) -> T:
    """Run a side effect; while its destination holds it, wait for the destination and run it
    again. A failure of any other kind is raised as it came."""
    while True:
        try:
            result = await run()
        except ActivityError as err:
            held = held_by(err)
            if held is None:
                raise
            await wait_for(export, ledger, held)
            continue
        if export.waiting_for is not None:
            export.waiting_for = None
            await ledger.transition(None, clear_waiting=True)
        return result


async def wait_for(export: ExportState, ledger: Ledger, held: WaitingFor) -> None:
    """Record the wait, have the destination's workflow watch it, wait for its signal."""
    before = export.waiting_for
    export.waiting_for = held
    export.destination_ready = False
    events = []
    if before is None or before.destination != held.destination:
        data = {
            "destination": held.destination,
            "state": held.state.value,
            "since": held.since.isoformat() if held.since else None,
            "step": export.current_step,
        }
        events.append(event("WAITING_FOR_DESTINATION", data=data))
    await ledger.transition(None, waiting_for=held, events=events)
    await workflow.execute_activity(
        ActivityName.WATCH_DESTINATION,
        WatchInput(destination=held.destination),
        start_to_close_timeout=LEDGER_TIMEOUT,
        retry_policy=LEDGER_RETRY,
    )
    with contextlib.suppress(TimeoutError):
        await workflow.wait_condition(
            lambda: export.destination_ready or export.closing is not None, timeout=RECHECK
        )
    if export.closing is not None:
        raise Closing


def ready(export: ExportState, destination: str) -> None:
    """The destination's signal: the send that waits for it may go (released, or the probe)."""
    if export.waiting_for is not None and export.waiting_for.destination == destination:
        export.destination_ready = True


__all__ = [
    "RECHECK",
    "Closing",
    "admitted",
    "held_by",
    "local_step",
    "ready",
    "side_effect",
    "wait_for",
]
