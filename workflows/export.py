"""ExportWorkflow: plan → wait for execution and approval → execute → wait for the broker.

Orchestration only. Every transition is written by the `record_transition` activity; every side
effect is an activity with a named retry policy. Time comes from `workflow.now()`.
"""

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.failures import NON_RETRYABLE
    from domain.status import ExportStatus as S
    from workflows.messages import (
        Approval,
        ApproveInput,
        Attention,
        BrokerOutcome,
        DecisionInput,
        EventSpec,
        ExecutionAnswer,
        ExecutionRequest,
        ExportInput,
        ExportStatus,
        PlanExportInput,
        PlanSummary,
        ReplanInput,
        RetryInput,
        StepInput,
        TransitionInput,
        WorkflowState,
    )

# The ledger must eventually write: a database outage only delays it.
LEDGER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10)
)
# Planning reads the database: a short outage is retried, a long one fails the plan (the API
# answers 503). Backoffs over LOCAL_RETRY_THRESHOLD wait on workflow timers rather than inside
# the worker, so a worker can shut down while planning keeps failing.
PLANNING_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=8,
)
PLANNING_BUDGET = timedelta(minutes=2)
LOCAL_RETRY_THRESHOLD = timedelta(seconds=1)
# Side effects retry with backoff until the export's retry budget (schedule-to-close) is spent;
# a rejected document or a bad address does not get better by retrying.
SIDE_EFFECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=15),
    non_retryable_error_types=list(NON_RETRYABLE),
)
LEDGER_TIMEOUT = timedelta(seconds=30)
PLANNING_TIMEOUT = timedelta(seconds=60)
STEP_TIMEOUT = timedelta(seconds=60)
# steps heartbeat every second: a worker that dies mid-step is noticed after this long
STEP_HEARTBEAT_TIMEOUT = timedelta(seconds=5)

# (step, activity name, event written when the step fails for good)
STEPS: tuple[tuple[str, str], ...] = (
    ("package", "create_customs_package"),
    ("artifacts", "generate_artifacts"),
    ("submission", "prepare_broker_submission"),
    ("send", "send_broker_submission"),
    ("notify", "notify_warehouse"),
)
OUTCOME_EVENTS = {
    "ACKNOWLEDGED": "BROKER_ACKNOWLEDGED",
    "ACCEPTED": "BROKER_ACCEPTED",
    "REJECTED": "BROKER_REJECTED",
}


def refusal_error(refusal: machine.Refusal) -> ApplicationError:
    """A validator's rejection: the API maps `type` to the contract's errorCode."""
    return ApplicationError(refusal.message, type=refusal.code, non_retryable=True)


