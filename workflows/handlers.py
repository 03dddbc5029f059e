"""What the export workflow's messages do: the bodies of its updates, validators, signals and
`state` query (ExportWorkflow in workflows/export.py declares them and calls these).

A validator refuses with `refusal_error` (the API maps its `type` to the contract's errorCode);
a refused update leaves no trace in the history. `reject`, `cancel` and `retry` only record the
decision: the run loop (workflows/lifecycle.py) writes its transition, and the update returns the
status that transition left, so callers learn the outcome from Temporal.
"""

import contextlib

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.ledger import Ledger
from workflows.state import ExportState, event, once

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.status import ExportStatus as S
    from workflows.messages import (
        Approval,
        ApproveInput,
        Approver,
        BrokerOutcome,
        DecisionInput,
        ExecutionAnswer,
        ExecutionRequest,
        ExportStatus,
        PlanSummary,
        ReplanInput,
        RetryInput,
        WorkflowState,
    )

BEING_CLOSED = machine.Refusal("INVALID_EXPORT_STATE", "The export is being closed.")
RETRY_TAKEN = machine.Refusal("INVALID_EXPORT_STATE", "The retry has already been taken.")
AMENDING = machine.Refusal(
    "INVALID_EXPORT_STATE",
    "The export was sent; its new plan answers the broker and can only be approved.",
)


def refusal_error(refusal: machine.Refusal) -> ApplicationError:
    """A validator's rejection: the API maps `type` to the contract's errorCode."""
    return ApplicationError(refusal.message, type=refusal.code, non_retryable=True)


# ---- planning and execution ------------------------------------------------------------------


async def get_plan(export: ExportState) -> PlanSummary:
    await workflow.wait_condition(lambda: export.summary is not None and not export.planning)
    assert export.summary is not None
    return export.summary


async def request_execution(
    export: ExportState, ledger: Ledger, req: ExecutionRequest
) -> ExecutionAnswer:
    if not export.execution_requested and export.may_start_at_once():
        # nothing stands between the request and the steps: EXECUTING is written at once, and
        # the run loop goes on from it without a transition of its own (EXECUTE_AT_ONCE_PATCH)
        export.execution_requested = True
        export.execution_started = True
        export.started_by_request = True
        await ledger.transition(
            S.EXECUTING,
            events=[once("EXECUTION_REQUESTED", "execute", req.actor)],
            execution_requested=True,
            local=True,
        )
    elif not export.execution_requested:
        export.execution_requested = True
        events = [event("EXECUTION_REQUESTED", req.actor)]
        status: ExportStatus | None = None
        if export.needs_review():
            events.append(event("REVIEW_REQUESTED", req.actor))
            status = S.AWAITING_APPROVAL
        await ledger.transition(status, events=events, execution_requested=True)
    with contextlib.suppress(TimeoutError):
        await workflow.wait_condition(export.execute_answered, timeout=max(req.wait_seconds, 0.001))
    assert export.status is not None
    return ExecutionAnswer(
        status=export.status, awaiting_approval=export.status == S.AWAITING_APPROVAL
    )


def validate_execution(export: ExportState) -> None:
    if export.summary is None or export.planning:
        raise refusal_error(machine.Refusal("INVALID_EXPORT_STATE", "The export is being planned."))
    refusal = machine.refuse_execute(export.phase, export.readiness)
    if refusal is not None:
        raise refusal_error(refusal)


# ---- review ----------------------------------------------------------------------------------


async def approve(export: ExportState, ledger: Ledger, inp: ApproveInput) -> Approval:
    now = workflow.now()
    approved_by = [
        *export.approval.approved_by,
        Approver(key_id=inp.reviewer, label=inp.label, at=now, comment=inp.comment),
    ]
    required = export.approval.approvals_required or 1
    done = len(approved_by) >= required
    state = machine.ApprovalState.APPROVED if done else machine.ApprovalState.PARTIALLY_APPROVED
    export.approval = export.approval.model_copy(
        update={
            "state": state,
            "reviewer": inp.reviewer,
            "comment": inp.comment,
            "decided_at": now,
            "plan_hash": inp.plan_hash,
            "label": inp.label,
            "approved_by": approved_by,
        }
    )
    data = {
        "planHash": inp.plan_hash,
        "comment": inp.comment,
        "keyId": inp.reviewer,
        "label": inp.label,
        "approvalState": state.value,
        "approvals": len(approved_by),
        "approvalsRequired": required,
    }
    # an answer's new plan, approved, goes on to its amendment from where it stands
    back_to_planned = done and export.status == S.AWAITING_APPROVAL and not export.broker.amending
    await ledger.transition(
        S.PLANNED if back_to_planned else None,
        approval=export.approval,
        events=[event("EXPORT_APPROVED", inp.reviewer, data)],
    )
    return export.approval


