"""Inputs and results of the export workflow, its messages and its activities (no side effects).

New fields are optional so that running workflows keep replaying.
"""

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.status import ApprovalState, ExportStatus

__all__ = ["ApprovalState", "ExportStatus"]

Readiness = Literal["READY", "REVIEW_REQUIRED", "BLOCKED"]


class ExportInput(BaseModel):
    """What starts an export."""

    exportId: str
    accountId: str
    warehouseId: str
    brokerId: str
    destinationCountry: str
    orderIds: list[str]
    actor: str
    planTtlSeconds: float
    ackWindowSeconds: float
    retryBudgetSeconds: float = 900.0
    # review policy (issue 12); None (histories from before it): no review deadline, and the
    # planning worker's own threshold
    reviewDeadlineSeconds: float | None = None
    reviewTwoKeysAboveUsd: float | None = None


class PlanExportInput(BaseModel):
    """The planning activity: plan (or re-plan) and persist."""

    exportId: str
    accountId: str
    warehouseId: str
    brokerId: str
    destinationCountry: str
    orderIds: list[str]
    actor: str
    planDate: datetime
    replan: bool
    dedupeKey: str
    reviewDeadlineSeconds: float | None = None
    reviewTwoKeysAboveUsd: float | None = None


class PlanSummary(BaseModel):
    """What the workflow keeps of a plan (the plan itself lives in PostgreSQL)."""

    exportId: str
    planHash: str
    readinessState: Readiness
    status: ExportStatus
    plannedAt: datetime
    # four eyes (domain/review_policy.py): different keys that must approve, and why two
    approvalsRequired: int = 1
    fourEyesReasons: list[str] = Field(default_factory=list)


class ReplanInput(BaseModel):
    """Re-plan an export before execution starts; unset fields keep their value."""

    orderIds: list[str] | None = None
    warehouseId: str | None = None
    brokerId: str | None = None
    destinationCountry: str | None = None
    actor: str = "api"


class ExecutionRequest(BaseModel):
    """The `request_execution` update."""

    actor: str
    waitSeconds: float = 10.0


class ExecutionAnswer(BaseModel):
    """Where the export stands when the execute update returns."""

    status: ExportStatus
    awaitingApproval: bool


class ApproveInput(BaseModel):
    """The `approve` update."""

    planHash: str
    reviewer: str
    comment: str | None = None
    label: str | None = None  # who the reviewer's key stands for


class DecisionInput(BaseModel):
    """The `reject` and `cancel` updates (and the signals of the same names they replaced)."""

    actor: str
    reason: str | None = None
    label: str | None = None


class RetryInput(BaseModel):
    """The `retry` update (and the signal of the same name it replaced)."""

    actor: str
    label: str | None = None


class BrokerOutcome(BaseModel):
    """The `broker_outcome` signal: from a broker callback or a reviewer."""

    status: Literal["ACKNOWLEDGED", "ACCEPTED", "REJECTED"]
    entryNumber: str | None = None
    brokerReference: str | None = None
    reason: str | None = None
    occurredAt: datetime | None = None
    actor: str = "broker"


class Approver(BaseModel):
    """One approval of the current plan: the key, who it stands for, when, and the comment."""

    keyId: str
    label: str | None = None
    at: datetime
    comment: str | None = None


class Rejecter(BaseModel):
    """The rejection of the plan."""

    keyId: str
    label: str | None = None
    at: datetime
    reason: str | None = None


class ReviewPolicy(BaseModel):
    """What the review of the current plan asks: four eyes and why, and by when."""

    fourEyes: bool = False
    reasons: list[str] = Field(default_factory=list)
    reviewDeadline: datetime | None = None
    overdue: bool = False


class Approval(BaseModel):
    """The review decision of the current plan. `reviewer`, `comment`, `decidedAt` and `label`
    are those of the latest decision; `approvedBy` holds every approval (four eyes: two different
    keys), `rejectedBy` the rejection. `approvalsRequired` and `policy` are None in workflows
    started before the review policy."""

    state: ApprovalState
    reviewer: str | None = None
    comment: str | None = None
    decidedAt: datetime | None = None
    planHash: str | None = None
    label: str | None = None
    approvalsRequired: int | None = None
    approvedBy: list[Approver] = Field(default_factory=list)
    rejectedBy: Rejecter | None = None
    policy: ReviewPolicy | None = None


def plan_approval(summary: PlanSummary, deadline_seconds: float | None) -> Approval:
    """The approval a fresh plan starts with (the workflow holds it, the planning activity
    stores it): nobody decided yet; the review deadline only when the plan asks for review."""
    review = summary.readinessState == "REVIEW_REQUIRED"
    required = summary.approvalsRequired if review else 0
    deadline = None
    if review and deadline_seconds is not None:
        deadline = summary.plannedAt + timedelta(seconds=deadline_seconds)
    return Approval(
        state=ApprovalState.PENDING if review else ApprovalState.NOT_REQUIRED,
        approvalsRequired=required,
        policy=ReviewPolicy(
            fourEyes=required >= 2,
            reasons=list(summary.fourEyesReasons) if review else [],
            reviewDeadline=deadline,
        ),
    )


class Attention(BaseModel):
    """Why an export needs a person."""

    step: str
    errorType: str | None = None
    error: str
    at: datetime


class EventSpec(BaseModel):
    """One event to append; the dedupe key makes a retried write harmless."""

    type: str
    dedupeKey: str
    actor: str = "system"
    data: dict[str, Any] = Field(default_factory=dict)


class TransitionInput(BaseModel):
    """The ledger activity: move the projection and append events in one transaction."""

    exportId: str
    status: ExportStatus | None = None
    approval: Approval | None = None
    attention: Attention | None = None
    clearAttention: bool = False
    executionRequested: bool | None = None
    brokerOutcome: BrokerOutcome | None = None
    events: list[EventSpec] = Field(default_factory=list)
    occurredAt: datetime


class ReviewOverdueInput(BaseModel):
    """The `notify_review_overdue` activity: tell the account's review webhook, if it has one."""

    exportId: str
    accountId: str
    planHash: str
    waitingSince: datetime
    deadline: datetime


class StepInput(BaseModel):
    """Every execution activity gets the export and the plan it executes."""

    exportId: str
    planHash: str
    dedupePrefix: str = ""


class PackageResult(BaseModel):
    """The customs package of the export's plan."""

    customsPackageId: str
    packageNumber: str
    reused: bool


class SubmissionResult(BaseModel):
    """The broker submission after a step."""

    submissionId: str
    status: str
    brokerReference: str | None = None


class WorkflowState(BaseModel):
    """The `state` query."""

    exportId: str
    status: ExportStatus | None
    readinessState: Readiness | None
    planHash: str | None
    approval: Approval
    executionRequested: bool
    attention: Attention | None
    completedSteps: list[str]
    currentStep: str | None
