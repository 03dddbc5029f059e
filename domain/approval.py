"""The review decision of an export's current plan, and the attention an export asks for: as
the workflow holds them, the ledger writes them and the store reads them back (camelCase JSON
by alias, so stored rows and recorded histories keep their names)."""

from datetime import datetime

from pydantic import Field

from domain.status import ApprovalState
from domain.wire import WireModel


class Approver(WireModel):
    """One approval of the current plan: the key, who it stands for, when, and the comment."""

    key_id: str
    label: str | None = None
    at: datetime
    comment: str | None = None


class Rejecter(WireModel):
    """The rejection of the plan."""

    key_id: str
    label: str | None = None
    at: datetime
    reason: str | None = None


class ReviewPolicy(WireModel):
    """What the review of the current plan asks: four eyes and why, and by when."""

    four_eyes: bool = False
    reasons: list[str] = Field(default_factory=list)
    review_deadline: datetime | None = None
    overdue: bool = False
    # the review outlasted the escalation chain's second deadline: it is in the leads' queue
    escalated: bool = False


class EscalationChain(WireModel):
    """An account's review escalation: at the review deadline the assignee and the leads are
    told (e-mail and the review webhook); `escalate_after_seconds` later the review moves to the
    leads' queue."""

    lead_emails: list[str] = Field(default_factory=list)
    escalate_after_seconds: float


class Approval(WireModel):
    """The review decision of the current plan. `reviewer`, `comment`, `decided_at` and `label`
    are those of the latest decision; `approved_by` holds every approval (four eyes: two
    different keys), `rejected_by` the rejection. `approvals_required` and `policy` are None in
    workflows started before the review policy."""

    state: ApprovalState
    reviewer: str | None = None
    comment: str | None = None
    decided_at: datetime | None = None
    plan_hash: str | None = None
    label: str | None = None
    approvals_required: int | None = None
    approved_by: list[Approver] = Field(default_factory=list)
    rejected_by: Rejecter | None = None
    policy: ReviewPolicy | None = None


class Attention(WireModel):
    """Why an export needs a person."""

    step: str
    error_type: str | None = None
    error: str
    at: datetime
