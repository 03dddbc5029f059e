"""A person decides on an export: approve, reject, cancel, retry (CONTRACT §9.5–§9.8).

Each is a workflow update whose validator applies the same refusal as the check here; the
check here answers from the projection without a Temporal round trip, the validator settles a
race the projection could not see. The answer is the export as it stands, and whether the
workflow finished the decision within the bound (`done`; otherwise it carries on).
"""

from dataclasses import dataclass
from typing import Any

from domain import status as machine
from services.context import Context
from services.errors import Conflict
from services.exports import guards
from services.exports.reading import view_of
from services.models.exports import (
    ApproveRequest,
    CancelRequest,
    ExportView,
    RejectRequest,
    RetryRequest,
)
from services.temporal import WorkflowClosed, run_update
from store import review_work
from store.records import ExportRecord
from workflows.export import ExportWorkflow
from workflows.messages import ApproveInput, DecisionInput, RetryInput


@dataclass(frozen=True)
class Decided:
    """The export after a decision; `done` when the workflow finished it within the bound."""

    view: ExportView
    done: bool


async def approve(ctx: Context, export_id: str, body: ApproveRequest) -> Decided:
    """Approve the current plan (its planHash must match); under four eyes, a key that approved
    it already is refused (409 INVALID_EXPORT_STATE with `details.approvedBy`)."""
    plan_hash = body.plan_hash
    export = await guards.load(ctx, export_id)
    await _refuse_while_changes_requested(ctx, export)
    guards.check(
        machine.refuse_approve(
            export.status,
            export.readiness_state,
            export.approval.state,
            export.plan_hash,
            plan_hash,
            approved_by={a.key_id for a in export.approval.approved_by},
            key_id=ctx.actor,
        ),
        export,
    )
    await guards.refuse_outdated(ctx, export)
    message = ApproveInput(
        plan_hash=plan_hash, reviewer=ctx.actor, comment=body.comment, label=ctx.label
    )
    return await _decide(ctx, export, ExportWorkflow.approve, message, "approve")


async def reject(ctx: Context, export_id: str, body: RejectRequest) -> Decided:
    """Reject the export before execution → REJECTED."""
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_before_execution("reject", export.status), export)
    message = DecisionInput(actor=ctx.actor, reason=body.reason, label=ctx.label)
    return await _decide(ctx, export, ExportWorkflow.reject, message, "reject")


async def cancel(ctx: Context, export_id: str, body: CancelRequest) -> Decided:
    """Cancel the export before execution, or while a step that sent nothing to the broker is
    held (ATTENTION_REQUIRED, or waiting for its destination) → CANCELLED."""
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_cancel(export.status), export)
    message = DecisionInput(actor=ctx.actor, reason=body.reason, label=ctx.label)
    return await _decide(ctx, export, ExportWorkflow.cancel, message, "cancel")


async def retry(ctx: Context, export_id: str, body: RetryRequest) -> Decided:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_retry(export.status), export)
    message = RetryInput(actor=ctx.actor, label=ctx.label)
    return await _decide(ctx, export, ExportWorkflow.retry, message, "retry")


async def _refuse_while_changes_requested(ctx: Context, export: ExportRecord) -> None:
    """A plan a reviewer asked changes of is not approved: the plan that answers them is."""
    async with ctx.connect() as conn:
        asked = await review_work.open_change_request(conn, export.id)
    if asked is not None and asked.plan_hash == export.plan_hash:
        raise Conflict(
            "INVALID_EXPORT_STATE",
            "Changes were requested of this plan: approve the plan that answers them.",
            details={
                "status": export.status,
                "changesRequestedBy": asked.label or asked.requested_by,
                "reasonCodes": asked.reason_codes,
            },
        )


async def _decide(
    ctx: Context, export: ExportRecord, update: Any, message: Any, kind: str
) -> Decided:
    client = await ctx.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    seconds = ctx.settings.temporal_call_timeout_seconds
    try:
        answer = await run_update(
            handle,
            update,
            message,
            update_id=ctx.message_id(kind),
            accept_within=seconds,
            result_within=seconds,
        )
    except WorkflowClosed as exc:
        raise await guards.explained(ctx, export.id, guards.closed()) from exc
    except Conflict as exc:
        raise await guards.explained(ctx, export.id, exc) from exc
    fresh = await guards.load(ctx, export.id)
    return Decided(await view_of(ctx, fresh), answer is not None)
