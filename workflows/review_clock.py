"""The review clock: REVIEW_OVERDUE once per plan whose review is still open at its deadline
(the plan's time plus `reviewDeadlineSeconds`; a re-plan starts a new clock), and the account's
review webhook told of it. It runs beside the run loop, which it never holds up; only workflows
given a deadline run it."""

from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows.ledger import Ledger
from workflows.policies import SIDE_EFFECT_RETRY, STEP_TIMEOUT
from workflows.state import ExportState, event

with workflow.unsafe.imports_passed_through():
    from domain.activities import ActivityName
    from domain.wire import rfc3339
    from workflows.messages import ReviewEscalationInput, ReviewOverdueInput


async def review_clock(export: ExportState, ledger: Ledger) -> None:
    """Wait for each plan's review deadline; report the reviews it finds still open."""
    while True:
        await workflow.wait_condition(export.review_waiting)
        plan_round = export.plan_round
        policy = export.approval.policy
        assert policy is not None
        assert policy.review_deadline is not None
        deadline = policy.review_deadline

        def changed(plan_round: int = plan_round) -> bool:
            return not export.review_waiting() or export.plan_round != plan_round

        remaining = (deadline - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(changed, timeout=remaining)
                continue  # decided, closed or re-planned before the deadline
            except TimeoutError:
                pass
        if changed():
            continue
        await report_overdue(export, ledger, plan_round, deadline)
        after = export.inp.review_escalate_after_seconds
        if after is None:
            continue  # no escalation chain (and every history from before it)
        await tell_leads(export, "REVIEW_OVERDUE", deadline)

        def settled(plan_round: int = plan_round) -> bool:
            return not export.review_open() or export.plan_round != plan_round

        second = deadline + timedelta(seconds=after)
        remaining = (second - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(settled, timeout=remaining)
                continue  # decided, closed or re-planned before the second deadline
            except TimeoutError:
                pass
        if not settled():
            await escalate(export, ledger, second)


async def report_overdue(
    export: ExportState, ledger: Ledger, plan_round: int, deadline: datetime
) -> None:
    assert export.summary is not None
    assert export.approval.policy is not None
    export.overdue_round = plan_round
    summary = export.summary
    export.approval = export.approval.model_copy(
        update={"policy": export.approval.policy.model_copy(update={"overdue": True})}
    )
    data = {
        "planHash": summary.plan_hash,
        "waitingSince": rfc3339(summary.planned_at),
        "deadline": rfc3339(deadline),
        "approvals": len(export.approval.approved_by),
        "approvalsRequired": export.approval.approvals_required,
    }
    export.notifying = True
    try:
        await ledger.transition(
            None, current_approval=True, events=[event("REVIEW_OVERDUE", data=data)]
        )
        try:
            await workflow.execute_activity(
                ActivityName.NOTIFY_REVIEW_OVERDUE,
                ReviewOverdueInput(
                    export_id=export.inp.export_id,
                    account_id=export.inp.account_id,
                    plan_hash=summary.plan_hash,
                    waiting_since=summary.planned_at,
                    deadline=deadline,
                ),
                start_to_close_timeout=STEP_TIMEOUT,
                schedule_to_close_timeout=timedelta(seconds=export.inp.retry_budget_seconds),
                retry_policy=SIDE_EFFECT_RETRY,
            )
        except ActivityError as err:
            # the overdue review is on record; only the webhook did not hear of it
            error = str(err.cause or err)
            await ledger.transition(
                None,
                events=[
                    event(
                        "REVIEW_WEBHOOK_FAILED",
                        data={"planHash": summary.plan_hash, "error": error},
                    )
                ],
            )
    finally:
        export.notifying = False


async def escalate(export: ExportState, ledger: Ledger, second: datetime) -> None:
    """The review outlasted the chain's second deadline: it moves to the leads' queue."""
    assert export.summary is not None
    assert export.approval.policy is not None
    export.approval = export.approval.model_copy(
        update={"policy": export.approval.policy.model_copy(update={"escalated": True})}
    )
    data = {"planHash": export.summary.plan_hash, "to": "leads", "deadline": rfc3339(second)}
    await ledger.transition(
        None, current_approval=True, events=[event("REVIEW_ESCALATED", data=data)]
    )
    await tell_leads(export, "REVIEW_ESCALATED", second)


async def tell_leads(
    export: ExportState, ledger_kind: Literal["REVIEW_OVERDUE", "REVIEW_ESCALATED"], at: datetime
) -> None:
    """E-mail the account's leads; a failure is logged, the review's record stands."""
    assert export.summary is not None
    export.notifying = True
    try:
        await workflow.execute_activity(
            ActivityName.NOTIFY_REVIEW_ESCALATION,
            ReviewEscalationInput(
                export_id=export.inp.export_id,
                account_id=export.inp.account_id,
                plan_hash=export.summary.plan_hash,
                kind=ledger_kind,
                deadline=at,
            ),
            start_to_close_timeout=STEP_TIMEOUT,
            schedule_to_close_timeout=timedelta(seconds=export.inp.retry_budget_seconds),
            retry_policy=SIDE_EFFECT_RETRY,
        )
    except ActivityError as err:
        workflow.logger.warning("the leads were not told of %s: %s", ledger_kind, err.cause or err)
    finally:
        export.notifying = False


__all__ = ["escalate", "review_clock", "tell_leads"]
