"""The review policy's four eyes and review clock inside ExportWorkflow, on the real dev server
with stand-in activities; the histories they make replay."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.activities import ActivityName
from tests.support.standins import (
    STEP_ACTIVITIES,
    StandIns,
    refusal_type,
    request_execution,
    standin_worker,
    start_export,
    state_of,
    update,
    wait_state,
)
from workflows.export import ExportWorkflow
from workflows.messages import (
    ApproveInput,
    PlanExportInput,
    PlanSummary,
    ReplanInput,
    ReviewOverdueInput,
)


@dataclass
class ReviewStandIns(StandIns):
    """The stand-ins, with orders named `review-four…` needing two keys, and the review webhook."""

    notified: list[ReviewOverdueInput] = field(default_factory=list)

    @activity.defn(name=ActivityName.PLAN_EXPORT)
    async def plan_export_four_eyes(self, inp: PlanExportInput) -> PlanSummary:
        summary = await StandIns.plan_export(self, inp)
        if any(o.startswith("review-four") for o in inp.order_ids):
            return summary.model_copy(
                update={"approvals_required": 2, "four_eyes_reasons": ["VALUE_ABOVE_10000_USD"]}
            )
        return summary

    @activity.defn(name=ActivityName.NOTIFY_REVIEW_OVERDUE)
    async def notify_review_overdue(self, inp: ReviewOverdueInput) -> str:
        self.calls.append("notify_review_overdue")
        self.notified.append(inp)
        return "DELIVERED"

    def activities(self) -> list[Any]:
        return [
            self.plan_export_four_eyes,
            *StandIns.activities(self)[1:],
            self.notify_review_overdue,
        ]


def approve(plan_hash: str, key: str) -> ApproveInput:
    return ApproveInput(plan_hash=plan_hash, reviewer=key, label=f"{key} (person)")


async def replays(handle: WorkflowHandle[Any, Any]) -> None:
    history = await handle.fetch_history()
    result = await Replayer(
        workflows=[ExportWorkflow], data_converter=pydantic_data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_two_different_keys_complete_a_four_eyes_approval(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = ReviewStandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(
            temporal_env.client, tq, ["review-four-1"], review_deadline_seconds=3600.0
        )
        await request_execution(handle)
        first = await update(handle, ExportWorkflow.approve, approve(summary.plan_hash, "key_a"))
        assert first.state == "PARTIALLY_APPROVED"
        assert (await state_of(handle)).status == "AWAITING_APPROVAL"
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await update(handle, ExportWorkflow.approve, approve(summary.plan_hash, "key_a"))
        assert refusal_type(exc) == "INVALID_EXPORT_STATE"
        second = await update(handle, ExportWorkflow.approve, approve(summary.plan_hash, "key_b"))
        assert second.state == "APPROVED"
        assert [a.key_id for a in second.approved_by] == ["key_a", "key_b"]
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        await handle.terminate("test done")
        await replays(handle)
    assert standins.step_calls() == STEP_ACTIVITIES
    assert standins.statuses()[:2] == ["AWAITING_APPROVAL", "PLANNED"]
    approvals = [e for t in standins.transitions for e in t.events if e.type == "EXPORT_APPROVED"]
    assert [(e.actor, e.data["approvalState"]) for e in approvals] == [
        ("key_a", "PARTIALLY_APPROVED"),
        ("key_b", "APPROVED"),
    ]
    assert "notify_review_overdue" not in standins.calls


async def test_an_overdue_review_is_reported_once_per_plan(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = ReviewStandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, summary = await start_export(
            temporal_env.client, tq, ["review-1"], review_deadline_seconds=1.0
        )
        state = await wait_state(
            handle, lambda s: s.approval.policy is not None and s.approval.policy.overdue
        )
        assert state.approval.state == "PENDING"
        # a re-plan restarts the clock: the new plan is reported once more
        await update(handle, ExportWorkflow.replan, ReplanInput(order_ids=["review-2"]))
        await wait_state(handle, lambda s: len(standins.notified) == 2)
        await handle.terminate("test done")
        await replays(handle)
    overdue = [e for t in standins.transitions for e in t.events if e.type == "REVIEW_OVERDUE"]
    assert len(overdue) == 2
    assert [n.plan_hash for n in standins.notified] == [e.data["planHash"] for e in overdue]
    assert standins.notified[0].plan_hash == summary.plan_hash
    assert standins.notified[0].deadline > standins.notified[0].waiting_since


async def test_no_deadline_no_clock(temporal_env: WorkflowEnvironment) -> None:
    """An export started without `reviewDeadlineSeconds` (as every one before the review policy)
    never reports a review overdue."""
    standins = ReviewStandIns()
    async with standin_worker(temporal_env.client, standins) as tq:
        handle, _ = await start_export(temporal_env.client, tq, ["review-1"])
        state = await state_of(handle)
        assert state.approval.policy is not None
        assert state.approval.policy.review_deadline is None
        await handle.terminate("test done")
    assert "notify_review_overdue" not in standins.calls
