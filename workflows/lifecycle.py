"""The export workflow's run loop, step by step: wait for execution (or a close, or the plan's
expiry), execute the steps (pausing in ATTENTION_REQUIRED on a failure until a retry), then
record the broker's answers. ExportWorkflow.run (workflows/export.py) strings them together.
"""

import functools
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.destination_wait import Closing, admitted, local_step, side_effect
from workflows.ledger import Ledger
from workflows.policies import (
    LOCAL_STEPS,
    OUTCOME_EVENTS,
    STEPS,
    STEPS_LOCAL_PATCH,
)
from workflows.state import ExportState, event, once

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.status import ExportStatus as S
    from workflows.messages import Attention, ExportStatus, Rejecter, StepInput


async def finish(export: ExportState) -> str:
    # a reject or cancel update ends once its transition is written (or an expiry's), a retry
    # once it is taken: none outlives the run, so this wait ends
    # and the review webhook, if it is being told, hears of it first
    await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not export.notifying)
    return str(export.status)


async def wait_for_execution(export: ExportState, ledger: Ledger) -> bool:
    """True when execution may start; False when the export closed before it."""

    def settled() -> bool:
        if export.closing is not None:
            return True
        return (
            export.execution_requested
            and not export.planning
            and machine.may_execute(export.readiness, export.approval.state)
        )

    while True:
        assert export.summary is not None
        deadline = export.summary.planned_at + timedelta(seconds=export.inp.plan_ttl_seconds)
        remaining = (deadline - workflow.now()).total_seconds()
        # a request that wrote EXECUTING itself (EXECUTE_AT_ONCE_PATCH) is past the expiry
        if remaining <= 0 and not export.planning and not export.started_by_request:
            export.final = True
            await ledger.transition(S.EXPIRED, events=[event("EXPORT_EXPIRED")])
            return False
        try:
            await workflow.wait_condition(settled, timeout=max(remaining, 0.001))
        except TimeoutError:
            continue
        if export.closing is not None:
            await _close(export, ledger)
            return False
        return True


async def _close(export: ExportState, ledger: Ledger) -> None:
    """Write the reject or cancel that was decided."""
    assert export.closing is not None
    export.final = True
    status, decision = export.closing
    kind = "EXPORT_REJECTED" if status == S.REJECTED else "EXPORT_CANCELLED"
    approval = None
    now = workflow.now()
    if status == S.REJECTED:
        approval = export.approval = export.approval.model_copy(
            update={
                "state": machine.ApprovalState.REJECTED,
                "reviewer": decision.actor,
                "comment": decision.reason,
                "decided_at": now,
                "plan_hash": export.plan_hash,
                "label": decision.label,
                "rejected_by": Rejecter(
                    key_id=decision.actor, label=decision.label, at=now, reason=decision.reason
                ),
            }
        )
    data = {"reason": decision.reason, "keyId": decision.actor, "label": decision.label}
    held = export.attention is not None or export.waiting_for is not None
    export.attention = None
    export.waiting_for = None
    await ledger.transition(
        status,
        approval=approval,
        events=[event(kind, decision.actor, data)],
        # a cancel of a held step: neither the failure nor the wait stands any more
        clear_attention=held,
        clear_waiting=held,
    )


async def execute(export: ExportState, ledger: Ledger) -> bool:
    """Run the steps to EXECUTED (True); a step that fails for good waits for a retry. A cancel
    taken while a step is held (failed, or waiting for its destination) closes it (False)."""
    if export.started_by_request:
        # the request wrote EXECUTING itself (EXECUTE_AT_ONCE_PATCH): the steps follow its write
        # in the same task, and the workflow began after STEPS_LOCAL_PATCH
        await workflow.wait_condition(lambda: export.status == S.EXECUTING)
        export.local_steps = True
    else:
        await ledger.transition(S.EXECUTING)
        # asked here, where a workflow task begins (the EXECUTING activity's result): a patch
        # asked after a local activity in the same task does not replay (the SDK finds its
        # marker before the command)
        export.local_steps = workflow.patched(STEPS_LOCAL_PATCH)
    while True:
        try:
            failure = await _run_steps(export, ledger)
        except Closing:
            await _close(export, ledger)
            return False
        if failure is None:
            break
        step, error_type, message = failure
        export.attention = Attention(
            step=step, error_type=error_type, error=message, at=workflow.now()
        )
        events = [event("ATTENTION_REQUIRED", data={"step": step, "error": message})]
        if step == "send":
            events.insert(0, event("BROKER_SUBMISSION_FAILED", data={"error": message}))
        await ledger.transition(S.ATTENTION_REQUIRED, attention=export.attention, events=events)
        await workflow.wait_condition(lambda: export.retry_requested or export.closing is not None)
        if export.closing is not None:
            await _close(export, ledger)
            return False
        export.retry_requested = False
        export.attention = None
        await ledger.transition(
            S.EXECUTING,
            clear_attention=True,
            events=[
                event(
                    "RETRY_REQUESTED",
                    export.retry_actor,
                    {"keyId": export.retry_actor, "label": export.retry_label},
                )
            ],
        )
        export.retries_taken += 1  # answers the retry updates waiting for it
    await ledger.transition(S.EXECUTED, events=[once("EXPORT_EXECUTED", "executed")], local=True)
    return True


async def _run_steps(export: ExportState, ledger: Ledger) -> tuple[str, str | None, str] | None:
    """Run the steps not yet done (a step its destination holds waits for it); the first that
    fails for good is returned. The steps that write only our database run as local activities
    (from STEPS_LOCAL_PATCH on; a history begun before runs them as it recorded them)."""
    assert export.summary is not None
    for step, activity in STEPS:
        if step in export.completed:
            continue
        export.current_step = step
        arg = StepInput(export_id=export.inp.export_id, plan_hash=export.summary.plan_hash)
        run = local_step if export.local_steps and step in LOCAL_STEPS else side_effect
        try:
            await admitted(export, ledger, functools.partial(run, export, activity, arg))
        except ActivityError as err:
            export.current_step = None
            cause = err.cause
            if isinstance(cause, ApplicationError):
                return step, cause.type, cause.message
            return step, type(cause).__name__ if cause else None, str(cause or err)
        export.completed.append(step)
    export.current_step = None
    return None


async def follow_up(export: ExportState, ledger: Ledger) -> None:
    """Record the broker's answers until it accepts or rejects, or the window closes."""
    deadline = workflow.now() + timedelta(seconds=export.inp.ack_window_seconds)
    while export.status not in machine.BROKER_DONE:
        remaining = (deadline - workflow.now()).total_seconds()
        if remaining <= 0:
            return
        try:
            await workflow.wait_condition(lambda: bool(export.outcomes), timeout=remaining)
        except TimeoutError:
            return
        outcome = export.outcomes.pop(0)
        status: ExportStatus | None = None
        if outcome.status == "ACCEPTED":
            status = S.COMPLETED
        elif outcome.status == "REJECTED":
            status = S.BROKER_REJECTED
        data = outcome.model_dump(mode="json", exclude_none=True, exclude={"actor"})
        await ledger.transition(
            status,
            broker_outcome=outcome,
            events=[
                once(
                    OUTCOME_EVENTS[outcome.status], f"outcome-{outcome.status}", outcome.actor, data
                )
            ],
            local=True,
        )


__all__ = ["execute", "finish", "follow_up", "wait_for_execution"]
