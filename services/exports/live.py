"""The workflow part of inspect: from the projection at once, or asked of the workflow on demand.

Inspect answers from the projection and the event log: the ledger writes the approval and the
attention with every transition, so nothing waits on a worker whose task slots are busy
(`projected_state`: `live: false`, `running` false once the export is final, else null: not
asked). Only a caller that asks (`?live=true`) gets the workflow's `state` query, bounded by
`QUERY_SECONDS` (rejected at once by the server when the workflow has closed meanwhile); when no
worker answers within the bound, inspect says `live: false` and shows the projection. Only while
a step is running is Temporal also asked which activity attempts are pending (what an operator
needs to see why a step is stuck), the one thing the workflow itself cannot know.
"""

import asyncio
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowQueryRejectedError
from temporalio.common import QueryRejectCondition

from domain.status import FINAL
from services.exports.views import approval_document, attention_document
from services.models.exports import JsonObject, WorkflowInfo
from store.records import ExportRecord
from workflows.export import ExportWorkflow
from workflows.messages import WorkflowState

QUERY_SECONDS = 1.0
_PENDING_STATES = {1: "SCHEDULED", 2: "STARTED", 3: "CANCEL_REQUESTED", 4: "PAUSED"}


@dataclass
class Live:
    """What inspect shows of the workflow, and the live approval and attention if it answered."""

    workflow: WorkflowInfo
    live: bool = False
    approval: JsonObject | None = field(default=None)
    attention: JsonObject | None = field(default=None)


def projected_state(export: ExportRecord) -> Live:
    """The workflow part of inspect from the projection alone: no call to Temporal."""
    running = False if export.status in FINAL else None
    return Live(
        WorkflowInfo(id=export.workflow_id, running=running, live=False, pending_activities=[])
    )


async def live_state(client: Client | None, export: ExportRecord) -> Live:
    """The workflow part of inspect for `export`, asked of its workflow while it is open."""
    info = projected_state(export).workflow
    if export.status in FINAL or client is None:
        return Live(info)
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    try:
        async with asyncio.timeout(QUERY_SECONDS):
            state: WorkflowState = await handle.query(
                ExportWorkflow.state, reject_condition=QueryRejectCondition.NOT_OPEN
            )
    except WorkflowQueryRejectedError:
        info.running = False
        return Live(info)
    except Exception:  # no worker answered in time, or Temporal is unreachable
        return Live(info)
    info = WorkflowInfo(
        id=export.workflow_id,
        running=True,
        live=True,
        pending_activities=[],
        current_step=state.current_step,
        completed_steps=state.completed_steps,
        execution_requested=state.execution_requested,
    )
    if state.current_step is not None:
        info.pending_activities = await _pending(client, export.workflow_id)
    return Live(info, True, approval_document(state.approval), attention_document(state.attention))


async def _pending(client: Client, workflow_id: str) -> list[JsonObject]:
    try:
        async with asyncio.timeout(QUERY_SECONDS):
            desc = await client.get_workflow_handle(workflow_id).describe()
    except Exception:
        return []
    pending = []
    for activity in desc.raw_description.pending_activities:
        entry: JsonObject = {
            "name": activity.activity_type.name,
            "attempt": activity.attempt,
            "state": _PENDING_STATES.get(activity.state, "UNKNOWN"),
        }
        if activity.HasField("last_failure"):
            entry["lastFailure"] = activity.last_failure.message
        if activity.HasField("next_attempt_schedule_time"):
            entry["nextAttemptAt"] = (
                activity.next_attempt_schedule_time.ToDatetime().isoformat() + "Z"
            )
        pending.append(entry)
    return pending
