"""The export workflow's messages: updates with their validators, signals and the `state` query.

A validator refuses with `refusal_error` (the API maps its `type` to the contract's errorCode);
a refused update leaves no trace in the history. `reject`, `cancel` and `retry` only record the
decision: the run loop (workflows/export.py) writes its transition, and the update returns the
status that transition left, so callers learn the outcome from Temporal.

Signals named `reject`, `cancel` and `retry` stay beside the updates of the same names (the SDK
keeps signals and updates apart): histories recorded when these were signals keep replaying, and
callers that still signal keep working. Neither way issues a command of its own, so the run
loop's command sequence is what it was and no `workflow.patched` is needed.
"""

import contextlib

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.state import ExportState

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


def refusal_error(refusal: machine.Refusal) -> ApplicationError:
    """A validator's rejection: the API maps `type` to the contract's errorCode."""
    return ApplicationError(refusal.message, type=refusal.code, non_retryable=True)


class ExportMessages(ExportState):
    """Every message ExportWorkflow answers (the SDK collects handlers from base classes)."""

    # ---- planning and execution --------------------------------------------------------------

    @workflow.update
    async def get_plan(self) -> PlanSummary:
        """The plan, once persisted (used with update-with-start)."""
        await workflow.wait_condition(lambda: self._summary is not None and not self._planning)
        assert self._summary is not None
        return self._summary

    @workflow.update
    async def request_execution(self, req: ExecutionRequest) -> ExecutionAnswer:
        """Ask for execution; waits up to `waitSeconds` for the package and its artifacts."""
        if not self._execution_requested:
            self._execution_requested = True
            events = [self._event("EXECUTION_REQUESTED", req.actor)]
            status: ExportStatus | None = None
            if self._needs_review():
                events.append(self._event("REVIEW_REQUESTED", req.actor))
                status = S.AWAITING_APPROVAL
            await self._transition(status, events=events, execution_requested=True)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                self._execute_answered, timeout=max(req.waitSeconds, 0.001)
            )
        assert self._status is not None
        return ExecutionAnswer(
            status=self._status, awaitingApproval=self._status == S.AWAITING_APPROVAL
        )

    @request_execution.validator
    def _validate_execution(self, req: ExecutionRequest) -> None:
        if self._summary is None or self._planning:
            raise refusal_error(
                machine.Refusal("INVALID_EXPORT_STATE", "The export is being planned.")
            )
        refusal = machine.refuse_execute(self._phase, self._readiness)
        if refusal is not None:
            raise refusal_error(refusal)

    # ---- review ------------------------------------------------------------------------------

    @workflow.update
    async def approve(self, inp: ApproveInput) -> Approval:
        """A reviewer approves the current plan. Four eyes: while fewer different keys approved
        than the plan needs, the approval is PARTIALLY_APPROVED and the export keeps waiting."""
        now = workflow.now()
        approved_by = [
            *self._approval.approvedBy,
            Approver(keyId=inp.reviewer, label=inp.label, at=now, comment=inp.comment),
        ]
        required = self._approval.approvalsRequired or 1
        done = len(approved_by) >= required
        state = machine.ApprovalState.APPROVED if done else machine.ApprovalState.PARTIALLY_APPROVED
        self._approval = self._approval.model_copy(
            update={
                "state": state,
                "reviewer": inp.reviewer,
                "comment": inp.comment,
                "decidedAt": now,
                "planHash": inp.planHash,
                "label": inp.label,
                "approvedBy": approved_by,
            }
        )
        data = {
            "planHash": inp.planHash,
            "comment": inp.comment,
            "keyId": inp.reviewer,
            "label": inp.label,
            "approvalState": state.value,
            "approvals": len(approved_by),
            "approvalsRequired": required,
        }
        await self._transition(
            S.PLANNED if done and self._status == S.AWAITING_APPROVAL else None,
            approval=self._approval,
            events=[self._event("EXPORT_APPROVED", inp.reviewer, data)],
        )
        return self._approval

    @approve.validator
    def _validate_approve(self, inp: ApproveInput) -> None:
        if self._planning:
            raise refusal_error(
                machine.Refusal("INVALID_EXPORT_STATE", "The export is being re-planned.")
            )
        refusal = machine.refuse_approve(
            self._phase,
            self._readiness,
            self._approval.state,
            self._plan_hash,
            inp.planHash,
            approved_by={a.keyId for a in self._approval.approvedBy},
            key_id=inp.reviewer,
        )
        if refusal is not None:
            raise refusal_error(refusal)

    @workflow.update
    async def replan(self, inp: ReplanInput) -> PlanSummary:
        """Plan again with changed inputs (or current data); resets the approval."""
        async with self._plan_lock:
            changes = inp.model_dump(exclude_none=True, exclude={"actor"})
            self._inp = self._inp.model_copy(update=changes)
            return await self._plan(replan=True, actor=inp.actor)

    @replan.validator
    def _validate_replan(self, inp: ReplanInput) -> None:
        self._refuse_unless_open("re-plan")

    @workflow.update
    async def reject(self, inp: DecisionInput) -> ExportStatus:
        """A reviewer rejects the export (before execution); returns the status it closed in."""
        return await self._close(S.REJECTED, inp)

    @reject.validator
    def _validate_reject(self, inp: DecisionInput) -> None:
        self._refuse_unless_open("reject")

    @workflow.update
    async def cancel(self, inp: DecisionInput) -> ExportStatus:
        """The export is cancelled (before execution); returns the status it closed in."""
        return await self._close(S.CANCELLED, inp)

    @cancel.validator
    def _validate_cancel(self, inp: DecisionInput) -> None:
        self._refuse_unless_open("cancel")

    # ---- attention ---------------------------------------------------------------------------

    @workflow.update
    async def retry(self, inp: RetryInput) -> ExportStatus:
        """Resume the failed step of an export in ATTENTION_REQUIRED; returns the status once the
        retry has been taken (EXECUTING written)."""
        taken = self._retries_taken
        self._request_retry(inp.actor, inp.label)
        await workflow.wait_condition(lambda: self._retries_taken > taken)
        assert self._status is not None
        return self._status

    @retry.validator
    def _validate_retry(self, inp: RetryInput) -> None:
        # A retry is due from the moment a step has failed for good (`_attention` is set before
        # the ATTENTION_REQUIRED write, which the database may already show) until it is taken
        # (`_attention` is cleared before the EXECUTING write).
        if self._attention is not None:
            return
        raise refusal_error(machine.refuse_retry(self._status) or RETRY_TAKEN)

    # ---- signals -----------------------------------------------------------------------------

    @workflow.signal
    def broker_outcome(self, outcome: BrokerOutcome) -> None:
        """The broker acknowledged, accepted or rejected the submission (duplicates ignored)."""
        if outcome.status not in self._seen_outcomes:
            self._seen_outcomes.add(outcome.status)
            self._outcomes.append(outcome)

    # The signals reject, cancel and retry were before they became updates: kept, unchanged, so
    # that histories holding them replay and callers that still signal are heard. A signal that
    # does not apply is ignored, as it always was.

    @workflow.signal(name="reject")
    def reject_signal(self, inp: DecisionInput) -> None:
        """The `reject` signal (use the `reject` update): rejects before execution, else ignored."""
        if self._closing is None and machine.refuse_before_execution("reject", self._phase) is None:
            self._closing = (S.REJECTED, inp)

    @workflow.signal(name="cancel")
    def cancel_signal(self, inp: DecisionInput) -> None:
        """The `cancel` signal (use the `cancel` update): cancels before execution, else ignored."""
        if self._closing is None and machine.refuse_before_execution("cancel", self._phase) is None:
            self._closing = (S.CANCELLED, inp)

    @workflow.signal(name="retry")
    def retry_signal(self, inp: RetryInput) -> None:
        """The `retry` signal (use the `retry` update): retries a failed step, else ignored."""
        if self._attention is not None:
            self._request_retry(inp.actor, inp.label)

    # ---- query -------------------------------------------------------------------------------

    @workflow.query
    def state(self) -> WorkflowState:
        """The live state of the export."""
        return WorkflowState(
            exportId=self._inp.exportId,
            status=self._status,
            readinessState=self._readiness,
            planHash=self._plan_hash,
            approval=self._approval,
            executionRequested=self._execution_requested,
            attention=self._attention,
            completedSteps=list(self._completed),
            currentStep=self._current_step,
        )

    # ---- helpers -----------------------------------------------------------------------------

    def _refuse_unless_open(self, action: str) -> None:
        """reject, cancel and re-plan apply before execution starts, and not once closing."""
        refusal = machine.refuse_before_execution(action, self._phase)
        if refusal is None and self._closing is not None:
            refusal = BEING_CLOSED
        if refusal is not None:
            raise refusal_error(refusal)

    async def _close(self, status: ExportStatus, inp: DecisionInput) -> ExportStatus:
        """Decide the close and wait for the run loop to write it. An expiry whose timer fired in
        the same workflow task may win the race; the caller then learns EXPIRED."""
        self._closing = (status, inp)
        await workflow.wait_condition(lambda: self._status in machine.FINAL)
        assert self._status is not None
        return self._status

    def _request_retry(self, actor: str, label: str | None = None) -> None:
        # `_attention` is set before the ATTENTION_REQUIRED transition is written and cleared as
        # soon as a retry is taken, so a retry is neither lost nor counted twice
        self._retry_requested = True
        self._retry_actor = actor
        self._retry_label = label


__all__ = ["ExportMessages", "refusal_error"]