@workflow.defn
class ExportWorkflow:
    """One export, from its plan to the broker's outcome."""

    @workflow.init
    def __init__(self, inp: ExportInput) -> None:
        self._inp = inp
        self._summary: PlanSummary | None = None
        self._status: ExportStatus | None = None
        self._approval = Approval(state=machine.ApprovalState.NOT_REQUIRED)
        self._execution_requested = False
        self._attention: Attention | None = None
        self._closing: tuple[ExportStatus, DecisionInput] | None = None
        self._retry_requested = False
        self._retry_actor = "system"
        self._outcomes: list[BrokerOutcome] = []
        self._seen_outcomes: set[str] = set()
        self._completed: list[str] = []
        self._current_step: str | None = None
        self._planning = False
        self._execution_started = False
        self._final = False  # a closing transition (expired, rejected, cancelled) has begun
        self._transitions = 0
        self._ledger_lock = asyncio.Lock()
        self._plan_lock = asyncio.Lock()

    # ---- run ---------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ExportInput) -> str:
        """Drive the export to a final or resting status; returns it."""
        async with self._plan_lock:
            try:
                await self._plan(replan=False, actor=inp.actor)
            except ActivityError as err:
                raise ApplicationError(
                    f"planning failed: {err.cause or err}",
                    type="PlanningFailed",
                    non_retryable=True,
                ) from err
        while True:
            if not await self._wait_for_execution():
                return await self._finish()
            # From here on no re-plan, approval, rejection or cancellation is accepted; one that
            # was accepted just before must finish, and the plan it leaves must still be executable.
            self._execution_started = True
            await workflow.wait_condition(
                lambda: not self._planning and not self._plan_lock.locked()
            )
            if machine.may_execute(self._readiness, self._approval.state) and self._closing is None:
                break
            self._execution_started = False
        await self._execute()
        await self._follow_up()
        return await self._finish()

    async def _finish(self) -> str:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return str(self._status)

    async def _wait_for_execution(self) -> bool:
        """True when execution may start; False when the export closed before it."""

        def settled() -> bool:
            if self._closing is not None:
                return True
            return (
                self._execution_requested
                and not self._planning
                and machine.may_execute(self._readiness, self._approval.state)
            )

        while True:
            assert self._summary is not None
            deadline = self._summary.plannedAt + timedelta(seconds=self._inp.planTtlSeconds)
            remaining = (deadline - workflow.now()).total_seconds()
            if remaining <= 0 and not self._planning:
                self._final = True
                await self._transition(S.EXPIRED, events=[self._event("EXPORT_EXPIRED")])
                return False
            try:
                await workflow.wait_condition(settled, timeout=max(remaining, 0.001))
            except TimeoutError:
                continue
            if self._closing is not None:
                self._final = True
                status, decision = self._closing
                event = "EXPORT_REJECTED" if status == S.REJECTED else "EXPORT_CANCELLED"
                approval = None
                if status == S.REJECTED:
                    approval = self._approval = Approval(
                        state=machine.ApprovalState.REJECTED,
                        reviewer=decision.actor,
                        comment=decision.reason,
                        decidedAt=workflow.now(),
                        planHash=self._plan_hash,
                    )
                await self._transition(
                    status,
                    approval=approval,
                    events=[self._event(event, decision.actor, {"reason": decision.reason})],
                )
                return False
            return True

    async def _execute(self) -> None:
        await self._transition(S.EXECUTING)
        while True:
            failure = await self._run_steps()
            if failure is None:
                break
            step, error_type, message = failure
            self._attention = Attention(
                step=step, errorType=error_type, error=message, at=workflow.now()
            )
            events = [self._event("ATTENTION_REQUIRED", data={"step": step, "error": message})]
            if step == "send":
                events.insert(0, self._event("BROKER_SUBMISSION_FAILED", data={"error": message}))
            await self._transition(S.ATTENTION_REQUIRED, attention=self._attention, events=events)
            await workflow.wait_condition(lambda: self._retry_requested)
            self._retry_requested = False
            self._attention = None
            await self._transition(
                S.EXECUTING,
                clear_attention=True,
                events=[self._event("RETRY_REQUESTED", self._retry_actor)],
            )
        await self._transition(S.EXECUTED, events=[self._event("EXPORT_EXECUTED")])

    async def _run_steps(self) -> tuple[str, str | None, str] | None:
        """Run the steps not yet done; the first that fails for good is returned."""
        assert self._summary is not None
        for step, activity in STEPS:
            if step in self._completed:
                continue
            self._current_step = step
            try:
                await workflow.execute_activity(
                    activity,
                    StepInput(exportId=self._inp.exportId, planHash=self._summary.planHash),
                    start_to_close_timeout=STEP_TIMEOUT,
                    heartbeat_timeout=STEP_HEARTBEAT_TIMEOUT,
                    schedule_to_close_timeout=timedelta(seconds=self._inp.retryBudgetSeconds),
                    retry_policy=SIDE_EFFECT_RETRY,
                )
            except ActivityError as err:
                self._current_step = None
                cause = err.cause
                if isinstance(cause, ApplicationError):
                    return step, cause.type, cause.message
                return step, type(cause).__name__ if cause else None, str(cause or err)
            self._completed.append(step)
        self._current_step = None
        return None

    async def _follow_up(self) -> None:
        """Record the broker's answers until it accepts or rejects, or the window closes."""
        deadline = workflow.now() + timedelta(seconds=self._inp.ackWindowSeconds)
        while self._status not in machine.BROKER_DONE:
            remaining = (deadline - workflow.now()).total_seconds()
            if remaining <= 0:
                return
            try:
                await workflow.wait_condition(lambda: bool(self._outcomes), timeout=remaining)
            except TimeoutError:
                return
            outcome = self._outcomes.pop(0)
            status: ExportStatus | None = None
            if outcome.status == "ACCEPTED":
                status = S.COMPLETED
            elif outcome.status == "REJECTED":
                status = S.BROKER_REJECTED
            data = outcome.model_dump(mode="json", exclude_none=True, exclude={"actor"})
            await self._transition(
                status,
                broker_outcome=outcome,
                events=[self._event(OUTCOME_EVENTS[outcome.status], outcome.actor, data)],
            )

    # ---- planning ----------------------------------------------------------------------------

    async def _plan(self, *, replan: bool, actor: str) -> PlanSummary:
        self._planning = True
        # under the ledger lock: a transition in flight (an approval of the previous plan) is
        # written before the new plan, never on top of it
        await self._ledger_lock.acquire()
        try:
            self._transitions += 1
            summary: PlanSummary = await workflow.execute_local_activity(
                "plan_export",
                PlanExportInput(
                    exportId=self._inp.exportId,
                    accountId=self._inp.accountId,
                    warehouseId=self._inp.warehouseId,
                    brokerId=self._inp.brokerId,
                    destinationCountry=self._inp.destinationCountry,
                    orderIds=self._inp.orderIds,
                    actor=actor,
                    planDate=workflow.now(),
                    replan=replan,
                    dedupeKey=f"t{self._transitions}",
                ),
                result_type=PlanSummary,
                start_to_close_timeout=PLANNING_TIMEOUT,
                schedule_to_close_timeout=PLANNING_BUDGET,
                retry_policy=PLANNING_RETRY,
                local_retry_threshold=LOCAL_RETRY_THRESHOLD,
            )
        finally:
            self._ledger_lock.release()
            self._planning = False
        self._summary = summary
        self._status = summary.status
        self._approval = Approval(state=machine.approval_for(summary.readinessState))
        if self._execution_requested and self._needs_review():
            await self._transition(
                S.AWAITING_APPROVAL, events=[self._event("REVIEW_REQUESTED", actor)]
            )
        return summary

    # ---- ledger ------------------------------------------------------------------------------

    def _event(
        self, kind: str, actor: str = "system", data: dict[str, Any] | None = None
    ) -> EventSpec:
        # the dedupe key is completed with the transition number inside `_transition`
        return EventSpec(type=kind, dedupeKey=kind, actor=actor, data=data or {})

    async def _transition(
        self,
        status: ExportStatus | None,
        *,
        events: list[EventSpec] | None = None,
        approval: Approval | None = None,
        attention: Attention | None = None,
        clear_attention: bool = False,
        execution_requested: bool | None = None,
        broker_outcome: BrokerOutcome | None = None,
    ) -> None:
        async with self._ledger_lock:
            self._transitions += 1
            number = self._transitions
            keyed = [
                e.model_copy(update={"dedupeKey": f"t{number}:{e.dedupeKey}"}) for e in events or []
            ]
            await workflow.execute_activity(
                "record_transition",
                TransitionInput(
                    exportId=self._inp.exportId,
                    status=status,
                    approval=approval,
                    attention=attention,
                    clearAttention=clear_attention,
                    executionRequested=execution_requested,
                    brokerOutcome=broker_outcome,
                    events=keyed,
                    occurredAt=workflow.now(),
                ),
                start_to_close_timeout=LEDGER_TIMEOUT,
                retry_policy=LEDGER_RETRY,
            )
            if status is not None and self._status not in machine.FINAL:
                self._status = status

    # ---- messages ----------------------------------------------------------------------------

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

    @workflow.update
    async def approve(self, inp: ApproveInput) -> Approval:
        """A reviewer approves the current plan."""
        self._approval = Approval(
            state=machine.ApprovalState.APPROVED,
            reviewer=inp.reviewer,
            comment=inp.comment,
            decidedAt=workflow.now(),
            planHash=inp.planHash,
        )
        await self._transition(
            S.PLANNED if self._status == S.AWAITING_APPROVAL else None,
            approval=self._approval,
            events=[
                self._event(
                    "EXPORT_APPROVED",
                    inp.reviewer,
                    {"planHash": inp.planHash, "comment": inp.comment},
                )
            ],
        )
        return self._approval

    @approve.validator
    def _validate_approve(self, inp: ApproveInput) -> None:
        if self._planning:
            raise refusal_error(
                machine.Refusal("INVALID_EXPORT_STATE", "The export is being re-planned.")
            )
        refusal = machine.refuse_approve(
            self._phase, self._readiness, self._approval.state, self._plan_hash, inp.planHash
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
        refusal = machine.refuse_before_execution("re-plan", self._phase)
        if refusal is None and self._closing is not None:
            refusal = machine.Refusal("INVALID_EXPORT_STATE", "The export is being closed.")
        if refusal is not None:
            raise refusal_error(refusal)

    @workflow.signal
    def reject(self, inp: DecisionInput) -> None:
        """A reviewer rejects the export (before execution)."""
        if self._closing is None and machine.refuse_before_execution("reject", self._phase) is None:
            self._closing = (S.REJECTED, inp)

    @workflow.signal
    def cancel(self, inp: DecisionInput) -> None:
        """The export is cancelled (before execution)."""
        if self._closing is None and machine.refuse_before_execution("cancel", self._phase) is None:
            self._closing = (S.CANCELLED, inp)

    @workflow.signal
    def retry(self, inp: RetryInput) -> None:
        """Resume the failed step of an export in ATTENTION_REQUIRED."""
        # `_attention` is set before the ATTENTION_REQUIRED transition is written and cleared as
        # soon as a retry is taken, so a retry is neither lost nor counted twice
        if self._attention is not None:
            self._retry_requested = True
            self._retry_actor = inp.actor

    @workflow.signal
    def broker_outcome(self, outcome: BrokerOutcome) -> None:
        """The broker acknowledged, accepted or rejected the submission (duplicates ignored)."""
        if outcome.status not in self._seen_outcomes:
            self._seen_outcomes.add(outcome.status)
            self._outcomes.append(outcome)

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

    @property
    def _readiness(self) -> Any:
        return self._summary.readinessState if self._summary else None

    @property
    def _plan_hash(self) -> str | None:
        return self._summary.planHash if self._summary else None

    @property
    def _phase(self) -> Any:
        """The status validators judge by: EXECUTING as soon as execution has begun, the closing
        status as soon as a close was decided (its transition may still be in flight)."""
        if self._closing is not None and not self._execution_started:
            return self._closing[0]
        if self._final and self._status in machine.PRE_EXECUTION:
            return S.EXPIRED
        if self._execution_started and self._status in machine.PRE_EXECUTION:
            return S.EXECUTING
        return self._status

    def _needs_review(self) -> bool:
        return (
            self._readiness == "REVIEW_REQUIRED"
            and self._approval.state != machine.ApprovalState.APPROVED
        )

    def _execute_answered(self) -> bool:
        return self._status in machine.EXECUTE_ANSWERED or ("artifacts" in self._completed)


__all__ = ["STEPS", "ExportWorkflow"]
