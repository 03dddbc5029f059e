"""The two ways the export workflow writes: planning (the `plan_export` local activity) and the
ledger (the `record_transition` activity, or local activity for the transitions no decision
waits on). Nothing else in the workflow writes to the database.

One write at a time: a transition in flight (an approval of the previous plan) is written before
a new plan, never on top of it. Every write takes the next transition number, which keys its
events so a retried write is harmless.
"""

import asyncio

from temporalio import workflow

from workflows.policies import (
    LEDGER_LOCAL_PATCH,
    LEDGER_RETRY,
    LEDGER_TIMEOUT,
    LOCAL_RETRY_THRESHOLD,
    PLANNING_BUDGET,
    PLANNING_RETRY,
    PLANNING_TIMEOUT,
)
from workflows.state import ExportState, event

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.activities import ActivityName
    from domain.broker_loop.state import BrokerSide
    from domain.destinations import WaitingFor
    from domain.status import ExportStatus as S
    from workflows.messages import (
        Approval,
        Attention,
        BrokerOutcome,
        EventSpec,
        ExportStatus,
        PlanExportInput,
        PlanSummary,
        TransitionInput,
    )


class Ledger:
    """Plans and transitions of one export, written in order."""

    def __init__(self, export: ExportState) -> None:
        self.export = export
        self.transitions = 0
        self.plans = 0  # plans taken: a plan's events are keyed by its number (see `transition`)
        self.lock = asyncio.Lock()
        # held by a plan from its start until it is taken (the run loop waits for it)
        self.plan_lock = asyncio.Lock()

    async def plan(self, *, replan: bool, actor: str) -> PlanSummary:
        """Plan (or re-plan) and take the plan; a review it asks for is requested at once when
        execution was already requested."""
        export = self.export
        inp = export.inp
        export.planning = True
        await self.lock.acquire()
        try:
            self.transitions += 1
            self.plans += 1
            summary: PlanSummary = await workflow.execute_local_activity(
                ActivityName.PLAN_EXPORT,
                PlanExportInput(
                    export_id=inp.export_id,
                    account_id=inp.account_id,
                    warehouse_id=inp.warehouse_id,
                    broker_id=inp.broker_id,
                    destination_country=inp.destination_country,
                    order_ids=inp.order_ids,
                    actor=actor,
                    plan_date=workflow.now(),
                    replan=replan,
                    dedupe_key=f"plan{self.plans}",
                    review_deadline_seconds=inp.review_deadline_seconds,
                    review_two_keys_above_usd=inp.review_two_keys_above_usd,
                ),
                result_type=PlanSummary,
                start_to_close_timeout=PLANNING_TIMEOUT,
                schedule_to_close_timeout=PLANNING_BUDGET,
                retry_policy=PLANNING_RETRY,
                local_retry_threshold=LOCAL_RETRY_THRESHOLD,
            )
        finally:
            self.lock.release()
            export.planning = False
        export.take_plan(summary)
        if export.execution_requested and export.needs_review():
            await self.transition(S.AWAITING_APPROVAL, events=[event("REVIEW_REQUESTED", actor)])
        return summary

    async def transition(
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
        broker_side: BrokerSide | None = None,
        waiting_for: WaitingFor | None = None,
        clear_waiting: bool = False,
        local: bool = False,
    ) -> None:
        """Write one transition. `current_approval`: write the approval as it is once the
        ledger is free (a decision taken meanwhile is not overwritten by an older copy).
        `local`: a transition no decision waits on (EXECUTED, a broker's callback) is written by
        a local activity in the worker running the workflow task: no activity task, no server
        round trip, no workflow task of its own (from LEDGER_LOCAL_PATCH on; a history begun
        before keeps its activity). A decision arriving meanwhile is taken once the write is
        done, so the transitions decisions race (execute requested, EXECUTING, the review and
        attention states, a cancel) keep the activity: docs/decisions.md.

        An event with a key of its own (`once`) keeps it; the others (`event`) are keyed by
        the transition number. A local write's events must all have keys of their own: a local
        activity runs before its workflow task is recorded, so when the worker dies after the
        write and before the record, the task runs again and may take the updates it carries in
        another order; the same write then has another number, and only a key of its own keeps
        its events from being appended twice."""
        if local and not all(_own_key(e) for e in events or []):
            raise ValueError("a local transition's events need keys of their own (once)")
        export = self.export
        async with self.lock:
            if current_approval:
                approval = export.approval
            self.transitions += 1
            number = self.transitions
            # an event with a key of its own (`once`) keeps it; the others take the number
            keyed = [
                e
                if _own_key(e)
                else e.model_copy(update={"dedupe_key": f"t{number}:{e.dedupe_key}"})
                for e in events or []
            ]
            written = TransitionInput(
                export_id=export.inp.export_id,
                status=status,
                approval=approval,
                attention=attention,
                clear_attention=clear_attention,
                execution_requested=execution_requested,
                broker_outcome=broker_outcome,
                events=keyed,
                occurred_at=workflow.now(),
                broker_side=broker_side,
                waiting_for=waiting_for,
                clear_waiting=clear_waiting,
            )
            if local and workflow.patched(LEDGER_LOCAL_PATCH):
                await workflow.execute_local_activity(
                    ActivityName.RECORD_TRANSITION,
                    written,
                    start_to_close_timeout=LEDGER_TIMEOUT,
                    retry_policy=LEDGER_RETRY,
                    local_retry_threshold=LOCAL_RETRY_THRESHOLD,
                )
            else:
                await workflow.execute_activity(
                    ActivityName.RECORD_TRANSITION,
                    written,
                    start_to_close_timeout=LEDGER_TIMEOUT,
                    retry_policy=LEDGER_RETRY,
                )
            if status is not None and export.status not in machine.FINAL:
                export.status = status


def _own_key(e: EventSpec) -> bool:
    """Whether the event has a key of its own (`once`); `event` leaves its type as its key."""
    return e.dedupe_key != e.type


__all__ = ["Ledger"]
