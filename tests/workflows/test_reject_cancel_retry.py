"""The `reject`, `cancel` and `retry` updates of ExportWorkflow (their validators, what they
return, the races around them) and the signals of the same names they replaced, on the real dev
server with stand-in activities."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.workflow import _Definition

from tests.support.standins import (
    STEP_ACTIVITIES,
    StandIns,
    accepted_updates,
    approve_input,
    export_input,
    refusal_type,
    request_execution,
    result_of,
    standin_worker,
    start_export,
    state_of,
    update,
    wait_state,
)
from workflows.export import ExportWorkflow
from workflows.messages import BrokerOutcome, DecisionInput, ExecutionRequest, RetryInput

REVIEWER = DecisionInput(actor="key_reviewer", reason="wrong HTS", label="Dana Diaz")
RETRY = RetryInput(actor="key_admin")
# the steps called up to a send that fails for good
FAILED_SEND = STEP_ACTIVITIES[:4]


async def accepted(handle: WorkflowHandle[Any, Any], method: Any, arg: Any) -> Any:
    """Start an update and return its handle once the validator has accepted it."""
    async with asyncio.timeout(10):
        return await handle.start_update(method, arg, wait_for_stage=WorkflowUpdateStage.ACCEPTED)


async def updates_of(handle: WorkflowHandle[Any, Any]) -> list[str]:
    return accepted_updates((await handle.fetch_history()).events)


async def wait_closed(handle: WorkflowHandle[Any, Any], attempts: int = 100) -> bool:
    """True once the workflow has closed (bounded number of describes)."""
    for _ in range(attempts):
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return True
        await asyncio.sleep(0.05)
    return False


def test_the_messages_are_registered_under_their_names() -> None:
    # handlers live on a base class (workflows/handlers.py); the SDK must still find them, and
    # each of reject, cancel and retry is both an update and the old signal
    defn = _Definition.must_from_class(ExportWorkflow)
    assert set(defn.updates) == {
        "get_plan",
        "request_execution",
        "approve",
        "replan",
        "reject",
        "cancel",
        "retry",
        # the broker loop (docs/broker-protocol.md)
        "broker_callback",
        "answer_broker_request",
        "record_broker_message",
    }
    # fleet control (docs/fleet-control.md): a destination lets a waiting send go
    assert set(defn.signals) == {"reject", "cancel", "retry", "broker_outcome", "destination_ready"}
    assert set(defn.queries) == {"state"}
    assert defn.updates["reject"].validator is not None
    assert defn.updates["cancel"].validator is not None
    assert defn.updates["retry"].validator is not None
    assert defn.updates["broker_callback"].validator is not None
    assert defn.updates["answer_broker_request"].validator is not None


# ---- reject and cancel ------------------------------------------------------------------------


async def test_reject_returns_rejected_and_closes_the_export(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["review-1"])
        await request_execution(handle)
        status = await update(handle, ExportWorkflow.reject, REVIEWER)
        assert status == "REJECTED"
        # the answer came after the ledger write, not before it
        assert standins.statuses()[-1] == "REJECTED"
        assert await result_of(handle) == "REJECTED"
    assert standins.step_calls() == []
    last = standins.transitions[-1]
    assert last.approval is not None
    assert last.approval.state == "REJECTED"
    assert last.approval.plan_hash == summary.plan_hash
    assert last.approval.rejected_by is not None
    assert last.approval.rejected_by.key_id == "key_reviewer"
    assert last.approval.rejected_by.label == "Dana Diaz"
    assert last.approval.rejected_by.reason == "wrong HTS"
    assert [(e.type, e.actor, e.data) for e in last.events] == [
        (
            "EXPORT_REJECTED",
            "key_reviewer",
            {"reason": "wrong HTS", "keyId": "key_reviewer", "label": "Dana Diaz"},
        )
    ]


async def test_cancel_returns_cancelled_and_closes_the_export(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        status = await update(handle, ExportWorkflow.cancel, DecisionInput(actor="key_int"))
        assert status == "CANCELLED"
        assert await result_of(handle) == "CANCELLED"
    assert standins.statuses() == ["CANCELLED"]
    assert standins.event_types() == ["EXPORT_CANCELLED"]
    assert standins.step_calls() == []


async def test_reject_accepted_while_planning_is_written_after_the_plan(
    temporal_env: WorkflowEnvironment,
) -> None:
    # Planning is a local activity: the workflow task stays open while it runs, and an update
    # arrives with the task the worker heartbeats after 80% of the task timeout (kept short here)
    standins = StandIns(hold_plans=True)
    async with standin_worker(temporal_env.client, standins) as tq:
        inp = export_input(["review-1"])
        handle = await temporal_env.client.start_workflow(
            ExportWorkflow.run,
            inp,
            id=f"export-{inp.export_id}",
            task_queue=tq,
            task_timeout=timedelta(seconds=2),
        )
        async with asyncio.timeout(10):
            await standins.plan_entered.wait()
        reject = await accepted(handle, ExportWorkflow.reject, REVIEWER)
        assert standins.plans == []  # still planning
        standins.plan_release.set()
        async with asyncio.timeout(10):
            assert await reject.result() == "REJECTED"
        assert await result_of(handle) == "REJECTED"
    assert standins.calls == ["plan_export", "record_transition"]
    assert standins.statuses() == ["REJECTED"]


async def test_reject_right_after_the_plan_is_not_lost(temporal_env: WorkflowEnvironment) -> None:
    async with standin_worker(temporal_env.client, StandIns()) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["review-1"])
        assert await update(handle, ExportWorkflow.reject, REVIEWER) == "REJECTED"
        assert await result_of(handle) == "REJECTED"


async def test_reject_and_cancel_after_execution_starts_are_refused(
    temporal_env: WorkflowEnvironment,
) -> None:
    # the ledger's EXECUTING write is held: the workflow has decided to execute, nothing is
    # written yet, and its status is still PLANNED. A reviewed plan's run loop writes EXECUTING
    # by an activity, so the workflow takes the decisions while the write is held.
    standins = StandIns(hold_status="EXECUTING")
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["review-1"])
        try:
            await request_execution(handle)
            await handle.execute_update(ExportWorkflow.approve, approve_input(summary.plan_hash))
            async with asyncio.timeout(10):
                await standins.entered.wait()
            for method in (ExportWorkflow.reject, ExportWorkflow.cancel):
                with pytest.raises(WorkflowUpdateFailedError) as exc:
                    await update(handle, method, REVIEWER)
                assert refusal_type(exc) == "INVALID_EXPORT_STATE"
            assert await updates_of(handle) == ["get_plan", "request_execution", "approve"]
        finally:
            standins.release.set()
        # the refused messages changed nothing: the export executes as it would have
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await update(handle, ExportWorkflow.reject, REVIEWER)
        assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        await handle.terminate("test done")
    assert standins.step_calls() == STEP_ACTIVITIES
    assert standins.statuses() == ["AWAITING_APPROVAL", "PLANNED", "EXECUTING", "EXECUTED"]
    assert "EXPORT_REJECTED" not in standins.event_types()
    assert "EXPORT_CANCELLED" not in standins.event_types()


async def test_decisions_sent_while_a_request_writes_executing_are_refused(
    temporal_env: WorkflowEnvironment,
) -> None:
    # a READY plan: the request itself writes EXECUTING (EXECUTE_AT_ONCE_PATCH) by a local
    # activity, held here; the decisions sent meanwhile are taken once its task is done, and
    # refused, since execution started with the request
    standins = StandIns(hold_status="EXECUTING")
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        request = asyncio.create_task(request_execution(handle))
        try:
            async with asyncio.timeout(10):
                await standins.entered.wait()
            decisions = [
                asyncio.create_task(update(handle, method, REVIEWER))
                for method in (ExportWorkflow.reject, ExportWorkflow.cancel)
            ]
        finally:
            standins.release.set()
        await request
        for decision in decisions:
            with pytest.raises(WorkflowUpdateFailedError) as exc:
                await decision
            assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        await handle.terminate("test done")
    assert standins.step_calls() == STEP_ACTIVITIES
    assert standins.statuses() == ["EXECUTING", "EXECUTED"]
    assert standins.event_types()[:1] == ["EXECUTION_REQUESTED"]
    assert "EXPORT_REJECTED" not in standins.event_types()
    assert "EXPORT_CANCELLED" not in standins.event_types()


async def test_a_second_cancel_is_refused(temporal_env: WorkflowEnvironment) -> None:
    # the first cancel's CANCELLED write is held, so the workflow is still running
    standins = StandIns(hold_status="CANCELLED")
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["review-1"])
        first = await accepted(handle, ExportWorkflow.cancel, DecisionInput(actor="first"))
        try:
            async with asyncio.timeout(10):
                await standins.entered.wait()
            for method in (ExportWorkflow.cancel, ExportWorkflow.reject):
                with pytest.raises(WorkflowUpdateFailedError) as exc:
                    await update(handle, method, DecisionInput(actor="second"))
                assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        finally:
            standins.release.set()
        async with asyncio.timeout(10):
            assert await first.result() == "CANCELLED"
        assert await result_of(handle) == "CANCELLED"
        assert await updates_of(handle) == ["get_plan", "cancel"]
    assert standins.statuses() == ["CANCELLED"]
    assert [e.actor for t in standins.transitions for e in t.events] == ["first"]


async def test_cancel_racing_an_execute_request(temporal_env: WorkflowEnvironment) -> None:
    """A cancel accepted while the execute request's write is in flight wins; both answer."""
    standins = StandIns(hold_status="AWAITING_APPROVAL")
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["review-1"])
        execute = await accepted(
            handle,
            ExportWorkflow.request_execution,
            ExecutionRequest(actor="key_integration", wait_seconds=5.0),
        )
        async with asyncio.timeout(10):
            await standins.entered.wait()
        cancel = await accepted(handle, ExportWorkflow.cancel, DecisionInput(actor="key_int"))
        standins.release.set()
        async with asyncio.timeout(10):
            assert await cancel.result() == "CANCELLED"
            answer = await execute.result()
        assert answer.status in ("AWAITING_APPROVAL", "CANCELLED")
        assert await result_of(handle) == "CANCELLED"
    assert standins.statuses() == ["AWAITING_APPROVAL", "CANCELLED"]
    assert standins.step_calls() == []


