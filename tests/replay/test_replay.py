"""Recorded histories must keep replaying against the current ExportWorkflow; a changed one must not.

signal_reject and signal_retry were recorded before reject, cancel and retry became updates (see
tests/support/recording.py): they are the histories of exports that were running at the change.
"""

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from tests.support.changed_workflow import TimerFirstExportWorkflow
from tests.support.recording import HISTORIES, PLAN_APPROVE, RECORDINGS
from workflows.export import ExportWorkflow

GOLDEN = sorted(HISTORIES.glob("*.json"))
EXECUTE = [
    "create_customs_package",
    "generate_artifacts",
    "prepare_broker_submission",
    "send_broker_submission",
    "notify_warehouse",
]
LOCAL_MILESTONES = {"record_transition", *EXECUTE[:3], "load_broker_terms"}
REQUEST = ["update:get_plan", "update:request_execution", "record_transition"]
# the send fails for good, a retry comes (update or signal), the send is retried and the rest runs
FAIL_SEND = [*REQUEST, "record_transition", *EXECUTE[:4], "record_transition"]
RESUME = ["record_transition", *EXECUTE[3:], "record_transition"]
ACCEPTED = ["signal:broker_outcome", "record_transition"]
MILESTONES = {
    "plan_approve": [
        *REQUEST,
        "update:approve",
        "record_transition",
        "record_transition",
        *EXECUTE,
        "record_transition",
        *ACCEPTED,
    ],
    "plan_reject": [*REQUEST, "update:reject", "record_transition"],
    "attention_retry": [*FAIL_SEND, "update:retry", *RESUME, *ACCEPTED],
    "signal_reject": [*REQUEST, "signal:reject", "record_transition"],
    "signal_retry": [*FAIL_SEND, "signal:retry", *RESUME, *ACCEPTED],
}


# recorded with the current workflow, an export that executes follows its broker with the
# broker loop: it reads the broker's terms once the submission went out
TERMS = "load_broker_terms"
FRESH = {
    name: (
        [*path[: path.index("signal:broker_outcome")], TERMS, *ACCEPTED]
        if "signal:broker_outcome" in path
        else path
    )
    for name, path in MILESTONES.items()
}


# recorded with the workflow of the customs-steps-local patch (package, artifacts, the
# submission's record and the broker's terms as local activities): the histories of exports
# executing on that path, which every later change must keep replaying
LOCAL_STEPS = {f"local_steps_{name}": FRESH[name] for name in ("plan_approve", "attention_retry")}


def _at_once(path: list[str]) -> list[str]:
    """The path under EXECUTE_AT_ONCE_PATCH: a request nothing stands between writes EXECUTING
    itself, so the two transitions after it (EXECUTION_REQUESTED, EXECUTING) are one."""
    if path[: len(REQUEST) + 1] == [*REQUEST, "record_transition"]:
        return [*REQUEST, *path[len(REQUEST) + 1 :]]
    return path


FRESH = {name: _at_once(path) for name, path in FRESH.items()}

# recorded with the workflow of the execute-at-once patch: the request, its EXECUTING and the
# steps that write only our database in one workflow task
AT_ONCE = {"at_once_attention_retry": FRESH["attention_retry"]}
EXPECTED = {**MILESTONES, **LOCAL_STEPS, **AT_ONCE}


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"export-{path.stem}", path.read_text(encoding="utf-8"))


def replayer(workflow: type) -> Replayer:
    return Replayer(workflows=[workflow], data_converter=pydantic_data_converter)


def milestones(history: WorkflowHistory) -> list[str]:
    """The activities scheduled, the updates accepted and the signals received, in order. A
    transition no decision waits on is written by a local activity in newer histories
    (LEDGER_LOCAL_PATCH), and so are the steps that write only our database
    (STEPS_LOCAL_PATCH): their markers count as the activities they were before."""
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            found.append(event.activity_task_scheduled_event_attributes.activity_type.name)
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity":
                data = json.loads(marker.details["data"].payloads[0].data)
                if data["activity_type"] in LOCAL_MILESTONES:
                    found.append(data["activity_type"])
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            attrs = event.workflow_execution_update_accepted_event_attributes
            found.append(f"update:{attrs.accepted_request.input.name}")
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            signaled = event.workflow_execution_signaled_event_attributes
            found.append(f"signal:{signaled.signal_name}")
    return found


def test_the_golden_histories_are_there() -> None:
    assert PLAN_APPROVE in GOLDEN
    assert [p.stem for p in GOLDEN] == sorted(EXPECTED)
    assert sorted(RECORDINGS) == sorted(MILESTONES)
    for path in GOLDEN:
        assert milestones(load(path)) == EXPECTED[path.stem], path.stem


@pytest.mark.parametrize("name", sorted(LOCAL_STEPS))
def test_the_local_steps_histories_run_the_steps_locally(name: str) -> None:
    history = load(HISTORIES / f"{name}.json")
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    assert not scheduled & {*EXECUTE[:3], TERMS}, scheduled
    assert {"send_broker_submission", "notify_warehouse"} <= scheduled


@pytest.mark.parametrize("name", sorted(AT_ONCE))
def test_the_at_once_histories_start_in_the_request_task(name: str) -> None:
    """From the request's acceptance to the send's scheduling, no other workflow task ran."""
    events = load(HISTORIES / f"{name}.json").events
    accepted = next(
        i
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        == "request_execution"
    )
    sent = next(
        i
        for i, e in enumerate(events)
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name
        == "send_broker_submission"
    )
    between = {e.event_type for e in events[accepted:sent]}
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED not in between
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in between


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
async def test_recorded_history_replays(path: Path) -> None:
    result = await replayer(ExportWorkflow).replay_workflow(
        load(path), raise_on_replay_failure=False
    )
    assert result.replay_failure is None, result.replay_failure


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
async def test_a_changed_workflow_does_not_replay(path: Path) -> None:
    result = await replayer(TimerFirstExportWorkflow).replay_workflow(
        load(path), raise_on_replay_failure=False
    )
    assert isinstance(result.replay_failure, NondeterminismError), result.replay_failure


@pytest.mark.parametrize("name", sorted(RECORDINGS))
async def test_the_recorder_still_records_the_same_path(
    temporal_env: WorkflowEnvironment, name: str
) -> None:
    fresh = await RECORDINGS[name](temporal_env.client)
    assert milestones(fresh) == FRESH[name]
    result = await replayer(ExportWorkflow).replay_workflow(fresh, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
