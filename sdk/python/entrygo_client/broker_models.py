"""Models of the broker loop's answers (docs/broker-protocol.md): a broker's requests and what
came of an answer. Lenient like every model of the SDK: unknown fields are kept."""

from pydantic import Field

from entrygo_client.models import Model


class FieldAsk(Model):
    path: str | None = None
    reason: str | None = None


class DocumentAsk(Model):
    type: str | None = None
    reason: str | None = None


class RequestAnswer(Model):
    message: str | None = None
    documents: list[str] = Field(default_factory=list)  # the sha256 of each attached document
    answeredAt: str | None = None
    actor: str | None = None


class BrokerRequest(Model):
    """A broker's information request (INFO) or correctable rejection (REJECTION)."""

    requestId: str | None = None
    kind: str | None = None  # INFO | REJECTION
    status: str | None = None  # OPEN | ANSWERED | WITHDRAWN
    fields: list[FieldAsk] = Field(default_factory=list)
    documents: list[DocumentAsk] = Field(default_factory=list)
    message: str | None = None
    receivedAt: str | None = None
    dueBy: str | None = None
    answer: RequestAnswer | None = None


class BrokerRequestList(Model):
    """The answer of `exports.broker_requests.list`."""

    exportId: str | None = None
    data: list[BrokerRequest] = Field(default_factory=list)


class StoredDocument(Model):
    filename: str | None = None
    contentType: str | None = None
    size: int | None = None
    sha256: str | None = None


class BrokerAnswer(Model):
    """The answer of `exports.broker_requests.answer`. `outcome` is "amendment_sent",
    "awaiting_review" (the new plan is back in the review queue; nothing was sent to the broker),
    "blocked" (fix the data and answer again), "attention_required" (retry) or "in_progress"
    (not decided yet; inspect follows it)."""

    exportId: str | None = None
    requestId: str | None = None
    outcome: str | None = None
    planHash: str | None = None
    amendment: int | None = None
    status: str | None = None
    documents: list[StoredDocument] = Field(default_factory=list)
