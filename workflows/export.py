"""ExportWorkflow: plan → wait for execution and approval → execute → wait for the broker.

Orchestration only. Every transition is written by the `record_transition` activity; every side
effect is an activity with a named retry policy (workflows/policies.py). Time comes from
`workflow.now()`. The state lives in workflows/state.py, the messages in workflows/handlers.py;
this module is the run loop.
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.handlers import ExportMessages
from workflows.policies import (
    OUTCOME_EVENTS,
    SIDE_EFFECT_RETRY,
    STEP_HEARTBEAT_TIMEOUT,
    STEP_TIMEOUT,
    STEPS,
)

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.status import ExportStatus as S
    from domain.wire import rfc3339
    from workflows.messages import (
        Attention,
        ExportInput,
        ExportStatus,
        Rejecter,
        ReviewOverdueInput,
        StepInput,
    )


@workflow.defn
class ExportWorkflow(ExportMessages):
    """One export, from its plan to the broker's outcome."""

    @workflow.init
    def __init__(self, inp: ExportInput) -> None:
        super().__init__(inp)
        self._review_task: asyncio.Task[None] | None = None

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
        if inp.reviewDeadlineSeconds is not None:
            # only workflows given a deadline run the clock: older histories never started it, so
            # they replay with the commands they recorded
            self._review_task = asyncio.create_task(self._review_clock())
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
        # a reject or cancel update ends once its transition is written (or an expiry's), a retry
        # once it is taken: none outlives the run, so this wait ends
        # and the review webhook, if it is being told, hears of it first
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and not self._notifying
        )
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
                now = workflow.now()
                if status == S.REJECTED:
                    approval = self._approval = self._approval.model_copy(
                        update={
                            "state": machine.ApprovalState.REJECTED,
                            "reviewer": decision.actor,
                            "comment": decision.reason,
                            "decidedAt": now,
                            "planHash": self._plan_hash,
                            "label": decision.label,
                            "rejectedBy": Rejecter(
                                keyId=decision.actor,
                                label=decision.label,
                                at=now,
                                reason=decision.reason,
                            ),
                        }
                    )
                data = {"reason": decision.reason, "keyId": decision.actor, "label": decision.label}
                await self._transition(
                    status, approval=approval, events=[self._event(event, decision.actor, data)]
                )
                return False
            return True

    async def _review_clock(self) -> None:
        """REVIEW_OVERDUE once per plan whose review is still open at its deadline (the plan's
        time plus `reviewDeadlineSeconds`; a re-plan starts a new clock), and the account's
        review webhook told of it. Runs beside the run loop, which it never holds up."""
        while True:
            await workflow.wait_condition(self._review_waiting)
            plan_round = self._plan_round
            policy = self._approval.policy
            assert policy is not None
            assert policy.reviewDeadline is not None
            deadline = policy.reviewDeadline

            def changed(plan_round: int = plan_round) -> bool:
                return not self._review_waiting() or self._plan_round != plan_round

            remaining = (deadline - workflow.now()).total_seconds()
            if remaining > 0:
                try:
                    await workflow.wait_condition(changed, timeout=remaining)
                    continue  # decided, closed or re-planned before the deadline
                except TimeoutError:
                    pass
            if changed():
                continue
            await self._report_overdue(plan_round, deadline)

    async def _report_overdue(self, plan_round: int, deadline: datetime) -> None:
        assert self._summary is not None
        assert self._approval.policy is not None
        self._overdue_round = plan_round
        summary = self._summary
        self._approval = self._approval.model_copy(
            update={"policy": self._approval.policy.model_copy(update={"overdue": True})}
        )
        data = {
            "planHash": summary.planHash,
            "waitingSince": rfc3339(summary.plannedAt),
            "deadline": rfc3339(deadline),
            "approvals": len(self._approval.approvedBy),
            "approvalsRequired": self._approval.approvalsRequired,
        }
        self._notifying = True
        try:
            await self._transition(
                None, current_approval=True, events=[self._event("REVIEW_OVERDUE", data=data)]
            )
            try:
                await workflow.execute_activity(
                    "notify_review_overdue",
                    ReviewOverdueInput(
                        exportId=self._inp.exportId,
                        accountId=self._inp.accountId,
                        planHash=summary.planHash,
                        waitingSince=summary.plannedAt,
                        deadline=deadline,
                    ),
                    start_to_close_timeout=STEP_TIMEOUT,
                    schedule_to_close_timeout=timedelta(seconds=self._inp.retryBudgetSeconds),
                    retry_policy=SIDE_EFFECT_RETRY,
                )
            except ActivityError as err:
                # the overdue review is on record; only the webhook did not hear of it
                error = str(err.cause or err)
                await self._transition(
                    None,
                    events=[
                        self._event(
                            "REVIEW_WEBHOOK_FAILED",
                            data={"planHash": summary.planHash, "error": error},
                        )
                    ],
                )
        finally:
            self._notifying = False

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
                events=[
                    self._event(
                        "RETRY_REQUESTED",
                        self._retry_actor,
                        {"keyId": self._retry_actor, "label": self._retry_label},
                    )
                ],
            )
            self._retries_taken += 1  # answers the retry updates waiting for it
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


__all__ = ["SIDE_EFFECT_RETRY", "STEPS", "ExportWorkflow"]
