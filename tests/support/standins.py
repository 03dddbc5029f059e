"""Stand-in activities under the real names, and helpers to drive ExportWorkflow without the API.

The stand-ins touch no database: they record what the workflow asked for, in order. Planning
decides readiness from the order ids (`blocked-…` → BLOCKED, `review-…` → REVIEW_REQUIRED,
anything else → READY) and hashes the sorted ids, so a changed order set changes the planHash.
A step named in `failing` fails for good (a non-retryable `InvalidAddress`) that many times.
"""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from domain.activities import ActivityName
from workflows.broker_messages import AmendmentInput, BrokerTerms, ResendInput
from workflows.export import STEPS, ExportWorkflow
from workflows.messages import (
    ApproveInput,
    ExecutionRequest,
    ExportInput,
    PackageResult,
    PlanExportInput,
    PlanSummary,
    StepInput,
    SubmissionResult,
    TransitionInput,
    WorkflowState,
)

STEP_ACTIVITIES = [name for _, name in STEPS]


def readiness_of(order_ids: list[str]) -> str:
    """The stand-in planner's decision."""
    if any(o.startswith("blocked") for o in order_ids):
        return "BLOCKED"
    if any(o.startswith("review") for o in order_ids):
        return "REVIEW_REQUIRED"
    return "READY"


def hash_of(order_ids: list[str]) -> str:
    """A planHash that depends on the order set only."""
    digest = hashlib.sha256(",".join(sorted(set(order_ids))).encode()).hexdigest()
    return f"sha256:{digest}"


@dataclass
class StandIns:
    """Every activity of the export task queue; `calls` keeps the activity names in call order."""

    calls: list[str] = field(default_factory=list)
    plans: list[PlanExportInput] = field(default_factory=list)
    transitions: list[TransitionInput] = field(default_factory=list)
    steps: list[StepInput] = field(default_factory=list)
    # record_transition to this status waits for `release` (after setting `entered`)
    hold_status: str | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    # step activity name → how many more times it fails for good
    failing: dict[str, int] = field(default_factory=dict)
    # every plan_export waits for `plan_release` (after setting `plan_entered`)
    hold_plans: bool = False
    plan_entered: asyncio.Event = field(default_factory=asyncio.Event)
    plan_release: asyncio.Event = field(default_factory=asyncio.Event)
    # the broker loop: the broker's terms, the amendments asked for
    terms: BrokerTerms = field(default_factory=BrokerTerms)
    amendments: list[AmendmentInput] = field(default_factory=list)

    @activity.defn(name=ActivityName.PLAN_EXPORT)
    async def plan_export(self, inp: PlanExportInput) -> PlanSummary:
        """Decide readiness from the order ids."""
        if self.hold_plans:
            self.plan_entered.set()
            await self.plan_release.wait()
        self.calls.append("plan_export")
        self.plans.append(inp)
        readiness = readiness_of(inp.order_ids)
        return PlanSummary(
            export_id=inp.export_id,
            plan_hash=hash_of(inp.order_ids),
            readiness_state=readiness,  # type: ignore[arg-type]
            status="BLOCKED" if readiness == "BLOCKED" else "PLANNED",
            planned_at=inp.plan_date,
        )

    @activity.defn(name=ActivityName.RECORD_TRANSITION)
    async def record_transition(self, inp: TransitionInput) -> None:
        """Remember the transition (optionally holding one status until released)."""
        if inp.status is not None and inp.status == self.hold_status:
            self.entered.set()
            await self.release.wait()
        self.calls.append("record_transition")
        self.transitions.append(inp)

    async def _step(self, name: str, inp: StepInput) -> None:
        self.calls.append(name)
        self.steps.append(inp)
        if self.failing.get(name, 0) > 0:
            self.failing[name] -= 1
            raise ApplicationError(
                f"{name}: the address refuses us", type="InvalidAddress", non_retryable=True
            )

    @activity.defn(name=ActivityName.CREATE_CUSTOMS_PACKAGE)
    async def create_customs_package(self, inp: StepInput) -> PackageResult:
        """Pretend to create the package."""
        await self._step("create_customs_package", inp)
        return PackageResult(customs_package_id="cp_test", package_number="EG-TEST", reused=False)

    @activity.defn(name=ActivityName.GENERATE_ARTIFACTS)
    async def generate_artifacts(self, inp: StepInput) -> list[str]:
        """Pretend to render the artifacts."""
        await self._step("generate_artifacts", inp)
        return ["art_test"]

    @activity.defn(name=ActivityName.PREPARE_BROKER_SUBMISSION)
    async def prepare_broker_submission(self, inp: StepInput) -> SubmissionResult:
        """Pretend to prepare the submission."""
        await self._step("prepare_broker_submission", inp)
        return SubmissionResult(submission_id="bsub_test", status="PREPARED")

    @activity.defn(name=ActivityName.SEND_BROKER_SUBMISSION)
    async def send_broker_submission(self, inp: StepInput) -> SubmissionResult:
        """Pretend to send it."""
        await self._step("send_broker_submission", inp)
        return SubmissionResult(submission_id="bsub_test", status="SENT")

    @activity.defn(name=ActivityName.NOTIFY_WAREHOUSE)
    async def notify_warehouse(self, inp: StepInput) -> str:
        """Pretend to notify the warehouse."""
        await self._step("notify_warehouse", inp)
        return "ntf_test"

    @activity.defn(name=ActivityName.LOAD_BROKER_TERMS)
    async def load_broker_terms(self, export_id: str) -> BrokerTerms:
        """The broker's terms: `terms` (the defaults unless a test sets them)."""
        self.calls.append("load_broker_terms")
        return self.terms

    @activity.defn(name=ActivityName.SEND_BROKER_AMENDMENT)
    async def send_broker_amendment(self, inp: AmendmentInput) -> SubmissionResult:
        """Pretend to send an amendment."""
        self.calls.append("send_broker_amendment")
        self.amendments.append(inp)
        return SubmissionResult(submission_id="bsub_test", status="SENT")

    @activity.defn(name=ActivityName.RESEND_BROKER_SUBMISSION)
    async def resend_broker_submission(self, inp: ResendInput) -> SubmissionResult:
        """Pretend to send the submission again."""
        self.calls.append("resend_broker_submission")
        return SubmissionResult(submission_id="bsub_test", status="SENT")

    def activities(self) -> list[Any]:
        """The callables to register on a worker."""
        return [
            self.plan_export,
            self.record_transition,
            self.create_customs_package,
            self.generate_artifacts,
            self.prepare_broker_submission,
            self.send_broker_submission,
            self.notify_warehouse,
            self.load_broker_terms,
            self.send_broker_amendment,
            self.resend_broker_submission,
        ]

    def step_calls(self) -> list[str]:
        """The execution steps called so far, in order."""
        return [c for c in self.calls if c in STEP_ACTIVITIES]

    def statuses(self) -> list[str]:
        """The statuses the ledger was asked to record, in order."""
        return [t.status for t in self.transitions if t.status is not None]

    def event_types(self) -> list[str]:
        """The event types the ledger was asked to append, in order."""
        return [e.type for t in self.transitions for e in t.events]


