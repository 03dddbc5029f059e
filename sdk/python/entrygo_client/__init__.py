"""Python client for the EntryGo Export Protocol v1: every call with safe retries, the safe
agent loop as one call (`run_export`), and webhook verification."""

from entrygo_client import webhooks
from entrygo_client.broker_models import BrokerAnswer, BrokerRequest, BrokerRequestList
from entrygo_client.client import AsyncEntryGo, EntryGo
from entrygo_client.errors import EntryGoError, WaitTimeout, WebhookVerificationError
from entrygo_client.loop import SETTLED, Policy, run_keys
from entrygo_client.models import (
    Artifact,
    CustomsPackage,
    Event,
    EventPage,
    ExportOutcome,
    ExportPage,
    ExportView,
    Model,
    OrderSyncResult,
    Plan,
    ProductSyncResult,
    WebhookEvent,
)

__version__ = "0.1.0"
__all__ = [
    "SETTLED",
    "Artifact",
    "AsyncEntryGo",
    "BrokerAnswer",
    "BrokerRequest",
    "BrokerRequestList",
    "CustomsPackage",
    "EntryGo",
    "EntryGoError",
    "Event",
    "EventPage",
    "ExportOutcome",
    "ExportPage",
    "ExportView",
    "Model",
    "OrderSyncResult",
    "Plan",
    "Policy",
    "ProductSyncResult",
    "WaitTimeout",
    "WebhookEvent",
    "WebhookVerificationError",
    "run_keys",
    "webhooks",
]
