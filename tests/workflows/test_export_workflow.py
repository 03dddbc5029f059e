"""ExportWorkflow on the real dev server: planning with the real activities, orchestration with
stand-ins registered under the real activity names (tests/support/standins.py). Reject, cancel
and retry: test_reject_cancel_retry.py."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.activities import ActivityName
from tests.support.polling import eventually
from tests.support.standins import (
    STEP_ACTIVITIES,
    StandIns,
    approve_input,
    export_input,
    hash_of,
    refusal_type,
    request_execution,
    result_of,
    standin_worker,
    start_export,
    state_of,
    wait_state,
)
from tests.support.tenants import World
from workflows.export import ExportWorkflow
from workflows.messages import (
    BrokerOutcome,
    PlanExportInput,
    PlanSummary,
    ReplanInput,
    WorkflowState,
)

# ---- the plan path, with the real worker and activities -----------------------------------------


async def plan_via_api(http: httpx.AsyncClient, world: World, *skus: str) -> dict[str, Any]:
    ids = await world.orders(http, *skus)
    r = await http.post(
        "/api/exports/plan", json=world.plan_body(ids), headers=world.tenant.auth("integration")
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_ready_plan_with_real_activities(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    plan = await plan_via_api(http, world, "SKU-SCARF")
    assert plan["readinessState"] == "READY"
    handle = temporal_env.client.get_workflow_handle(f"export-{plan['exportId']}")
    state = await state_of(handle)
    assert state.export_id == plan["exportId"]
    assert state.status == "PLANNED"
    assert state.readiness_state == "READY"
    assert state.plan_hash == plan["planHash"]
    assert state.approval.state == "NOT_REQUIRED"
    assert not state.execution_requested
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    # planning runs as a local activity: a marker in the history, never a scheduled activity
    history = await handle.fetch_history()
    kinds = [e.event_type for e in history.events]
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert "plan_export" not in scheduled
    await handle.terminate("test done")


async def test_review_and_blocked_plans_with_real_activities(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    review = await plan_via_api(http, world, "SKU-SCARF-8")
    blocked = await plan_via_api(http, world, "SKU-NOHS")
    review_handle = temporal_env.client.get_workflow_handle(f"export-{review['exportId']}")
    review_state = await state_of(review_handle)
    assert review_state.readiness_state == "REVIEW_REQUIRED"
    assert review_state.status == "PLANNED"
    assert review_state.approval.state == "PENDING"
    blocked_handle = temporal_env.client.get_workflow_handle(f"export-{blocked['exportId']}")
    blocked_state = await state_of(blocked_handle)
    assert blocked_state.readiness_state == "BLOCKED"
    assert blocked_state.status == "BLOCKED"
    for handle in (blocked_handle, review_handle):
        await handle.terminate("test done")


# ---- orchestration, with stand-ins ----------------------------------------------------------


async def test_ready_plan_executes_the_steps_in_order(temporal_env: WorkflowEnvironment) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["o-1", "o-2"])
        assert summary.readiness_state == "READY"
        assert summary.status == "PLANNED"
        assert standins.step_calls() == []
        await request_execution(handle)
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        assert standins.step_calls() == STEP_ACTIVITIES
        assert all(s.plan_hash == summary.plan_hash for s in standins.steps)
        await handle.signal(ExportWorkflow.broker_outcome, BrokerOutcome(status="ACCEPTED"))
        assert await result_of(handle) == "COMPLETED"
    assert standins.statuses() == ["EXECUTING", "EXECUTED", "COMPLETED"]
    assert standins.event_types() == [
        "EXECUTION_REQUESTED",
        "EXPORT_EXECUTED",
        "BROKER_ACCEPTED",
    ]


async def test_review_required_waits_for_approval_then_executes(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["review-1"])
        assert summary.readiness_state == "REVIEW_REQUIRED"
        answer = await request_execution(handle, wait=1.0)
        assert answer.status == "AWAITING_APPROVAL"
        assert answer.awaiting_approval
        assert standins.step_calls() == []
        approval = await handle.execute_update(
            ExportWorkflow.approve, approve_input(summary.plan_hash)
        )
        assert approval.state == "APPROVED"
        assert approval.plan_hash == summary.plan_hash
        state = await wait_state(handle, lambda s: s.status == "EXECUTED")
        assert state.completed_steps == ["package", "artifacts", "submission", "send", "notify"]
        assert standins.step_calls() == STEP_ACTIVITIES
        await handle.signal(ExportWorkflow.broker_outcome, BrokerOutcome(status="ACCEPTED"))
        assert await result_of(handle) == "COMPLETED"
    assert standins.statuses()[:4] == ["AWAITING_APPROVAL", "PLANNED", "EXECUTING", "EXECUTED"]
    assert standins.event_types()[:4] == [
        "EXECUTION_REQUESTED",
        "REVIEW_REQUESTED",
        "EXPORT_APPROVED",
        "EXPORT_EXECUTED",
    ]
    approved = next(t for t in standins.transitions if t.approval is not None)
    assert approved.approval is not None
    assert approved.approval.reviewer == "key_reviewer"


async def test_approve_with_wrong_hash_is_refused_by_the_validator(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["review-1"])
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await handle.execute_update(ExportWorkflow.approve, approve_input("sha256:" + "0" * 64))
        assert refusal_type(exc) == "PLAN_HASH_MISMATCH"
        state = await state_of(handle)
        assert state.approval.state == "PENDING"
        # a validator's refusal leaves no trace: nothing was written to the ledger
        assert standins.transitions == []
        history = await handle.fetch_history()
        assert not any(
            e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            == "approve"
            for e in history.events
        )
        await handle.terminate("test done")


async def test_approve_on_a_ready_plan_is_refused(temporal_env: WorkflowEnvironment) -> None:
    async with standin_worker(temporal_env.client, StandIns()) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["o-1"])
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await handle.execute_update(ExportWorkflow.approve, approve_input(summary.plan_hash))
        assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        await handle.terminate("test done")


async def test_replan_changes_the_hash_and_resets_the_approval(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, first = await start_export(temporal_env.client, tq, ["review-1"])
        await handle.execute_update(ExportWorkflow.approve, approve_input(first.plan_hash))
        assert (await state_of(handle)).approval.state == "APPROVED"
        second = await handle.execute_update(
            ExportWorkflow.replan, ReplanInput(order_ids=["review-1", "o-2"], actor="key_int")
        )
        assert second.plan_hash == hash_of(["review-1", "o-2"])
        assert second.plan_hash != first.plan_hash
        assert second.readiness_state == "REVIEW_REQUIRED"
        state = await state_of(handle)
        assert state.plan_hash == second.plan_hash
        assert state.approval.state == "PENDING"
        # the old hash no longer approves; the new one does
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await handle.execute_update(ExportWorkflow.approve, approve_input(first.plan_hash))
        assert refusal_type(exc) == "PLAN_HASH_MISMATCH"
        await handle.execute_update(ExportWorkflow.approve, approve_input(second.plan_hash))
        await handle.terminate("test done")
    assert [p.replan for p in standins.plans] == [False, True]
    assert standins.plans[1].order_ids == ["review-1", "o-2"]
    assert standins.plans[1].dedupe_key != standins.plans[0].dedupe_key


async def test_replan_while_awaiting_approval_asks_for_review_again(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["review-1"])
        await request_execution(handle)
        await handle.execute_update(ExportWorkflow.replan, ReplanInput(order_ids=["review-2"]))
        state = await state_of(handle)
        assert state.status == "AWAITING_APPROVAL"
        assert state.approval.state == "PENDING"
        assert standins.event_types().count("REVIEW_REQUESTED") == 2
        assert standins.step_calls() == []
        await handle.terminate("test done")


async def test_plan_expires_after_its_ttl(temporal_env: WorkflowEnvironment) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"], plan_ttl_seconds=2.0)
        assert await result_of(handle) == "EXPIRED"
    assert standins.statuses() == ["EXPIRED"]
    assert standins.event_types() == ["EXPORT_EXPIRED"]
    assert standins.step_calls() == []


async def test_execute_on_a_blocked_plan_is_refused(temporal_env: WorkflowEnvironment) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["blocked-1", "o-2"])
        assert summary.status == "BLOCKED"
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await request_execution(handle)
        assert refusal_type(exc) == "EXPORT_BLOCKED"
        state = await state_of(handle)
        assert not state.execution_requested
        assert state.status == "BLOCKED"
        await handle.terminate("test done")
    assert standins.transitions == []


async def test_execute_twice_runs_the_steps_once(temporal_env: WorkflowEnvironment) -> None:
    standins = StandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["o-1"])
        first = await request_execution(handle, wait=5.0)
        second = await request_execution(handle, wait=5.0)
        assert second.status in ("EXECUTING", "EXECUTED")
        assert first.status in ("EXECUTING", "EXECUTED")
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        await handle.terminate("test done")
    assert standins.step_calls() == STEP_ACTIVITIES
    assert standins.event_types().count("EXECUTION_REQUESTED") == 1


async def test_replan_is_refused_once_execution_has_begun(
    temporal_env: WorkflowEnvironment,
) -> None:
    """Once the workflow has decided to execute, a re-plan no longer slips in (the ledger's
    EXECUTING write is held open meanwhile). A reviewed plan's run loop writes EXECUTING by an
    activity, so the workflow takes the re-plan while the write is held."""
    standins = StandIns(hold_status="EXECUTING")
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["review-1"])
        try:
            await request_execution(handle)
            await handle.execute_update(ExportWorkflow.approve, approve_input(summary.plan_hash))
            async with asyncio.timeout(10):
                await standins.entered.wait()  # the workflow has decided to execute
            with pytest.raises(WorkflowUpdateFailedError) as exc:
                await handle.execute_update(
                    ExportWorkflow.replan, ReplanInput(order_ids=["blocked-1"])
                )
            assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        finally:
            standins.release.set()
            await handle.terminate("test done")


async def test_state_query(temporal_env: WorkflowEnvironment) -> None:
    async with standin_worker(temporal_env.client, StandIns()) as tq:
        handle, summary = await start_export(temporal_env.client, tq, ["review-1"])
        state = await state_of(handle)
        assert state == WorkflowState(
            export_id=summary.export_id,
            status="PLANNED",
            readiness_state="REVIEW_REQUIRED",
            plan_hash=summary.plan_hash,
            approval=state.approval,
            execution_requested=False,
            attention=None,
            completed_steps=[],
            current_step=None,
        )
        assert state.approval.state == "PENDING"
        await request_execution(handle)
        state = await state_of(handle)
        assert state.status == "AWAITING_APPROVAL"
        assert state.execution_requested
        await handle.terminate("test done")


async def test_the_worker_shuts_down_while_planning_keeps_failing(
    temporal_env: WorkflowEnvironment,
) -> None:
    """Planning that keeps failing (database down) must not keep the worker from stopping:
    sdk-core retries local activities during shutdown (sdk-rust#709)."""
    attempts: list[str] = []

    @activity.defn(name=ActivityName.PLAN_EXPORT)
    async def failing_plan(inp: PlanExportInput) -> PlanSummary:
        attempts.append(inp.export_id)
        raise RuntimeError("database unreachable")

    worker = Worker(
        temporal_env.client,
        task_queue=f"wf-test-{uuid.uuid4().hex[:12]}",
        workflows=[ExportWorkflow],
        activities=[failing_plan],
        graceful_shutdown_timeout=timedelta(seconds=1),
    )
    running = asyncio.create_task(worker.run())
    inp = export_input(["o-1"])
    handle = await temporal_env.client.start_workflow(
        ExportWorkflow.run, inp, id=f"export-{inp.export_id}", task_queue=worker.task_queue
    )

    async def retried() -> bool:
        return len(attempts) >= 2

    await eventually(retried)
    shutdown = asyncio.create_task(worker.shutdown())
    try:
        done, _ = await asyncio.wait({shutdown}, timeout=10)
        assert shutdown in done, f"the worker is still retrying planning ({len(attempts)} attempts)"
    finally:
        await handle.terminate("test done")  # evicts the run, which lets the worker stop
        async with asyncio.timeout(60):
            await shutdown
            await running
