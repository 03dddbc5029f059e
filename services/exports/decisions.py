"""A person decides on an export: approve, reject, cancel, retry (CONTRACT §9.5–§9.8).

Each is a workflow update whose validator applies the same refusal as the check here; the
check here answers from the projection without a Temporal round trip, the validator settles a
race the projection could not see. The answer is the export as it stands, and whether the
workflow finished the decision within the bound (`done`; otherwise it carries on).
"""

from dataclasses import dataclass
from typing import Any

from domain import status as machine
from services.context import Intent, Runtime
from services.errors import Conflict
from services.exports import guards
from services.exports.reading import view_of
from services.temporal import WorkflowClosed, run_update
from store.records import ExportRecord
from workflows.export import ExportWorkflow
from workflows.messages import ApproveInput, DecisionInput, RetryInput


@dataclass(frozen=True)
class Decided:
    """The export after a decision; `done` when the workflow finished it within the bound."""

    view: dict[str, Any]
    done: bool


async def approve(
    rt: Runtime, intent: Intent, export_id: str, plan_hash: str, comment: str | None
) -> Decided:
    """Approve the current plan (its planHash must match); under four eyes, a key that approved
    it already is refused (409 INVALID_EXPORT_STATE with `details.approvedBy`)."""
    export = await guards.load(rt, intent.account_id, export_id)
    guards.check(
        machine.refuse_approve(
            export.status,
            export.readiness_state,
            export.approval["state"],
            export.plan_hash,
            plan_hash,
            approved_by={a.get("keyId") for a in export.approval.get("approvedBy") or []},
            key_id=intent.actor,
        ),
        export,
    )
    await guards.refuse_outdated(rt, export)
    message = ApproveInput(
        planHash=plan_hash, reviewer=intent.actor, comment=comment, label=intent.label
    )
    return await _decide(rt, intent, export, ExportWorkflow.approve, message, "approve")


async def reject(rt: Runtime, intent: Intent, export_id: str, reason: str | None) -> Decided:
    """Reject the export before execution → REJECTED."""
    export = await guards.load(rt, intent.account_id, export_id)
    guards.check(machine.refuse_before_execution("reject", export.status), export)
    message = DecisionInput(actor=intent.actor, reason=reason, label=intent.label)
    return await _decide(rt, intent, export, ExportWorkflow.reject, message, "reject")


async def cancel(rt: Runtime, intent: Intent, export_id: str, reason: str | None) -> Decided:
    """Cancel the export before execution → CANCELLED."""
    export = await guards.load(rt, intent.account_id, export_id)
    guards.check(machine.refuse_before_execution("cancel", export.status), export)
    message = DecisionInput(actor=intent.actor, reason=reason, label=intent.label)
    return await _decide(rt, intent, export, ExportWorkflow.cancel, message, "cancel")


async def retry(rt: Runtime, intent: Intent, export_id: str) -> Decided:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    export = await guards.load(rt, intent.account_id, export_id)
    guards.check(machine.refuse_retry(export.status), export)
    message = RetryInput(actor=intent.actor, label=intent.label)
    return await _decide(rt, intent, export, ExportWorkflow.retry, message, "retry")


async def _decide(
    rt: Runtime, intent: Intent, export: ExportRecord, update: Any, message: Any, kind: str
) -> Decided:
    client = await rt.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    seconds = rt.settings.temporal_call_timeout_seconds
    try:
        answer = await run_update(
            handle,
            update,
            message,
            update_id=intent.message_id(kind),
            accept_within=seconds,
            result_within=seconds,
        )
    except WorkflowClosed as exc:
        raise await guards.explained(rt, intent.account_id, export.id, guards.closed()) from exc
    except Conflict as exc:
        raise await guards.explained(rt, intent.account_id, export.id, exc) from exc
    fresh = await guards.load(rt, intent.account_id, export.id)
    return Decided(await view_of(rt, fresh), answer is not None)
