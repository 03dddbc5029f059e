"""The operator's bulk decisions (docs/fleet-control.md): the groups of stuck exports, and retry
or cancel for a selection of them (ids, or one group).

Each export of a selection goes through the same use case as its own route
(`services.exports.decisions.retry`, `cancel`), so the refusals, the workflow updates and the
events are the same; each export's outcome is reported on its own and one refusal never stops
the rest. An export that merely waits for its destination is not retried: it goes on when the
destination does (resume it, or wait for its probe). A dry run retries nothing: it says, for each
export, which step would be sent again, under which idempotency key the receiver sees it, and
which attempt it would be.

Selections run a few exports at a time; they borrow pooled connections one by one and hold none
meanwhile (the update of each export waits on its workflow, not on the database).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from domain import operations as ops
from domain import status as machine
from domain.operations import Stuck
from domain.status import ExportStatus
from services.context import Context
from services.errors import ServiceError, Unavailable
from services.exports import decisions, guards
from services.models.exports import CancelRequest, RetryRequest
from services.models.fleet import (
    MAX_SELECTION,
    CancelOperation,
    ExportOutcome,
    ExportRef,
    FailureGroup,
    FailureGroups,
    OperationResult,
    Outcome,
    RetryOperation,
)
from store import amendments, execution, fleet
from store.errors import NotFound
from store.records import ExportRecord

log = logging.getLogger("entrygo.operations")
# exports decided at the same time: each holds a Temporal update, not a connection
CONCURRENCY = 8


@dataclass(frozen=True)
class _Selected:
    """The export ids chosen, and how each is stuck (absent: not stuck, or not the account's)."""

    export_ids: list[str]
    stuck: dict[str, Stuck]


async def failures(ctx: Context) -> FailureGroups:
    """The account's stuck exports grouped by destination and error class, largest first."""
    async with ctx.connect() as conn:
        stuck = await fleet.stuck_exports(conn, ctx.account_id)
    return FailureGroups(
        data=[
            FailureGroup(
                group=g.group,
                destination=g.destination,
                error_class=g.error_class,
                count=g.count,
                oldest=ExportRef(export_id=g.oldest_export_id, since=g.oldest_since),
                sample_message=g.sample_message,
                export_ids=list(g.export_ids),
            )
            for g in ops.group(stuck)
        ]
    )


async def _select(ctx: Context, export_ids: list[str] | None, group: str | None) -> _Selected:
    async with ctx.connect() as conn:
        stuck = {s.export_id: s for s in await fleet.stuck_exports(conn, ctx.account_id)}
    if export_ids is not None:
        return _Selected(export_ids, stuck)
    assert group is not None  # the request model asks for exactly one of them
    return _Selected(ops.members_of(stuck.values(), group, MAX_SELECTION), stuck)


async def retry_exports(ctx: Context, body: RetryOperation) -> OperationResult:
    """Retry each selected export in ATTENTION_REQUIRED; report those that wait for their
    destination as `waiting`; with `dryRun`, say what would be sent again and change nothing."""
    selected = await _select(ctx, body.export_ids, body.group)

    async def one(export_id: str) -> ExportOutcome:
        stuck = selected.stuck.get(export_id)
        if stuck is not None and ops.is_waiting(stuck):
            return _waiting(stuck)
        if body.dry_run:
            return await _preview(ctx, export_id)
        sent = RetryRequest()
        return await _decided(export_id, "retried", lambda: decisions.retry(ctx, export_id, sent))

    results = await _each(ctx, selected.export_ids, one)
    return _result("retry", body.dry_run, body.group, results)


async def cancel_exports(ctx: Context, body: CancelOperation) -> OperationResult:
    """Cancel each selected export through the export's own cancel (its refusals reported per
    export)."""
    selected = await _select(ctx, body.export_ids, body.group)
    sent = CancelRequest(reason=body.reason)

    async def one(export_id: str) -> ExportOutcome:
        return await _decided(
            export_id, "cancelled", lambda: decisions.cancel(ctx, export_id, sent)
        )

    results = await _each(ctx, selected.export_ids, one)
    return _result("cancel", False, body.group, results)


async def _each(
    ctx: Context, export_ids: list[str], one: Callable[[str], Awaitable[ExportOutcome]]
) -> list[ExportOutcome]:
    """`one` for every export, a few at a time (one at a time on a held connection), in order."""
    gate = asyncio.Semaphore(1 if ctx.conn is not None else CONCURRENCY)

    async def bounded_one(export_id: str) -> ExportOutcome:
        async with gate:
            return await one(export_id)

    return list(await asyncio.gather(*(bounded_one(i) for i in export_ids)))


async def _decided(
    export_id: str, done: Outcome, call: Callable[[], Awaitable[decisions.Decided]]
) -> ExportOutcome:
    """The outcome of one export's decision: `done`, or why not."""
    try:
        decided = await call()
    except NotFound as exc:
        return _not_found(export_id, exc)
    except Unavailable as exc:
        return ExportOutcome(
            export_id=export_id, outcome="failed", error_code=exc.code, message=exc.message
        )
    except ServiceError as exc:
        return ExportOutcome(
            export_id=export_id,
            outcome="refused",
            status=_status((exc.details or {}).get("status")),
            error_code=exc.code,
            message=exc.message,
        )
    except Exception:  # one export's surprise must not stop the others
        log.exception("operation on export %s failed", export_id)
        return ExportOutcome(
            export_id=export_id,
            outcome="failed",
            error_code="INTERNAL_ERROR",
            message="The operation failed unexpectedly; try again.",
        )
    return ExportOutcome(export_id=export_id, outcome=done, status=decided.view.status)


def _not_found(export_id: str, exc: NotFound) -> ExportOutcome:
    # an export of another account is answered as a missing one (CONTRACT §2)
    return ExportOutcome(
        export_id=export_id,
        outcome="refused",
        error_code="NOT_FOUND",
        message=f"{exc.resource} not found.",
    )


def _status(value: object) -> ExportStatus | None:
    """The status a refusal names in its details, if it names one."""
    try:
        return ExportStatus(str(value)) if value is not None else None
    except ValueError:
        return None


def _waiting(stuck: Stuck) -> ExportOutcome:
    return ExportOutcome(
        export_id=stuck.export_id,
        outcome="waiting",
        destination=stuck.waiting_for,
        message=(
            f"Waits for {stuck.waiting_for} ({stuck.destination_state}); it goes on when the "
            "destination takes sends again."
        ),
    )


async def _preview(ctx: Context, export_id: str) -> ExportOutcome:
    """What a retry of the export would send again, read from the store; nothing changes."""
    try:
        export = await guards.load(ctx, export_id)
    except NotFound as exc:
        return _not_found(export_id, exc)
    refusal = machine.refuse_retry(export.status)
    if refusal is not None:
        return ExportOutcome(
            export_id=export_id,
            outcome="refused",
            status=export.status,
            error_code=refusal.code,
            message=refusal.message,
        )
    return await _what_is_resent(ctx, export)


async def _what_is_resent(ctx: Context, export: ExportRecord) -> ExportOutcome:
    """The step of the export's attention, the key its receiver sees and the attempt it is."""
    assert export.attention is not None  # an export in ATTENTION_REQUIRED says why
    step = export.attention.step
    key: str | None = None
    attempt: int | None = None
    async with ctx.connect() as conn:
        submission = await execution.submission_of(conn, export.id)
        if step in ops.WAREHOUSE_STEPS:
            notifications = await execution.notifications_of(conn, export.id)
            if notifications:
                key, attempt = notifications[-1].id, notifications[-1].attempts + 1
        elif step in ops.BROKER_STEPS and submission is not None:
            key, attempt = submission.id, submission.attempts + 1
            rows = await amendments.amendments_of(conn, export.id)
            if step in ("amendment", "resend", "acknowledge") and rows:
                latest = max(rows, key=lambda a: a.number)
                key = ops.amendment_key(submission.id, latest.number)
                attempt = latest.attempts + 1
    return ExportOutcome(
        export_id=export.id,
        outcome="would_retry",
        status=export.status,
        destination=ops.step_destination(step, export.broker_id, export.warehouse_id),
        step=step,
        idempotency_key=key,
        attempt=attempt,
    )


def _result(
    action: Literal["retry", "cancel"],
    dry_run: bool,
    group: str | None,
    results: list[ExportOutcome],
) -> OperationResult:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return OperationResult(
        action=action, dry_run=dry_run, group=group, counts=counts, results=results
    )
