"""Webhook endpoints, their deliveries, and the account-wide event feed."""

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from domain.reference import Secret, Url
from domain.wire import WireInput, WireModel
from services.models.reference import _not_null, _Patch

EventType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z][A-Z_]*$")]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=50)]
Description = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00-\x1f\x7f]+$")]


def _unique(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


class WebhookEndpointCreate(WireInput):
    """`POST /api/webhook-endpoints`: `secret` signs every delivery and is never shown again."""

    url: Url
    secret: Secret
    event_types: EventTypes | None = None  # every type when absent
    description: Description | None = None
    idempotency_key: str | None = None

    _types = field_validator("event_types")(_unique)


class WebhookEndpointPatch(_Patch):
    """`PATCH /api/webhook-endpoints/{id}`: only the fields sent change; `eventTypes: null`
    subscribes to every type."""

    NEVER_NULL: ClassVar[tuple[str, ...]] = ("url", "secret")

    url: Url | None = None
    secret: Secret | None = None
    event_types: EventTypes | None = None
    description: Description | None = None

    _required = field_validator("url", "secret")(_not_null)
    _types = field_validator("event_types")(_unique)

    @model_validator(mode="after")
    def _some(self) -> "WebhookEndpointPatch":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class WebhookEndpoint(WireModel):
    """An endpoint as shown (never its secret)."""

    id: str
    account_id: str
    url: str
    event_types: list[str] | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None  # set once deleted: nothing is sent to it any more


class WebhookDelivery(WireModel):
    """One event's delivery to the endpoint: an export's event, or (`exportId` null) a
    destination's, with its `destinationId`."""

    id: str
    event_id: str
    export_id: str | None
    seq: int
    type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    destination_id: str | None = None


class DeliveryPage(WireModel):
    """A page of deliveries, newest first."""

    data: list[WebhookDelivery]
    next_cursor: str | None


class FeedEvent(WireModel):
    """An event of the account-wide feed (CONTRACT §12 plus its export and feed position); a
    destination's event (`DESTINATION_OPENED`, …) has `exportId` null and its `destinationId`,
    and `seq` numbers the destination's events."""

    id: str
    export_id: str | None
    seq: int
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]
    cursor: str
    destination_id: str | None = None


class FeedPage(WireModel):
    """`GET /api/events`."""

    data: list[FeedEvent]
    next_cursor: str | None
