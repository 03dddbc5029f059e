"""The broker's side of an export, as the export's workflow holds it: what has been applied,
what arrived early, the requests and holds, and the outcome (docs/broker-protocol.md).

Every model is frozen; the functions of `domain.broker_loop.machine` return new copies. All of
it goes through JSON by alias (camelCase), as the workflow's payloads and stored rows do.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from domain.broker_loop.callbacks import BrokerCallback, DocumentAsk, FieldAsk
from domain.wire import WireModel

RequestKind = Literal["INFO", "REJECTION"]
RequestStatus = Literal["OPEN", "ANSWERED", "WITHDRAWN"]
Outcome = Literal["RELEASED", "ACCEPTED", "REFUSED", "REJECTED"]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class RequestAnswer(WireModel):
    """Our answer to a request: the message, the sha256 of each document attached, when and by
    whom."""

    model_config = ConfigDict(frozen=True)

    message: str | None = None
    documents: list[Sha256] = Field(default_factory=list)
    answered_at: datetime
    actor: str


class BrokerRequest(WireModel):
    """Something the broker waits for from us: an information request (INFO) or a correctable
    rejection (REJECTION, `rejection-<sequence>`, its message the rejection's reason)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    kind: RequestKind
    status: RequestStatus = "OPEN"
    fields: list[FieldAsk] = Field(default_factory=list)
    documents: list[DocumentAsk] = Field(default_factory=list)
    message: str | None = None
    received_at: datetime
    due_by: datetime | None = None
    answer: RequestAnswer | None = None


class Hold(WireModel):
    """A hold on the goods by CBP or a partner agency; open while `released_at` is None."""

    model_config = ConfigDict(frozen=True)

    hold_id: str
    agency: str
    reason: str
    opened_at: datetime
    released_at: datetime | None = None


class BrokerSide(WireModel):
    """Where the broker's work on the submission stands.

    `applied_through` is the last sequence applied (version 2); `pending` holds the callbacks
    that arrived early, by sequence; `seen_v1` the version 1 statuses applied. `acknowledged_at`
    is the time of the latest acknowledgement (of the submission or of an amendment);
    `last_callback_at` the latest `occurredAt` of an applied callback. `outcome` is the broker's
    or CBP's last word (final or not depends on the broker: see `machine.is_final`), its reason
    in `outcome_reason`. `amendments` counts the amendments sent.
    """

    model_config = ConfigDict(frozen=True)

    applied_through: int = 0
    pending: list[BrokerCallback] = Field(default_factory=list)
    seen_v1: list[str] = Field(default_factory=list)
    acknowledged_at: datetime | None = None
    entry_number: str | None = None
    entry_type: str | None = None
    broker_reference: str | None = None
    requests: list[BrokerRequest] = Field(default_factory=list)
    holds: list[Hold] = Field(default_factory=list)
    accepted_at: datetime | None = None
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    amendments: int = 0
    last_callback_at: datetime | None = None
