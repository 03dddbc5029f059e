"""Bodies and answers of the broker loop (docs/broker-protocol.md): the version 2 callback, the
requests list, an answer with its documents."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from domain.broker_loop.callbacks import CallbackType
from domain.broker_loop.state import BrokerRequest, BrokerSide, Hold
from domain.status import ExportStatus
from domain.wire import WireInput, WireModel

Id = Annotated[str, Field(min_length=1, max_length=64)]
Short = Annotated[str, Field(min_length=1, max_length=200)]
Long = Annotated[str, Field(min_length=1, max_length=4000)]
# an attached document: PDF or image, at most 5 MB once decoded
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DocumentType = Literal["application/pdf", "image/png", "image/jpeg"]


class _Body(WireInput):
    """A request body: the wire's names only, nothing else."""


class FieldAskIn(_Body):
    path: Short
    reason: Long


class DocumentAskIn(_Body):
    type: Short
    reason: Long


class _SaidByTheBroker(_Body):
    """What a broker says in a protocol 2 callback, by type (docs/broker-protocol.md)."""

    type: CallbackType
    broker_reference: Annotated[str, Field(max_length=128)] | None = None
    request_id: Id | None = None
    fields: Annotated[list[FieldAskIn], Field(max_length=100)] = Field(default_factory=list)
    documents: Annotated[list[DocumentAskIn], Field(max_length=100)] = Field(default_factory=list)
    message: Long | None = None
    due_by: datetime | None = None
    entry_number: Annotated[str, Field(max_length=64)] | None = None
    entry_type: Annotated[str, Field(max_length=8)] | None = None
    hold_id: Id | None = None
    agency: Short | None = None
    reason: Long | None = None
    correctable: bool | None = None


class BrokerCallbackV2(_SaidByTheBroker):
    """`POST /api/brokers/{brokerId}/callbacks`, protocol version 2 (a body with `sequence`)."""

    submission_id: Id
    sequence: Annotated[int, Field(ge=1, le=1_000_000)]
    occurred_at: datetime
    amendment: Annotated[int, Field(ge=0, le=10_000)] | None = None


class BrokerMessageRequest(_SaidByTheBroker):
    """`POST /api/exports/{id}/broker-messages`: what a broker that cannot call back (an email
    broker) said, recorded by a reviewer; the fields of a protocol 2 callback, without the
    submission id and sequence (the export's next sequence is taken)."""

    occurred_at: datetime | None = None
    idempotency_key: str | None = None


class RecordedView(WireModel):
    """A recorded broker message: applied (or a duplicate), with the export's status after it."""

    export_id: str
    result: Literal["applied", "duplicate", "buffered", "in_progress"]
    sequence: int | None = None
    status: ExportStatus | None = None


class CallbackAnswer(WireModel):
    """A version 2 callback taken: applied, a duplicate, or kept until the ones before it."""

    received: bool
    submission_id: str
    result: Literal["applied", "duplicate", "buffered"]
    status: ExportStatus | None = None


class BrokerRequests(WireModel):
    """`GET /api/exports/{id}/broker-requests`."""

    export_id: str
    data: list[BrokerRequest]


class AttachedDocument(_Body):
    """A document attached to an answer."""

    filename: Short
    content_type: DocumentType
    content_base64: Annotated[str, Field(min_length=1, max_length=MAX_DOCUMENT_BYTES * 4 // 3 + 4)]
    # when given, the content must have this digest (hex)
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class AnswerRequest(_Body):
    """`POST /api/exports/{id}/broker-requests/{requestId}/answer`."""

    message: Long
    documents: Annotated[list[AttachedDocument], Field(max_length=10)] = Field(default_factory=list)
    idempotency_key: str | None = None


class StoredDocument(WireModel):
    """An attached document as kept: its name, type, size and digest."""

    filename: str
    content_type: str
    size: int
    sha256: str


class AnswerView(WireModel):
    """What came of an answer: `amendment_sent`, `awaiting_review` (the new plan is back in the
    review queue), `blocked` (fix the data and answer again), `attention_required` (retry), or
    `in_progress` (not decided yet; inspect follows it)."""

    export_id: str
    request_id: str
    outcome: Literal[
        "amendment_sent", "awaiting_review", "blocked", "attention_required", "in_progress"
    ]
    plan_hash: str | None = None
    amendment: int | None = None
    status: ExportStatus | None = None
    documents: list[StoredDocument] = Field(default_factory=list)


class AmendmentView(WireModel):
    """One amendment of the submission."""

    number: int
    status: str
    plan_hash: str
    customs_package_id: str
    request_id: str | None = None
    attempts: int
    sent_at: datetime | None = None


class BrokerView(WireModel):
    """The broker's side of an export in inspect: entry, requests with their answers, holds,
    the outcome, and the submission's amendments."""

    entry_number: str | None = None
    entry_type: str | None = None
    broker_reference: str | None = None
    acknowledged_at: datetime | None = None
    outcome: str | None = None
    outcome_reason: str | None = None
    requests: list[BrokerRequest] = Field(default_factory=list)
    holds: list[Hold] = Field(default_factory=list)
    amendments: list[AmendmentView] = Field(default_factory=list)
    last_sequence: int = 0

    @classmethod
    def of(cls, side: BrokerSide, amendments: list[AmendmentView]) -> "BrokerView":
        """The view of a stored side and the amendments the store holds."""
        return cls(
            entry_number=side.entry_number,
            entry_type=side.entry_type,
            broker_reference=side.broker_reference,
            acknowledged_at=side.acknowledged_at,
            outcome=side.outcome,
            outcome_reason=side.outcome_reason,
            requests=side.requests,
            holds=side.holds,
            amendments=amendments,
            last_sequence=side.applied_through,
        )
