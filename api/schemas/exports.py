"""Request and response models of the export routes (CONTRACT §9)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from domain.status import ExportStatus

Id = Annotated[str, Field(min_length=1, max_length=64)]
BatchId = Annotated[str, Field(min_length=3, max_length=64)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
PlanHash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanRequest(_Body):
    """`POST /api/exports/plan`."""

    accountId: Id
    warehouseId: Id
    brokerId: Id
    destinationCountry: Country = "US"
    orderIds: Annotated[list[Id], Field(min_length=1, max_length=1000)]
    batchId: BatchId | None = None
    dryRun: StrictBool = False
    idempotencyKey: str | None = None


class ExecuteRequest(_Body):
    """`POST /api/exports/execute`."""

    accountId: Id
    batchId: BatchId
    idempotencyKey: str | None = None


class ReplanRequest(_Body):
    """`POST /api/exports/{id}/replan`: unset fields keep their value."""

    orderIds: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None
    warehouseId: Id | None = None
    brokerId: Id | None = None
    destinationCountry: Country | None = None
    idempotencyKey: str | None = None


class ApproveRequest(_Body):
    """`POST /api/exports/{id}/approve`."""

    planHash: PlanHash
    comment: Annotated[str, Field(max_length=2000)] | None = None
    idempotencyKey: str | None = None


class RejectRequest(_Body):
    """`POST /api/exports/{id}/reject`."""

    reason: Reason
    idempotencyKey: str | None = None


class CancelRequest(_Body):
    """`POST /api/exports/{id}/cancel`."""

    reason: Reason | None = None
    idempotencyKey: str | None = None


class RetryRequest(_Body):
    """`POST /api/exports/{id}/retry`."""

    idempotencyKey: str | None = None


class BrokerOutcomeRequest(_Body):
    """`POST /api/exports/{id}/broker-outcome` (brokers that answer by email)."""

    status: Literal["ACCEPTED", "REJECTED"]
    entryNumber: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    reason: Reason | None = None
    idempotencyKey: str | None = None


class BrokerCallback(_Body):
    """`POST /api/brokers/{brokerId}/callbacks`."""

    submissionId: Id
    status: Literal["ACKNOWLEDGED", "ACCEPTED", "REJECTED"]
    entryNumber: Annotated[str, Field(max_length=64)] | None = None
    brokerReference: Annotated[str, Field(max_length=128)] | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None
    occurredAt: datetime


class Plan(BaseModel):
    """The plan (§9.1)."""

    model_config = ConfigDict(extra="allow")

    exportId: str | None
    batchId: str | None
    status: ExportStatus | None
    readinessState: str
    planHash: str
    rulesetVersion: str
    included_order_ids: list[str]
    excluded_order_ids: list[str]
    decisions: list[dict[str, Any]]
    exportUnits: list[dict[str, Any]]
    validationMessages: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    missing_data: list[dict[str, Any]]
    strategyHint: dict[str, Any]
    next_recommended_action: str
    totals: dict[str, Any]
    plannedAt: str | None


class Event(BaseModel):
    """One event of an export (§12)."""

    id: str
    seq: int
    type: str
    occurredAt: datetime
    actor: str
    data: dict[str, Any]


class EventPage(BaseModel):
    """Events after a seq."""

    data: list[Event]
    nextAfter: int | None


class WorkflowInfo(BaseModel):
    """The export's workflow: `live` when its `state` query answered (then its current and
    completed steps are shown); `running` is null when Temporal or the worker did not answer."""

    model_config = ConfigDict(extra="forbid")

    id: str
    running: bool | None
    live: bool = False
    pendingActivities: list[dict[str, Any]]
    currentStep: str | None = None
    completedSteps: list[str] | None = None
    executionRequested: bool | None = None


class ExportView(BaseModel):
    """Inspect (§9.4)."""

    model_config = ConfigDict(extra="allow")

    exportId: str
    batchId: str
    accountId: str
    warehouseId: str
    brokerId: str
    destinationCountry: str
    status: ExportStatus
    readinessState: str
    planHash: str
    plan: Plan
    approval: dict[str, Any]
    attention: dict[str, Any] | None
    customs_package_id: str | None
    customsPackage: dict[str, Any] | None
    artifacts: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    brokerSubmission: dict[str, Any] | None
    events: list[Event]
    workflow: WorkflowInfo
    createdAt: datetime
    updatedAt: datetime


class ExportSummary(BaseModel):
    """An export in a list."""

    exportId: str
    batchId: str
    status: ExportStatus
    readinessState: str
    planHash: str
    warehouseId: str
    brokerId: str
    destinationCountry: str
    createdAt: datetime
    updatedAt: datetime


class ExportPage(BaseModel):
    """A page of exports."""

    data: list[ExportSummary]
    nextCursor: str | None
