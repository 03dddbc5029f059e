"""What the export workflow knows about its export, and the two ways it writes: planning (the
`plan_export` local activity) and the ledger (the `record_transition` activity).

The message handlers (workflows/handlers.py) and the run loop (workflows/export.py) share this
state; neither writes to the database any other way.
"""

import asyncio
from typing import Any

from temporalio import workflow

from workflows.policies import (
    LEDGER_RETRY,
    LEDGER_TIMEOUT,
    LOCAL_RETRY_THRESHOLD,
    PLANNING_BUDGET,
    PLANNING_RETRY,
    PLANNING_TIMEOUT,
)

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.status import ExportStatus as S
    from workflows.messages import (
        Approval,
        Attention,
        BrokerOutcome,
        DecisionInput,
        EventSpec,
        ExportInput,
        ExportStatus,
        PlanExportInput,
        PlanSummary,
        TransitionInput,
        plan_approval,
    )


class ExportState:
    """The state of one export workflow, its ledger and its planning."""

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
        self._retry_label: str | None = None
        self._retries_taken = 0  # retries whose EXECUTING transition has been written
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
        # the review clock (workflows/export.py): plans made so far, the plan whose review was
        # reported overdue, and whether the review webhook is being told
        self._plan_round = 0
        self._overdue_round = 0
        self._notifying = False

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
                    reviewDeadlineSeconds=self._inp.reviewDeadlineSeconds,
                    reviewTwoKeysAboveUsd=self._inp.reviewTwoKeysAboveUsd,
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
        # a new plan starts its review afresh: no approvals, a new deadline
        self._approval = plan_approval(summary, self._inp.reviewDeadlineSeconds)
        self._plan_round += 1
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
        current_approval: bool = False,
    ) -> None:
        """Write one transition. `current_approval`: write the approval as it is once the
        ledger is free (a decision taken meanwhile is not overwritten by an older copy)."""
        async with self._ledger_lock:
            if current_approval:
                approval = self._approval
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

    # ---- what the state says -----------------------------------------------------------------

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

    def _review_waiting(self) -> bool:
        """The current plan waits for a reviewer, has a review deadline, and its review has not
        been reported overdue yet."""
        policy = self._approval.policy
        return (
            policy is not None
            and policy.reviewDeadline is not None
            and self._overdue_round != self._plan_round
            and not self._planning
            and self._readiness == "REVIEW_REQUIRED"
            and self._approval.state in machine.AWAITING_APPROVALS
            and self._closing is None
            and not self._final
            and not self._execution_started
        )

    def _execute_answered(self) -> bool:
        return self._status in machine.EXECUTE_ANSWERED or ("artifacts" in self._completed)


__all__ = ["ExportState"]
