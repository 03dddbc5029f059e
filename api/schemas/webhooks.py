"""Webhook endpoints, their deliveries, and the account-wide event feed (issue 13)."""

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.schemas.reference import _not_null, _Patch
from domain.reference import Secret, Url

EventType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z][A-Z_]*$")]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=50)]
Description = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")]


def _unique(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


class WebhookEndpointCreate(BaseModel):
    """`POST /api/webhook-endpoints`: `secret` signs every delivery and is never shown again."""

    model_config = ConfigDict(extra="forbid")

    url: Url
    secret: Secret
    eventTypes: EventTypes | None = None  # every type when absent
    description: Description | None = None
    idempotencyKey: str | None = None

    _types = field_validator("eventTypes")(_unique)


class WebhookEndpointPatch(_Patch):
    """`PATCH /api/webhook-endpoints/{id}`: only the fields sent change; `eventTypes: null`
    subscribes to every type."""

    NEVER_NULL: ClassVar[tuple[str, ...]] = ("url", "secret")

    url: Url | None = None
    secret: Secret | None = None
    eventTypes: EventTypes | None = None
    description: Description | None = None

    _required = field_validator("url", "secret")(_not_null)
    _types = field_validator("eventTypes")(_unique)

    @model_validator(mode="after")
    def _some(self) -> "WebhookEndpointPatch":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class WebhookEndpoint(BaseModel):
    """An endpoint as shown (never its secret)."""

    id: str
    accountId: str
    url: str
    eventTypes: list[str] | None
    description: str | None
    createdAt: datetime
    updatedAt: datetime
    deletedAt: datetime | None  # set once deleted: nothing is sent to it any more


class WebhookDelivery(BaseModel):
    """One event's delivery to the endpoint."""

    id: str
    eventId: str
    exportId: str
    seq: int
    type: str
    status: str
    attempts: int
    nextAttemptAt: datetime | None
    lastError: str | None
    lastStatusCode: int | None
    createdAt: datetime
    deliveredAt: datetime | None


class DeliveryPage(BaseModel):
    """A page of deliveries, newest first."""

    data: list[WebhookDelivery]
    nextCursor: str | None


class FeedEvent(BaseModel):
    """An event of the account-wide feed (CONTRACT §12 plus its export and feed position)."""

    id: str
    exportId: str
    seq: int
    type: str
    occurredAt: datetime
    actor: str
    data: dict[str, Any]
    cursor: str


class FeedPage(BaseModel):
    """`GET /api/events`."""

    data: list[FeedEvent]
    nextCursor: str | None
