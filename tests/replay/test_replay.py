"""Recorded histories must keep replaying against the current ExportWorkflow; a changed one must not."""

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.replay.changed import TimerFirstExportWorkflow
from tests.replay.record import HISTORIES, PLAN_APPROVE, record_plan_approve
from workflows.export import ExportWorkflow

GOLDEN = sorted(HISTORIES.glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"export-{path.stem}", path.read_text(encoding="utf-8"))


def replayer(workflow: type) -> Replayer:
    return Replayer(workflows=[workflow], data_converter=pydantic_data_converter)


def milestones(history: WorkflowHistory) -> list[str]:
    """The activities scheduled and the updates accepted, in order (what the driver decides)."""
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            found.append(event.activity_task_scheduled_event_attributes.activity_type.name)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            attrs = event.workflow_execution_update_accepted_event_attributes
            found.append(f"update:{attrs.accepted_request.input.name}")
    return found


def test_the_golden_histories_are_there() -> None:
    assert PLAN_APPROVE in GOLDEN
    assert milestones(load(PLAN_APPROVE)) == [
        "update:get_plan",
        "update:request_execution",
        "record_transition",
        "update:approve",
        "record_transition",
        "record_transition",
        "create_customs_package",
        "generate_artifacts",
        "prepare_broker_submission",
        "send_broker_submission",
        "notify_warehouse",
        "record_transition",
        "record_transition",
    ]


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
async def test_recorded_history_replays(path: Path) -> None:
    result = await replayer(ExportWorkflow).replay_workflow(
        load(path), raise_on_replay_failure=False
    )
    assert result.replay_failure is None, result.replay_failure


async def test_a_changed_workflow_does_not_replay() -> None:
    result = await replayer(TimerFirstExportWorkflow).replay_workflow(
        load(PLAN_APPROVE), raise_on_replay_failure=False
    )
    assert isinstance(result.replay_failure, NondeterminismError), result.replay_failure


async def test_the_recorder_still_records_the_same_path(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    fresh = await record_plan_approve(temporal_env.client)
    assert milestones(fresh) == milestones(load(PLAN_APPROVE))
    result = await replayer(ExportWorkflow).replay_workflow(fresh, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