def validate_approve(export: ExportState, inp: ApproveInput) -> None:
    if export.planning:
        raise refusal_error(
            machine.Refusal("INVALID_EXPORT_STATE", "The export is being re-planned.")
        )
    refusal = machine.refuse_approve(
        export.phase,
        export.readiness,
        export.approval.state,
        export.plan_hash,
        inp.plan_hash,
        approved_by={a.key_id for a in export.approval.approved_by},
        key_id=inp.reviewer,
    )
    if refusal is not None:
        raise refusal_error(refusal)


async def replan(export: ExportState, ledger: Ledger, inp: ReplanInput) -> PlanSummary:
    async with ledger.plan_lock:
        # attribute names, not wire names: model_copy takes the former
        changes = inp.model_dump(by_alias=False, exclude_none=True, exclude={"actor"})
        export.inp = export.inp.model_copy(update=changes)
        return await ledger.plan(replan=True, actor=inp.actor)


def refuse_unless_open(export: ExportState, action: str) -> None:
    """reject, cancel and re-plan apply before execution starts, and not once closing."""
    refusal = machine.refuse_before_execution(action, export.phase)
    if refusal is None and export.closing is not None:
        refusal = BEING_CLOSED
    if refusal is None and export.broker.amending:
        refusal = AMENDING
    if refusal is not None:
        raise refusal_error(refusal)


SENT = machine.Refusal(
    "INVALID_EXPORT_STATE",
    "The broker has the submission: the export can no longer be cancelled.",
)
RUNNING = machine.Refusal(
    "INVALID_EXPORT_STATE",
    "Execution is running: cancel an export once a step is held (ATTENTION_REQUIRED, or "
    "waiting for its destination).",
)


def validate_cancel(export: ExportState) -> None:
    """Before execution as reject; during execution only while a step is held and the broker
    has nothing (docs/fleet-control.md)."""
    if not export.execution_started:
        refuse_unless_open(export, "cancel")
        return
    if export.closing is not None or export.final:
        raise refusal_error(BEING_CLOSED)
    if "send" in export.completed:
        raise refusal_error(SENT)
    if export.attention is None and export.waiting_for is None:
        raise refusal_error(RUNNING)


async def close(export: ExportState, status: ExportStatus, inp: DecisionInput) -> ExportStatus:
    """Decide the close and wait for the run loop to write it. An expiry whose timer fired in
    the same workflow task may win the race; the caller then learns EXPIRED."""
    export.closing = (status, inp)
    await workflow.wait_condition(lambda: export.status in machine.FINAL)
    assert export.status is not None
    return export.status


# ---- attention -------------------------------------------------------------------------------


async def retry(export: ExportState, inp: RetryInput) -> ExportStatus:
    taken = export.retries_taken
    export.request_retry(inp.actor, inp.label)
    await workflow.wait_condition(lambda: export.retries_taken > taken)
    assert export.status is not None
    return export.status


def validate_retry(export: ExportState) -> None:
    # A retry is due from the moment a step has failed for good (`attention` is set before the
    # ATTENTION_REQUIRED write, which the database may already show) until it is taken
    # (`attention` is cleared before the EXECUTING write).
    if export.attention is not None:
        return
    raise refusal_error(machine.refuse_retry(export.status) or RETRY_TAKEN)


# ---- signals ---------------------------------------------------------------------------------


def broker_outcome(export: ExportState, outcome: BrokerOutcome) -> None:
    if outcome.status not in export.seen_outcomes:
        export.seen_outcomes.add(outcome.status)
        export.outcomes.append(outcome)


def close_signal(
    export: ExportState, action: str, status: ExportStatus, inp: DecisionInput
) -> None:
    """The `reject` and `cancel` signals: close before execution, else ignored."""
    if export.closing is None and machine.refuse_before_execution(action, export.phase) is None:
        export.closing = (status, inp)


def retry_signal(export: ExportState, inp: RetryInput) -> None:
    """The `retry` signal: retries a failed step, else ignored."""
    if export.attention is not None:
        export.request_retry(inp.actor, inp.label)


# ---- query -----------------------------------------------------------------------------------


def snapshot(export: ExportState) -> WorkflowState:
    return WorkflowState(
        export_id=export.inp.export_id,
        status=export.status,
        readiness_state=export.readiness,
        plan_hash=export.plan_hash,
        approval=export.approval,
        execution_requested=export.execution_requested,
        attention=export.attention,
        completed_steps=list(export.completed),
        current_step=export.current_step,
        following_broker=export.broker.running,
    )


__all__ = ["refusal_error"]
