"""The webhook and event feed routes' request and response models: the use cases' own."""

from services.models.webhooks import (
    DeliveryPage,
    FeedEvent,
    FeedPage,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPatch,
)

__all__ = [
    "DeliveryPage",
    "FeedEvent",
    "FeedPage",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEndpointCreate",
    "WebhookEndpointPatch",
]
