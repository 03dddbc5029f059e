"""ExportWorkflow: plan → wait for execution and approval → execute → wait for the broker.

Orchestration only, in one class holding one state object: `ExportState` (workflows/state.py)
is what the workflow knows, `Ledger` (workflows/ledger.py) the only way it writes. This module
declares the run and every message; their bodies live in workflows/lifecycle.py (the run loop),
workflows/handlers.py (updates, validators, signals, the query) and workflows/review_clock.py.
Every side effect is an activity named in domain/activities.py with a named retry policy
(workflows/policies.py). Time comes from `workflow.now()`.

Signals named `reject`, `cancel` and `retry` stay beside the updates of the same names (the SDK
keeps signals and updates apart): histories recorded when these were signals keep replaying, and
callers that still signal keep working. Neither way issues a command of its own, so the run
loop's command sequence is what it was and no `workflow.patched` is needed.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import broker_handlers, destination_wait, handlers, lifecycle
from workflows.broker_loop import BROKER_LOOP_PATCH, broker_loop
from workflows.ledger import Ledger
from workflows.policies import EXECUTE_AT_ONCE_PATCH, SIDE_EFFECT_RETRY, STEPS
from workflows.review_clock import review_clock
from workflows.state import ExportState

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.status import ExportStatus as S
    from workflows.broker_messages import (
        AnswerInput,
        AnswerResult,
        BrokerCallback,
        CallbackResult,
        RecordedMessage,
    )
    from workflows.destination_messages import READY_SIGNAL
    from workflows.messages import (
        Approval,
        ApproveInput,
        BrokerOutcome,
        DecisionInput,
        ExecutionAnswer,
        ExecutionRequest,
        ExportInput,
        ExportStatus,
        PlanSummary,
        ReplanInput,
        RetryInput,
        WorkflowState,
    )


@workflow.defn
class ExportWorkflow:
    """One export, from its plan to the broker's outcome."""

    @workflow.init
    def __init__(self, inp: ExportInput) -> None:
        self.export = ExportState(inp)
        self.ledger = Ledger(self.export)
        self.review_task: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, inp: ExportInput) -> str:
        """Drive the export to a final or resting status; returns it."""
        export, ledger = self.export, self.ledger
        # histories recorded before the broker loop keep following the broker as they did
        export.broker.enabled = workflow.patched(BROKER_LOOP_PATCH)
        # asked here, before any local activity of the task (a patch asked after one does not
        # replay): an export begun before it requests execution as it did
        export.execute_at_once = workflow.patched(EXECUTE_AT_ONCE_PATCH)
        async with ledger.plan_lock:
            try:
                await ledger.plan(replan=False, actor=inp.actor)
            except ActivityError as err:
                raise ApplicationError(
                    f"planning failed: {err.cause or err}",
                    type="PlanningFailed",
                    non_retryable=True,
                ) from err
        if inp.review_deadline_seconds is not None:
            # only workflows given a deadline run the clock: older histories never started it, so
            # they replay with the commands they recorded
            self.review_task = asyncio.create_task(review_clock(export, ledger))
        while True:
            if not await lifecycle.wait_for_execution(export, ledger):
                return await lifecycle.finish(export)
            # From here on no re-plan, approval, rejection or cancellation is accepted; one that
            # was accepted just before must finish, and the plan it leaves must still be executable.
            export.execution_started = True
            await workflow.wait_condition(
                lambda: not export.planning and not ledger.plan_lock.locked()
            )
            if (
                machine.may_execute(export.readiness, export.approval.state)
                and export.closing is None
            ):
                break
            export.execution_started = False
        if not await lifecycle.execute(export, ledger):
            return await lifecycle.finish(export)  # cancelled while a step was held
        if export.broker.enabled:
            await broker_loop(export, ledger)
        else:
            await lifecycle.follow_up(export, ledger)
        return await lifecycle.finish(export)

    # ---- planning and execution ------------------------------------------------------------

    @workflow.update
    async def get_plan(self) -> PlanSummary:
        """The plan, once persisted (used with update-with-start)."""
        return await handlers.get_plan(self.export)

    @workflow.update
    async def request_execution(self, req: ExecutionRequest) -> ExecutionAnswer:
        """Ask for execution; waits up to `wait_seconds` for the package and its artifacts."""
        return await handlers.request_execution(self.export, self.ledger, req)

    @request_execution.validator
    def _validate_execution(self, req: ExecutionRequest) -> None:
        handlers.validate_execution(self.export)

    # ---- review ----------------------------------------------------------------------------

    @workflow.update
    async def approve(self, inp: ApproveInput) -> Approval:
        """A reviewer approves the current plan. Four eyes: while fewer different keys approved
        than the plan needs, the approval is PARTIALLY_APPROVED and the export keeps waiting."""
        return await handlers.approve(self.export, self.ledger, inp)

    @approve.validator
    def _validate_approve(self, inp: ApproveInput) -> None:
        handlers.validate_approve(self.export, inp)

    @workflow.update
    async def replan(self, inp: ReplanInput) -> PlanSummary:
        """Plan again with changed inputs (or current data); resets the approval."""
        return await handlers.replan(self.export, self.ledger, inp)

    @replan.validator
    def _validate_replan(self, inp: ReplanInput) -> None:
        handlers.refuse_unless_open(self.export, "re-plan")

    @workflow.update
    async def reject(self, inp: DecisionInput) -> ExportStatus:
        """A reviewer rejects the export (before execution); returns the status it closed in."""
        return await handlers.close(self.export, S.REJECTED, inp)

    @reject.validator
    def _validate_reject(self, inp: DecisionInput) -> None:
        handlers.refuse_unless_open(self.export, "reject")

    @workflow.update
    async def cancel(self, inp: DecisionInput) -> ExportStatus:
        """The export is cancelled (before execution); returns the status it closed in."""
        return await handlers.close(self.export, S.CANCELLED, inp)

    @cancel.validator
    def _validate_cancel(self, inp: DecisionInput) -> None:
        handlers.validate_cancel(self.export)

    # ---- attention -------------------------------------------------------------------------

    @workflow.update
    async def retry(self, inp: RetryInput) -> ExportStatus:
        """Resume the failed step of an export in ATTENTION_REQUIRED; returns the status once the
        retry has been taken (EXECUTING written)."""
        return await handlers.retry(self.export, inp)

    @retry.validator
    def _validate_retry(self, inp: RetryInput) -> None:
        handlers.validate_retry(self.export)

    # ---- the broker loop (docs/broker-protocol.md) -------------------------------------------

    @workflow.update
    async def broker_callback(self, callback: BrokerCallback) -> CallbackResult:
        """A broker callback (version 1 or 2): applied in sequence order; the result says
        whether it was applied, a duplicate, kept for later, or contradicts a final state."""
        return await broker_handlers.broker_callback(self.export, self.ledger, callback)

    @broker_callback.validator
    def _validate_broker_callback(self, callback: BrokerCallback) -> None:
        broker_handlers.validate_broker_callback(self.export)

    @workflow.update
    async def record_broker_message(self, message: RecordedMessage) -> CallbackResult:
        """A person records what a broker that cannot call back said (an email broker)."""
        return await broker_handlers.record_message(self.export, self.ledger, message)

    @record_broker_message.validator
    def _validate_record(self, message: RecordedMessage) -> None:
        broker_handlers.validate_broker_callback(self.export)

    @workflow.update
    async def answer_broker_request(self, inp: AnswerInput) -> AnswerResult:
        """Answer an open request: re-plan, then (after a review if one is needed) amend."""
        return await broker_handlers.answer(self.export, inp)

    @answer_broker_request.validator
    def _validate_answer(self, inp: AnswerInput) -> None:
        broker_handlers.validate_answer(self.export, inp)

    # ---- signals ---------------------------------------------------------------------------

    @workflow.signal
    async def broker_outcome(self, outcome: BrokerOutcome) -> None:
        """The broker acknowledged, accepted or rejected the submission (duplicates ignored)."""
        if self.export.broker.enabled:
            await broker_handlers.broker_outcome_signal(self.export, self.ledger, outcome)
        else:
            handlers.broker_outcome(self.export, outcome)

    # The signals reject, cancel and retry were before they became updates: kept, unchanged, so
    # that histories holding them replay and callers that still signal are heard. A signal that
    # does not apply is ignored, as it always was.

    @workflow.signal(name="reject")
    def reject_signal(self, inp: DecisionInput) -> None:
        """The `reject` signal (use the `reject` update): rejects before execution, else ignored."""
        handlers.close_signal(self.export, "reject", S.REJECTED, inp)

    @workflow.signal(name="cancel")
    def cancel_signal(self, inp: DecisionInput) -> None:
        """The `cancel` signal (use the `cancel` update): cancels before execution, else ignored."""
        handlers.close_signal(self.export, "cancel", S.CANCELLED, inp)

    @workflow.signal(name="retry")
    def retry_signal(self, inp: RetryInput) -> None:
        """The `retry` signal (use the `retry` update): retries a failed step, else ignored."""
        handlers.retry_signal(self.export, inp)

    @workflow.signal(name=READY_SIGNAL)
    def destination_ready(self, destination: str) -> None:
        """The destination a send waits for lets it go (released, or chosen to probe)."""
        destination_wait.ready(self.export, destination)

    # ---- query -----------------------------------------------------------------------------

    @workflow.query
    def state(self) -> WorkflowState:
        """The live state of the export."""
        return handlers.snapshot(self.export)


__all__ = ["SIDE_EFFECT_RETRY", "STEPS", "ExportWorkflow"]