@asynccontextmanager
async def standin_worker(
    client: Client, standins: StandIns, workflows: list[type] | None = None
) -> AsyncIterator[str]:
    """A worker on a fresh task queue with ExportWorkflow and the stand-ins; yields the queue."""
    task_queue = f"wf-test-{uuid.uuid4().hex[:12]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=workflows or [ExportWorkflow],
        activities=standins.activities(),
    ):
        yield task_queue


def export_input(order_ids: list[str], **overrides: Any) -> ExportInput:
    """An ExportInput with a fresh export id; long TTL and acknowledgement window by default."""
    values: dict[str, Any] = {
        "export_id": f"exp_{uuid.uuid4().hex}",
        "account_id": "acc_test",
        "warehouse_id": "wh_test",
        "broker_id": "br_test",
        "destination_country": "US",
        "order_ids": order_ids,
        "actor": "key_integration",
        "plan_ttl_seconds": 3600.0,
        "ack_window_seconds": 3600.0,
        **overrides,
    }
    return ExportInput(**values)


async def start_export(
    client: Client, task_queue: str, order_ids: list[str], **overrides: Any
) -> tuple[WorkflowHandle[Any, str], PlanSummary]:
    """Start an export the way the API does (update-with-start `get_plan`)."""
    inp = export_input(order_ids, **overrides)
    operation = WithStartWorkflowOperation(
        ExportWorkflow.run,
        inp,
        id=f"export-{inp.export_id}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    summary = await client.execute_update_with_start_workflow(
        ExportWorkflow.get_plan, start_workflow_operation=operation
    )
    return await operation.workflow_handle(), summary


async def result_of(handle: WorkflowHandle[Any, str], seconds: float = 30.0) -> str:
    """The workflow's result; a workflow that does not finish fails the test instead of hanging."""
    async with asyncio.timeout(seconds):
        return await handle.result()


async def update(
    handle: WorkflowHandle[Any, Any], method: Any, arg: Any, seconds: float = 10.0
) -> Any:
    """Execute an update; one that never answers fails the test instead of hanging it."""
    async with asyncio.timeout(seconds):
        return await handle.execute_update(method, arg)


def refusal_type(exc: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> str | None:
    """The ApplicationError type a validator refused an update with."""
    cause = exc.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause.type


async def state_of(handle: WorkflowHandle[Any, Any]) -> WorkflowState:
    """The `state` query."""
    return await handle.query(ExportWorkflow.state)


async def wait_state(
    handle: WorkflowHandle[Any, Any], check: Any, attempts: int = 400
) -> WorkflowState:
    """Query until `check(state)` holds (bounded number of queries)."""
    state = await state_of(handle)
    for _ in range(attempts):
        if check(state):
            return state
        await asyncio.sleep(0.05)
        state = await state_of(handle)
    raise AssertionError(f"state never matched: {state}")


async def request_execution(handle: WorkflowHandle[Any, Any], wait: float = 0.0) -> Any:
    """The `request_execution` update, as the API sends it."""
    return await handle.execute_update(
        ExportWorkflow.request_execution,
        ExecutionRequest(actor="key_integration", wait_seconds=wait),
    )


def approve_input(plan_hash: str) -> ApproveInput:
    """A reviewer's approval of `plan_hash`."""
    return ApproveInput(plan_hash=plan_hash, reviewer="key_reviewer", comment="looks right")


def accepted_updates(events: Any) -> list[str]:
    """The names of the updates a history accepted, in order."""
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
