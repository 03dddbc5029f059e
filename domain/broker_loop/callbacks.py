"""What a broker tells EntryGo about a submission (docs/broker-protocol.md): the callbacks of
version 2, each checked for the fields its type needs, and the outcomes of version 1 in the same
shape (without a sequence)."""

from datetime import datetime
from typing import Literal, Self, get_args

from pydantic import ConfigDict, Field, model_validator

from domain.wire import WireModel

CallbackType = Literal[
    "ACKNOWLEDGED",
    "INFO_REQUESTED",
    "REQUEST_WITHDRAWN",
    "ENTRY_FILED",
    "HOLD",
    "HOLD_RELEASED",
    "RELEASED",
    "ACCEPTED",
    "REFUSED",
    "REJECTED",
]
V1Status = Literal["ACKNOWLEDGED", "ACCEPTED", "REJECTED"]
CALLBACK_TYPES: tuple[CallbackType, ...] = get_args(CallbackType)
V1_TYPES: frozenset[str] = frozenset(get_args(V1Status))

# the attributes each version 2 type must carry (the protocol's table of types and fields)
REQUIRED: dict[CallbackType, tuple[str, ...]] = {
    "ACKNOWLEDGED": (),
    "INFO_REQUESTED": ("request_id", "due_by"),
    "REQUEST_WITHDRAWN": ("request_id",),
    "ENTRY_FILED": ("entry_number", "entry_type"),
    "HOLD": ("hold_id", "agency", "reason"),
    "HOLD_RELEASED": ("hold_id",),
    "RELEASED": (),
    "ACCEPTED": (),
    "REFUSED": ("reason",),
    "REJECTED": ("reason", "correctable"),
}
# version 1 knows no correction: its rejection is final
V1_CORRECTABLE: dict[V1Status, bool | None] = {
    "ACKNOWLEDGED": None,
    "ACCEPTED": None,
    "REJECTED": False,
}


class FieldAsk(WireModel):
    """A field of the submission the broker asks about: its path in the package and why."""

    model_config = ConfigDict(frozen=True)

    path: str
    reason: str


class DocumentAsk(WireModel):
    """A document the broker asks for: its type (INVOICE, …) and why."""

    model_config = ConfigDict(frozen=True)

    type: str
    reason: str


class BrokerCallback(WireModel):
    """One callback for a submission.

    `sequence` is the broker's gapless counter (1, 2, …); None marks an outcome of version 1,
    which has none. A version 2 callback carries the fields its type needs (REQUIRED, and for
    INFO_REQUESTED at least one field, document or a message); a version 1 callback is one of
    ACKNOWLEDGED, ACCEPTED and REJECTED, with the optional fields of version 1.
    """

    model_config = ConfigDict(frozen=True)

    submission_id: str
    sequence: int | None = Field(default=None, ge=1)
    type: CallbackType
    occurred_at: datetime
    amendment: int | None = Field(default=None, ge=0)
    broker_reference: str | None = None
    request_id: str | None = None
    fields: list[FieldAsk] = Field(default_factory=list)
    documents: list[DocumentAsk] = Field(default_factory=list)
    message: str | None = None
    due_by: datetime | None = None
    entry_number: str | None = None
    entry_type: str | None = None
    hold_id: str | None = None
    agency: str | None = None
    reason: str | None = None
    correctable: bool | None = None

    @model_validator(mode="after")
    def _fields_of_the_type(self) -> Self:
        """Refuse a callback that lacks what its type needs."""
        if self.sequence is None:
            if self.type not in V1_TYPES:
                raise ValueError(f"{self.type} needs a sequence (version 1 has no such status)")
            return self
        missing = [wire_name(name) for name in REQUIRED[self.type] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.type} needs {', '.join(missing)}")
        if self.type == "INFO_REQUESTED" and not (self.fields or self.documents or self.message):
            raise ValueError(f"{self.type} needs at least one of fields, documents and message")
        return self


def wire_name(attribute: str) -> str:
    """The camelCase name a BrokerCallback attribute has on the wire."""
    return BrokerCallback.model_fields[attribute].alias or attribute


def from_v1(
    status: V1Status,
    entry_number: str | None,
    broker_reference: str | None,
    reason: str | None,
    occurred_at: datetime,
    submission_id: str,
) -> BrokerCallback:
    """A version 1 outcome (CONTRACT §11) as a callback without a sequence; a rejection of
    version 1 is never correctable."""
    return BrokerCallback(
        submission_id=submission_id,
        type=status,
        occurred_at=occurred_at,
        entry_number=entry_number,
        broker_reference=broker_reference,
        reason=reason,
        correctable=V1_CORRECTABLE[status],
    )
