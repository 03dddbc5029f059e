"""The export routes' request and response models: the use cases' own (services/)."""

from services.models.exports import (
    ApproveRequest,
    ArtifactOut,
    BrokerCallback,
    BrokerOutcomeRequest,
    CallbackReceipt,
    CancelRequest,
    CustomsPackageOut,
    EventPage,
    ExecuteRequest,
    ExportPage,
    ExportView,
    Plan,
    PlanRequest,
    RejectRequest,
    ReplanRequest,
    RetryRequest,
)

__all__ = [
    "ApproveRequest",
    "ArtifactOut",
    "BrokerCallback",
    "BrokerOutcomeRequest",
    "CallbackReceipt",
    "CancelRequest",
    "CustomsPackageOut",
    "EventPage",
    "ExecuteRequest",
    "ExportPage",
    "ExportView",
    "Plan",
    "PlanRequest",
    "RejectRequest",
    "ReplanRequest",
    "RetryRequest",
]
