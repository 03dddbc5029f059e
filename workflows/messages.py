"""Inputs and results of the export workflow, its messages and its activities (no side effects).

Attributes are snake_case; on the wire (Temporal payloads, histories, the stored approval) every
model keeps its camelCase names by alias, so recorded histories replay byte for byte.
New fields are optional so that running workflows keep replaying.
"""

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from domain.approval import Approval, Approver, Attention, Rejecter, ReviewPolicy
from domain.broker_loop.state import BrokerSide
from domain.destinations import WaitingFor
from domain.planning.document import PlanDocument
from domain.status import ApprovalState, ExportStatus, Readiness, approval_for
from domain.wire import WireModel

__all__ = [
    "Approval",
    "ApprovalState",
    "Approver",
    "Attention",
    "ExportStatus",
    "Readiness",
    "Rejecter",
    "ReviewPolicy",
]


class ExportInput(WireModel):
    """What starts an export."""

    export_id: str
    account_id: str
    warehouse_id: str
    broker_id: str
    destination_country: str
    order_ids: list[str]
    actor: str
    plan_ttl_seconds: float
    ack_window_seconds: float
    retry_budget_seconds: float = 900.0
    # the review policy; None (histories from before it): no review deadline, and the planning
    # worker's own threshold
    review_deadline_seconds: float | None = None
    review_two_keys_above_usd: float | None = None
    # the account's escalation chain when the export started (None: no chain, or a history from
    # before it): this long after the review deadline an open review goes to the leads' queue
    review_escalate_after_seconds: float | None = None


class PlanExportInput(WireModel):
    """The planning activity: plan (or re-plan) and persist."""

    export_id: str
    account_id: str
    warehouse_id: str
    broker_id: str
    destination_country: str
    order_ids: list[str]
    actor: str
    plan_date: datetime
    replan: bool
    dedupe_key: str
    review_deadline_seconds: float | None = None
    review_two_keys_above_usd: float | None = None


class PlanSummary(WireModel):
    """What the workflow keeps of a plan (the plan itself lives in PostgreSQL)."""

    export_id: str
    plan_hash: str
    readiness_state: Readiness
    status: ExportStatus
    planned_at: datetime
    # four eyes (domain/review_policy.py): different keys that must approve, and why two
    approvals_required: int = 1
    four_eyes_reasons: list[str] = Field(default_factory=list)

    @classmethod
    def of(
        cls,
        plan: PlanDocument,
        approvals_required: int = 1,
        four_eyes_reasons: list[str] | None = None,
    ) -> "PlanSummary":
        """The summary of an export's plan, with the review policy decided for it."""
        if plan.export_id is None or plan.status is None:
            raise ValueError("a dry run's plan belongs to no export")
        return cls(
            export_id=plan.export_id,
            plan_hash=plan.plan_hash,
            readiness_state=plan.readiness_state,
            status=plan.status,
            planned_at=datetime.fromisoformat(plan.planned_at),
            approvals_required=approvals_required,
            four_eyes_reasons=four_eyes_reasons or [],
        )


class ReplanInput(WireModel):
    """Re-plan an export before execution starts; unset fields keep their value."""

    order_ids: list[str] | None = None
    warehouse_id: str | None = None
    broker_id: str | None = None
    destination_country: str | None = None
    actor: str = "api"


class ExecutionRequest(WireModel):
    """The `request_execution` update."""

    actor: str
    wait_seconds: float = 10.0


class ExecutionAnswer(WireModel):
    """Where the export stands when the execute update returns."""

    status: ExportStatus
    awaiting_approval: bool


class ApproveInput(WireModel):
    """The `approve` update."""

    plan_hash: str
    reviewer: str
    comment: str | None = None
    label: str | None = None  # who the reviewer's key stands for


class DecisionInput(WireModel):
    """The `reject` and `cancel` updates (and the signals of the same names they replaced)."""

    actor: str
    reason: str | None = None
    label: str | None = None


class RetryInput(WireModel):
    """The `retry` update (and the signal of the same name it replaced)."""

    actor: str
    label: str | None = None


class BrokerOutcome(WireModel):
    """The `broker_outcome` signal: from a broker callback or a reviewer."""

    status: Literal["ACKNOWLEDGED", "ACCEPTED", "REJECTED"]
    entry_number: str | None = None
    broker_reference: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None
    actor: str = "broker"


def plan_approval(summary: PlanSummary, deadline_seconds: float | None) -> Approval:
    """The approval a fresh plan starts with (the workflow holds it, the planning activity
    stores it): nobody decided yet; the review deadline only when the plan asks for review."""
    review = summary.readiness_state == Readiness.REVIEW_REQUIRED
    required = summary.approvals_required if review else 0
    deadline = None
    if review and deadline_seconds is not None:
        deadline = summary.planned_at + timedelta(seconds=deadline_seconds)
    return Approval(
        state=approval_for(summary.readiness_state),
        approvals_required=required,
        policy=ReviewPolicy(
            four_eyes=required >= 2,
            reasons=list(summary.four_eyes_reasons) if review else [],
            review_deadline=deadline,
        ),
    )


class EventSpec(WireModel):
    """One event to append; the dedupe key makes a retried write harmless."""

    type: str
    dedupe_key: str
    actor: str = "system"
    data: dict[str, Any] = Field(default_factory=dict)


class TransitionInput(WireModel):
    """The ledger activity: move the projection and append events in one transaction."""

    export_id: str
    status: ExportStatus | None = None
    approval: Approval | None = None
    attention: Attention | None = None
    clear_attention: bool = False
    execution_requested: bool | None = None
    broker_outcome: BrokerOutcome | None = None
    events: list[EventSpec] = Field(default_factory=list)
    occurred_at: datetime
    # the broker loop's side as it stands after this transition (docs/broker-protocol.md)
    broker_side: BrokerSide | None = None
    # the destination a send waits for (docs/fleet-control.md); `clear_waiting`: none any more
    waiting_for: WaitingFor | None = None
    clear_waiting: bool = False


class ReviewOverdueInput(WireModel):
    """The `notify_review_overdue` activity: tell the account's review webhook, if it has one."""

    export_id: str
    account_id: str
    plan_hash: str
    waiting_since: datetime
    deadline: datetime


class ReviewEscalationInput(WireModel):
    """`notify_review_escalation`: tell the account's leads (and the assignee) by e-mail that a
    review is overdue (`REVIEW_OVERDUE`) or moved to the leads' queue (`REVIEW_ESCALATED`)."""

    export_id: str
    account_id: str
    plan_hash: str
    kind: Literal["REVIEW_OVERDUE", "REVIEW_ESCALATED"]
    deadline: datetime


class StepInput(WireModel):
    """Every execution activity gets the export and the plan it executes."""

    export_id: str
    plan_hash: str
    dedupe_prefix: str = ""


class PackageResult(WireModel):
    """The customs package of the export's plan."""

    customs_package_id: str
    package_number: str
    reused: bool


class SubmissionResult(WireModel):
    """The broker submission after a step."""

    submission_id: str
    status: str
    broker_reference: str | None = None


class WorkflowState(WireModel):
    """The `state` query."""

    export_id: str
    status: ExportStatus | None
    readiness_state: Readiness | None
    plan_hash: str | None
    approval: Approval
    execution_requested: bool
    attention: Attention | None
    completed_steps: list[str]
    current_step: str | None
    # the broker loop has started following the broker (docs/broker-protocol.md)
    following_broker: bool = False
