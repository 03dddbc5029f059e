"""Inputs and views of the export use cases (CONTRACT §9, §10, §12): what the routes take and
answer, built by `services/exports/views.py` from the store's records."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, JsonValue, StrictBool

from domain.destinations import WaitingFor
from domain.planning.document import PlanDocument
from domain.review_work import ChangeRequest, ReviewHolder
from domain.status import ExportStatus, Readiness
from domain.wire import WireInput, WireModel
from services.models.broker import BrokerView

Id = Annotated[str, Field(min_length=1, max_length=64)]
BatchId = Annotated[str, Field(min_length=3, max_length=64)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
PlanHash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
# a JSON object as stored (the projection's approval and attention, a plan's parts)
JsonObject = dict[str, JsonValue]


class _Body(WireInput):
    """A request body: the wire's names only, nothing else."""


class PlanRequest(_Body):
    """`POST /api/exports/plan`."""

    account_id: Id
    warehouse_id: Id
    broker_id: Id
    destination_country: Country = "US"
    order_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]
    batch_id: BatchId | None = None
    dry_run: StrictBool = False
    idempotency_key: str | None = None


class ExecuteRequest(_Body):
    """`POST /api/exports/execute`."""

    account_id: Id
    batch_id: BatchId
    idempotency_key: str | None = None


class ReplanRequest(_Body):
    """`POST /api/exports/{id}/replan`: unset fields keep their value."""

    order_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None
    warehouse_id: Id | None = None
    broker_id: Id | None = None
    destination_country: Country | None = None
    idempotency_key: str | None = None


class ApproveRequest(_Body):
    """`POST /api/exports/{id}/approve`."""

    plan_hash: PlanHash
    comment: Annotated[str, Field(max_length=2000)] | None = None
    idempotency_key: str | None = None


class RejectRequest(_Body):
    """`POST /api/exports/{id}/reject`."""

    reason: Reason
    idempotency_key: str | None = None


class CancelRequest(_Body):
    """`POST /api/exports/{id}/cancel`."""

    reason: Reason | None = None
    idempotency_key: str | None = None


class RetryRequest(_Body):
    """`POST /api/exports/{id}/retry`."""

    idempotency_key: str | None = None


class BrokerOutcomeRequest(_Body):
    """`POST /api/exports/{id}/broker-outcome` (brokers that answer by email)."""

    status: Literal["ACCEPTED", "REJECTED"]
    entry_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    reason: Reason | None = None
    idempotency_key: str | None = None


class BrokerCallback(_Body):
    """`POST /api/brokers/{brokerId}/callbacks`."""

    submission_id: Id
    status: Literal["ACKNOWLEDGED", "ACCEPTED", "REJECTED"]
    entry_number: Annotated[str, Field(max_length=64)] | None = None
    broker_reference: Annotated[str, Field(max_length=128)] | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None
    occurred_at: datetime


class CallbackReceipt(WireModel):
    """The callback was taken."""

    received: bool
    submission_id: str
    status: str


class Plan(PlanDocument):
    """The plan (§9.1): the plan document, with the export's current status when inspected."""


class Event(WireModel):
    """One event of an export (§12)."""

    id: str
    seq: int
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]


class EventPage(WireModel):
    """Events after a seq."""

    data: list[Event]
    next_after: int | None


class ArtifactOut(WireModel):
    """An artifact's metadata."""

    id: str
    artifact_type: str = Field(alias="artifact_type")
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    generated_at: datetime = Field(alias="generated_at")
    download_url: str


class CustomsPackageOut(WireModel):
    """A customs package."""

    id: str
    export_batch_id: str
    package_number: str
    state: str
    plan_hash: str
    created_at: datetime
    artifacts: list[ArtifactOut]


class Notification(WireModel):
    """A warehouse notification (§9.4)."""

    id: str
    channel: str
    recipient: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class BrokerSubmission(WireModel):
    """The broker submission (§9.4)."""

    id: str
    submission_type: str = Field(alias="submission_type")
    status: str
    recipient_email: str | None = Field(alias="recipient_email")
    recipient_url: str | None
    subject: str | None
    sent_at: datetime | None = Field(alias="sent_at")
    error_message: str | None = Field(alias="error_message")
    attempts: int
    broker_reference: str | None
    entry_number: str | None
    updated_at: datetime | None


class WorkflowInfo(WireModel):
    """The export's workflow. Inspect answers from the projection (`live: false`; `running` false
    once the export is final, else null: not asked); with `?live=true` the workflow is asked its
    `state`: `live` when it answered (then `running` is true and its current and completed steps
    are shown), `running` null when Temporal or the worker did not answer within the bound."""

    model_config = ConfigDict(extra="forbid")

    id: str
    running: bool | None
    live: bool = False
    pending_activities: list[JsonObject]
    current_step: str | None = None
    completed_steps: list[str] | None = None
    execution_requested: bool | None = None


class ExportView(WireModel):
    """Inspect (§9.4)."""

    model_config = ConfigDict(extra="allow")

    export_id: str
    batch_id: str
    account_id: str
    warehouse_id: str
    broker_id: str
    destination_country: str
    status: ExportStatus
    readiness_state: Readiness
    plan_hash: str
    plan: Plan
    approval: JsonObject
    attention: JsonObject | None
    customs_package_id: str | None = Field(alias="customs_package_id")
    customs_package: CustomsPackageOut | None
    artifacts: list[ArtifactOut]
    notifications: list[Notification]
    broker_submission: BrokerSubmission | None
    events: list[Event]
    workflow: WorkflowInfo
    created_at: datetime
    updated_at: datetime
    # the broker loop (docs/broker-protocol.md): absent before the submission went out
    broker: BrokerView | None = None
    # fleet control (docs/fleet-control.md): the destination a send waits for, if one does
    waiting_for: WaitingFor | None = None
    # review work (docs/console.md "A shared queue"): who holds the review, and the last
    # change a reviewer requested of a plan
    holder: ReviewHolder | None = None
    changes_requested: ChangeRequest | None = None


class ExportSummary(WireModel):
    """An export in a list."""

    export_id: str
    batch_id: str
    status: ExportStatus
    readiness_state: Readiness
    plan_hash: str
    warehouse_id: str
    broker_id: str
    destination_country: str
    created_at: datetime
    updated_at: datetime


class ExportPage(WireModel):
    """A page of exports."""

    data: list[ExportSummary]
    next_cursor: str | None
