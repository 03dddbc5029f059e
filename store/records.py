"""The typed rows repositories hand out: read by attribute, never by string key."""

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal, Self

from domain.approval import Approval, Attention
from domain.broker_loop.state import BrokerSide
from domain.destinations import WaitingFor
from domain.planning.document import PlanDocument
from domain.reference import ShipmentMode
from domain.status import ExportStatus, Readiness
from store.db import Row


class _FromRow:
    @classmethod
    def from_row(cls, row: Row) -> Self:
        """The record of a database row (extra columns are ignored)."""
        return cls(**{f.name: row[f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ExportRecord(_FromRow):
    """An export's projection row."""

    id: str
    account_id: str
    warehouse_id: str
    broker_id: str
    destination_country: str
    order_ids: list[str]
    status: ExportStatus
    readiness_state: Readiness
    plan_hash: str
    plan: PlanDocument
    approval: Approval
    execution_requested: bool
    attention: Attention | None
    customs_package_id: str | None
    workflow_id: str
    created_at: datetime
    updated_at: datetime
    # what the broker said, as the broker loop last wrote it (None before the submission went out)
    broker_side: BrokerSide | None = None
    # the destination a send of the export waits for (docs/fleet-control.md)
    waiting_for: WaitingFor | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ExportStatus(self.status))
        object.__setattr__(self, "readiness_state", Readiness(self.readiness_state))
        # the plan column holds the plan document's JSON (wire names)
        if not isinstance(self.plan, PlanDocument):
            object.__setattr__(self, "plan", PlanDocument.model_validate(self.plan))
        # the approval and attention columns hold the ledger's JSON of the workflow's models
        if not isinstance(self.approval, Approval):
            object.__setattr__(self, "approval", Approval.model_validate(self.approval))
        if self.attention is not None and not isinstance(self.attention, Attention):
            object.__setattr__(self, "attention", Attention.model_validate(self.attention))
        if self.broker_side is not None and not isinstance(self.broker_side, BrokerSide):
            object.__setattr__(self, "broker_side", BrokerSide.model_validate(self.broker_side))
        if self.waiting_for is not None and not isinstance(self.waiting_for, WaitingFor):
            object.__setattr__(self, "waiting_for", WaitingFor.model_validate(self.waiting_for))


@dataclass(frozen=True, slots=True)
class EventRecord(_FromRow):
    """One event of an export's log."""

    id: str
    seq: int
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PackageRecord(_FromRow):
    """A customs package."""

    id: str
    account_id: str
    export_id: str
    plan_hash: str
    package_number: str
    state: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ArtifactRecord(_FromRow):
    """An artifact's metadata."""

    id: str
    customs_package_id: str
    artifact_type: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class ArtifactContent(_FromRow):
    """An artifact's bytes, as downloaded."""

    id: str
    filename: str
    content_type: str
    sha256: str
    content: bytes


@dataclass(frozen=True, slots=True)
class SubmissionRecord(_FromRow):
    """A broker submission."""

    id: str
    export_id: str
    broker_id: str
    customs_package_id: str
    submission_type: str
    status: str
    recipient_email: str | None
    recipient_url: str | None
    subject: str | None
    message_id: str | None
    sent_at: datetime | None
    error_message: str | None
    attempts: int
    broker_reference: str | None
    entry_number: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NotificationRecord(_FromRow):
    """A warehouse notification."""

    id: str
    channel: str
    recipient: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArtifactFile(_FromRow):
    """An artifact with its bytes, as the worker sends it to a broker."""

    id: str
    artifact_type: str
    filename: str
    content_type: str
    sha256: str
    content: bytes


@dataclass(frozen=True, slots=True)
class WarehouseRecord(_FromRow):
    """A warehouse's row, notification secret included (kept out of its repr)."""

    id: str
    account_id: str
    name: str
    address: dict[str, Any]
    shipment_mode: ShipmentMode
    notification_url: str | None
    notification_secret: str | None = field(repr=False)
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BrokerRecord(_FromRow):
    """A broker's row, webhook secret included (kept out of its repr)."""

    id: str
    account_id: str
    name: str
    filer_code: str | None
    transport_type: Literal["email", "webhook"]
    recipient_email: str | None
    webhook_url: str | None
    webhook_secret: str | None = field(repr=False)
    classifies_goods: bool
    supported_destinations: list[str]
    customs_bond: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    reports_release: bool = False
    sla: dict[str, Any] | None = None
