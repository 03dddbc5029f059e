"""What the audit export and the evidence pack answer (docs/evidence.md): the decision rows, the
installation's public key, and the parts of a pack besides those `domain.evidence` defines."""

from datetime import datetime
from typing import Any

from pydantic import Field

from domain.approval import Approval
from domain.broker_loop.state import BrokerSide
from domain.wire import WireModel


class AuditDecision(WireModel):
    """One review decision: who, when, on which plan (planHash, rule pack), and what they said.

    `key_id` is the API key (or console session's key) that acted; `subject`, `name` and `email`
    are given when the event carried them (a console sign-in); `label` is who the key stands for.
    `plan_hash` is the plan the decision was about; `ruleset_version` the pack it was made with.
    `comment` is an approval's comment, a comment's text or a change request's comment; `reason`
    a rejection's reason and `reason_codes` a change request's codes.
    """

    export_id: str
    event_id: str
    seq: int
    type: str
    occurred_at: datetime
    key_id: str
    subject: str | None = None
    label: str | None = None
    name: str | None = None
    email: str | None = None
    plan_hash: str | None = None
    ruleset_version: str | None = None
    comment: str | None = None
    reason: str | None = None
    reason_codes: list[str] | None = None
    # a claim or an assignment: who holds the review now, and who held it before (a release)
    assignee: str | None = None
    assignee_label: str | None = None
    previous_holder: str | None = None


class AuditPage(WireModel):
    """A page of decisions in time order; `next_cursor` continues (null at the end)."""

    data: list[AuditDecision]
    next_cursor: str | None
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")

    @classmethod
    def of(
        cls, data: list[AuditDecision], next_cursor: str | None, start: datetime, end: datetime
    ) -> "AuditPage":
        """A page of the window [start, end)."""
        # `from` and `to` are Python keywords: the window goes in by its wire names
        return cls.model_validate(
            {"data": data, "nextCursor": next_cursor, "from": start, "to": end}
        )


class EvidenceKey(WireModel):
    """The installation's evidence key: id, algorithm, public key as PEM and as a JWK."""

    key_id: str
    algorithm: str
    public_key_pem: str
    jwk: dict[str, str]
    created_at: datetime


class PlanEvent(WireModel):
    """A plan of the export as its planning event recorded it."""

    type: str
    occurred_at: datetime
    actor: str
    plan_hash: str | None = None
    previous_plan_hash: str | None = None


class SnapshotView(WireModel):
    """What a reviewer saw or decided on: the plan, why it was recorded, per order its decision."""

    key_id: str
    label: str | None = None
    plan_hash: str
    reason: str
    created_at: datetime
    decisions: dict[str, Any]


class ChangedOrder(WireModel):
    """An order whose decision or reason codes differ between two plans."""

    order_id: str
    before: str
    after: str
    codes_added: list[str]
    codes_removed: list[str]


class PlanDiff(WireModel):
    """How a later plan's decisions differ from an earlier one's, per order."""

    from_plan_hash: str
    to_plan_hash: str
    orders_added: list[str]
    orders_removed: list[str]
    changed: list[ChangedOrder]
    codes_appeared: list[str]
    codes_gone: list[str]


class ReviewsEvidence(WireModel):
    """`reviews.json`: the approval as it stands, every decision, the plans, what reviewers saw,
    and the differences between successive plans reviewers saw."""

    export_id: str
    approval: Approval
    decisions: list[AuditDecision]
    plans: list[PlanEvent]
    snapshots: list[SnapshotView]
    diffs: list[PlanDiff]


class DocumentEntry(WireModel):
    """A document attached to an answer, and the part holding its bytes."""

    part: str
    request_id: str
    sha256: str
    filename: str
    content_type: str
    size: int
    created_at: datetime


class EventEntry(WireModel):
    """An export event as the log holds it."""

    seq: int
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]


class BrokerEntry(WireModel):
    """The broker's reference data (its secret left out)."""

    id: str
    name: str
    filer_code: str | None = None
    transport_type: str
    recipient_email: str | None = None
    webhook_url: str | None = None
    classifies_goods: bool
    supported_destinations: list[str]
    customs_bond: dict[str, Any] | None = None
    reports_release: bool = False


class SubmissionEntry(WireModel):
    """The broker submission as the store holds it."""

    id: str
    customs_package_id: str
    submission_type: str
    status: str
    recipient_email: str | None = None
    recipient_url: str | None = None
    subject: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    error_message: str | None = None
    attempts: int
    broker_reference: str | None = None
    entry_number: str | None = None
    created_at: datetime
    updated_at: datetime


class AmendmentEntry(WireModel):
    """An amendment of the submission: the plan it carries, its sending and attempts."""

    number: int
    plan_hash: str
    customs_package_id: str
    request_id: str | None = None
    status: str
    attempts: int
    last_error: str | None = None
    sent_at: datetime | None = None


class NotificationEntry(WireModel):
    """The warehouse notification as the store holds it."""

    id: str
    channel: str
    recipient: str | None = None
    status: str
    attempts: int
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class SendFailureEntry(WireModel):
    """A failed send to one of the export's destinations (broker, warehouse)."""

    destination_id: str
    at: datetime
    error_class: str
    message: str
    transient: bool


class DeliveryEntry(WireModel):
    """A webhook delivery of one of the export's events to an endpoint of the account."""

    endpoint_id: str
    event_type: str
    seq: int
    status: str
    attempts: int
    last_error: str | None = None
    last_status_code: int | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class BrokerEvidence(WireModel):
    """`broker.json`: the broker, the submission, its amendments, the broker's side (requests,
    answers, holds, outcome), the documents we answered with, and the broker's events."""

    broker: BrokerEntry | None
    submission: SubmissionEntry | None
    amendments: list[AmendmentEntry]
    side: BrokerSide | None
    documents: list[DocumentEntry]
    events: list[EventEntry]


class AttemptsEvidence(WireModel):
    """`attempts.json`: every attempt the store keeps a trace of, and what it does not keep."""

    covered: list[str]
    not_covered: list[str]
    submission: SubmissionEntry | None
    notification: NotificationEntry | None
    amendments: list[AmendmentEntry]
    send_failures: list[SendFailureEntry]
    webhook_deliveries: list[DeliveryEntry]
    events: list[EventEntry]