# ---- retry ------------------------------------------------------------------------------------


async def test_retry_outside_attention_required_is_refused(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await update(handle, ExportWorkflow.retry, RETRY)
        assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        await request_execution(handle)
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await update(handle, ExportWorkflow.retry, RETRY)
        assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        assert await updates_of(handle) == ["get_plan", "request_execution"]
        await handle.terminate("test done")
    assert "RETRY_REQUESTED" not in standins.event_types()
    assert standins.step_calls() == STEP_ACTIVITIES


async def test_retry_in_attention_required_resumes_the_failed_step(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns(failing={"send_broker_submission": 1})
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        await request_execution(handle)
        state = await wait_state(handle, lambda s: s.status == "ATTENTION_REQUIRED")
        assert state.attention is not None
        assert state.attention.step == "send"
        assert state.attention.error_type == "InvalidAddress"
        assert standins.step_calls() == FAILED_SEND
        status = await update(handle, ExportWorkflow.retry, RETRY)
        assert status in ("EXECUTING", "EXECUTED")
        # answered after the EXECUTING write with the retry's actor
        retried = next(t for t in standins.transitions if t.clear_attention)
        assert retried.status == "EXECUTING"
        assert [(e.type, e.actor) for e in retried.events] == [("RETRY_REQUESTED", "key_admin")]
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        # a retry that has been taken is not taken again
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await update(handle, ExportWorkflow.retry, RETRY)
        assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        await handle.signal(ExportWorkflow.broker_outcome, BrokerOutcome(status="ACCEPTED"))
        assert await result_of(handle) == "COMPLETED"
    assert standins.step_calls() == [*FAILED_SEND, "send_broker_submission", "notify_warehouse"]
    assert standins.statuses() == [
        "EXECUTING",
        "ATTENTION_REQUIRED",
        "EXECUTING",
        "EXECUTED",
        "COMPLETED",
    ]
    assert standins.event_types().count("RETRY_REQUESTED") == 1


async def test_retry_while_the_attention_write_is_in_flight_is_taken(
    temporal_env: WorkflowEnvironment,
) -> None:
    """The step has failed and the ATTENTION_REQUIRED write is under way (the database may show
    it already): a retry is accepted then, and taken once the write is done."""
    standins = StandIns(failing={"notify_warehouse": 1}, hold_status="ATTENTION_REQUIRED")
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        await request_execution(handle)
        async with asyncio.timeout(10):
            await standins.entered.wait()
        assert (await state_of(handle)).status == "EXECUTING"
        retry = await accepted(handle, ExportWorkflow.retry, RETRY)
        standins.release.set()
        async with asyncio.timeout(10):
            assert await retry.result() in ("EXECUTING", "EXECUTED")
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        await handle.terminate("test done")
    assert standins.statuses() == ["EXECUTING", "ATTENTION_REQUIRED", "EXECUTING", "EXECUTED"]
    assert standins.step_calls()[-2:] == ["notify_warehouse", "notify_warehouse"]


# ---- the signals they replaced -----------------------------------------------------------------


async def test_the_old_signals_still_reject_and_retry(temporal_env: WorkflowEnvironment) -> None:
    """Callers that still signal by name are heard, as before the updates."""
    standins = StandIns(failing={"send_broker_submission": 1})
    async with standin_worker(temporal_env.client, standins) as tq:
        rejected, _ = await start_export(temporal_env.client, tq, ["review-1"])
        await rejected.signal("reject", REVIEWER)
        assert await result_of(rejected) == "REJECTED"
        retried, _ = await start_export(temporal_env.client, tq, ["o-1"])
        await request_execution(retried)
        await wait_state(retried, lambda s: s.status == "ATTENTION_REQUIRED")
        await retried.signal("retry", RETRY)
        await wait_state(retried, lambda s: s.status == "EXECUTED")
        await retried.terminate("test done")
    assert standins.statuses() == [
        "REJECTED",
        "EXECUTING",
        "ATTENTION_REQUIRED",
        "EXECUTING",
        "EXECUTED",
    ]


async def test_an_old_signal_that_does_not_apply_is_ignored(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        await request_execution(handle)
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        await handle.signal("cancel", DecisionInput(actor="late"))
        await handle.signal("retry", RETRY)
        await handle.signal(ExportWorkflow.broker_outcome, BrokerOutcome(status="ACCEPTED"))
        assert await result_of(handle) == "COMPLETED"
    assert standins.statuses() == ["EXECUTING", "EXECUTED", "COMPLETED"]


async def test_signal_with_start_is_not_lost(temporal_env: WorkflowEnvironment) -> None:
    """A cancel signal delivered with the start (before the first plan finished) is kept."""
    async with standin_worker(temporal_env.client, StandIns()) as tq:
        inp = export_input(["o-1"])
        handle = await temporal_env.client.start_workflow(
            ExportWorkflow.run,
            inp,
            id=f"export-{inp.export_id}",
            task_queue=tq,
            start_signal="cancel",
            start_signal_args=[DecisionInput(actor="key_reviewer", reason="changed my mind")],
        )
        try:
            assert await wait_closed(handle), "the cancel signal was lost"
            assert await handle.result() == "CANCELLED"
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test done")
