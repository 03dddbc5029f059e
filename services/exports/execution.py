"""Execute an export and record the broker's answer (CONTRACT §9.2, §9.3, §9.6, §11)."""

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from domain import status as machine
from services.context import Context, Runtime
from services.errors import BadSignature, Conflict
from services.exports import guards
from services.exports.reading import view_of
from services.models.exports import (
    BrokerOutcomeRequest,
    CallbackReceipt,
    ExecuteRequest,
    ExportView,
)
from services.temporal import WorkflowClosed, bounded, run_update
from signing import SignatureError, verify
from store.errors import NotFound
from store.reference import broker_callback_secret
from store.submissions import submission_of_broker
from workflows.export import ExportWorkflow
from workflows.messages import BrokerOutcome, ExecutionRequest

# how often the projection is read while a manually recorded broker outcome is applied
OUTCOME_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Executed:
    """The export after an execute request; `finished` when its package and artifacts exist
    and it is not waiting for an approval."""

    view: ExportView
    finished: bool


@dataclass(frozen=True)
class Outcome:
    """What a broker reports."""

    status: str
    entry_number: str | None = None
    broker_reference: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None


async def execute(ctx: Context, body: ExecuteRequest) -> Executed:
    """Ask the workflow to execute; waits a bounded time for the package and artifacts."""
    export_id = body.batch_id
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_execute(export.status, export.readiness_state), export)
    await guards.refuse_outdated(ctx, export)
    client = await ctx.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    wait = ctx.settings.execute_wait_seconds
    awaiting = False
    try:
        answer = await run_update(
            handle,
            ExportWorkflow.request_execution,
            ExecutionRequest(actor=ctx.actor, wait_seconds=wait),
            update_id=ctx.message_id("execute"),
            accept_within=ctx.settings.temporal_call_timeout_seconds,
            result_within=wait + 5,
        )
        awaiting = answer is not None and answer.awaiting_approval
    except WorkflowClosed:
        pass  # finished long ago: answer the view as it stands
    except Conflict as exc:
        raise await guards.explained(ctx, export_id, exc) from exc
    view = await view_of(ctx, await guards.load(ctx, export_id))
    done = view.customs_package_id is not None and len(view.artifacts) > 0
    return Executed(view, done and not awaiting)


async def record_outcome(ctx: Context, export_id: str, body: BrokerOutcomeRequest) -> Executed:
    """A reviewer records the answer of a broker that answers by email.

    Sent as the same signal a broker callback sends; the answer waits (bounded) for the
    export's status to move, which is when the outcome has been recorded.
    """
    outcome = Outcome(status=body.status, entry_number=body.entry_number, reason=body.reason)
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_broker_outcome(export.status), export)
    client = await ctx.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    seconds = ctx.settings.temporal_call_timeout_seconds
    try:
        await bounded(
            handle.signal(ExportWorkflow.broker_outcome, _message(outcome, ctx.actor)), seconds
        )
    except WorkflowClosed as exc:
        raise await guards.explained(ctx, export_id, guards.closed()) from exc
    fresh = export
    for _ in range(max(1, int(seconds / OUTCOME_POLL_SECONDS))):
        fresh = await guards.load(ctx, export_id)
        if fresh.status != export.status:
            break
        await asyncio.sleep(OUTCOME_POLL_SECONDS)
    return Executed(await view_of(ctx, fresh), fresh.status != export.status)


async def verify_callback_signature(
    rt: Runtime, broker_id: str, raw: bytes, signature: str | None
) -> None:
    """Check a broker callback's signature with the broker's secret (401 otherwise)."""
    async with rt.pool.acquire() as conn:
        secret = await broker_callback_secret(conn, broker_id)
    try:
        if secret is None:
            raise SignatureError("mismatch", "the broker has no webhook secret")
        verify(secret, raw, signature, int(time.time()))
    except SignatureError as exc:
        raise BadSignature(exc.reason) from exc


async def export_of_submission(rt: Runtime, broker_id: str, submission_id: str) -> str:
    """The export a broker's submission belongs to (404 for another broker's or none)."""
    async with rt.pool.acquire() as conn:
        export_id = await submission_of_broker(conn, submission_id, broker_id)
    if export_id is None:
        raise NotFound("brokerSubmission")
    return export_id


async def broker_callback(
    rt: Runtime,
    broker_id: str,
    raw: bytes,
    signature: str | None,
    parse: Callable[[bytes], tuple[str, Outcome]],
) -> CallbackReceipt:
    """A signed broker callback: verify it, then hand the outcome to the export's workflow.

    `parse` turns the verified body into (submissionId, Outcome) or raises; a closed export is
    final already, so a late duplicate is accepted and ignored.
    """
    await verify_callback_signature(rt, broker_id, raw, signature)
    submission_id, outcome = parse(raw)
    export_id = await export_of_submission(rt, broker_id, submission_id)
    client = await rt.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, f"export-{export_id}")
    with suppress(WorkflowClosed):
        await bounded(
            handle.signal(ExportWorkflow.broker_outcome, _message(outcome, f"broker:{broker_id}")),
            rt.settings.temporal_call_timeout_seconds,
        )
    return CallbackReceipt(received=True, submission_id=submission_id, status=outcome.status)


def _message(outcome: Outcome, actor: str) -> BrokerOutcome:
    return BrokerOutcome(
        status=outcome.status,  # type: ignore[arg-type]
        entry_number=outcome.entry_number,
        broker_reference=outcome.broker_reference,
        reason=outcome.reason,
        occurred_at=outcome.occurred_at,
        actor=actor,
    )
